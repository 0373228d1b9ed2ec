/*
 * shm_signal.c: td2 alternative (instructor only, alt/pselect): the reference's
 * contract with another design. Handlers with SA_SIGINFO that only count signals from
 * the expected peer; every wait (the interval included) is a pselect() with no
 * descriptor whose mask lets the expected signals in atomically, so SIGTERM cuts the
 * interval short; the child keeps SIGTERM handled and leaves with raise() after
 * restoring the default action. A parent and its child share one int through a
 * System V shared memory segment. For each value the parent writes a random number
 * in 0..100 into the segment and sends SIGUSR1; the child reads it, prints it and
 * acknowledges with SIGUSR2, so no value is lost (standard signals do not queue).
 * The contract (options, output lines, exit codes) is in ../README.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sys/select.h>

struct options {
    long count;
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

/* printf-like line on stdout with one write(): lines of the two processes never mix,
 * and nothing stays in a stdio buffer when a process is killed. Not for handlers. */
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
    fprintf(stderr, "usage: shm_signal [-n COUNT] [-i INTERVAL_MS] [-s SEED]\n");
}

/* Options of the contract; on error one line on stderr and -1. */
static int parse_options(int argc, char **argv, struct options *o)
{
    long v;
    int c;
    *o = (struct options){ 5, 1000, (unsigned)time(NULL) ^ (unsigned)getpid() };
    opterr = 0;
    while ((c = getopt(argc, argv, "n:i:s:")) != -1) {
        long max = c == 's' ? 4294967295L : c == 'n' ? 10000000 : 1000000;
        if (c == '?') {
            usage();
            return -1;
        }
        if (parse_long(optarg, c == 'n', max, &v) == -1) {
            fprintf(stderr, "shm_signal: invalid -%c value '%s' (expected %d..%ld)\n", c,
                    optarg, c == 'n', max);
            return -1;
        }
        if (c == 'n') o->count = v;
        if (c == 'i') o->interval_ms = v;
        if (c == 's') o->seed = (unsigned)v;
    }
    if (optind != argc) {
        usage();
        return -1;
    }
    return 0;
}

/* Set by the handlers, read by the main flow (volatile sig_atomic_t: the only type a
 * handler may safely write). */
static volatile sig_atomic_t got_value, got_ack, child_gone, stop_requested;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        got_value = 1;
    else if (sig == SIGUSR2)
        got_ack = 1;
    else if (sig == SIGCHLD)
        child_gone = 1;
    else
        stop_requested = 1;
}

/* ======================= Functions you implement ======================= */

/* The pid whose SIGUSR1/SIGUSR2 count (the parent for the child, the child for the
 * parent); 0: anyone (before fork). */
static volatile pid_t peer;

/* SA_SIGINFO front of the provided handler: a SIGUSR1/SIGUSR2 from a process other
 * than the peer (a stray kill) is ignored; everything else is passed on. */
static void on_signal_info(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    if ((sig == SIGUSR1 || sig == SIGUSR2) && peer != 0 && si->si_code == SI_USER &&
        si->si_pid != peer)
        return;
    on_signal(sig);
}

/* Create the segment, attach it and mark it for removal at once. */
static int *create_shared_int(void)
{
    int id = shmget(IPC_PRIVATE, sizeof(int), IPC_CREAT | IPC_EXCL | 0600);
    if (id < 0) {
        perror("shm_signal: shmget");
        return NULL;
    }
    int *p = shmat(id, NULL, 0);
    int e = errno;
    if (shmctl(id, IPC_RMID, NULL) < 0 && p != (void *)-1) {
        perror("shm_signal: shmctl");
        shmdt(p);
        return NULL;
    }
    if (p == (void *)-1) {
        errno = e;
        perror("shm_signal: shmat");
        return NULL;
    }
    return p;
}

/* Handlers for the five signals; all five blocked (they are let in only by the
 * pselect() masks below). Called before fork(). */
static int install_handlers(void)
{
    struct sigaction sa;
    sigset_t all;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal_info;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&all);
    int sigs[] = { SIGUSR1, SIGUSR2, SIGCHLD, SIGINT, SIGTERM };
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        sigaddset(&all, sigs[i]);
        sigaddset(&sa.sa_mask, sigs[i]);
    }
    if (sigprocmask(SIG_BLOCK, &all, NULL) == -1)
        return -1;
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        if (sigaction(sigs[i], &sa, NULL) == -1)
            return -1;
    return 0;
}

/* pselect() with no descriptor: sleep until a signal of `let` is handled, or until
 * the timeout (NULL: none). The mask swap is atomic: a signal pending before the call
 * is handled at once. Returns 1 if the timeout expired. */
static int sleep_with(const sigset_t *let, const struct timespec *timeout)
{
    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    for (int s = 1; s < NSIG; s++)
        if (sigismember(let, s) == 1)
            sigdelset(&mask, s);
    return pselect(0, NULL, NULL, NULL, timeout, &mask) == 0;
}

