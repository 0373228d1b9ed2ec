/*
 * stage.h: the staged instructor tree. Once per grader run (and incrementally: only
 * changed files are copied, so make rebuilds nothing when nothing changed), the
 * exercises, testlib/, mk/ and tools/ are copied to WORKDIR/stage, where each
 * exercise's test binary (public and hidden tests) and reference programs are built.
 * Every submission is then graded against these prebuilt binaries: the tests exec the
 * student's programs, they never link student code.
 *
 * The stage is root's: only what a job running as a slot's uid needs is readable by
 * it (see lock_stage in stage.c), so that the reference, the hidden tests and the
 * rubric stay out of reach even where namespaces cannot hide them.
 */
#ifndef GRADER_STAGE_H
#define GRADER_STAGE_H

#include "exercise.h"

/* Prepare STAGE from TREE; an exercise that does not build is marked broken with a
 * warning on stderr. -1 only if the stage itself cannot be made. */
int stage_prepare(const char *tree, const char *stage, struct exercise *ex, int nex,
                  char *err);

#endif
