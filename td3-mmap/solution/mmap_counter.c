/*
 * mmap_counter.c: td3 reference. PROCS child processes each add 1 to a counter N
 * times; the counter and a process-shared semaphore that protects it live in FILE,
 * mapped MAP_SHARED by the parent before fork(), so every child and the parent see
 * the same bytes. The parent waits for every child, then prints the counter it reads
 * through its own mapping: PROCS x N when the mapping is shared and the increment is
 * protected. The contract is in ../README.md.
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
    fprintf(stderr, "usage: mmap_counter FILE [-p PROCS] [-n N] [-d DELAY_US]\n");
}

/* FILE and the options of the contract; on error one line on stderr and -1. */
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
static void sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        continue;
}

/* sem_wait(), restarted after EINTR; 0 on success, -1 on error. */
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
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1) {
        fprintf(stderr, "mmap_counter: cannot open %s: %s\n", file, strerror(errno));
        return NULL;
    }
    if (ftruncate(fd, sizeof(struct shared)) == -1) {
        fprintf(stderr, "mmap_counter: ftruncate %s: %s\n", file, strerror(errno));
        close(fd);
        return NULL;
    }
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (s == MAP_FAILED) {
        fprintf(stderr, "mmap_counter: mmap %s: %s\n", file, strerror(errno));
        return NULL;
    }
    s->counter = 0;
    if (sem_init(&s->lock, 1, 1) == -1) {
        fprintf(stderr, "mmap_counter: sem_init: %s\n", strerror(errno));
        munmap(s, sizeof *s);
        return NULL;
    }
    return s;
}

/* A child's work: n times, under the lock, read the counter, sleep delay_us (the
 * "work" done inside the critical section), store the value read plus one.
 * Never returns: _exit(0), or _exit(1) if the lock fails. */
static void child_work(struct shared *s, long n, long delay_us)
{
    for (long i = 0; i < n; i++) {
        if (lock(&s->lock) == -1)
            _exit(1);
        int v = s->counter;
        if (delay_us > 0)
            sleep_us(delay_us);
        s->counter = v + 1;
        if (sem_post(&s->lock) == -1)
            _exit(1);
    }
    _exit(0);
}

/* Wait for the n children in pids[]; 0 if every one exited with status 0, else -1
 * after "mmap_counter: child PID ..." lines. */
static int reap_children(const pid_t *pids, int n)
{
    int rc = 0, status;
    for (int i = 0; i < n; i++) {
        while (waitpid(pids[i], &status, 0) == -1)
            if (errno != EINTR) {
                fprintf(stderr, "mmap_counter: waitpid: %s\n", strerror(errno));
                return -1;
            }
        if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "mmap_counter: child %d ended badly\n", (int)pids[i]);
            rc = -1;
        }
    }
    return rc;
}

/* Fork o->procs children running child_work(), then reap them all. On fork failure,
 * kill and reap the children already made. 0 on success, -1 after a message. */
static int run_children(struct shared *s, const struct options *o)
{
    pid_t pids[MAX_PROCS];
    for (int i = 0; i < o->procs; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            child_work(s, o->n, o->delay_us);
        if (pids[i] == -1) {
            fprintf(stderr, "mmap_counter: fork: %s\n", strerror(errno));
            for (int j = 0; j < i; j++)
                kill(pids[j], SIGKILL);
            reap_children(pids, i);
            return -1;
        }
    }
    return reap_children(pids, o->procs);
}

/* Destroy the semaphore, push the mapping to the file and release it. */
static int release_counter(struct shared *s)
{
    int rc = 0;
    if (sem_destroy(&s->lock) == -1 || msync(s, sizeof *s, MS_SYNC) == -1) {
        fprintf(stderr, "mmap_counter: sem_destroy/msync: %s\n", strerror(errno));
        rc = -1;
    }
    if (munmap(s, sizeof *s) == -1) {
        fprintf(stderr, "mmap_counter: munmap: %s\n", strerror(errno));
        rc = -1;
    }
    return rc;
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
