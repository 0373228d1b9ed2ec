/*
 * get_rand.c: td5 alternative (instructor only, alt/writev): reads into a buffer, cuts
 * whole lines at each '\n' with memchr(), checks each line whole, and moves the
 * unfinished tail to the front for the next read(). `get_rand NAME` reads every value (decimal text lines,
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

/* Check and count whole lines: buf holds n bytes, each line ends with '\n' except
 * perhaps the last, which is left for later. Returns the number of bytes consumed,
 * or -1 after "invalid value on line K". */
static long take_lines(struct totals *t, const char *buf, size_t n)
{
    size_t used = 0;
    const char *nl;
    while ((nl = memchr(buf + used, '\n', n - used)) != NULL) {
        size_t len = (size_t)(nl - (buf + used));
        int v = 0, ok = len >= 1 && len <= VALUE_DIGITS;
        for (size_t i = 0; ok && i < len; i++) {
            char c = buf[used + i];
            ok = c >= '0' && c <= '9';
            v = v * 10 + (c - '0');
        }
        if (!ok) {
            fprintf(stderr, PROG ": invalid value on line %ld\n", t->line);
            return -1;
        }
        t->count++;
        t->sum += v;
        t->line++;
        used += len + 1;
    }
    if (n - used > VALUE_DIGITS) { /* four bytes and still no newline */
        fprintf(stderr, PROG ": invalid value on line %ld\n", t->line);
        return -1;
    }
    return (long)used;
}

/* Kept for the skeleton's shape: feed bytes that hold only whole lines. */
static int parse_bytes(struct totals *t, const char *buf, size_t n)
{
    return take_lines(t, buf, n) == (long)n ? 0 : -1;
}

static int read_values(int fd, const char *path, struct totals *t)
{
    static char buf[32768];
    size_t have = 0;
    (void)parse_bytes;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, PROG ": cannot read %s: %s\n", path, strerror(errno));
            return -1;
        }
        if (n == 0)
            break;
        have += (size_t)n;
        long used = take_lines(t, buf, have);
        if (used < 0)
            return -1;
        memmove(buf, buf + used, have - (size_t)used);
        have -= (size_t)used;
    }
    if (have > 0) { /* a last line without its newline */
        fprintf(stderr, PROG ": invalid value on line %ld\n", t->line);
        return -1;
    }
    return 0;
}

static void print_average(const struct totals *t)
{
    if (t->count == 0) {
        printf("0 values, no average\n");
        return;
    }
    double avg = (double)t->sum / (double)t->count;
    printf("%lld values, average %.3f\n", t->count, avg);
}

static int remove_fifo(const char *path)
{
    int rc = unlink(path);
    if (rc == -1 && errno == ENOENT)
        rc = 0;
    if (rc == -1)
        fprintf(stderr, PROG ": cannot remove %s: %s\n", path, strerror(errno));
    return rc;
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
