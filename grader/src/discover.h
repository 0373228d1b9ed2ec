/*
 * discover.h: turn the command line's SUBMISSION arguments into submissions with ids,
 * and find the exercise directories inside a submission.
 *
 * The id rule: the entry's name (file or directory) without its archive extension, or
 * the first group of --id-regex if it matches; then every character outside
 * [A-Za-z0-9._@-] becomes '_'. --id ID names the (single) submission directly.
 * A directory is ONE submission when it holds an exercise directory (td1-signals/...),
 * possibly under a chain of single wrapper directories; otherwise (or with --lms) it is
 * an LMS export: each archive or directory inside is one student's submission.
 */
#ifndef GRADER_DISCOVER_H
#define GRADER_DISCOVER_H

#include "exercise.h"

struct submission {
    char *id;
    char *path;        /* as given: directory or archive */
    int archive;
    char *base;        /* the directory holding the exercise directories (after unpacking) */
    char *error;       /* why it could not be read (the exercises then score 0) */
    char *notes;       /* what unpacking skipped */
    int skip;          /* already graded */
    int pending;       /* exercises not yet finished */
    double started;    /* CLOCK_MONOTONIC seconds when its first job started */
};

struct discover_opts {
    int lms;              /* directories given are LMS exports */
    int single;           /* each argument is one submission */
    const char *id;       /* override the id of the single submission */
    const char *id_regex; /* POSIX ERE; group 1 is the id */
};

int discover(char *const *args, int nargs, const struct discover_opts *o,
             const struct exercise *ex, int nex, struct submission **subs, int *n, char *err);

/* The directory under ROOT holding exercise directories, or NULL (new string). */
char *find_base(const char *root, const struct exercise *ex, int nex, int depth);

#endif
