/*
 * tl_results.h: the test records file (results.tsv), one record per test, written by the
 * report hook in the test runner (tl_report.c) and read by the scorer (tl_score.c, which
 * `make check`, tools/selftest and the grader all use). This module is the format's
 * only writer and only reader.
 *
 * Lines, fields separated by tabs; the message escapes backslash, tab and newline as
 * \\, \t and \n:
 *   SUITE/TEST  PASS|FAIL|SKIP|CRASH|TIMEOUT  MESSAGE     the test's record (one per test)
 *   SUITE/TEST  START|END  MS                             with $TL_RESULTS_TIMES=1: when it
 *                                                         started and ended (CLOCK_MONOTONIC)
 * A SKIP record scores nothing. A test with several records was forged (the hook writes
 * one per test): the scorer fails it.
 */
#ifndef TL_RESULTS_H
#define TL_RESULTS_H

#include <stddef.h>

/* Append S to OUT[N..CAP) escaped (stopping short of the end); returns the new N. */
size_t tl_results_escape(char *out, size_t n, size_t cap, const char *s);

/* "TEST <TAB> STATUS <TAB>" into OUT; returns its length (the caller appends the escaped
 * message and a newline). */
size_t tl_results_head(char *out, size_t cap, const char *test, const char *status);

/* A whole "TEST <TAB> START|END <TAB> MS\n" line; returns its length. */
size_t tl_results_time(char *out, size_t cap, const char *test, const char *what, long long ms);

struct tl_record {
    const char *test;
    const char *status;     /* PASS FAIL SKIP CRASH TIMEOUT, or START / END */
    const char *message;    /* unescaped ("" if none) */
    long long ms;           /* START / END: the time */
};

/* Call FN for every record of PATH, in order. 0, or -1 if PATH cannot be read. */
int tl_results_read(const char *path, void (*fn)(const struct tl_record *r, void *arg),
                    void *arg);

#endif
