/*
 * monitor.h: watching a run from outside (as root, or as the user who started the
 * sandbox): copy its output up to the cap, read the init's status line, keep the wall
 * deadline and the whole-tree CPU limit, and kill every process of the run at the end.
 */
#ifndef SANDBOX_MONITOR_H
#define SANDBOX_MONITOR_H

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"
#include "config.h"

struct run_io {
    int out_rd, err_rd;       /* read ends (err_rd -1 when both streams share out_rd) */
    int out_dst, err_dst;     /* where the captured bytes go */
    int status_rd;            /* the init's status pipe */
};

struct run_result {
    bool started;             /* the init reported "start": namespaces were set up */
    bool have_status;         /* the init reported how the command ended */
    bool signaled;
    int code;                 /* exit status, or signal number if signaled */
    int child_status;         /* wait status of bubblewrap (or of the init) */
    bool killed_time, killed_cpu, killed_output, killed_disk;
    long long disk_bytes;     /* space used in the --rw directories (last check) */
    long disk_files;
    int interrupted;          /* the sandbox got this signal (SIGTERM...) and stopped the run */
    int leftovers;            /* processes still running when the command ended */
    long long out_bytes;      /* bytes the command wrote (including what was dropped) */
    double wall_ms;
    double limit_at_ms;       /* CLOCK_MONOTONIC ms when a limit was first seen; 0: none */
    char errhead[2048];       /* the first bytes of stderr: bubblewrap's own errors */
    size_t errhead_len;
};

/* Set by the sandbox's handler of SIGTERM, SIGINT, SIGHUP: stop the run now. */
extern volatile sig_atomic_t monitor_interrupt;

/* Watch the run started as CHILD until it ends and nothing of it is left. */
void monitor(const struct sb_config *c, const struct cgroups *cg, pid_t child, bool isolate,
             const struct run_io *io, struct run_result *r);

#endif
