/*
 * shm_signal.c: td2 alternative (instructor only, alt/sigwait): the reference's
 * contract with another design. Every signal of the protocol stays blocked and is taken
 * synchronously with sigwaitinfo()/sigtimedwait() (the handlers never run); the interval
 * sleep is a sigtimedwait() that a stop request cuts short; the segment is removed at
 * the end (IPC_RMID on every exit path) rather than right after shmat.
 * A parent and its child share one int through a System V shared memory segment. For each value the parent writes a random number
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

/* The segment's id, for release_shared_int(): this design removes it at the end. */
static int shm_id = -1;

/* Create a private segment holding one int and attach it; NULL on error (nothing left:
 * a segment that could not be attached is removed at once). */
static int *create_shared_int(void)
{
    shm_id = shmget(IPC_PRIVATE, sizeof(int), IPC_CREAT | 0600);
    if (shm_id == -1) {
        perror("shm_signal: shmget");
        return NULL;
    }
    void *p = shmat(shm_id, NULL, 0);
    if (p == (void *)-1) {
        perror("shm_signal: shmat");
        shmctl(shm_id, IPC_RMID, NULL);
        return NULL;
    }
    return p;
}

/* The signals of this program, all blocked for its whole life (before fork, so the
 * child inherits the mask): each is taken with sigwaitinfo() when the flow is ready. */
static void protocol_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGUSR2);
    sigaddset(set, SIGCHLD);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

/* Block the five signals; the provided handler is installed as well, so that none of
 * them has its default action even if it were ever unblocked. Called before fork(). */
static int install_handlers(void)
{
    struct sigaction sa;
    sigset_t set;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask);
    protocol_set(&set);
    if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
        return -1;
    int sigs[] = { SIGUSR1, SIGUSR2, SIGCHLD, SIGINT, SIGTERM };
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        if (sigaction(sigs[i], &sa, NULL) == -1)
            return -1;
    return 0;
}

/* Record a signal taken synchronously in the flag its handler would have set. */
static void note(int sig)
{
    if (sig == SIGUSR1)
        got_value = 1;
    else if (sig == SIGUSR2)
        got_ack = 1;
    else if (sig == SIGCHLD)
        child_gone = 1;
    else if (sig == SIGINT || sig == SIGTERM)
        stop_requested = 1;
}

/* Wait until *flag is set or a stop/child-end arrives, taking sig, SIGCHLD, SIGINT and
 * SIGTERM with sigwaitinfo(): a signal that came early is pending and returned at once,
 * so there is no window to lose a wake-up in. */
static void wait_for(int sig, volatile sig_atomic_t *flag)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    while (!*flag && !child_gone && !stop_requested) {
        int got = sigwaitinfo(&set, NULL);
        if (got > 0)
            note(got);
    }
}

/* Sleep ms milliseconds unless SIGINT/SIGTERM/SIGCHLD comes first (sigtimedwait on an
 * absolute CLOCK_MONOTONIC deadline, so that EINTR never shortens the interval). */
static void pause_ms(long ms)
{
    struct timespec now, end, left;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
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
        if (left.tv_sec < 0)
            return;
        int got = sigtimedwait(&set, NULL, &left);
        if (got > 0)
            note(got);
        else if (errno == EAGAIN)
            return;
    }
}

/* The child: for each SIGUSR1, read the value, print it, acknowledge. SIGTERM and
 * SIGINT get their default action back and are unblocked: one that the parent sent
 * early is pending and ends the child right here. Never returns. */
static void child_loop(const int *slot)
{
    sigset_t stops;
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    sigprocmask(SIG_UNBLOCK, &stops, NULL);
    sigset_t value;
    sigemptyset(&value);
    sigaddset(&value, SIGUSR1);
    for (;;) {
        if (sigwaitinfo(&value, NULL) != SIGUSR1)
            continue;
        say("Child %d read %d\n", (int)getpid(), *slot);
        kill(getppid(), SIGUSR2);
    }
}

/* The parent: write count values, each acknowledged before the next. 0 on success,
 * -1 if the child ended early or a stop was requested. */
static int parent_loop(int *slot, pid_t child, const struct options *o)
{
    (void)sleep_ms; /* pause_ms() replaces it: the sleep ends on a stop request */
    for (long i = 0; i < o->count; i++) {
        pause_ms(o->interval_ms);
        if (stop_requested || child_gone)
            return -1;
        int v = rand() % 101;
        *slot = v;
        say("Parent wrote %d\n", v);
        got_ack = 0;
        if (kill(child, SIGUSR1) == -1)
            return -1;
        wait_for(SIGUSR2, &got_ack);
        if (!got_ack)
            return -1;
    }
    return 0;
}

/* Detach the segment and remove it: main() reaches this on every path. */
static void release_shared_int(int *slot)
{
    if (shmdt(slot) == -1)
        perror("shm_signal: shmdt");
    if (shm_id != -1 && shmctl(shm_id, IPC_RMID, NULL) == -1)
        perror("shm_signal: shmctl");
}

/* End the child with SIGTERM, reap it and report how it ended. */
static void stop_child(pid_t child)
{
    int status;
    pid_t r;
    kill(child, SIGTERM);
    while ((r = waitpid(child, &status, 0)) == -1 && errno == EINTR)
        continue;
    if (r == -1) {
        perror("shm_signal: waitpid");
        return;
    }
    if (WIFSIGNALED(status))
        say("Child %d ended by signal %d\n", (int)child, WTERMSIG(status));
    else
        say("Child %d exited with status %d\n", (int)child, WEXITSTATUS(status));
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
