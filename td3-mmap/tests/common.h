/*
 * common.h: what td3-mmap's test files share: running the three programs, checking an
 * error run against the contract (status, one stderr line, its prefix and reason,
 * empty stdout, nothing left behind), checking a file mmap_writer made, and files of
 * native ints. The exit probe and the unprivileged run are testlib's (tl_exitprobe.h,
 * tl_child.h).
 */
#ifndef TD3_COMMON_H
#define TD3_COMMON_H

#include <stdbool.h>
#include <sys/types.h>

#include "tl.h"

#define MAX_VALUE 999           /* the writer's values are in 0..MAX_VALUE */
#define RUN_MS 4000             /* deadline of one ordinary run */

/* mmap_writer FILE [-n COUNT] -s SEED, COUNT omitted when count <= 0; prog is the
 * program to run (a name of $TD_BIN or a path of the reference). */
tl_result run_writer(const char *prog, const char *file, long count, unsigned seed);
tl_result run_reader(const char *prog, const char *file);
/* mmap_counter FILE -p PROCS -n N -d DELAY_US, with a timing perturbation or NULL */
tl_result run_counter(const char *file, int procs, long n, long delay_us, int deadline_ms,
                      const char *perturb);

/* In the test directory: make directory name / set the mode of name (abort the test
 * on failure). */
void make_dir(const char *name, mode_t mode);
void set_mode(const char *name, mode_t mode);
/* Run argv as an unprivileged user (tl_run_unprivileged); *how says how. */
tl_result run_unprivileged(const char *const *argv, const char **how);

/* The run ended with status, one stderr line starting with "PROG: " that names file
 * (unless NULL) and contains reason (unless NULL), nothing on stdout, nothing left. */
void expect_error(const tl_result *r, const char *prog, int status, const char *file,
                  const char *reason, const char *situation);

/* A run that succeeded printed nothing on stderr (README.md's stderr lines are errors);
 * situation (or NULL) starts the message. */
void expect_quiet_stderr(const tl_result *r, const char *situation);

/* The writer's run succeeded and file holds exactly the count values it printed, each
 * in 0..MAX_VALUE. Returns the values (malloc'd). On a value the file does not hold, r's
 * Reproduce line gets a note on how to see the file's values. */
int *expect_written(tl_result *r, const char *file, long count);

/* The reader's run succeeded and printed exactly values[0..count). */
void expect_read(const tl_result *r, const int *values, long count, const char *situation);

/* Files of native ints; abort the test on failure. */
void write_bytes(const char *path, const void *data, size_t len);
void write_ints(const char *path, const int *values, size_t count);

/* Random ints of the whole range from seed (xorshift), to feed the reader. */
void random_ints(int *values, size_t count, unsigned seed);

#endif
