/*
 * pipe_sum_run.h: running pipe_sum and reading its output lines, shared by the
 * public and hidden pipe_sum tests.
 */
#ifndef PIPE_SUM_RUN_H
#define PIPE_SUM_RUN_H

#include "tl.h"

/* What one run printed, as the contract defines it. Line numbers count from 1;
 * 0 means the line is missing. */
struct sum_run {
    tl_watched w;
    int sent_line, child_line, end_line;
    pid_t sent_parent, child_pid, end_parent, end_child;
    long sent_count, sent_sum, recv_count, recv_sum;
    bool has_sent, has_child, has_end, end_signal;
    int end_status;
    int nbad;
    char bad[160];            /* first line that matches no format, or a repeated one */
};

/* Run pipe_sum -n count (no -n if count < 0) -s seed, watched for deadlocks. */
struct sum_run run_pipe_sum(long count, unsigned seed, const char *perturb);
void sum_run_free(struct sum_run *u);
/* Fill the line fields of u from u->w.r.out. */
void parse_sum_output(struct sum_run *u);

/* Assertions with the diagnosis a student needs. */
void expect_no_stall(const struct sum_run *u);
/* The whole contract of a successful run; count < 0: whatever count was sent. */
void expect_sum_ok(const struct sum_run *u, long count);

#endif
