/*
 * tl.h: the workbook's test-support library, used by every exercise's Criterion tests.
 *
 * A test never runs student code inside the Criterion worker: it execs the program
 * under test (in Criterion 2.4.1 a forked child that calls into Criterion blocks
 * forever; docs/measurements.md, "Fork, signals, child processes", instructor tree).
 * The library
 *   - starts a program with arguments, stdin and a clean environment, in its own
 *     process group, its stdout/stderr captured to files (capped by RLIMIT_FSIZE);
 *   - keeps a wall-clock deadline shorter than Criterion's timeout and, at the
 *     deadline or when the program ends, kills its whole process tree, daemonized
 *     grandchildren included (the worker is a child subreaper, so orphans come back
 *     to it);
 *   - reports how the program ended, which processes outlived it or stayed zombies,
 *     and which System V objects it created and left behind (via the trace shim);
 *   - gives every test a private temp directory, so suites run in parallel.
 *
 * Typical use:
 *   TestSuite(run, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
 *   Test(run, prints) {
 *       tl_result r = tl_run(&(tl_opts){ .argv = TL_ARGV("prog", "-n", "3") });
 *       cr_assert(tl_exited_ok(&r), "%s", tl_explain(&r));
 *   }
 */
#ifndef TL_H
#define TL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TL_ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define TL_ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define TL_MAX_PIDS 64

typedef struct {
    const char *const *argv;     /* argv[0]: a program of $TD_BIN, or a path with '/' */
    const char *stdin_data;      /* NULL: stdin is /dev/null (unless stdin_pipe) */
    size_t stdin_len;            /* 0 with stdin_data: strlen(stdin_data) */
    bool stdin_pipe;             /* the test writes stdin through tl_stdin_fd() */
    int deadline_ms;             /* wall clock; 0: 5000 (scaled by $TL_TIME_SCALE) */
    const char *cwd;             /* NULL: the test's private directory tl_dir() */
    const char *const *env;      /* extra "NAME=value" entries */
    const char *perturb;         /* timing perturbation spec (see tl_preload.c), or NULL */
    long out_cap;                /* bytes per output file; 0: 16 MiB */
} tl_opts;

typedef struct {
    bool started;                /* false: the program could not be executed */
    bool exited;                 /* ended by exit(): status holds the code */
    int status;
    bool signaled;               /* ended by a signal: sig holds it */
    int sig;
    bool timed_out;              /* the deadline passed: the tree was killed */
    bool out_capped;             /* an output file reached the cap */
    double elapsed_ms;
    char *out, *err;             /* NUL-terminated captured output (never NULL) */
    size_t out_len, err_len;
    int n_leftover;              /* processes still alive when the program ended */
    int n_zombie;                /* children it left unreaped */
    pid_t leftover[TL_MAX_PIDS];
    pid_t zombie[TL_MAX_PIDS];
    int n_ipc_leak;              /* System V objects it created and did not remove */
    char ipc_leak[256];          /* e.g. "shm 32769, sem 5" */
    pid_t pid;                   /* the program's pid */
    char cmd[512];               /* the command line, to reproduce the run */
    char seed_note[96];          /* perturbation seed, when perturbed */
} tl_result;

typedef struct tl_proc tl_proc;

/* Suite hooks: per-test private directory, subreaper, cleanup of every process. */
void tl_setup(void);
void tl_teardown(void);

const char *tl_dir(void);                       /* the test's private directory */
const char *tl_path(const char *name);          /* tl_dir()/name (rotating static buffers) */
const char *tl_bin(const char *prog);           /* $TD_BIN/prog */
/* $TD_REF_BIN/prog: the reference build, for cross-pairing tests; NULL when the tree
 * has no reference (the student tree): such tests then cr_skip or use the test's own
 * reader/writer of the documented format. */
const char *tl_ref_bin(const char *prog);
int tl_deadline(int ms);                        /* ms scaled by $TL_TIME_SCALE */
unsigned tl_random_seed(void);                  /* a fresh seed, to pass as a program option */

tl_proc *tl_start(const tl_opts *o);            /* never NULL; see tl_result.started */
int tl_stdin_fd(tl_proc *p);                    /* write end of stdin (stdin_pipe), or -1 */
void tl_close_stdin(tl_proc *p);
pid_t tl_pid(tl_proc *p);
void tl_signal(tl_proc *p, int sig);            /* to the program (not its group) */
bool tl_alive(tl_proc *p);
/* Wait until the program's stdout contains needle; false at timeout or if it ended. */
bool tl_wait_output(tl_proc *p, const char *needle, int timeout_ms);
/* Current captured stdout (malloc'd, NUL-terminated). */
char *tl_peek_output(tl_proc *p);
/* Wait for the end (or the deadline), kill the tree, collect. Frees p. */
tl_result tl_wait(tl_proc *p);
tl_result tl_run(const tl_opts *o);             /* tl_start + tl_wait */
void tl_result_free(tl_result *r);

/* Verdicts, in words a student understands. */
bool tl_exited_ok(const tl_result *r);          /* exit 0, no deadline, nothing left */
bool tl_clean(const tl_result *r);              /* nothing outlived it, no zombie, no IPC leak */
/* Both return static buffers, 4 of each in turn: one message may explain up to 4 runs. */
const char *tl_explain(const tl_result *r);     /* how it ended + leftovers + how to rerun */
const char *tl_ending(const tl_result *r);      /* "exited with status 1", ... */

/* Text helpers over captured output. */
int tl_count_lines(const char *text);
int tl_count_prefix(const char *text, const char *prefix);
bool tl_one_line(const char *text);             /* exactly one non-empty line */
/* Names left in a directory other than those listed (NULL-terminated); "" if none. */
const char *tl_dir_extra(const char *dir, const char *const *expected);
/* Number of open descriptors of a live process (-1 if unknown). */
int tl_fd_count(pid_t pid);

#endif
