/*
 * jobrec.h: JOBDIR/status, the record of what happened to one job (a submission's
 * exercise): written by the worker (grade.c) as it goes, read by the scorer (score.c).
 * This module is the format's only writer and only reader.
 *
 * One record per line, fields separated by tabs, text fields escaped (\n \t \\):
 *   notsubmitted                      the submission has no directory for the exercise
 *   missing  TEXT                     a STUDENT_FILES file is missing ("EX/f.c (not found)")
 *   error    TEXT                     the grader could not do something (work copy, start)
 *   warning  TEXT                     shown first in the feedback (NO ISOLATION)
 *   memskip  TEXT                     the memory check did not run: the tests it requires
 *   queued   SECS                     the job waited SECS for a slot after its submission's
 *                                     first job started
 *   step     NAME STATUS TIMED_OUT CAPPED LEFTOVERS SECS CPU VSTATUS LIMIT_AT NOISO MESSAGE
 *            one per step run (NAME: build tests memcheck): a struct job_outcome, STATUS
 *            its wait status (-1: never started), SECS and CPU its wall and CPU seconds,
 *            VSTATUS the sandbox's verdict status ("-" when not sandboxed), LIMIT_AT the
 *            monotonic ms a limit fired (0: none). (Records without CPU read as 0.)
 * A later step record of the same NAME replaces an earlier one.
 */
#ifndef GRADER_JOBREC_H
#define GRADER_JOBREC_H

#include "job.h"
#include "util.h"

enum job_step { STEP_BUILD, STEP_TESTS, STEP_MEMCHECK, NSTEPS };

struct job_record {
    int notsubmitted;
    struct buf missing, errors, warnings, memskip;   /* one line each, '\n'-ended */
    double queued_s;                                  /* waiting for a slot */
    int ran[NSTEPS];                                  /* a step record was read */
    struct job_outcome step[NSTEPS];
};

/* The step's name in the file ("build", "tests", "memcheck"); -1 for an unknown name. */
const char *jobrec_step_name(enum job_step s);
int jobrec_step_index(const char *name);

/* Append one record to JD/status (created 0600). KIND: "notsubmitted" (TEXT ignored),
 * "missing", "error", "warning", "memskip". 0, or -1 with errno. */
int jobrec_note(const char *jd, const char *kind, const char *text);
int jobrec_step(const char *jd, enum job_step s, const struct job_outcome *o);
int jobrec_queued(const char *jd, double secs);

/* Read JD/status into R (zeroed first); a missing file reads as nothing done: the
 * caller says so. 0 when the file was read, -1 when it could not be. */
int jobrec_read(const char *jd, struct job_record *r);
void jobrec_free(struct job_record *r);

/* The exit code of a step: its status, 128+N for signal N, -1 if it never started. */
int jobrec_exit_code(const struct job_outcome *o);

#endif
