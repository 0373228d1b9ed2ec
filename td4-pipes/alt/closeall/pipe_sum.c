/*
 * pipe_sum.c: td4 alternative (instructor only, alt/closeall): the parent sends 64 KiB
 * blocks (a whole pipe-full per write); the child reads one int per read_full() call. The parent sends COUNT random values in 0..9 to its
 * child through a pipe, as native ints; the child reads them all, up to end of file,
 * prints their count and sum and exits; the parent prints what it sent, waits for
 * the child and reports how it ended.
 * The contract (options, output lines, exit codes) is in ../README.md.
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

/* One int per read_full(): 4 bytes, or fewer at end of file (0: a clean end; 1 to 3:
 * the input ended inside a value). */
static long read_values(int fd, long *sum)
{
    long count = 0;
    int v;
    *sum = 0;
    for (;;) {
        ssize_t n = read_full(fd, &v, sizeof v);
        if (n == (ssize_t)sizeof v) {
            *sum += v;
            count++;
        } else if (n == 0) {
            return count;
        } else if (n < 0) {
            perror("pipe_sum: read");
            return -1;
        } else {
            fprintf(stderr, "pipe_sum: child: input ends inside a value\n");
            return -1;
        }
    }
}

static void child_main(int fds[2])
{
    long sum;
    close(fds[1]);
    long count = read_values(fds[0], &sum);
    close(fds[0]);
    if (count >= 0)
        say("child %d: received %ld values, sum %ld\n", (int)getpid(), count, sum);
    _exit(count >= 0 ? 0 : 1);
}

/* 16384 ints (64 KiB, a pipe-full) per write_all(). */
static long send_values(int fd, long count)
{
    static int block[16384];
    long sum = 0, done = 0;
    while (done < count) {
        size_t k = 0;
        while (k < sizeof block / sizeof *block && done + (long)k < count) {
            block[k] = rand() % 10;
            sum += block[k++];
        }
        if (write_all(fd, block, k * sizeof *block) == -1) {
            perror("pipe_sum: write");
            return -1;
        }
        done += (long)k;
    }
    return sum;
}

static int wait_child(pid_t pid, int *status)
{
    pid_t r;
    do
        r = waitpid(pid, status, 0);
    while (r == -1 && errno == EINTR);
    if (r == -1)
        perror("pipe_sum: waitpid");
    return r == -1 ? -1 : 0;
}

static int parent_main(int fds[2], pid_t child, long count)
{
    int status, me = (int)getpid();
    close(fds[0]);
    long sum = send_values(fds[1], count);
    close(fds[1]);
    if (sum >= 0)
        say("parent %d: sent %ld values, sum %ld\n", me, count, sum);
    if (wait_child(child, &status) == -1)
        return 1;
    if (WIFSIGNALED(status))
        say("parent %d: child %d killed by signal %d\n", me, (int)child, WTERMSIG(status));
    else
        say("parent %d: child %d exited with status %d\n", me, (int)child,
            WEXITSTATUS(status));
    return sum >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static int run(long count)
{
    int fds[2];
    if (pipe(fds) == -1) {
        perror("pipe_sum: pipe");
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0)
        child_main(fds);
    if (pid == -1) {
        perror("pipe_sum: fork");
        close(fds[0]);
        close(fds[1]);
        return 1;
    }
    return parent_main(fds, pid, count);
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
