/*
 * proctree.h: the process tree of a child subreaper, and killing all of it.
 *
 * One module for the three places that must leave nothing running: the test library
 * (testlib/tl.c: every program a test ran), the grader's local job runner
 * (grader/src/job.c) and the sandbox (grader/sandbox). Each is a child subreaper
 * (prctl PR_SET_CHILD_SUBREAPER): an orphan anywhere below it is re-parented to it, so
 * "kill every child, reap, and again" reaches daemonized grandchildren too, without
 * walking the whole tree. /proc/PID/stat says who a process's parent is.
 *
 * Async-signal-safe (open, getdents64, read, close, kill, waitpid; no stdio, no malloc):
 * the test library calls it from Criterion's timeout signal handler.
 */
#ifndef PROCTREE_H
#define PROCTREE_H

#include <stdbool.h>
#include <sys/types.h>

struct pt_child {
    pid_t pid, pgrp;
    char state;          /* from /proc/PID/stat: 'R', 'S', 'Z' (zombie), ... */
};

/* The children of this process, at most MAX of them into OUT; returns how many. */
int pt_children(struct pt_child *out, int max);

/* Called for each child before it is killed: true to spare it (and so its own tree). */
typedef bool (*pt_spare_fn)(const struct pt_child *c, void *arg);
/* Called for each child reaped, with its wait status. */
typedef void (*pt_reaped_fn)(pid_t pid, int status, void *arg);

/* SIGKILL every child of this process that SPARE (may be NULL) does not spare, reap them
 * (REAPED, may be NULL, hears each status), and again, up to ROUNDS times or until no
 * child is left to kill. Returns how many live (not zombie) processes were killed. */
int pt_kill_tree(int rounds, pt_spare_fn spare, pt_reaped_fn reaped, void *arg);

#endif
