/*
 * tl_runner_main.c: tl-run, the test runner started as tl_runner.c defines it, for
 * tools/run-tests (behind `make check` and tools/selftest).
 *
 *   tl-run [--results FILE] [--repro DIR] [--ref DIR] [--jobs N] TEST_BIN PROGRAM_DIR PRELOAD_SO
 *          [-- RUNNER_ARG...]
 *
 * RUNNER_ARGs go to the runner after its own (make trace: --filter=SUITE/TEST).
 * Paths may be relative to the current directory (the exercise's): the Reproduce lines
 * show them that way, the runner gets them absolute. The rest of the environment passes
 * through (TL_RESULTS_FD, TL_TIME_SCALE...). Execs the runner: its exit status is the
 * runner's; 2 with one line on stderr for a usage error or a runner that cannot start.
 */
#define _GNU_SOURCE
#include "tl_runner.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* PATH made absolute (not resolved: the runner and the lines keep the same names). */
static const char *absolute(const char *path)
{
    static char buf[8][PATH_MAX];
    static int k;
    char cwd[PATH_MAX];
    if (!path || path[0] == '/' || !getcwd(cwd, sizeof cwd))
        return path;
    char *b = buf[k++ % 8];
    int n = snprintf(b, PATH_MAX, "%s/%s", cwd, path);
    return n < 0 || n >= PATH_MAX ? path : b;  /* too long: leave it relative */
}

static int usage(void)
{
    fprintf(stderr, "usage: tl-run [--results FILE] [--repro DIR] [--ref DIR] [--jobs N] "
                    "TEST_BIN PROGRAM_DIR PRELOAD_SO [-- RUNNER_ARG...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "results", required_argument, 0, 'r' }, { "repro", required_argument, 0, 'p' },
        { "ref", required_argument, 0, 'f' },     { "jobs", required_argument, 0, 'j' },
        { 0, 0, 0, 0 } };
    struct tl_runner r = { .results_fd = -1 };
    const char *results = NULL, *repro = NULL;
    opterr = 0;     /* one line on stderr: the usage */
    for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        if (c == 'r') results = optarg;
        else if (c == 'p') repro = optarg;
        else if (c == 'f') r.ref_bin = *optarg ? optarg : NULL;
        else if (c == 'j') r.jobs = atoi(optarg);
        else return usage();
    }
    if (argc - optind < 3 || (argc - optind > 3 && strcmp(argv[optind - 1], "--") != 0 &&
                              strcmp(argv[optind + 3], "--") != 0))
        return usage();
    const char *bin = argv[optind], *progs = argv[optind + 1], *so = argv[optind + 2];
    r.test_bin = absolute(bin), r.test_bin_show = bin;
    r.programs = absolute(progs), r.programs_show = progs;
    r.preload = absolute(so), r.preload_show = so;
    r.results = absolute(results), r.ref_bin = absolute(r.ref_bin);
    r.repro_dir = absolute(repro), r.repro_show = repro;

    int n = 0;
    while (environ[n])
        n++;
    char **env = calloc((size_t)n + TL_RUNNER_ENV_MAX + 1, sizeof *env);
    char **args = calloc((size_t)argc + TL_RUNNER_ARGV_MAX, sizeof *args);
    if (!env || !args || tl_runner_argv(&r, args) == -1) {
        fprintf(stderr, "tl-run: out of memory\n");
        return 2;
    }
    int k = 0;
    while (args[k])
        k++;
    for (int i = optind + 3; i < argc; i++)   /* the runner's own arguments, after -- */
        if (strcmp(argv[i], "--") != 0 || i != optind + 3)
            args[k++] = argv[i];
    args[k] = NULL;
    static const char *ours[] = { "TD_BIN=", "TD_BIN_SHOW=", "TD_REF_BIN=", "TL_PRELOAD=",
                                  "TL_PRELOAD_SHOW=", "TL_SELF_SHOW=", "TL_RESULTS=",
                                  "TL_REPRO_DIR=", "TL_REPRO_SHOW=", NULL };
    int m = 0;
    for (int i = 0; i < n; i++) {   /* ours replace any inherited setting of the same name */
        const char **o = ours;
        while (*o && strncmp(environ[i], *o, strlen(*o)) != 0)
            o++;
        if (!*o)
            env[m++] = environ[i];
    }
    env[m] = NULL;
    if (tl_runner_env(&r, env) == -1) {
        fprintf(stderr, "tl-run: out of memory\n");
        return 2;
    }
    execve(args[0], args, env);
    fprintf(stderr, "tl-run: cannot run %s: %m\n", bin);
    return 2;
}
