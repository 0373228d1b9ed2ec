/*
 * hello_signals.c: td1 skeleton. A parent forks CHILDREN children; every tick it
 * sends SIGUSR1 to one child chosen at random, which answers "Hello from PID n"
 * from its handler; then the parent sends SIGINT to every child and reaps them all.
 * The contract (options, output lines, exit codes) is in README.md.
 *
 * Implement the functions below the "Functions you implement" line; the helpers
 * above it are provided and must not change. `make check` runs the tests.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHILDREN 64

struct options {
    int children;
    long ticks;
    long interval_ms;
    unsigned seed;
};

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

/* Write all of buf to fd, retrying after EINTR and short writes. Async-signal-safe. */
__attribute__((unused))
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Print "<prefix><pid>\n" with one write(). Async-signal-safe: use it in handlers. */
__attribute__((unused))
static void sio_pid_line(const char *prefix, pid_t pid)
{
    char buf[96], digits[16];
    size_t n = 0, k = 0;
    unsigned long v = (unsigned long)pid;
    while (prefix[n] && n < 64) {
        buf[n] = prefix[n];
        n++;
    }
    do
        digits[k++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    while (k > 0)
        buf[n++] = digits[--k];
    buf[n++] = '\n';
    int saved = errno;
    (void)write_all(STDOUT_FILENO, buf, n);
    errno = saved;
}

/* printf-like line on stdout with one write(): lines of several processes never mix.
 * Not async-signal-safe: never call it from a handler. */
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

/* Sleep ms milliseconds, even if signals interrupt the sleep. */
__attribute__((unused))
static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        continue;
}

/* Parse a whole decimal number in [min, max]; 0 on success, -1 otherwise. */
__attribute__((unused))
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

__attribute__((unused))
static void usage(void)
{
    fprintf(stderr, "usage: hello_signals [-c CHILDREN] [-t TICKS] [-i INTERVAL_MS] [-s SEED]\n");
}

/* Options of the contract; on error one line on stderr and -1. */
__attribute__((unused))
static int parse_options(int argc, char **argv, struct options *o)
{
    long v;
    int c;
    *o = (struct options){ 5, 30, 1000, (unsigned)time(NULL) ^ (unsigned)getpid() };
    opterr = 0;
    while ((c = getopt(argc, argv, "c:t:i:s:")) != -1) {
        const char *what = c == 'c' ? "1..64" : c == 's' ? "0..4294967295" : "0..1000000";
        long max = c == 'c' ? MAX_CHILDREN : c == 's' ? 4294967295L : 1000000;
        if (c == '?' || (parse_long(optarg, c == 'c', max, &v) == -1)) {
            if (c == '?')
                usage();
            else
                fprintf(stderr, "hello_signals: invalid -%c value '%s' (expected %s)\n", c,
                        optarg, what);
            return -1;
        }
        if (c == 'c') o->children = (int)v;
        if (c == 't') o->ticks = v;
        if (c == 'i') o->interval_ms = v;
        if (c == 's') o->seed = (unsigned)v;
    }
    if (optind != argc) {
        usage();
        return -1;
    }
    return 0;
}

/* ======================= Functions you implement ======================= */

/* The child's SIGUSR1 handler: print "Hello from PID <its pid>".
 * Only async-signal-safe calls here: sio_pid_line() is, printf() is not. */
__attribute__((unused))
static void on_sigusr1(int sig)
{
    (void)sig;
    // TODO(student): greet with sio_pid_line("Hello from PID ", getpid()).
}

/* Install on_sigusr1 for SIGUSR1 with sigaction(); 0 on success, -1 on error.
 * main() calls it before forking: why does that matter? (README, question 2) */
static int install_handler(void)
{
    // TODO(student): fill a struct sigaction (handler, empty sa_mask, SA_RESTART)
    // and call sigaction(SIGUSR1, &sa, NULL).
    errno = ENOSYS;
    return -1;
}

/* What a child does: wait for signals until SIGINT ends it. Never returns. */
__attribute__((unused))
static void child_loop(void)
{
    // TODO(student): loop on pause() forever. The default action of SIGINT ends the child.
    _exit(1);
}

/* Fork n children, store their pids in pids[] and print "Child i has PID n" for each
 * (i from 1). Each child runs child_loop(). On fork failure, kill and reap the children
 * already made, print "hello_signals: fork: <reason>" and return -1. */
static int fork_children(pid_t *pids, int n)
{
    (void)pids;
    (void)n;
    // TODO(student): a loop of fork(); the child calls child_loop(), the parent records
    // the pid and prints the line with say().
    fprintf(stderr, "hello_signals: fork_children is not implemented\n");
    return -1;
}

/* For each tick 1..o->ticks: sleep o->interval_ms, choose a child uniformly at random
 * with rand(), print "Tick t: SIGUSR1 -> PID n", send it SIGUSR1. After the last tick,
 * sleep one more interval so that the last greeting is printed before SIGINT. */
static void tick(const pid_t *pids, const struct options *o)
{
    (void)pids;
    (void)o;
    // TODO(student): use sleep_ms(), rand() % o->children, say() and kill().
}

/* Print "SIGINT -> PID n" and send SIGINT to every child; then reap each child with
 * waitpid() and print "PID n ended by signal s" (or "PID n exited with status s").
 * Returns 0, or -1 if waitpid fails. */
static int stop_children(const pid_t *pids, int n)
{
    (void)pids;
    (void)n;
    // TODO(student): two loops: kill() every child, then waitpid() until all are reaped.
    return -1;
}

/* (DO NOT CHANGE) */
int main(int argc, char **argv)
{
    struct options o;
    pid_t pids[MAX_CHILDREN];
    if (parse_options(argc, argv, &o) == -1)
        return 2;
    if (install_handler() == -1) {
        perror("hello_signals: sigaction");
        return 1;
    }
    srand(o.seed);
    if (fork_children(pids, o.children) == -1)
        return 1;
    tick(pids, &o);
    return stop_children(pids, o.children) == -1 ? 1 : 0;
}
