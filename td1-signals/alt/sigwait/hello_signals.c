/*
 * hello_signals.c: td1 alternative (instructor only, alt/sigwait). The same contract as
 * the reference, another design: SIGUSR1 is blocked before fork and each child takes it
 * synchronously with sigwaitinfo() instead of a handler; ticks are scheduled on absolute
 * CLOCK_MONOTONIC deadlines; the child is drawn from the high-order bits of rand()
 * (scaled, not rand() % n) and the children are reaped in creation order with
 * waitpid(pid).
 * The contract (options, output lines, exit codes) is in ../README.md.
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
static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        continue;
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
    fprintf(stderr, "usage: hello_signals [-c CHILDREN] [-t TICKS] [-i INTERVAL_MS] [-s SEED]\n");
}

/* Options of the contract; on error one line on stderr and -1. */
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

/* No handler in this design: the greeting is printed by the child's main flow. The
 * function stays so that main() keeps the skeleton's shape. */
static void on_sigusr1(int sig)
{
    (void)sig;
}

/* Block SIGUSR1 BEFORE fork: children inherit the blocked mask, so a signal sent before
 * a child runs stays pending until its sigwaitinfo() takes it. A handler is installed
 * too, so that a SIGUSR1 that somehow gets unblocked never kills anyone. */
static int install_handler(void)
{
    struct sigaction sa;
    sigset_t set;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigfillset(&sa.sa_mask);
    sa.sa_flags = 0;
    if (sigaction(SIGUSR1, &sa, NULL) == -1)
        return -1;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    return sigprocmask(SIG_BLOCK, &set, NULL);
}

/* What a child does: take each SIGUSR1 synchronously and greet; SIGINT (default
 * disposition, not blocked) ends it. Never returns. */
static void child_loop(void)
{
    sigset_t set;
    siginfo_t info;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    for (;;) {
        if (sigwaitinfo(&set, &info) == SIGUSR1)
            sio_pid_line("Hello from PID ", getpid());
        /* -1/EINTR: nothing to do, wait again */
    }
}

/* Kill and reap the first n children (after a failure). */
static void abort_children(const pid_t *pids, int n)
{
    for (int j = 0; j < n; j++)
        kill(pids[j], SIGKILL);
    for (int j = 0; j < n; j++)
        while (waitpid(pids[j], NULL, 0) == -1 && errno == EINTR)
            continue;
}

/* Fork the children, recording their pids; on failure kill those already made. */
static int fork_children(pid_t *pids, int n)
{
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0)
            child_loop();
        if (pid == -1) {
            perror("hello_signals: fork");
            abort_children(pids, i);
            return -1;
        }
        pids[i] = pid;
        say("Child %d has PID %d\n", i + 1, (int)pid);
    }
    return 0;
}

/* A child index in [0, n), uniformly: the high-order bits of rand() scaled to n
 * (rand() / (RAND_MAX + 1.0) * n), not rand() % n (the low-order bits). Same seed,
 * same choices; not the reference's choices. */
static int uniform(int n)
{
    return (int)((double)rand() / ((double)RAND_MAX + 1.0) * n);
}

/* Advance an absolute deadline by ms milliseconds and sleep until it. */
static void sleep_until(struct timespec *when, long ms)
{
    when->tv_sec += ms / 1000;
    when->tv_nsec += (ms % 1000) * 1000000L;
    if (when->tv_nsec >= 1000000000L) {
        when->tv_sec++;
        when->tv_nsec -= 1000000000L;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, when, NULL) == EINTR)
        continue;
}

/* Every interval, SIGUSR1 to one child chosen uniformly at random. */
static void tick(const pid_t *pids, const struct options *o)
{
    struct timespec when;
    clock_gettime(CLOCK_MONOTONIC, &when);
    for (long t = 1; t <= o->ticks; t++) {
        sleep_until(&when, o->interval_ms);
        pid_t target = pids[uniform(o->children)];
        say("Tick %ld: SIGUSR1 -> PID %d\n", t, (int)target);
        if (kill(target, SIGUSR1) == -1)
            perror("hello_signals: kill");
    }
    sleep_until(&when, o->interval_ms); /* the last greeting gets out before SIGINT */
    (void)sleep_ms; /* the provided helper is not needed with absolute deadlines */
}

/* SIGINT to every child, then reap them in creation order and report each end. */
static int stop_children(const pid_t *pids, int n)
{
    for (int i = 0; i < n; i++) {
        say("SIGINT -> PID %d\n", (int)pids[i]);
        if (kill(pids[i], SIGINT) == -1)
            perror("hello_signals: kill");
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        int status;
        pid_t pid;
        while ((pid = waitpid(pids[i], &status, 0)) == -1 && errno == EINTR)
            continue;
        if (pid == -1) {
            perror("hello_signals: waitpid");
            rc = -1;
            continue;
        }
        if (WIFSIGNALED(status))
            say("PID %d ended by signal %d\n", (int)pid, WTERMSIG(status));
        else
            say("PID %d exited with status %d\n", (int)pid, WEXITSTATUS(status));
    }
    return rc;
}

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
