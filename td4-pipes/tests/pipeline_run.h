/*
 * pipeline_run.h: running pipeline and checking how it ended, shared by the public
 * and hidden pipeline tests.
 */
#ifndef PIPELINE_RUN_H
#define PIPELINE_RUN_H

#include "tl.h"

/* The descriptor probe: the test binary itself, exec'd as
 *     <tl_self_exe()> --td4-fd-probe REPORT   (with TD4_FD_PROBE=1 in its environment)
 * writes the descriptors it was started with into REPORT ("-": stderr), then copies its
 * stdin to its stdout like cat, so it can stand anywhere in a pipeline. */
#define PL_PROBE_FLAG "--td4-fd-probe"
#define PL_PROBE_ENV "TD4_FD_PROBE=1"

#define PL_MAX_ARGS 96

/* An argument list under construction: pl_add(&a, "cat"); pl_add(&a, "|") ... */
typedef struct {
    int n;
    const char *argv[PL_MAX_ARGS + 1];
    char text[PL_MAX_ARGS][300];
} pl_args;

void pl_init(pl_args *a);                       /* argv[0] = "pipeline" */
void pl_add(pl_args *a, const char *arg);
/* Add the descriptor probe as a command: it reports into tl_path(report). */
void pl_add_probe(pl_args *a, const char *report);

/* Run pipeline with this argv and stdin (NULL: /dev/null), watched for deadlocks. */
tl_watched run_pipeline(const char *const *argv, const char *input, size_t len);
/* The same for a fixed list: run_pipeline(TL_ARGV("pipeline", "true", "|", "true"), ...) */

/* Fails unless the run ended by itself (no deadlock, no deadline) and nothing was
 * left behind; says which pipe ends were left open when it deadlocked. */
void expect_ended(const tl_watched *w);
/* expect_ended, plus exit status 0. */
void expect_ok(const tl_watched *w);

/* Read a probe report; false (and n = 0) if it is missing. */
bool pl_read_probe(const char *path, tl_pt_proc *out);
/* The descriptor fd of a report, or NULL. */
const tl_pt_fd *pl_find_fd(const tl_pt_proc *p, int fd);

/* The output with trailing blanks and leading spaces removed (wc pads its numbers). */
const char *pl_trim(const char *out);

#endif
