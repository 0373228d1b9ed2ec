/*
 * progress.h: the grader's progress on stderr: a bar with the count, elapsed time and
 * ETA redrawn in place on a terminal, one plain line per submission otherwise.
 */
#ifndef GRADER_PROGRESS_H
#define GRADER_PROGRESS_H

void progress_start(int total, int quiet);
/* One submission finished; WHAT says how ("20/21", "already graded"). */
void progress_step(const char *id, const char *what);
void progress_end(void);

#endif
