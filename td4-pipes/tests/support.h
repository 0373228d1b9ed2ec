/*
 * support.h: td4's test helpers on top of testlib/tl.h, for programs built on pipes.
 *
 *   - sp_scan(): a snapshot of a running program's process tree, with every process's
 *     state and open descriptors (pipe ends named by inode and direction);
 *   - sp_run_watched(): tl_run() that stops a deadlocked program within stall_ms
 *     instead of waiting for the deadline: when every process of the tree has been
 *     asleep with no context switch for stall_ms, the tree is snapshotted (who holds
 *     which pipe end) and killed, so the test can say which end was left open;
 *   - a descriptor probe: the test binary itself, exec'd as
 *         <sp_self()> --td4-fd-probe REPORT   (with TD4_FD_PROBE=1 in its environment)
 *     writes the descriptors it was started with into REPORT, then copies its stdin to
 *     its stdout like cat, so it can stand anywhere in a pipeline.
 */
#ifndef SUPPORT_H
#define SUPPORT_H

#include <stdbool.h>
#include <sys/types.h>

#include "tl.h"

#define SP_PROBE_FLAG "--td4-fd-probe"
#define SP_PROBE_ENV "TD4_FD_PROBE=1"
#define SP_MAX_FD 32
#define SP_MAX_PROC 96

typedef struct {
    int fd;
    char mode;              /* 'r' read only, 'w' write only, '+' both */
    unsigned long pipe;     /* the pipe's inode, 0 if not a pipe */
    char target[160];       /* readlink of the descriptor */
} sp_fd;

typedef struct {
    pid_t pid, ppid;
    char state;             /* as in /proc/PID/stat: R, S, D, Z... */
    char comm[32];
    long switches;          /* voluntary + involuntary context switches */
    int nfd;
    sp_fd fd[SP_MAX_FD];
} sp_proc;

typedef struct {
    int n;
    bool truncated;         /* the tree had more than SP_MAX_PROC processes */
    sp_proc p[SP_MAX_PROC]; /* the leader first, if it is still there */
} sp_tree;

typedef struct {
    tl_result r;
    bool stalled;           /* stopped as deadlocked: tree holds the snapshot */
    sp_tree *tree;          /* malloc'd snapshot when stalled, else NULL */
} sp_run;

/* The live processes of the tree of leader (its process group and descendants). With
 * fds, also their descriptors. Returns the count. */
int sp_scan(pid_t leader, sp_tree *t, bool fds);

/* tl_run(), stopped early when every process has been asleep with no progress for
 * stall_ms (scaled by $TL_TIME_SCALE). */
sp_run sp_run_watched(const tl_opts *o, int stall_ms);
/* The same in two steps, for a test that acts on the program while it runs: tl_start()
 * it, then sp_wait_watched() (deadline_ms as given to tl_start, 0 for the default). */
sp_run sp_wait_watched(tl_proc *p, int deadline_ms, int stall_ms);
void sp_run_free(sp_run *w);

/* "pipeline (pid 12, asleep): fd 3 = write end of pipe A; cat (pid 13, ...)..."; t may
 * be NULL. */
const char *sp_describe(const sp_tree *t);

/* The process of t holding the given end ('r' or 'w') of a pipe; -1 if none from
 * index from. *fd gets the descriptor. */
int sp_holder(const sp_tree *t, unsigned long pipe, char mode, int from, int *fd);

/* Absolute path of the running test binary (for the probe). */
const char *sp_self(void);

/* Read a probe report; false (and n = 0) if it is missing. */
bool sp_read_probe(const char *path, sp_proc *out);

/* The descriptor fd of a report, or NULL. */
const sp_fd *sp_find_fd(const sp_proc *p, int fd);

#endif
