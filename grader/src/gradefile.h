/*
 * gradefile.h: OUTDIR/<id>/grade.tsv, one student's grade in a form programs read:
 * written by the grading run (report.c), read by the merge step (merge.c: gradebook,
 * summary, class report). This module is the format's only writer and only reader.
 *
 * Lines (tab-separated; '#' starts a comment; text fields escape \n \t \\):
 *   id        ID
 *   exercise  NAME SCORE MAX STATE WARNINGS FLAGS TIMES NOTE
 *             STATE: graded | not submitted | missing files | build failed |
 *                    grader error | not graded;
 *             FLAGS: "-" or a comma list of noiso (ran without namespaces), limit (a
 *                    sandbox limit fired or the run was stopped), forged (records were
 *                    forged); TIMES: the wall seconds of the build, the test run and
 *                    the memory check, the wait for a slot, then the CPU seconds of the
 *                    three steps, "B/T/M/Q/CB/CT/CM" (0: not run; older files: "B/T/M");
 *                    NOTE: the first line of what happened, or "-"
 *   test      EXERCISE TEST POINTS MAX STATUS     (STATUS: PASS FAIL CRASH TIMEOUT
 *                                                   MISSING MEMCHECK NOTRUN CONFLICT ...)
 *   total     SCORE MAX
 * Older files (exercise lines with 6 fields) read with no flags, times or note.
 */
#ifndef GRADER_GRADEFILE_H
#define GRADER_GRADEFILE_H

enum { GF_NOISO = 1, GF_LIMIT = 2, GF_FORGED = 4 };

struct grade_ex {
    char *name, *state, *note;
    double score, max;
    int warnings, flags;
    double secs[3];      /* build, tests, memcheck: wall seconds */
    double cpu[3];       /* the same steps' CPU seconds (user + system) */
    double queued;       /* seconds waiting for a slot (after the submission's first job) */
};

struct grade_test {
    char *ex, *test, *status;
    double points, max;
};

struct grade {
    char *id;
    struct grade_ex *ex;
    int nex;
    struct grade_test *tests;
    int ntests;
    double total, max;
};

/* Add to G (the strings are copied). */
void grade_add_ex(struct grade *g, const struct grade_ex *e);
void grade_add_test(struct grade *g, const struct grade_test *t);

/* G as grade.tsv text (a new string). */
char *gradefile_format(const struct grade *g);

/* Read PATH into G: 0, or -1 when it cannot be read or has no id line. */
int gradefile_read(const char *path, struct grade *g);

void gradefile_free(struct grade *g);

#endif
