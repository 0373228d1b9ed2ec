/*
 * exercise.h: what the grader knows of an exercise of the instructor tree: the files a
 * student may change (STUDENT_FILES), the rubric (rubric.tsv), and where its staged,
 * prebuilt test binary and reference programs are.
 */
#ifndef GRADER_EXERCISE_H
#define GRADER_EXERCISE_H

struct rubric_line {
    char *test;      /* SUITE/TEST, or memcheck/NAME */
    double points;
    int hidden;      /* visibility "hidden": ships only with the instructor tree */
    int memcheck;    /* scored from `make memcheck`, not from the test results */
    char *hint;
};

struct exercise {
    char *name;             /* td1-signals */
    char **files;           /* STUDENT_FILES, ANSWERS.md excluded */
    int nfiles;
    struct rubric_line *rubric;
    int nrubric;
    double max;
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

/* Read a rubric file (TEST <TAB> POINTS <TAB> visible|hidden <TAB> HINT). */
int load_rubric(const char *path, struct exercise *ex, char *err);

#endif
