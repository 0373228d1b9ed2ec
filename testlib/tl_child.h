/*
 * tl_child.h: helpers around the programs a test runs (tl_start): stop one politely and
 * then not, wait for a pair that depend on each other, run one as an unprivileged user;
 * a program's path as the student types it, the test binary's own (to exec it as a
 * probe). Part of tl.h.
 */
#ifndef TL_CHILD_H
#define TL_CHILD_H

#include <stdbool.h>

#include "tl.h"

/* Send sig (0: none), give the program up to grace_ms (scaled) to end, SIGKILL it if it
 * did not (unless sig was SIGKILL already), collect. took_ms (may be NULL): how long it
 * took to end or the grace that ran out; late (may be NULL): it had to be killed. */
tl_result tl_stop(tl_proc *p, int sig, int grace_ms, double *took_ms, bool *late);

/* Wait for two programs that need each other (a FIFO's writer and reader, a client and
 * its server). Once one has ended the other gets grace_ms (scaled) to end too (EOF,
 * EPIPE), then is killed: the other may be blocked forever on the one that left. */
void tl_wait_pair(tl_proc *a, tl_proc *b, int grace_ms, tl_result *ra, tl_result *rb);

/* tl_run(o) as an unprivileged user: when the tests run as root, under uid/gid 65534 via
 * setpriv (the program is copied where that user can execute it); otherwise as is.
 * *how says which ("as uid 65534 ..." / "as yourself"); false if root and setpriv is
 * missing. The Reproduce line is the program's own; its note says why root cannot show
 * a permission failure. */
bool tl_run_unprivileged(const tl_opts *o, tl_result *r, const char **how);

/* The program's path as the student types it in the exercise directory ($TD_BIN_SHOW,
 * e.g. ./build/student/prog), for messages; 4 static buffers in turn. */
const char *tl_shown_bin(const char *prog);
/* Absolute path of the running test binary (static buffer). */
const char *tl_self_exe(void);

#endif
