/*
 * tl_ptree.h: a program's process tree as /proc shows it, for programs built on pipes
 * (part of tl.h):
 *   - tl_ptree_scan(): a snapshot of a running program's process tree, with every
 *     process's state and open descriptors (pipe ends named by inode and direction);
 *   - tl_run_watched(): tl_run() that stops a deadlocked program within stall_ms
 *     instead of waiting for the deadline: when every process of the tree has been
 *     asleep with no context switch for stall_ms, the tree is snapshotted (who holds
 *     which pipe end) and killed, so the test can say which end was left open.
 */
#ifndef TL_PTREE_H
#define TL_PTREE_H

#include <stdbool.h>
#include <sys/types.h>

#include "tl.h"

#define TL_PT_MAX_FD 32
#define TL_PT_MAX_PROC 96

typedef struct {
    int fd;
    char mode;              /* 'r' read only, 'w' write only, '+' both */
    unsigned long pipe;     /* the pipe's inode, 0 if not a pipe */
    char target[160];       /* readlink of the descriptor */
} tl_pt_fd;

typedef struct {
    pid_t pid, ppid;
    char state;             /* as in /proc/PID/stat: R, S, D, Z... */
    char comm[32];
    long switches;          /* voluntary + involuntary context switches */
    int nfd;
    tl_pt_fd fd[TL_PT_MAX_FD];
} tl_pt_proc;

typedef struct {
    int n;
    bool truncated;         /* the tree had more than TL_PT_MAX_PROC processes */
    tl_pt_proc p[TL_PT_MAX_PROC]; /* the leader first, if it is still there */
} tl_ptree;

typedef struct {
    tl_result r;
    bool stalled;           /* stopped as deadlocked: tree holds the snapshot */
    tl_ptree *tree;         /* malloc'd snapshot when stalled, else NULL */
} tl_watched;

/* The live processes of the tree of leader (its process group and descendants). With
 * fds, also their descriptors. Returns the count. */
int tl_ptree_scan(pid_t leader, tl_ptree *t, bool fds);

/* tl_run(), stopped early when every process has been asleep with no progress for
 * stall_ms (scaled by $TL_TIME_SCALE). */
tl_watched tl_run_watched(const tl_opts *o, int stall_ms);
/* The same in two steps, for a test that acts on the program while it runs: tl_start()
 * it, then tl_wait_watched() (deadline_ms as given to tl_start, 0 for the default). */
tl_watched tl_wait_watched(tl_proc *p, int deadline_ms, int stall_ms);
void tl_watched_free(tl_watched *w);

/* "pipeline (pid 12, asleep): fd 3 = write end of pipe A; cat (pid 13, ...)..."; t may
 * be NULL. */
const char *tl_ptree_describe(const tl_ptree *t);

/* The process of t holding the given end ('r' or 'w') of a pipe; -1 if none from
 * index from. *fd gets the descriptor. */
int tl_ptree_holder(const tl_ptree *t, unsigned long pipe, char mode, int from, int *fd);

/* The descriptors of pid into p->fd (p->nfd of them, by number). */
void tl_proc_fds(pid_t pid, tl_pt_proc *p);

#endif