/* Wait until *flag is set, or the child ended, or a stop was requested. */
static void wait_for(int sig, volatile sig_atomic_t *flag)
{
    sigset_t let;
    sigemptyset(&let);
    sigaddset(&let, sig);
    sigaddset(&let, SIGCHLD);
    sigaddset(&let, SIGINT);
    sigaddset(&let, SIGTERM);
    while (!*flag && !child_gone && !stop_requested)
        sleep_with(&let, NULL);
}

/* The interval: ms milliseconds on the monotonic clock, cut short by a stop request or
 * the child's end (SIGINT, SIGTERM, SIGCHLD are let in while sleeping). */
static void interval(long ms)
{
    struct timespec end, now, left;
    sigset_t let;
    sigemptyset(&let);
    sigaddset(&let, SIGCHLD);
    sigaddset(&let, SIGINT);
    sigaddset(&let, SIGTERM);
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += ms / 1000;
    end.tv_nsec += (ms % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    while (!stop_requested && !child_gone) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        left.tv_sec = end.tv_sec - now.tv_sec;
        left.tv_nsec = end.tv_nsec - now.tv_nsec;
        if (left.tv_nsec < 0) {
            left.tv_sec--;
            left.tv_nsec += 1000000000L;
        }
        if (left.tv_sec < 0 || sleep_with(&let, &left))
            return;
    }
}

/* The child: SIGUSR1 -> read, print, SIGUSR2 to the parent. A SIGTERM/SIGINT is
 * handled like in the parent (flag); the child then restores the default action and
 * raises it on itself, so that it still ends "by signal 15". Never returns. */
static void child_loop(const int *slot)
{
    peer = getppid();
    for (;;) {
        wait_for(SIGUSR1, &got_value);
        if (stop_requested) {
            int sig = SIGTERM;
            sigset_t pending;
            if (sigpending(&pending) == 0 && sigismember(&pending, SIGINT) == 1)
                sig = SIGINT;
            signal(SIGTERM, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            sigset_t both;
            sigemptyset(&both);
            sigaddset(&both, SIGTERM);
            sigaddset(&both, SIGINT);
            sigprocmask(SIG_UNBLOCK, &both, NULL);
            raise(sig);
            _exit(1); /* not reached */
        }
        got_value = 0;
        say("Child %d read %d\n", (int)getpid(), *slot);
        kill(getppid(), SIGUSR2);
    }
}

/* The parent: COUNT values, each acknowledged by the child before the next. */
static int parent_loop(int *slot, pid_t child, const struct options *o)
{
    (void)sleep_ms; /* interval() replaces it: a stop request cuts the sleep short */
    peer = child;
    for (long i = 0; i < o->count; i++) {
        interval(o->interval_ms);
        if (stop_requested || child_gone)
            return -1;
        int v = rand() % 101;
        got_ack = 0;
        *slot = v;
        say("Parent wrote %d\n", v);
        if (kill(child, SIGUSR1) == -1)
            return -1;
        wait_for(SIGUSR2, &got_ack);
        if (!got_ack)
            return -1;
    }
    return 0;
}

/* Detach (the segment was marked for removal when it was made). */
static void release_shared_int(int *slot)
{
    if (shmdt(slot) == -1)
        perror("shm_signal: shmdt");
}

/* SIGTERM to the child, reap it, say how it ended. */
static void stop_child(pid_t child)
{
    int status;
    pid_t r;
    kill(child, SIGTERM);
    do
        r = waitpid(child, &status, 0);
    while (r == -1 && errno == EINTR);
    if (r == -1) {
        perror("shm_signal: waitpid");
        return;
    }
    if (WIFEXITED(status))
        say("Child %d exited with status %d\n", (int)child, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        say("Child %d ended by signal %d\n", (int)child, WTERMSIG(status));
}

/* (DO NOT CHANGE) */
int main(int argc, char **argv)
{
    struct options o;
    if (parse_options(argc, argv, &o) == -1)
        return 2;
    srand(o.seed);
    int *slot = create_shared_int();
    if (!slot)
        return 1;
    if (install_handlers() == -1) {
        perror("shm_signal: sigaction");
        release_shared_int(slot);
        return 1;
    }
    pid_t child = fork();
    if (child == -1) {
        perror("shm_signal: fork");
        release_shared_int(slot);
        return 1;
    }
    if (child == 0)
        child_loop(slot);
    int rc = parent_loop(slot, child, &o);
    if (rc == -1)
        fprintf(stderr, "shm_signal: %s\n", stop_requested ? "interrupted"
                                                             : "the child ended unexpectedly");
    stop_child(child);
    release_shared_int(slot);
    return rc == -1 ? 1 : 0;
}
