/*
 * grade.h: grade one exercise of one submission, in a worker process: make a pristine
 * work copy (the staged exercise minus the reference, buggy variants, rubric and test
 * sources), copy in only the files STUDENT_FILES lists, then build, run the prebuilt
 * tests and the valgrind scenarios through job_run(). What happened is written to
 * JOBDIR/status (jobrec.h: its one writer and reader) and logs beside it; score.c
 * reads them.
 */
#ifndef GRADER_GRADE_H
#define GRADER_GRADE_H

#include "discover.h"
#include "exercise.h"
#include "job.h"

struct grade_ctx {
    const struct job_runner *runner;   /* how jobs run: job_local() or job_sandboxed() */
    const char *stage;    /* the staged instructor tree */
    const char *jobs;     /* WORKDIR/jobs */
    int timeout_s;        /* the test run's wall-clock limit */
    int tl_jobs;          /* Criterion jobs per test run (0: its default) */
    int slot;             /* parallel slot of this worker */
    int keep;             /* keep work copies (debugging) */
    const char *time_scale;  /* TL_TIME_SCALE for the tests, or NULL */
    double queued_s;      /* how long this job waited for a slot (--timings) */
};

/* JOBDIR of a submission's exercise (a new string). */
char *job_dir(const struct grade_ctx *g, const struct submission *s, const struct exercise *ex);

/* The worker's whole work; returns 0 when the status file was written. */
int grade_exercise(const struct grade_ctx *g, const struct submission *s,
                   const struct exercise *ex);

#endif
