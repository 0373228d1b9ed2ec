/*
 * support.h: td5 test helpers around a FIFO, used by the tests to play one side of
 * the contract themselves (reader or writer of the documented value format), and to
 * parse the programs' report lines. The FIFO ends themselves: testlib's tl_fifo.h.
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

#endif
