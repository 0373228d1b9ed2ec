/*
 * pipe_sum.c: td4 skeleton. The parent sends COUNT random values in 0..9 to its
 * child through a pipe, as native ints; the child reads them all, up to end of file,
 * prints their count and sum and exits; the parent prints what it sent, waits for
 * the child and reports how it ended.
 * The contract (options, output lines, exit codes) is in README.md.
 *
 * Implement the functions below the "Functions you implement" line; the helpers
 * above it are provided and must not change. `make check` runs the tests.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNT 100000000L
#define CHUNK 1024 /* values per write() and per read() */

struct options {
    long count; /* -1: random in 5..20 */
    unsigned seed;
};

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

/* Write all of buf to fd, retrying after EINTR and short writes; 0 or -1 (errno). */
__attribute__((unused))
static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read up to len bytes, stopping early only at end of file; returns the number of
 * bytes read (less than len means end of file was reached), or -1 (errno). */
__attribute__((unused))
static ssize_t read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* printf-like line on stdout with one write(): nothing stays in a stdio buffer, so
 * nothing is lost by _exit() or duplicated by fork(), and lines never mix. */
__attribute__((unused))
static void say(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        (void)write_all(STDOUT_FILENO, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Parse a whole decimal number in [min, max]; 0 on success, -1 otherwise. */
static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: pipe_sum [-n COUNT] [-s SEED]\n");
}

/* Options of the contract; on error one line on stderr and -1. */
static int parse_options(int argc, char **argv, struct options *o)
{
    long v;
    int c;
    *o = (struct options){ -1, (unsigned)time(NULL) ^ (unsigned)getpid() };
    opterr = 0;
    while ((c = getopt(argc, argv, "n:s:")) != -1) {
        if (c == '?') {
            usage();
            return -1;
        }
        long max = c == 'n' ? MAX_COUNT : 4294967295L;
        if (parse_long(optarg, 0, max, &v) == -1) {
            fprintf(stderr, "pipe_sum: invalid -%c value '%s' (expected 0..%ld)\n", c, optarg,
                    max);
            return -1;
        }
        if (c == 'n')
            o->count = v;
        else
            o->seed = (unsigned)v;
    }
    if (optind != argc) {
        usage();
        return -1;
    }
    return 0;
}

/* ======================= Functions you implement ======================= */

/* Read native ints from fd until end of file. Stores their sum in *sum and returns
 * how many were read, or -1 after printing "pipe_sum: read: <reason>" (read error)
 * or "pipe_sum: child: input ends inside a value" (a partial int at the end). */
__attribute__((unused))
static long read_values(int fd, long *sum)
{
    (void)fd;
    // TODO(student): loop on read_full() into an int buffer, adding each value to *sum,
    // until it returns less than the buffer's size (end of file). A byte count that is
    // not a multiple of sizeof(int) means the input ended inside a value.
    *sum = 0;
    errno = ENOSYS;
    return -1;
}

/* The child: keep only the read end, sum everything, print
 * "child PID: received COUNT values, sum SUM", exit 0 (1 on error). Never returns. */
__attribute__((unused))
static void child_main(int fds[2])
{
    (void)fds;
    // TODO(student): close the end the child does not use FIRST (why? README, "end of
    // file"), read_values(), close the read end, say() the line, _exit(0) or _exit(1).
    _exit(1);
}

/* Write count values rand() % 10 to fd as native ints; returns their sum, or -1
 * after printing "pipe_sum: write: <reason>". */
__attribute__((unused))
static long send_values(int fd, long count)
{
    (void)fd;
    (void)count;
    // TODO(student): fill an int buffer with rand() % 10, adding each value to the sum,
    // and write_all() it; repeat until count values are sent.
    errno = ENOSYS;
    return -1;
}

/* Wait for pid, retrying after EINTR; 0 with *status set, or -1. */
__attribute__((unused))
static int wait_child(pid_t pid, int *status)
{
    (void)pid;
    (void)status;
    // TODO(student): waitpid(pid, status, 0), again while it fails with EINTR; on
    // another error, perror("pipe_sum: waitpid") and return -1.
    return -1;
}

/* The parent: keep only the write end, send the values, close it, print
 * "parent PID: sent COUNT values, sum SUM", wait for the child and print
 * "parent PID: child CPID exited with status S" (or "... killed by signal S").
 * Returns the exit status of pipe_sum: 0 if all went well and the child exited 0. */
__attribute__((unused))
static int parent_main(int fds[2], pid_t child, long count)
{
    (void)fds;
    (void)child;
    (void)count;
    // TODO(student): close the read end, send_values(), close the write end, say() the
    // "sent" line (if sending worked), wait_child(), say() how the child ended.
    return 1;
}

/* Make the pipe, fork, and run child_main() in the child and parent_main() in the
 * parent. Returns the exit status of pipe_sum (1 if pipe or fork fails, after
 * printing "pipe_sum: pipe: <reason>" or "pipe_sum: fork: <reason>"). */
static int run(long count)
{
    (void)count;
    // TODO(student): pipe(), fork(); the child calls child_main(), the parent returns
    // parent_main(). Mind the order: the pipe must exist before fork() to be shared.
    fprintf(stderr, "pipe_sum: run is not implemented\n");
    return 1;
}

/* (DO NOT CHANGE) */
int main(int argc, char **argv)
{
    struct options o;
    if (parse_options(argc, argv, &o) == -1)
        return 2;
    /* A write to a pipe with no reader left then fails with EPIPE instead of killing
     * us: the parent can still report it and wait for its child. */
    signal(SIGPIPE, SIG_IGN);
    srand(o.seed);
    long count = o.count >= 0 ? o.count : 5 + rand() % 16;
    return run(count);
}
