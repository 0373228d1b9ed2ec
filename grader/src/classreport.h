/*
 * classreport.h: the instructor's class report, OUTDIR/index.html, and each student's
 * OUTDIR/<id>/feedback.html (feedback.md rendered by pandoc). Written after the
 * gradebook by every grading run and by --merge, from every OUTDIR/<id>/grade.tsv (read
 * through gradefile.h, its one reader), summary.png and the similarity result.
 *
 * index.html is one standalone page (CSS and the plot embedded, no network, printable):
 * the submissions that could not be graded fully first, with the reason; the gradebook
 * (sortable by any column: a few lines of inline script), each id linking to its
 * feedback.html; the score distribution; the pass rate of every test by exercise, lowest
 * first, with its hint; the pairs of submissions similar at or above the threshold, with
 * sim_c's side-by-side listing of the matched code.
 */
#ifndef GRADER_CLASSREPORT_H
#define GRADER_CLASSREPORT_H

#include "exercise.h"
#include "similarity.h"

/* EX (may be NULL): the tree's exercises, for the hints; SIM (may be NULL): no similarity
 * section beyond a line saying why. -1 with ERR when index.html cannot be written; a
 * feedback.html that pandoc cannot render is a warning. */
int class_report(const char *outdir, const struct exercise *ex, int nex,
                 const struct sim_result *sim, char *err);

#endif
