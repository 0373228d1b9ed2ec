/*
 * tl_runner.h: how the test runner (an exercise's build/tests/run_tests) is started: its
 * command line and its environment, defined once. `make check` runs it through
 * tools/run-tests, which calls the tl-run program (tl_runner_main.c); the grader calls
 * these functions itself and execs the runner directly in its sandbox (never through sh
 * or make: a dumpable process holding the results descriptor could forge records).
 *
 * The settings the runner and the test library read:
 *   TD_BIN            the programs under test (a build/IMPL directory), absolute
 *   TD_REF_BIN        the reference programs, for cross-pairing tests (optional)
 *   TL_PRELOAD        testlib's preload library (perturbation, interposition), absolute
 *   TL_RESULTS        the test records file (tl_results.h), or
 *   TL_RESULTS_FD     a descriptor already open on it (the grader's: outside the sandbox)
 *   TL_RESULTS_TIMES  1: START/END records too (the grader names the test a limit hit)
 *   TL_REPRO_DIR      where the inputs of failed runs are kept for the Reproduce lines
 *   TD_BIN_SHOW, TL_PRELOAD_SHOW, TL_SELF_SHOW, TL_REPRO_SHOW
 *                     how the Reproduce lines name those paths: relative to the student's
 *                     exercise directory, where they are pasted
 * TL_TIME_SCALE and TL_TRACE-style settings pass through from the caller's environment.
 */
#ifndef TL_RUNNER_H
#define TL_RUNNER_H

struct tl_runner {
    const char *test_bin;       /* the runner binary, absolute */
    const char *programs;       /* TD_BIN, absolute */
    const char *preload;        /* TL_PRELOAD, absolute */
    const char *ref_bin;        /* TD_REF_BIN, or NULL */
    const char *results;        /* TL_RESULTS path, or NULL */
    int results_fd;             /* TL_RESULTS_FD, or -1 */
    int times;                  /* TL_RESULTS_TIMES=1 when non-zero */
    const char *repro_dir;      /* TL_REPRO_DIR, or NULL (no inputs kept) */
    int jobs;                   /* Criterion's --jobs, 0 for its default */
    /* The same paths as a Reproduce line shows them (NULL: not shown) */
    const char *programs_show, *preload_show, *test_bin_show, *repro_show;
};

/* Append the runner's settings to ENV (a NULL-terminated array with room for
 * TL_RUNNER_ENV_MAX more entries), as malloc'd "NAME=VALUE" strings; returns how many
 * were added, or -1 (out of memory; ENV stays terminated). */
#define TL_RUNNER_ENV_MAX 13
int tl_runner_env(const struct tl_runner *r, char **env);

/* The runner's argv (malloc'd strings, NULL-terminated, in ARGV[TL_RUNNER_ARGV_MAX]);
 * 0, or -1 (out of memory). */
#define TL_RUNNER_ARGV_MAX 4
int tl_runner_argv(const struct tl_runner *r, char **argv);

#endif
