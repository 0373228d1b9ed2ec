/*
 * tl_score_main.c: tl-score, the scorer (tl_score.c) as a program, for the shell tools
 * (tools/score behind `make check`, tools/selftest) to use instead of scoring by hand.
 *
 *   tl-score RUBRIC RESULTS
 *
 * Prints one line per rubric test (memcheck/ lines left out: the grader scores those),
 * in rubric order, tab-separated, the message escaped as in results.tsv:
 *   test  SUITE/TEST  STATUS  GOT  MAX  visible|hidden  MESSAGE  HINT  CAUSE  COUNT  LEADER  FITS
 * where CAUSE is the generic cause the failure shows (tl_cause.h; "" if none), COUNT how
 * many tests failed for it, LEADER the first of them (the one to show whole) and FITS 1
 * when the HINT speaks of that cause (show it), else 0
 * then "unknown N" (records for tests not in the rubric) and last
 *   total GOT MAX PASSED FAILED
 * Exit status: 0 when every rubric test passed, 1 when not, 2 for a usage error or a
 * rubric that cannot be read (one line on stderr). A missing RESULTS file means no
 * record at all: every test MISSING.
 */
#include "tl_cause.h"
#include "tl_results.h"
#include "tl_score.h"

#include <stdio.h>
#include <string.h>

static void put(const char *s)
{
    static char buf[1 << 16];
    tl_results_escape(buf, 0, sizeof buf, s);
    fputs(buf, stdout);
}

static const char *points(double v, char *buf, size_t n)
{
    snprintf(buf, n, v == (double)(long long)v ? "%.0f" : "%.2f", v);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: tl-score RUBRIC RESULTS\n");
        return 2;
    }
    char err[512], a[32], b[32];
    struct tl_rubric r;
    if (tl_rubric_read(argv[1], &r, err, sizeof err) == -1) {
        fprintf(stderr, "tl-score: %s\n", err);
        return 2;
    }
    struct tl_scored *s;
    int unknown, passed = 0, failed = 0;
    double got = tl_score(&r, argv[2], &s, &unknown), max = 0;
    int npass[r.n + 1], leader[r.n + 1], count[r.n + 1];
    const char *status[r.n + 1], *message[r.n + 1];
    enum tl_cause cause[r.n + 1];
    for (int i = 0; i < r.n; i++)   /* memcheck lines: not failures of this report */
        npass[i] = s[i].passed || r.line[i].memcheck, status[i] = s[i].status, message[i] = s[i].message;
    tl_cause_group(r.n, npass, status, message, cause, leader, count);
    for (int i = 0; i < r.n; i++) {
        const struct tl_rubric_line *l = &r.line[i];
        if (l->memcheck)
            continue;
        max += l->points;
        s[i].passed ? passed++ : failed++;
        printf("test\t%s\t%s\t%s\t%s\t%s\t", l->test, s[i].status,
               points(s[i].passed ? l->points : 0, a, sizeof a), points(l->points, b, sizeof b),
               l->hidden ? "hidden" : "visible");
        put(s[i].message);
        putchar('\t');
        put(l->hint);
        printf("\t%s\t%d\t%s\t%d\n", tl_cause_text(cause[i]), count[i],
               leader[i] >= 0 ? r.line[leader[i]].test : "", tl_hint_fits(cause[i], l->hint));
    }
    printf("unknown\t%d\n", unknown);
    printf("total\t%s\t%s\t%d\t%d\n", points(got, a, sizeof a), points(max, b, sizeof b), passed,
           failed);
    tl_scored_free(s, r.n);
    tl_rubric_free(&r);
    return failed == 0 && passed > 0 ? 0 : 1;
}
