/*
 * tl_report.c: a Criterion report hook that writes one record per finished test to
 * the file named by $TL_RESULTS. It runs in the Criterion runner, never in a test
 * worker or in the program under test, so student code cannot forge a record, and
 * it escapes what it writes (Criterion 2.4.1's --json does not: upstream #465).
 *
 * $TL_RESULTS_FD=N instead names a descriptor the grader opened for us (the file itself
 * then lies outside anything the code under test can see). Either way the runner makes
 * itself non-dumpable, so that no process of the same uid can reach the descriptor
 * through /proc/PID/fd or ptrace.
 *
 * Records: the format of tl_results.h (its one writer and reader): SUITE/TEST <TAB>
 * PASS|FAIL|SKIP|CRASH|TIMEOUT <TAB> escaped message, one per test.
 *
 * With $TL_RESULTS_TIMES=1 (the grader sets it) each test also gets "SUITE/TEST <TAB>
 * START <TAB> ms" when it starts and "... END ..." just before its record, ms being
 * CLOCK_MONOTONIC milliseconds: the grader matches them with the moment the sandbox saw
 * a limit, to name the test that was running.
 */
#include "tl_results.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static int results_fd = -1;
static bool with_times;

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    const char *path = getenv("TL_RESULTS"), *fd = getenv("TL_RESULTS_FD");
    if (fd && *fd) {
        results_fd = atoi(fd);
        if (fcntl(results_fd, F_SETFD, FD_CLOEXEC) == -1)
            results_fd = -1;
    } else if (path && *path) {
        results_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    }
    const char *times = getenv("TL_RESULTS_TIMES");
    with_times = times && strcmp(times, "1") == 0;
    unsetenv("TL_RESULTS_TIMES");
    unsetenv("TL_RESULTS");
    unsetenv("TL_RESULTS_FD");
    prctl(PR_SET_DUMPABLE, 0);
}

/* Tests already written: POST_ALL goes over every test and writes only for those that
 * got no record, and no test ever gets two (the grader counts two as forged). */
static const struct criterion_test **written;
static size_t n_written, cap_written;

static bool was_written(const struct criterion_test *t)
{
    for (size_t i = 0; i < n_written; i++)
        if (written[i] == t)
            return true;
    return false;
}

static void note_written(const struct criterion_test *t)
{
    if (n_written == cap_written) {
        size_t cap = cap_written ? 2 * cap_written : 64;
        const struct criterion_test **w = realloc(written, cap * sizeof *w);
        if (!w)
            return;
        written = w, cap_written = cap;
    }
    written[n_written++] = t;
}

/* "SUITE/TEST <TAB> WHAT <TAB> monotonic ms", with $TL_RESULTS_TIMES only. */
static void write_time(const struct criterion_test *t, const char *what)
{
    if (results_fd < 0 || !with_times)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char line[1024], name[768];
    snprintf(name, sizeof name, "%s/%s", t->category, t->name);
    size_t n = tl_results_time(line, sizeof line, name, what,
                               (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    if (n > 0 && write(results_fd, line, n) != (ssize_t)n)
        perror("tl_report: cannot write results");
}

ReportHook(PRE_TEST)(struct criterion_test *test)
{
    write_time(test, "START");
}

static void write_record(struct criterion_test_stats *stats, const char *status, const char *why)
{
    if (results_fd < 0 || was_written(stats->test))
        return;
    note_written(stats->test);
    write_time(stats->test, "END");
    static char line[8192];
    char name[768];
    snprintf(name, sizeof name, "%s/%s", stats->test->category, stats->test->name);
    size_t n = tl_results_head(line, sizeof line, name, status);
    n = tl_results_escape(line, n, sizeof line, why);
    for (struct criterion_assert_stats *a = stats->asserts; a; a = a->next)
        if (!a->passed) {
            n = tl_results_escape(line, n, sizeof line, a->message);
            n = tl_results_escape(line, n, sizeof line, "\n");
        }
    line[n++] = '\n';
    if (write(results_fd, line, n) != (ssize_t)n)
        perror("tl_report: cannot write results");
}

ReportHook(POST_TEST)(struct criterion_test_stats *stats)
{
    const char *status = stats->timed_out ? "TIMEOUT"
                         : stats->crashed ? "CRASH"
                         : stats->test_status == CR_STATUS_PASSED ? "PASS"
                         : stats->test_status == CR_STATUS_SKIPPED ? "SKIP" : "FAIL";
    char why[128] = "";
    bool asserted = false;
    for (struct criterion_assert_stats *a = stats->asserts; a; a = a->next)
        asserted |= !a->passed;
    if (stats->crashed)
        snprintf(why, sizeof why, "the test crashed (signal %d: %s)\n", stats->signal,
                 strsignal(stats->signal));
    else if (!asserted && stats->test_status == CR_STATUS_FAILED && stats->exit_code != 0)
        snprintf(why, sizeof why, "the test process exited with status %d before the test "
                 "finished\n", stats->exit_code);
    write_record(stats, status, why);
}

/* Criterion 2.4.1 reports a test whose process dies of a signal only as TEST_CRASH, never
 * as POST_TEST: without this hook such a test would have no record at all. */
ReportHook(TEST_CRASH)(struct criterion_test_stats *stats)
{
    char why[256];
    snprintf(why, sizeof why, "the test process died of signal %d (%s) before the test "
             "finished: a program that signals its parent or its process group can cause "
             "this\n", stats->signal, strsignal(stats->signal));
    write_record(stats, "CRASH", why);
}

/* A test whose process dies while it is being set up is reported by no hook at all:
 * give every test that ran but has no record a CRASH record at the end. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    for (struct criterion_suite_stats *s = stats->suites; s; s = s->next)
        for (struct criterion_test_stats *t = s->tests; t; t = t->next)
            write_record(t, "CRASH", "the test process died before the test started\n");
}
