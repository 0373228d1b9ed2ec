/*
 * shm_signal.c: td2 skeleton. A parent and its child share one int through a
 * System V shared memory segment. For each value the parent writes a random number
 * in 0..100 into the segment and sends SIGUSR1; the child reads it, prints it and
 * acknowledges with SIGUSR2, so no value is lost (standard signals do not queue).
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

/* printf-like line on stdout with one write(): lines of the two processes never mix,
 * and nothing stays in a stdio buffer when a process is killed. Not for handlers. */
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

__attribute__((unused))
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

/* Create a private System V segment holding one int (shmget with IPC_PRIVATE) and
 * attach it (shmat). On error print "shm_signal: shmget: <reason>" (or shmat) and
 * return NULL. The segment must be removed (shmctl IPC_RMID) on EVERY exit path:
 * README, "Removing the segment", shows a way that needs no clean-up code at all. */
static int *create_shared_int(void)
{
    // TODO(student): shmget, shmat, and plan the removal.
    fprintf(stderr, "shm_signal: create_shared_int is not implemented\n");
    return NULL;
}

/* Install on_signal for SIGUSR1, SIGUSR2, SIGCHLD, SIGINT and SIGTERM with sigaction(),
 * and block SIGUSR1, SIGUSR2 and SIGCHLD (sigprocmask) so that they are delivered only
 * inside sigsuspend(). Called before fork(). 0 on success, -1 on error. */
static int install_handlers(void)
{
    // TODO(student): one struct sigaction, five sigaction() calls, one sigprocmask().
    errno = ENOSYS;
    return -1;
}

/* Wait until *flag is set (by on_signal), or the child ended (child_gone), or a stop
 * was requested (stop_requested). Sleep with sigsuspend() on the current mask minus
 * sig and SIGCHLD: never "check the flag, then pause()". */
__attribute__((unused))
static void wait_for(int sig, volatile sig_atomic_t *flag)
{
    (void)sig;
    (void)flag;
    // TODO(student): sigprocmask(SIG_BLOCK, NULL, &mask) reads the current mask.
}

/* The child: forever, wait for SIGUSR1, read the value from the segment, print
 * "Child <pid> read <value>" with say(), acknowledge with SIGUSR2 to the parent.
 * Restore the default action of SIGTERM and SIGINT first: SIGTERM ends the child.
 * Never returns. */
static void child_loop(const int *slot)
{
    (void)slot;
    // TODO(student): signal(SIGTERM, SIG_DFL), then loop: wait_for(SIGUSR1, ...), read, say, kill.
    _exit(1);
}

/* The parent: count times, sleep the interval, draw v = rand() % 101, store it in the
 * segment, print "Parent wrote <v>", send SIGUSR1 to the child and wait for its
 * acknowledgement. Return 0, or -1 if a stop was requested or the child ended. */
static int parent_loop(int *slot, pid_t child, const struct options *o)
{
    (void)slot;
    (void)child;
    (void)o;
    // TODO(student): reset got_ack before kill(), then wait_for(SIGUSR2, &got_ack).
    return -1;
}

/* Detach the segment (shmdt), and remove it if that is not done yet. */
static void release_shared_int(int *slot)
{
    (void)slot;
    // TODO(student): shmdt (and shmctl IPC_RMID if your design removes it here).
}

/* Send SIGTERM to the child, reap it with waitpid() (restart after EINTR) and print
 * "Child <pid> ended by signal <n>" (or "Child <pid> exited with status <n>"). */
static void stop_child(pid_t child)
{
    (void)child;
    // TODO(student): kill, waitpid, WIFSIGNALED/WTERMSIG, say.
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
