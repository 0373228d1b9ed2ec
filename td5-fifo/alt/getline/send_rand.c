/*
 * send_rand.c: td5 alternative (instructor only, alt/getline): lines are formatted by
 * hand and packed up to exactly PIPE_BUF bytes (the next line's real length decides
 * the flush, not the worst case). `send_rand NAME -n COUNT [-s SEED]` writes COUNT random
 * values (decimal text lines, 0..999) into the FIFO NAME, creating it if needed, then
 * prints "sent COUNT values, sum SUM". Every write() holds whole lines and at most
 * PIPE_BUF bytes, so values from several writers never mix. Contract: README.md.
 */
#include "fifo_common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG "send_rand"

struct options {
    const char *name;
    long count;
    unsigned seed;
};

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

static void usage(void)
{
    fprintf(stderr, "usage: send_rand NAME -n COUNT [-s SEED]\n");
}

/* Options of the contract (in any order around NAME); on error one line on stderr, -1. */
static int parse_options(int argc, char **argv, struct options *o)
{
    long v;
    int c;
    int have_count = 0;
    *o = (struct options){ NULL, 0, (unsigned)time(NULL) ^ (unsigned)getpid() };
    opterr = 0;
    while (optind < argc) {
        if ((c = getopt(argc, argv, "n:s:")) == -1) {
            /* POSIX getopt stops at the first operand: take it, go on after it. */
            if (o->name || !argv[optind][0]) {
                usage();
                return -1;
            }
            o->name = argv[optind++];
        } else if (c == 'n' && parse_long(optarg, 0, COUNT_MAX, &v) == 0) {
            o->count = v;
            have_count = 1;
        } else if (c == 's' && parse_long(optarg, 0, 4294967295L, &v) == 0) {
            o->seed = (unsigned)v;
        } else if (c == 'n' || c == 's') {
            fprintf(stderr, PROG ": invalid -%c value '%s' (expected %s)\n", c, optarg,
                    c == 'n' ? "0..100000000" : "0..4294967295");
            return -1;
        } else {
            usage();
            return -1;
        }
    }
    if (!o->name || !have_count) {
        usage();
        return -1;
    }
    return 0;
}

/* Append value v as a text line ("%d\n") to buf at *len (room for VALUE_DIGITS + 1
 * bytes needed). */
static void append_value(char *buf, size_t *len, int v)
{
    *len += (size_t)snprintf(buf + *len, VALUE_DIGITS + 2, "%d\n", v);
}

/* ======================= Functions you implement ======================= */

/* Format v as "%d\n" into out; returns the length (2 to 4). */
static size_t format_line(char *out, int v)
{
    char digits[VALUE_DIGITS];
    size_t k = 0, n = 0;
    do
        digits[k++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    while (k > 0)
        out[n++] = digits[--k];
    out[n++] = '\n';
    return n;
}

/* Pack whole lines into a PIPE_BUF buffer, flushing just before a line would not fit:
 * every write() is at most PIPE_BUF bytes of whole lines, hence atomic and unsplit. */
static int send_values(int fd, const char *path, long count, long long *sum)
{
    char buf[PIPE_BUF], line[VALUE_DIGITS + 1];
    size_t used = 0;
    (void)append_value; /* format_line() instead */
    for (long i = 0; i < count; i++) {
        int v = rand() % (VALUE_MAX + 1);
        size_t len = format_line(line, v);
        if (used + len > sizeof buf) {
            if (write_all(fd, buf, used) == -1) {
                fprintf(stderr, PROG ": cannot write to %s: %s\n", path, strerror(errno));
                return -1;
            }
            used = 0;
        }
        memcpy(buf + used, line, len);
        used += len;
        *sum += v;
    }
    if (used > 0 && write_all(fd, buf, used) == -1) {
        fprintf(stderr, PROG ": cannot write to %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* (DO NOT CHANGE) */
int main(int argc, char **argv)
{
    struct options o;
    char path[PATH_MAX];
    long long sum = 0;
    if (parse_options(argc, argv, &o) == -1)
        return 2;
    if (fifo_path(o.name, path, sizeof path) == -1) {
        fprintf(stderr, PROG ": name too long: %s\n", o.name);
        return 2;
    }
    /* A reader that leaves early must give EPIPE (an error message), not kill us. */
    signal(SIGPIPE, SIG_IGN);
    if (ensure_fifo(PROG, path) == -1)
        return 1;
    int fd = open_fifo(PROG, path, O_WRONLY);
    if (fd == -1)
        return 1;
    srand(o.seed);
    int rc = send_values(fd, path, o.count, &sum);
    close(fd);
    if (rc == -1)
        return 1;
    printf("sent %ld values, sum %lld\n", o.count, sum);
    return 0;
}
