/*
 * tl_score.h: THE scorer: a rubric and a test records file -> points. `make check`
 * (through tools/score and the tl-score program), tools/selftest and the grader
 * (grader/src/score.c) all score with this module, so a student's `make check` gives
 * the points the grader gives for the same records.
 *
 * rubric.tsv (its one reader is tl_rubric_read): one line per test,
 *   SUITE/TEST <TAB> POINTS <TAB> visible|hidden <TAB> HINT      ('#' starts a comment)
 * A line named memcheck/NAME is a valgrind scenario, scored by the grader from the
 * memory check, not from test records (tl_score leaves it NOTRUN).
 *
 * Rules, from the records (tl_results.h) of each rubric test:
 *   no record                  MISSING, fails (a crashed or stopped run proves nothing)
 *   one record                 its status; only PASS scores (SKIP, FAIL, CRASH, TIMEOUT fail)
 *   several records            CONFLICT, fails: the report hook writes one per test, the
 *                              others were forged
 *   a record for a test not in the rubric: ignored (counted in *unknown)
 */
#ifndef TL_SCORE_H
#define TL_SCORE_H

struct tl_rubric_line {
    char *test;      /* SUITE/TEST, or memcheck/NAME */
    double points;
    int hidden;      /* "hidden": ships only with the instructor tree */
    int memcheck;    /* scored from the memory check, not from test records */
    char *hint;
};

struct tl_rubric {
    struct tl_rubric_line *line;
    int n;
    double max;          /* every line's points */
    int has_memcheck;
};

/* Read PATH: 0, or -1 with ERR (ERRLEN bytes) naming the file and the bad line. */
int tl_rubric_read(const char *path, struct tl_rubric *r, char *err, unsigned errlen);
void tl_rubric_free(struct tl_rubric *r);

struct tl_scored {
    char status[16];     /* PASS FAIL SKIP CRASH TIMEOUT MISSING CONFLICT (NOTRUN: memcheck) */
    int passed;
    int records;         /* records read for the test */
    char *message;       /* the record's message, unescaped ("" if none; malloc'd) */
    long long start_ms, end_ms;   /* START / END times, 0: none */
};

/* Score RUBRIC's tests from the records in RESULTS (a missing file: every test MISSING)
 * into OUT[0..rubric->n) (allocated: free with tl_scored_free). Returns the points of
 * the passed tests; *UNKNOWN (may be NULL) gets the number of tests with records that are
 * not in the rubric. */
double tl_score(const struct tl_rubric *rubric, const char *results, struct tl_scored **out,
                int *unknown);
void tl_scored_free(struct tl_scored *s, int n);

#endif
