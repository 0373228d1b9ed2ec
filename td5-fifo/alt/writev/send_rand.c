/*
 * send_rand.c: td5 alternative (instructor only, alt/writev): the 1000 possible lines
 * are formatted once; each writev() gathers whole lines, at most PIPE_BUF bytes and
 * IOV_MAX lines in all (one writev to a pipe is one write: atomic up to PIPE_BUF). `send_rand NAME -n COUNT [-s SEED]` writes COUNT random
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
#include <sys/uio.h>

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

#define BATCH_LINES 1024 /* <= IOV_MAX (1024 on Linux): lines per writev() */

/* The text of every value, "0\n" .. "999\n", made once. */
static char table[VALUE_MAX + 1][VALUE_DIGITS + 2];
static size_t table_len[VALUE_MAX + 1];

static void make_table(void)
{
    for (int v = 0; v <= VALUE_MAX; v++) {
        size_t len = 0;
        append_value(table[v], &len, v);
        table_len[v] = len;
    }
}

/* writev() all of iov[0..n-1] (bytes in total), resuming after a short write (which a
 * pipe gives only for more than PIPE_BUF bytes, or after a signal). */
static int writev_whole(int fd, struct iovec *iov, int n, size_t bytes)
{
    while (bytes > 0) {
        ssize_t k = writev(fd, iov, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        bytes -= (size_t)k;
        while (n > 0 && (size_t)k >= iov->iov_len) {
            k -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + k;
            iov->iov_len -= (size_t)k;
        }
    }
    return 0;
}

static int send_values(int fd, const char *path, long count, long long *sum)
{
    struct iovec iov[BATCH_LINES];
    int n = 0;
    size_t bytes = 0;
    make_table();
    for (long i = 0; i <= count; i++) {
        int v = i < count ? rand() % (VALUE_MAX + 1) : -1;
        if (n > 0 && (v < 0 || n == BATCH_LINES || bytes + table_len[v] > PIPE_BUF)) {
            if (writev_whole(fd, iov, n, bytes) == -1) {
                fprintf(stderr, PROG ": cannot write to %s: %s\n", path, strerror(errno));
                return -1;
            }
            n = 0;
            bytes = 0;
        }
        if (v < 0)
            break;
        iov[n].iov_base = table[v];
        iov[n++].iov_len = table_len[v];
        bytes += table_len[v];
        *sum += v;
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
