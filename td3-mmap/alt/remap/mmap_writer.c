/*
 * mmap_writer.c: td3 alternative (instructor only, alt/remap): the mapping covers whole
 * pages (the length rounded up to the page size), is filled through a moving pointer,
 * and is pushed with msync(MS_ASYNC) then MS_SYNC. Creates (or truncates) FILE, sizes it to COUNT native
 * ints with ftruncate(), maps it MAP_SHARED, stores COUNT random values in 0..999
 * through the mapping (no write() on the file), prints them one per line, then
 * releases the mapping and the descriptor. The contract is in ../README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>

#define MAX_COUNT 10000000L
#define MAX_VALUE 999

struct options {
    const char *file;
    long count;
    unsigned seed;
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
    fprintf(stderr, "usage: mmap_writer FILE [-n COUNT] [-s SEED]\n");
}

/* FILE and the options of the contract; on error one line on stderr and -1. */
static int parse_options(int argc, char **argv, struct options *o)
{
    long v;
    int c;
    *o = (struct options){ NULL, 5, (unsigned)time(NULL) ^ (unsigned)getpid() };
    opterr = 0;
    while (optind < argc) {
        /* POSIX getopt() stops at the first operand: take FILE and go on. */
        if ((c = getopt(argc, argv, "n:s:")) == -1) {
            if (optind >= argc || o->file != NULL) {
                usage();
                return -1;
            }
            o->file = argv[optind++];
            continue;
        }
        long min = c == 'n' ? 1 : 0, max = c == 'n' ? MAX_COUNT : 4294967295L;
        if (c == '?') {
            usage();
            return -1;
        }
        if (parse_long(optarg, min, max, &v) == -1) {
            fprintf(stderr, "mmap_writer: invalid -%c value '%s' (expected %ld..%ld)\n", c,
                    optarg, min, max);
            return -1;
        }
        if (c == 'n')
            o->count = v;
        else
            o->seed = (unsigned)v;
    }
    if (o->file == NULL || o->file[0] == '\0') {
        usage();
        return -1;
    }
    return 0;
}

/* Print the values one per line ("%d\n"); 0 on success, -1 if stdout failed. */
static int print_values(const int *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (printf("%d\n", values[i]) < 0)
            return -1;
    return fflush(stdout) == EOF ? -1 : 0;
}

/* ======================= Functions you implement ======================= */

/* The mapping's length: the file's bytes rounded up to whole pages (the kernel maps
 * whole pages anyway; the tail past the end of the file is never touched). */
static size_t map_len(size_t count)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return (count * sizeof(int) + page - 1) / page * page;
}

/* Create or truncate FILE read-write (a shared writable mapping needs both), size it
 * with ftruncate() before any store, map it shared, close the descriptor. */
static int *map_file(const char *file, size_t count)
{
    int fd = open(file, O_CREAT | O_TRUNC | O_RDWR, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
    if (fd < 0) {
        fprintf(stderr, "mmap_writer: cannot open %s: %s\n", file, strerror(errno));
        return NULL;
    }
    int *p = NULL;
    if (ftruncate(fd, (off_t)(count * sizeof(int))) < 0) {
        fprintf(stderr, "mmap_writer: ftruncate %s: %s\n", file, strerror(errno));
    } else {
        void *m = mmap(NULL, map_len(count), PROT_WRITE | PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
            fprintf(stderr, "mmap_writer: mmap %s: %s\n", file, strerror(errno));
        else
            p = m;
    }
    if (close(fd) < 0 && p != NULL) {
        fprintf(stderr, "mmap_writer: close %s: %s\n", file, strerror(errno));
        munmap(p, map_len(count));
        p = NULL;
    }
    return p;
}

/* Store the values in file order through a moving pointer. */
static void fill_values(int *values, size_t count)
{
    for (int *end = values + count; values < end; values++)
        *values = rand() % (MAX_VALUE + 1);
}

/* Start the write-back of every page (MS_ASYNC), then wait for it (MS_SYNC), then
 * release the mapping. */
static int unmap_file(int *values, size_t count, const char *file)
{
    size_t len = map_len(count);
    int rc = 0;
    if (msync(values, len, MS_ASYNC) < 0 || msync(values, len, MS_SYNC) < 0) {
        fprintf(stderr, "mmap_writer: msync %s: %s\n", file, strerror(errno));
        rc = -1;
    }
    if (munmap(values, len) < 0) {
        fprintf(stderr, "mmap_writer: munmap %s: %s\n", file, strerror(errno));
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
    size_t count = (size_t)o.count;
    int *values = map_file(o.file, count);
    if (values == NULL)
        return 1;
    srand(o.seed);
    fill_values(values, count);
    int rc = print_values(values, count);
    if (rc == -1)
        fprintf(stderr, "mmap_writer: cannot write to stdout\n");
    if (unmap_file(values, count, o.file) == -1)
        rc = -1;
    return rc == -1 ? 1 : 0;
}
