/*
 * agree.c: the grader's score of a test records file, for the scorer agreement check
 * (tests/run.sh, test_agreement): a student's `make check` line must give the points the
 * grader gives for the same records. For each RESULTS file it makes a job directory
 * whose status says the build and the test run went well, puts the records in it, and
 * scores it with the grader's own score_exercise() (src/score.c); it prints
 *   RESULTS <TAB> POINTS <TAB> MAX
 * the points of the rubric's tests (memcheck/ lines left out, as `make check` leaves
 * them out). usage: agree TREE EXERCISE SCRATCH_DIR RESULTS...; exit 2 on a usage or
 * setup error (one line on stderr).
 */
#include "exercise.h"
#include "jobrec.h"
#include "score.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* As tools/score prints points (tl-score's format): whole, or with two decimals. */
static const char *points(double v)
{
    static char buf[32];
    snprintf(buf, sizeof buf, v == (double)(long long)v ? "%.0f" : "%.2f", v);
    return buf;
}

static int copy(const char *from, const char *to)
{
    size_t len;
    char *text = read_text(from, 64 << 20, &len);
    FILE *f = text ? fopen(to, "w") : NULL;
    int ok = f && fwrite(text, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    free(text);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: agree TREE EXERCISE SCRATCH_DIR RESULTS...\n");
        return 2;
    }
    char err[ERRLEN];
    struct exercise *ex;
    int n;
    if (load_exercises(argv[1], argv[2], &ex, &n, err) == -1 || n != 1) {
        fprintf(stderr, "agree: %s\n", n == 1 ? err : "no such exercise");
        return 2;
    }
    for (int k = 4; k < argc; k++) {
        char *jd = xasprintf("%s/job-%d", argv[3], k), *res = xasprintf("%s/results.tsv", jd);
        struct job_outcome ok = { .status = 0 };
        if (mkdir(jd, 0700) == -1 || jobrec_step(jd, STEP_BUILD, &ok) == -1 ||
            jobrec_step(jd, STEP_TESTS, &ok) == -1 || copy(argv[k], res) == -1) {
            fprintf(stderr, "agree: cannot prepare %s for %s\n", jd, argv[k]);
            return 2;
        }
        struct ex_result r;
        score_exercise(jd, &ex[0], &r);
        double got = 0, max = 0;
        for (int i = 0; i < ex[0].nrubric; i++)
            if (!ex[0].rubric[i].memcheck) {
                max += ex[0].rubric[i].points;
                got += r.tests[i].passed ? ex[0].rubric[i].points : 0;
            }
        printf("%s\t%s\t", argv[k], points(got));
        printf("%s\n", points(max));
        free_ex_result(&r);
        free(jd), free(res);
    }
    return 0;
}
