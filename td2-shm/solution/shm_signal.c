/*
 * shm_signal.c: td2 reference. A parent and its child share one int through a
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

/* Create a private segment holding one int and attach it; NULL on error. The segment
 * is marked for removal at once (IPC_RMID): it lives while attached, and the kernel
 * frees it whatever way both processes end, even by SIGKILL. */
static int *create_shared_int(void)
{
    int id = shmget(IPC_PRIVATE, sizeof(int), IPC_CREAT | 0600);
    if (id == -1) {
        perror("shm_signal: shmget");
        return NULL;
    }
    void *p = shmat(id, NULL, 0);
    if (p == (void *)-1) {
        perror("shm_signal: shmat");
        shmctl(id, IPC_RMID, NULL);
        return NULL;
    }
    shmctl(id, IPC_RMID, NULL);
    return p;
}

/* Handlers for SIGUSR1/SIGUSR2/SIGCHLD/SIGINT/SIGTERM, with SIGUSR1, SIGUSR2 and
 * SIGCHLD blocked: they are only delivered inside sigsuspend(), so a signal that
 * arrives early stays pending instead of being lost. Called before fork(). */
static int install_handlers(void)
{
    struct sigaction sa;
    sigset_t block;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    int sigs[] = { SIGUSR1, SIGUSR2, SIGCHLD, SIGINT, SIGTERM };
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        if (sigaction(sigs[i], &sa, NULL) == -1)
            return -1;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGCHLD);
    return sigprocmask(SIG_BLOCK, &block, NULL);
}

/* Wait, atomically unblocking sig, until *flag is set or a stop/child-end arrives. */
static void wait_for(int sig, volatile sig_atomic_t *flag)
{
    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    sigdelset(&mask, sig);
    sigdelset(&mask, SIGCHLD);
    while (!*flag && !child_gone && !stop_requested)
        sigsuspend(&mask);
}

/* The child: for each SIGUSR1, read the value, print it, acknowledge. SIGTERM (default
 * action, restored here) ends it. Never returns. */
static void child_loop(const int *slot)
{
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    for (;;) {
        wait_for(SIGUSR1, &got_value);
        if (stop_requested) /* SIGTERM came before SIG_DFL was restored */
            _exit(0);
        got_value = 0;
        say("Child %d read %d\n", (int)getpid(), *slot);
        kill(getppid(), SIGUSR2);
    }
}

/* The parent: write count values, each acknowledged before the next. 0 on success,
 * -1 if the child ended early or a stop was requested. */
static int parent_loop(int *slot, pid_t child, const struct options *o)
{
    for (long i = 0; i < o->count; i++) {
        sleep_ms(o->interval_ms);
        if (stop_requested)
            return -1;
        int v = rand() % 101;
        *slot = v;
        got_ack = 0;
        say("Parent wrote %d\n", v);
        if (kill(child, SIGUSR1) == -1)
            return -1;
        wait_for(SIGUSR2, &got_ack);
        if (!got_ack)
            return -1;
    }
    return 0;
}

/* Detach the segment (it was marked for removal in create_shared_int). */
static void release_shared_int(int *slot)
{
    if (shmdt(slot) == -1)
        perror("shm_signal: shmdt");
}

/* End the child with SIGTERM, reap it and report how it ended. */
static void stop_child(pid_t child)
{
    int status;
    kill(child, SIGTERM);
    while (waitpid(child, &status, 0) == -1)
        if (errno != EINTR)
            return;
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
