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
 * Record: SUITE/TEST <TAB> PASS|FAIL|SKIP|CRASH|TIMEOUT <TAB> message (a skipped test
 * scores nothing: tools/score shows it as SKIP), one per line, with
 * backslash, tab and newline escaped as \\, \t and \n.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static int results_fd = -1;

static size_t put_escaped(char *out, size_t n, size_t cap, const char *s)
{
    for (; s && *s && n + 3 < cap; s++) {
        if (*s == '\\' || *s == '\t' || *s == '\n') {
            out[n++] = '\\';
            out[n++] = *s == '\\' ? '\\' : *s == '\t' ? 't' : 'n';
        } else {
            out[n++] = *s;
        }
    }
    return n;
}

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
    unsetenv("TL_RESULTS");
    unsetenv("TL_RESULTS_FD");
    prctl(PR_SET_DUMPABLE, 0);
}

ReportHook(POST_TEST)(struct criterion_test_stats *stats)
{
    if (results_fd < 0)
        return;
    static char line[8192];
    const char *status = stats->timed_out ? "TIMEOUT"
                         : stats->crashed ? "CRASH"
                         : stats->test_status == CR_STATUS_PASSED ? "PASS"
                         : stats->test_status == CR_STATUS_SKIPPED ? "SKIP" : "FAIL";
    size_t n = (size_t)snprintf(line, sizeof line, "%s/%s\t%s\t", stats->test->category,
                                stats->test->name, status);
    if (stats->crashed && n < sizeof line)
        n += (size_t)snprintf(line + n, sizeof line - n,
                              "the test crashed (signal %d)\\n", stats->signal);
    for (struct criterion_assert_stats *a = stats->asserts; a; a = a->next)
        if (!a->passed) {
            n = put_escaped(line, n, sizeof line, a->message);
            n = put_escaped(line, n, sizeof line, "\n");
        }
    line[n++] = '\n';
    if (write(results_fd, line, n) != (ssize_t)n)
        perror("tl_report: cannot write results");
}
