/*
 * similarity.h: code similarity across a class, per exercise, with Debian's
 * similarity-tester (sim_c: token-based, blind to layout, comments, identifier names and
 * literals). This module is the only one that runs sim_c or reads its output, and the
 * owner of OUTDIR/similarity.csv:
 *
 *   exercise,a,b,similarity_a,similarity_b,tokens
 *
 * one line per pair of submissions whose similarity (either way) is at least the
 * threshold, highest first. similarity_a: the percentage of a's own code (the skeleton's
 * removed) that sim_c found in b; similarity_b the other way; tokens: the tokens of the
 * matched runs. A prior-term submission is named "prior:ID".
 *
 * What is compared: the files of STUDENT_FILES as graded, kept by similarity_keep() in
 * OUTDIR/<id>/code/<exercise>/, so that the class files (gradebook, report, similarity)
 * are all built from OUTDIR alone, by every run and by --merge. Before comparing, every
 * run of the skeleton's code (the files as handed out, in the instructor tree) is blanked
 * out of each student file: two untouched skeletons then score 0, not 100%.
 *
 * Similarity is evidence for a human to read, never a verdict.
 */
#ifndef GRADER_SIMILARITY_H
#define GRADER_SIMILARITY_H

#include "exercise.h"

/* Default --similarity-threshold (percent); see similarity.c for why. */
#define SIM_DEFAULT_THRESHOLD 50
/* The most similar pairs whose matched code is listed (a class that shares one leaked
 * solution has hundreds of pairs: the CSV lists them all, the report the first ones). */
#define SIM_LISTINGS 40

struct sim_pair {
    char *ex, *a, *b;          /* exercise; ids (b may be "prior:ID") */
    int pa, pb;                /* percentages: a's code found in b, b's found in a */
    int tokens;                /* tokens in the matched runs */
    char *runs;                /* sim_c's own side-by-side listing of the runs (the
                                  first SIM_LISTINGS pairs; NULL for the others) */
};

struct sim_result {
    struct sim_pair *pairs;    /* highest first */
    int npairs;
    int compared;              /* pairs compared, all exercises together */
    int threshold;
    double secs;               /* the similarity step's own wall-clock time */
};

/* Keep the STUDENT_FILES of submission ID (found under BASE, the directory holding its
 * exercise directories) in OUTDIR/<id>/code/<exercise>/; regular files of 1 MB at most,
 * as the grader copies them. Missing files are skipped. -1 with ERR on a write error. */
int similarity_keep(const char *outdir, const char *id, const char *base,
                    const struct exercise *ex, int nex, char *err);

/* Compare the kept code of every OUTDIR/<id>/ per exercise of EX (skeletons from TREE),
 * and with the submissions under PRIOR (a folder as the grader takes it: one archive or
 * directory per submission; NULL: none), compared with this class, never with each
 * other. Writes OUTDIR/similarity.csv and fills OUT. -1 with ERR when sim_c cannot run
 * (not installed) or a file cannot be written. */
int similarity_run(const char *outdir, const char *tree, const struct exercise *ex, int nex,
                   const char *prior, int threshold, struct sim_result *out, char *err);

void similarity_free(struct sim_result *r);

#endif
