/*
 * tl_runner.c: the test runner's command line and environment, defined once (see
 * tl_runner.h); used by tl-run (make check, tools/selftest) and by the grader.
 */
#define _GNU_SOURCE
#include "tl_runner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append "NAME=VALUE" at ENV[*N] when VALUE is set; -1 when out of memory. */
static int add(char **env, int *n, const char *name, const char *fmt, ...)
{
    va_list ap;
    char *value;
    va_start(ap, fmt);
    int rc = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    char *s;
    rc = asprintf(&s, "%s=%s", name, value);
    free(value);
    if (rc < 0)
        return -1;
    env[(*n)++] = s;
    env[*n] = NULL;
    return 0;
}

int tl_runner_env(const struct tl_runner *r, char **env)
{
    int n = 0, start;
    while (env[n])
        n++;
    start = n;
    struct { const char *name, *value; } paths[] = {
        { "TD_BIN", r->programs },           { "TD_BIN_SHOW", r->programs_show },
        { "TD_REF_BIN", r->ref_bin },        { "TL_PRELOAD", r->preload },
        { "TL_PRELOAD_SHOW", r->preload_show }, { "TL_SELF_SHOW", r->test_bin_show },
        { "TL_RESULTS", r->results },        { "TL_REPRO_DIR", r->repro_dir },
        { "TL_REPRO_SHOW", r->repro_dir ? r->repro_show : NULL },
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        if (paths[i].value && add(env, &n, paths[i].name, "%s", paths[i].value) == -1)
            return -1;
    if (r->results_fd >= 0 && add(env, &n, "TL_RESULTS_FD", "%d", r->results_fd) == -1)
        return -1;
    if (r->times && add(env, &n, "TL_RESULTS_TIMES", "1") == -1)
        return -1;
    return n - start;
}

int tl_runner_argv(const struct tl_runner *r, char **argv)
{
    argv[0] = argv[1] = argv[2] = argv[3] = NULL;
    if (!(argv[0] = strdup(r->test_bin)))
        return -1;
    if (r->jobs > 0 && (!(argv[1] = strdup("--jobs")) || asprintf(&argv[2], "%d", r->jobs) < 0)) {
        argv[2] = NULL;
        return -1;
    }
    return 0;
}
