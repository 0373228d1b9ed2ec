/*
 * get_rand.c: td5 alternative (instructor only, alt/getline): stdio reads the FIFO
 * (fdopen on a dup of the descriptor) and getline() returns one whole line at a time,
 * however the bytes were cut by the reads underneath. `get_rand NAME` reads every value (decimal text lines,
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

/* Check one whole line (n bytes, its '\n' included if it has one) and count it.
 * 0, or -1 after "get_rand: invalid value on line K". */
static int parse_bytes(struct totals *t, const char *buf, size_t n)
{
    int ok = n >= 2 && n <= VALUE_DIGITS + 1 && buf[n - 1] == '\n';
    int v = 0;
    for (size_t i = 0; ok && i + 1 < n; i++) {
        if (buf[i] < '0' || buf[i] > '9')
            ok = 0;
        else
            v = v * 10 + (buf[i] - '0');
    }
    if (!ok) {
        fprintf(stderr, PROG ": invalid value on line %ld\n", t->line);
        return -1;
    }
    t->count++;
    t->sum += v;
    t->line++;
    return 0;
}

/* Read lines with getline() on a stdio stream over a copy of fd (main() closes fd
 * itself) until end of file. */
static int read_values(int fd, const char *path, struct totals *t)
{
    int copy = dup(fd);
    FILE *in = copy == -1 ? NULL : fdopen(copy, "r");
    if (in == NULL) {
        fprintf(stderr, PROG ": cannot read %s: %s\n", path, strerror(errno));
        if (copy != -1)
            close(copy);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    errno = 0;
    while (rc == 0 && (n = getline(&line, &cap, in)) != -1)
        rc = parse_bytes(t, line, (size_t)n);
    if (rc == 0 && ferror(in)) {
        fprintf(stderr, PROG ": cannot read %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(in);
    return rc;
}

/* "COUNT values, average AVG" or "0 values, no average". */
static void print_average(const struct totals *t)
{
    if (t->count > 0)
        printf("%lld values, average %.3f\n", t->count, (double)t->sum / t->count);
    else
        puts("0 values, no average");
}

/* Remove the FIFO; gone already is fine. */
static int remove_fifo(const char *path)
{
    if (unlink(path) == 0 || errno == ENOENT)
        return 0;
    fprintf(stderr, PROG ": cannot remove %s: %s\n", path, strerror(errno));
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
