/*
 * verdict.h: what happened to a run, decided from what the monitor saw and what the
 * cgroups counted, as one machine-readable JSON line and a sentence a student understands.
 *
 * status: ok | exit | signal | time | memory | pids | output | disk | error. A limit that
 * fired (output cap, disk, memory, process count, wall or CPU time) names the status even
 * when the command then exited normally: it is what the student must fix.
 */
#ifndef SANDBOX_VERDICT_H
#define SANDBOX_VERDICT_H

#include <stdbool.h>

#include "cgroup.h"
#include "config.h"
#include "monitor.h"

struct verdict {
    const char *status;
    const char *limit;       /* which limit fired: wall, cpu, memory, pids, output, disk,
                                files, fsize, "" */
    int exit_code;           /* -1 unless the command exited */
    int signal;              /* 0 unless it was killed by a signal */
    long long wall_ms, cpu_ms, mem_peak, pids_peak, out_bytes, disk_bytes;
    long long limit_at_ms;   /* CLOCK_MONOTONIC ms when the limit was first seen; 0: none */
    bool isolated;
    int leftovers;           /* processes that outlived the command (killed by the sandbox) */
    char message[256];
    char warning[768];
};

void verdict_decide(const struct sb_config *c, const struct run_result *r,
                    const struct cg_stats *st, bool isolated, struct verdict *v);

/* A verdict for a run that could not start: status error with MESSAGE. */
void verdict_error(struct verdict *v, const char *message);

/* Add to the verdict's warning (joined with "; "). */
void verdict_warn(struct verdict *v, const char *text);

/* Write the verdict file (verdict_file.h) to PATH (0, or -1 with errno). */
int verdict_write(const struct verdict *v, const char *path);

/* The sandbox's exit status for this verdict (see usage()). */
int verdict_exit_status(const struct verdict *v);

#endif
