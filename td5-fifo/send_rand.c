/*
 * send_rand.c: td5 skeleton. `send_rand NAME -n COUNT [-s SEED]` writes COUNT random
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
__attribute__((unused))
static void append_value(char *buf, size_t *len, int v)
{
    *len += (size_t)snprintf(buf + *len, VALUE_DIGITS + 2, "%d\n", v);
}

/* ======================= Functions you implement ======================= */

/* Write count values rand() % (VALUE_MAX + 1) to fd, as text lines, in writes of
 * whole lines of at most PIPE_BUF bytes each (atomic: several writers may share the
 * FIFO). Add them to *sum. 0 on success; on a write error print
 * "send_rand: cannot write to PATH: <reason>" and return -1. */
static int send_values(int fd, const char *path, long count, long long *sum)
{
    (void)fd;
    (void)count;
    (void)sum;
    // TODO(student): a buffer of PIPE_BUF bytes; for each value v = rand() % 1000,
    // flush the buffer with write_all() when v's line would not fit, append_value(),
    // add v to *sum. Flush what is left at the end.
    fprintf(stderr, PROG ": send_values is not implemented (writing to %s)\n", path);
    return -1;
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
