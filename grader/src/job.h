/*
 * job.h: THE place where the grader executes a command on a student's behalf (build,
 * tests, memcheck). Every such command goes through job_run(): one seam for the
 * isolation layer (bubblewrap, cgroups, rlimits, a uid per slot) to wrap.
 *
 * job_run() starts the command in its own session with stdin from /dev/null, stdout and
 * stderr into a log file, a private TMPDIR and a clean environment; it keeps a wall-clock
 * deadline and a cap on the log size, and when the command ends (or is stopped) it kills
 * every process left in its tree, daemonized grandchildren included: the calling process
 * is a child subreaper (job_init_worker), so orphans come back to it, and /proc says
 * which processes descend from it.
 *
 * Two runners implement it, chosen by the caller, never by a global switch:
 *   job_local()      the command directly (the stage's build: trusted instructor code;
 *                    and every job with --no-isolation);
 *   job_sandboxed()  the command inside grader/sandbox/sandbox (namespaces, a read-only
 *                    view of ro_dirs minus hide, rw_dir writable, uid 61000+slot, cgroup
 *                    limits; without namespaces, degraded mode): the sandbox process is
 *                    itself run by the local runner, which keeps a backstop deadline and
 *                    the tree kill around it, and the sandbox's verdict file
 *                    (sandbox/src/verdict_file.h) replaces the wait status.
 */
#ifndef GRADER_JOB_H
#define GRADER_JOB_H

#include <sys/types.h>

struct job_spec {
    char *const *argv;   /* argv[0] is looked up in PATH */
    const char *cwd;
    const char *log;     /* stdout and stderr of the command (truncated first) */
    const char *tmpdir;  /* private TMPDIR (created, emptied afterwards) */
    char *const *env;    /* NAME=VALUE settings added to the clean environment, NULL-ended */
    int slot;            /* parallel slot number: the sandbox's uid 61000+slot */
    int deadline_s;      /* wall clock */
    long long log_cap;   /* bytes of log before the command is stopped */
    int pass_fd;         /* if > 0: handed to the command as descriptor 3 (results channel) */
    /* What the command needs to see, for the isolation layer (unused without it): */
    const char *name;              /* the sandbox's run name (cgroups, messages) */
    const char *rw_dir;            /* the only place it may write (besides TMPDIR) */
    const char *const *ro_dirs;    /* read-only: the stage (prebuilt tests, reference) */
    const char *const *hide;       /* inside ro_dirs, never visible: sources of the
                                      reference and hidden tests, rubric, buggy variants */
};

struct job_outcome {
    int status;          /* wait status of the command, -1 if it never started */
    int timed_out;       /* stopped at the deadline */
    int log_capped;      /* stopped because its output passed log_cap */
    int leftovers;       /* processes still alive after it ended, killed by the grader */
    double secs;         /* wall-clock duration */
    double cpu_secs;     /* CPU time (user + system) of its whole tree */
    /* From the sandbox's verdict (isolated runs only; "" otherwise): */
    char vstatus[16];    /* ok exit signal time memory pids output disk error */
    char message[256];   /* what happened, in a student's words */
    int no_isolation;    /* the sandbox ran it without namespaces */
    long long limit_at_ms; /* CLOCK_MONOTONIC ms when the sandbox saw a limit; 0: none */
};

struct job_runner;

/* The local runner (trusted commands only). */
const struct job_runner *job_local(void);

/* A runner through SANDBOX (grader/sandbox/sandbox), probed once on /bin/true in a new
 * directory under WORK, in SLOT (one of this grader's). ALLOW: where namespaces are refused, run in the sandbox's
 * degraded mode (--allow-no-isolation). Returns NULL with ERR saying how to fix it when
 * it cannot isolate and ALLOW is 0 (or it does not run); *DEGRADED = 1 when jobs will run
 * without namespaces. */
const struct job_runner *job_sandboxed(const char *sandbox, int allow, const char *work,
                                       int slot, int *degraded, char *err);

/* 1 when R runs jobs in the sandbox (the caller then runs the test binary directly). */
int job_runner_isolated(const struct job_runner *r);

/* Call once in a process that will run jobs: become a child subreaper. */
int job_init_worker(char *err);

/* Run SPEC to its end with R; -1 (with ERR) only if the command could not be started. */
int job_run(const struct job_runner *r, const struct job_spec *spec, struct job_outcome *out,
            char *err);

/* PID is a sub-worker (itself a subreaper running its own jobs) that job_run() must
 * leave alone when it kills what a job left behind; 0: none. */
void job_protect(pid_t pid);

/* A one-line description of how a job ended ("exited with status 2", "time limit"). */
const char *job_describe(const struct job_outcome *out);

#endif
