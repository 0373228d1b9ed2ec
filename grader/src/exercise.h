/*
 * exercise.h: what the grader knows of an exercise of the instructor tree: the files a
 * student may change (STUDENT_FILES), the rubric (rubric.tsv), and where its staged,
 * prebuilt test binary and reference programs are.
 */
#ifndef GRADER_EXERCISE_H
#define GRADER_EXERCISE_H

#include "tl_score.h"     /* the rubric's one reader, and the scorer (testlib/) */

struct exercise {
    char *name;             /* td1-signals */
    char **files;           /* STUDENT_FILES, ANSWERS.md excluded */
    int nfiles;
    struct tl_rubric rub;   /* rubric.tsv, read by testlib/tl_score.c */
    struct tl_rubric_line *rubric;   /* = rub.line */
    int nrubric;            /* = rub.n */
    double max;             /* = rub.max */
    int has_memcheck;
    char **scenarios;       /* memcheck.txt: the memcheck/NAME of each scenario, or "" */
    int nscenarios;
    char **mc_requires;     /* memcheck.txt "# requires: TEST...": tests that must pass first */
    int nmc_requires;
    int broken;             /* the instructor tree does not build: not graded */
};

/* Load the exercises of TREE named in ONLY (comma-separated; NULL: every td* directory
 * with a Makefile, STUDENT_FILES and rubric.tsv), sorted by name. */
int load_exercises(const char *tree, const char *only, struct exercise **out, int *n,
                   char *err);

/* Read EX's rubric file (testlib/tl_score.h says its format). */
int load_rubric(const char *path, struct exercise *ex, char *err);

#endif
