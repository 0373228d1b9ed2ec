/*
 * get_rand.c: td5 skeleton. `get_rand NAME` reads every value (decimal text lines,
 * 0..999) from the FIFO NAME until end of file, creating the FIFO if needed, removes
 * it, and prints "COUNT values, average AVG" (AVG with 3 decimals). A value may be
 * split across two reads: the parser keeps its state between reads. Contract: README.md.
 */
#include "fifo_common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "get_rand"

/* What has been read so far; value/digits: the line in progress (it may continue in
 * the next read). */
struct totals {
    long long count;
    long long sum;
    long line;          /* number of the line in progress, from 1 */
    int value;
    int digits;
};

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

static void usage(void)
{
    fprintf(stderr, "usage: get_rand NAME\n");
}

/* Exactly one operand, no option; on error one line on stderr, -1. */
static int parse_options(int argc, char **argv, const char **name)
{
    opterr = 0;
    if (getopt(argc, argv, "") != -1 || optind != argc - 1 || !argv[optind][0]) {
        usage();
        return -1;
    }
    *name = argv[optind];
    return 0;
}

/* ======================= Functions you implement ======================= */

/* Feed n bytes to the parser. 0 on success; on a malformed line print
 * "get_rand: invalid value on line K" and return -1. */
__attribute__((unused))
static int parse_bytes(struct totals *t, const char *buf, size_t n)
{
    (void)t;
    (void)buf;
    (void)n;
    // TODO(student): one byte at a time: a digit extends t->value (at most VALUE_DIGITS
    // digits), '\n' ends a value (count it, add it, next line), anything else is an
    // error. The state stays in *t, so a value cut between two reads is fine.
    return -1;
}

/* Read fd until end of file (every writer has closed it), whatever the size of each
 * read, and parse everything. 0 on success, -1 after printing one error line. */
static int read_values(int fd, const char *path, struct totals *t)
{
    (void)fd;
    (void)t;
    // TODO(student): read() into a buffer until it returns 0 (EOF: every writer has
    // closed the FIFO), retrying after EINTR, feeding each chunk to parse_bytes().
    // At EOF, a line without its '\n' is an invalid value.
    fprintf(stderr, PROG ": read_values is not implemented (reading %s)\n", path);
    return -1;
}

/* Print "COUNT values, average AVG" (AVG = sum / count with 3 decimals), or
 * "0 values, no average". */
static void print_average(const struct totals *t)
{
    (void)t;
    // TODO(student): printf the line of the contract; divide as doubles.
}

/* Remove the FIFO once the reading is over; 0, or -1 after printing one error line.
 * Someone else having removed it already is not an error. */
static int remove_fifo(const char *path)
{
    // TODO(student): unlink(path); ENOENT is not an error.
    fprintf(stderr, PROG ": remove_fifo is not implemented (%s)\n", path);
    return -1;
}

/* (DO NOT CHANGE) */
int main(int argc, char **argv)
{
    const char *name;
    char path[PATH_MAX];
    struct totals t = { 0, 0, 1, 0, 0 };
    if (parse_options(argc, argv, &name) == -1)
        return 2;
    if (fifo_path(name, path, sizeof path) == -1) {
        fprintf(stderr, PROG ": name too long: %s\n", name);
        return 2;
    }
    if (ensure_fifo(PROG, path) == -1)
        return 1;
    int fd = open_fifo(PROG, path, O_RDONLY);
    if (fd == -1)
        return 1;
    int rc = read_values(fd, path, &t);
    close(fd);
    if (remove_fifo(path) == -1 || rc == -1)
        return 1;
    print_average(&t);
    return 0;
}
