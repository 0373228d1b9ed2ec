/*
 * merge.h: the class files, built from every OUTDIR/<id>/grade.tsv (from this run, earlier
 * runs, or other machines): gradebook.csv (id, each exercise's score, total), summary.txt
 * (score histogram, per-test pass rate, where the time went) and summary.png (the same,
 * drawn by gnuplot).
 */
#ifndef GRADER_MERGE_H
#define GRADER_MERGE_H

/* Returns the number of students merged, or -1 with ERR. PRINT_TIMINGS: also print
 * summary.txt's "Where the time went" table on stderr (--timings). */
int merge_outputs(const char *outdir, int print_timings, char *err);

#endif
