/*
 * report.h: a submission's reports, written to OUTDIR/<id>/:
 *   feedback.md   for the student: every exercise and test, points, hints, trimmed
 *                 failure excerpts, the commands that reproduce a failure locally;
 *   results.json  the Gradescope results format (hidden tests "after_published");
 *   grade.tsv     the machine-readable line per exercise and test the merge step reads;
 *   <exercise>.ANSWERS.md   the written answers, as submitted.
 * results.json is written last: its presence means the submission is graded.
 */
#ifndef GRADER_REPORT_H
#define GRADER_REPORT_H

#include "discover.h"
#include "score.h"

int write_reports(const char *outdir, const struct submission *s, const struct ex_result *r,
                  int nex, char *err);

/* The Autolab line: {"scores": {"td1-signals": 20, ...}} */
char *autolab_line(const struct ex_result *r, int nex);

double total_score(const struct ex_result *r, int nex, double *max);

#endif
