/*
 * score.h: read what a worker left in its job directory (status, logs, results.tsv from
 * the report hook) and score it with the rubric: the test records through
 * testlib/tl_score.c (the scorer `make check` uses too: a rubric test without a record
 * fails; a record that is not PASS fails; several records (forged) fail).
 * memcheck/NAME lines: from tools/memcheck's records (memcheck.tsv, read through
 * tl_results.c): the scenario memcheck.txt ties to NAME, or every scenario and `make
 * memcheck` exiting 0.
 */
#ifndef GRADER_SCORE_H
#define GRADER_SCORE_H

#include "exercise.h"

enum ex_state {
    EX_GRADED,         /* built and tested */
    EX_NOT_SUBMITTED,  /* no exercise directory in the submission */
    EX_MISSING,        /* a file of STUDENT_FILES is missing */
    EX_BUILD_FAILED,   /* the student's programs do not build */
    EX_ERROR,          /* the grader could not grade it (see note) */
    EX_BROKEN          /* the instructor tree does not build */
};

struct test_result {
    const struct tl_rubric_line *r;
    int passed;
    int records;       /* results.tsv records for it: more than one means tampering */
    char status[16];   /* PASS FAIL CRASH TIMEOUT MISSING MEMCHECK NOTRUN CONFLICT */
    char *message;     /* what went wrong (unescaped), "" if passed */
    long long start_ms, end_ms; /* the runner's START/END times (CLOCK_MONOTONIC ms), 0: none */
    /* The generic cause its failure shows (testlib/tl_cause.h, as `make check` shows it):
     * the failures of one cause are shown once, under the first (LEADER, its rubric index;
     * -1 for none) with their COUNT; the hint only where it FITS the cause. */
    int cause, leader, count, hint_fits;
};

struct ex_result {
    const struct exercise *ex;
    enum ex_state state;
    double score;
    int warnings;
    char *build_log;   /* the compiler's output (trimmed) */
    char *note;        /* what happened beyond the tests (missing files, time limit...) */
    char *answers;     /* ANSWERS.md as submitted, or NULL */
    struct test_result *tests;  /* one per rubric line */
    double secs;
    double step_secs[3];  /* build, tests, memcheck (wall seconds; 0: not run) */
    double step_cpu[3];   /* their CPU seconds (user + system, the whole tree) */
    double queued_s;      /* waiting for a slot after the submission's first job began */
    int no_isolation;  /* a step ran without namespaces (degraded mode) */
    int limit;         /* a sandbox limit fired in the test run, or it was stopped */
    int forged;        /* some tests had forged records (CONFLICT) */
};

int score_exercise(const char *jobdir, const struct exercise *ex, struct ex_result *out);
void free_ex_result(struct ex_result *r);

/* Did rubric test NAME pass in JOBDIR/results.tsv (by the same reading as the score)? */
int score_test_passed(const char *jobdir, const struct exercise *ex, const char *name);

#endif
