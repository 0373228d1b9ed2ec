/*
 * mmap_counter.c: td3 alternative (instructor only, alt/remap): the parent maps FILE and
 * initialises the semaphore before fork(); each child then opens FILE by name and maps
 * it again (its own MAP_SHARED mapping of the same pages) and unmaps the inherited one;
 * the parent reaps with wait() in whatever order the children end. PROCS child processes each add 1 to a counter N
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

/* The parent's mapping of FILE, sized and initialised (counter 0, lock pshared, 1). */
static struct shared *map_counter(const char *file)
{
    int fd = open(file, O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (fd < 0) {
        fprintf(stderr, "mmap_counter: cannot open %s: %s\n", file, strerror(errno));
        return NULL;
    }
    struct shared *s = NULL;
    if (ftruncate(fd, (off_t)sizeof *s) < 0) {
        fprintf(stderr, "mmap_counter: ftruncate %s: %s\n", file, strerror(errno));
        close(fd);
        return NULL;
    }
    void *m = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        fprintf(stderr, "mmap_counter: mmap %s: %s\n", file, strerror(errno));
        return NULL;
    }
    s = m;
    s->counter = 0;
    if (sem_init(&s->lock, 1, 1) < 0) {
        fprintf(stderr, "mmap_counter: sem_init: %s\n", strerror(errno));
        munmap(s, sizeof *s);
        return NULL;
    }
    return s;
}

/* The file's name, for the children, which map it themselves. */
static const char *counter_file;

/* A child: map FILE again (a MAP_SHARED mapping of the same file shares the same pages,
 * semaphore included), drop the inherited mapping, then n locked increments. */
static void child_work(struct shared *inherited, long n, long delay_us)
{
    int fd = open(counter_file, O_RDWR);
    if (fd < 0)
        _exit(1);
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (s == MAP_FAILED)
        _exit(1);
    munmap(inherited, sizeof *inherited);
    for (long i = 0; i < n; i++) {
        if (lock(&s->lock) < 0)
            _exit(1);
        int v = s->counter;
        if (delay_us)
            sleep_us(delay_us);
        s->counter = v + 1;
        if (sem_post(&s->lock) < 0)
            _exit(1);
    }
    _exit(0);
}

/* Reap n children in the order they end (wait()); 0 if each exited with status 0. */
static int reap_children(const pid_t *pids, int n)
{
    (void)pids;
    int rc = 0;
    for (int left = n; left > 0; left--) {
        int status;
        pid_t pid;
        while ((pid = wait(&status)) < 0 && errno == EINTR)
            continue;
        if (pid < 0) {
            fprintf(stderr, "mmap_counter: waitpid: %s\n", strerror(errno));
            return -1;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "mmap_counter: child %d ended badly\n", (int)pid);
            rc = -1;
        }
    }
    return rc;
}

/* Fork the children; on a fork failure kill and reap the ones already made. */
static int run_children(struct shared *s, const struct options *o)
{
    pid_t pids[MAX_PROCS];
    counter_file = o->file;
    for (int i = 0; i < o->procs; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "mmap_counter: fork: %s\n", strerror(errno));
            for (int j = 0; j < i; j++)
                kill(pids[j], SIGKILL);
            reap_children(pids, i);
            return -1;
        }
        if (pid == 0)
            child_work(s, o->n, o->delay_us);
        pids[i] = pid;
    }
    return reap_children(pids, o->procs);
}

/* Destroy the lock, write the page back, unmap. */
static int release_counter(struct shared *s)
{
    int rc = 0;
    if (sem_destroy(&s->lock) < 0) {
        fprintf(stderr, "mmap_counter: sem_destroy: %s\n", strerror(errno));
        rc = -1;
    }
    if (msync(s, sizeof *s, MS_SYNC) < 0) {
        fprintf(stderr, "mmap_counter: msync: %s\n", strerror(errno));
        rc = -1;
    }
    if (munmap(s, sizeof *s) < 0) {
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
