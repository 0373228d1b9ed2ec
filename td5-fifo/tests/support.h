/*
 * support.h: td5 test helpers around a FIFO, used by the tests to play one side of
 * the contract themselves (reader or writer of the documented value format), and to
 * parse the programs' report lines. Candidates for testlib (see the td5 report):
 * waiting for a path to appear, opening FIFO ends without blocking, and reading /
 * writing a pipe with a deadline while the programs run.
 */
#ifndef TD5_SUPPORT_H
#define TD5_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "tl.h"

#define VALUE_MAX 999

/* The value stream as README.md defines it ("%d\n" lines, 0..999), parsed
 * incrementally: values may be split across reads. */
struct stream {
    long long count, sum;
    long line;                  /* line in progress, from 1 */
    char cur[16];               /* its beginning */
    size_t cur_len;             /* its full length so far */
    long bad_line;              /* first malformed line (0: none) */
    char bad[48];               /* its beginning, for messages */
    bool keep_raw;              /* keep every byte in raw (for comparisons) */
    char *raw;
    size_t raw_len, raw_cap;
};

void stream_feed(struct stream *s, const char *buf, size_t n);
void stream_end(struct stream *s);          /* a last line without '\n' is malformed */
void stream_free(struct stream *s);

/* Monotonic milliseconds. */
double ms_now(void);
void pause_us(long us);

/* true once path exists and is a FIFO, false after ms (or if p ended first, p may be NULL). */
bool wait_fifo(const char *path, tl_proc *p, int ms);
bool is_fifo(const char *path);
bool path_exists(const char *path);

/* The read end, opened O_NONBLOCK (never blocks); -1 on error. */
int open_read_end(const char *path);
/* A write end, opened O_NONBLOCK as soon as a reader has the FIFO open (retries while
 * the FIFO is missing or has no reader); -1 after ms or if p ended. */
int open_write_end(const char *path, tl_proc *p, int ms);

/* Write all of buf to the non-blocking fd within ms; false on error (EPIPE...) or timeout. */
bool write_within(int fd, const char *buf, size_t len, int ms);
/* Wait until the pipe behind fd is empty (the reader consumed everything); false after ms. */
bool wait_drained(int fd, int ms);

/* Read the non-blocking read end rfd into s while the writers run: reads of at most
 * chunk bytes (0: any), pace microseconds apart, once the pipe is full (or after
 * 30 ms). When every writer has ended, close *keep (the test's own write end, which
 * kept EOF away) and drain to EOF. false if ms passed first. */
bool collect(int rfd, int *keep, tl_proc **w, int nw, struct stream *s, size_t chunk,
             long pace, int ms);

/* "sent N values, sum S" as the only stdout line. */
bool parse_sent(const char *out, long long *count, long long *sum);
/* "N values, average A" (A with exactly 3 decimals) or "0 values, no average", as the
 * only stdout line; *count = -1 if the line does not match. */
bool parse_average(const char *out, long long *count, double *avg);
/* Is avg sum / count, rounded to 3 decimals? */
bool average_ok(double avg, long long sum, long long count);

/* Text lines of n values drawn from the test's own seeded generator, with a sum that
 * count does not divide (so that an integer average is always wrong). malloc'd. */
char *make_values(unsigned seed, int n, size_t *len, long long *sum);

/* Wait for a writer and a reader running together. Once one has ended, the other
 * gets grace_ms to end too (EOF, EPIPE), then is killed: a reader that never opens
 * the FIFO leaves the writer blocked in open() forever, and the other way round. */
void wait_pair(tl_proc *w, tl_proc *r, int grace_ms, tl_result *rw, tl_result *rr);

/* Stop a run that can no longer succeed (SIGKILL), and collect it. */
tl_result kill_and_wait(tl_proc *p);

#endif
