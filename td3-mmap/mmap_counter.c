/*
 * mmap_counter.c: td3 skeleton. PROCS child processes each add 1 to a counter N
 * times; the counter and a process-shared semaphore that protects it live in FILE,
 * mapped MAP_SHARED by the parent before fork(), so every child and the parent see
 * the same bytes. The parent waits for every child, then prints the counter it reads
 * through its own mapping: PROCS x N when the mapping is shared and the increment is
 * protected. The contract is in README.md.
 *
 * Implement the functions below the "Functions you implement" line; the helpers
 * above it and main() are provided and must not change. `make check` runs the tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 64
#define MAX_N 10000000L
#define MAX_DELAY_US 1000000L

/* The layout of FILE: the counter first (a native int at offset 0), then its lock. */
struct shared {
    int counter;
    sem_t lock;
};

struct options {
    const char *file;
    int procs;
    long n;
    long delay_us;
};

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

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
    fprintf(stderr, "usage: mmap_counter FILE [-p PROCS] [-n N] [-d DELAY_US]\n");
}

/* FILE and the options of the contract; on error one line on stderr and -1. */
__attribute__((unused))
static int parse_options(int argc, char **argv, struct options *o)
{
    long v;
    int c;
    *o = (struct options){ NULL, 2, 100000, 0 };
    opterr = 0;
    while (optind < argc) {
        /* POSIX getopt() stops at the first operand: take FILE and go on. */
        if ((c = getopt(argc, argv, "p:n:d:")) == -1) {
            if (optind >= argc || o->file != NULL) {
                usage();
                return -1;
            }
            o->file = argv[optind++];
            continue;
        }
        long min = c == 'p', max = c == 'p' ? MAX_PROCS : c == 'n' ? MAX_N : MAX_DELAY_US;
        if (c == '?') {
            usage();
            return -1;
        }
        if (parse_long(optarg, min, max, &v) == -1) {
            fprintf(stderr, "mmap_counter: invalid -%c value '%s' (expected %ld..%ld)\n", c,
                    optarg, min, max);
            return -1;
        }
        if (c == 'p')
            o->procs = (int)v;
        else if (c == 'n')
            o->n = v;
        else
            o->delay_us = v;
    }
    if (o->file == NULL || o->file[0] == '\0') {
        usage();
        return -1;
    }
    return 0;
}

/* Sleep us microseconds, even if signals interrupt the sleep. */
__attribute__((unused))
static void sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        continue;
}

/* sem_wait(), restarted after EINTR; 0 on success, -1 on error. */
__attribute__((unused))
static int lock(sem_t *s)
{
    while (sem_wait(s) == -1)
        if (errno != EINTR)
            return -1;
    return 0;
}

/* ======================= Functions you implement ======================= */

/* Create or truncate FILE (mode 0644), size it to one struct shared, map it shared,
 * close the descriptor, then set the counter to 0 and initialise the lock as a
 * semaphore shared between processes, with value 1. Returns the mapping, or NULL
 * after one error line on stderr and nothing left open. */
static struct shared *map_counter(const char *file)
{
    (void)file;
    // TODO(student): open() O_RDWR | O_CREAT | O_TRUNC (0644), ftruncate() to
    // sizeof(struct shared), mmap() it PROT_READ | PROT_WRITE, MAP_SHARED, close() the
    // descriptor, set the counter to 0, sem_init(&s->lock, 1, 1).
    fprintf(stderr, "mmap_counter: map_counter is not implemented\n");
    return NULL;
}

/* A child's work: n times, under the lock, read the counter, sleep delay_us (the
 * "work" done inside the critical section), store the value read plus one.
 * Never returns: _exit(0), or _exit(1) if the lock fails. */
__attribute__((unused))
static void child_work(struct shared *s, long n, long delay_us)
{
    (void)s;
    (void)n;
    (void)delay_us;
    // TODO(student): n times: lock(&s->lock); v = s->counter; sleep_us(delay_us) if > 0;
    // s->counter = v + 1; sem_post(&s->lock). Then _exit(0).
    _exit(1);
}

/* Wait for the n children in pids[]; 0 if every one exited with status 0, else -1
 * after "mmap_counter: child PID ..." lines. */
__attribute__((unused))
static int reap_children(const pid_t *pids, int n)
{
    (void)pids;
    (void)n;
    // TODO(student): waitpid() each child (restart after EINTR); -1 if one did not exit 0.
    return -1;
}

/* Fork o->procs children running child_work(), then reap them all. On fork failure,
 * kill and reap the children already made. 0 on success, -1 after a message. */
static int run_children(struct shared *s, const struct options *o)
{
    (void)s;
    (void)o;
    // TODO(student): fork() o->procs children that run child_work(); on fork failure kill
    // and reap those already made; then return reap_children(...).
    return -1;
}

/* Destroy the semaphore, push the mapping to the file and release it. */
static int release_counter(struct shared *s)
{
    (void)s;
    // TODO(student): sem_destroy(), msync(), munmap() (length sizeof *s).
    return -1;
}

/* (DO NOT CHANGE) */
int main(int argc, char **argv)
{
    struct options o;
    if (parse_options(argc, argv, &o) == -1)
        return 2;
    struct shared *s = map_counter(o.file);
    if (s == NULL)
        return 1;
    fflush(stdout); /* nothing buffered may be duplicated by fork() */
    int rc = run_children(s, &o);
    if (rc == 0)
        printf("counter = %d (expected %ld)\n", s->counter, (long)o.procs * o.n);
    if (release_counter(s) == -1)
        rc = -1;
    return rc == -1 ? 1 : 0;
}
