/*
 * hello_signals.c: td1 alternative (instructor only, alt/signalfd). The reference's
 * contract with another design: SIGUSR1 is blocked before fork and each child reads it
 * from a signalfd; the parent's ticks come from a periodic timerfd; the children are
 * reaped with waitid(P_ALL) in the order they end.
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
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

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

/* Not used: SIGUSR1 is read from a signalfd, never delivered to a handler. */
static void on_sigusr1(int sig)
{
    (void)sig;
}

/* Block SIGUSR1 before fork (children inherit the mask): a signal sent before a child
 * reads its signalfd stays pending, and is then read from it. */
static int install_handler(void)
{
    sigset_t set;
    (void)on_sigusr1;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    return sigprocmask(SIG_BLOCK, &set, NULL);
}

/* The child: one greeting per SIGUSR1 read from a signalfd; SIGINT (default action,
 * not blocked) ends it. Never returns. */
static void child_loop(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    int fd = signalfd(-1, &set, SFD_CLOEXEC);
    if (fd == -1)
        _exit(1);
    for (;;) {
        struct signalfd_siginfo si;
        ssize_t n = read(fd, &si, sizeof si);
        if (n == (ssize_t)sizeof si && si.ssi_signo == SIGUSR1)
            sio_pid_line("Hello from PID ", getpid());
        else if (n == -1 && errno != EINTR)
            _exit(1);
    }
}

/* Fork the children; on failure SIGKILL and reap the ones made. */
static int fork_children(pid_t *pids, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] == -1)
            break;
        if (pids[i] == 0)
            child_loop();
        say("Child %d has PID %d\n", i + 1, (int)pids[i]);
    }
    if (i == n)
        return 0;
    perror("hello_signals: fork");
    for (int j = 0; j < i; j++)
        kill(pids[j], SIGKILL);
    for (int j = 0; j < i; j++) {
        siginfo_t info;
        while (waitid(P_PID, (id_t)pids[j], &info, WEXITED) == -1 && errno == EINTR)
            continue;
    }
    return -1;
}

/* A periodic timer of ms milliseconds (-1 if ms is 0: no wait at all, or on error). */
static int tick_timer(long ms)
{
    if (ms == 0)
        return -1;
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    if (fd == -1)
        return -1;
    struct itimerspec its;
    its.it_value.tv_sec = its.it_interval.tv_sec = ms / 1000;
    its.it_value.tv_nsec = its.it_interval.tv_nsec = (ms % 1000) * 1000000L;
    if (timerfd_settime(fd, 0, &its, NULL) == -1) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Wait for the next expiry of the timer (or sleep ms if it could not be made). */
static void next_tick(int tfd, long ms)
{
    uint64_t expired;
    if (tfd == -1) {
        sleep_ms(ms);
        return;
    }
    while (read(tfd, &expired, sizeof expired) == -1 && errno == EINTR)
        continue;
}

/* TICKS times: wait one period, SIGUSR1 to a child drawn with rand() % CHILDREN; then
 * one more period for the last greeting. */
static void tick(const pid_t *pids, const struct options *o)
{
    int tfd = tick_timer(o->interval_ms);
    for (long t = 1; t <= o->ticks; t++) {
        next_tick(tfd, o->interval_ms);
        int k = rand() % o->children;
        say("Tick %ld: SIGUSR1 -> PID %d\n", t, (int)pids[k]);
        if (kill(pids[k], SIGUSR1) == -1)
            perror("hello_signals: kill");
    }
    next_tick(tfd, o->interval_ms);
    if (tfd != -1)
        close(tfd);
}

/* SIGINT to each child in order, then reap them with waitid(P_ALL) as they end. */
static int stop_children(const pid_t *pids, int n)
{
    for (int i = 0; i < n; i++) {
        say("SIGINT -> PID %d\n", (int)pids[i]);
        if (kill(pids[i], SIGINT) == -1)
            perror("hello_signals: kill");
    }
    for (int left = n; left > 0; left--) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        while (waitid(P_ALL, 0, &info, WEXITED) == -1) {
            if (errno != EINTR) {
                perror("hello_signals: waitpid");
                return -1;
            }
        }
        if (info.si_code == CLD_EXITED)
            say("PID %d exited with status %d\n", (int)info.si_pid, info.si_status);
        else
            say("PID %d ended by signal %d\n", (int)info.si_pid, info.si_status);
    }
    return 0;
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
