/*
 * mmap_writer.c: td3 skeleton. Creates (or truncates) FILE, sizes it to COUNT native
 * ints with ftruncate(), maps it MAP_SHARED, stores COUNT random values in 0..999
 * through the mapping (no write() on the file), prints them one per line, then
 * releases the mapping and the descriptor. The contract is in README.md.
 *
 * Implement the functions below the "Functions you implement" line; the helpers
 * above it and main() are provided and must not change. `make check` runs the tests.
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

#define MAX_COUNT 10000000L
#define MAX_VALUE 999

struct options {
    const char *file;
    long count;
    unsigned seed;
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
    fprintf(stderr, "usage: mmap_writer FILE [-n COUNT] [-s SEED]\n");
}

/* FILE and the options of the contract; on error one line on stderr and -1. */
__attribute__((unused))
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
__attribute__((unused))
static int print_values(const int *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (printf("%d\n", values[i]) < 0)
            return -1;
    return fflush(stdout) == EOF ? -1 : 0;
}

/* ======================= Functions you implement ======================= */

/* Create or truncate FILE (O_RDWR: a shared writable mapping needs read and write
 * access; mode 0644), give it the size of count ints with ftruncate(), map that many
 * bytes shared, readable and writable, and close the descriptor (the mapping keeps the
 * file). Returns the mapping, or NULL after one error line on stderr and nothing left
 * open. */
static int *map_file(const char *file, size_t count)
{
    (void)file;
    (void)count;
    // TODO(student): open() with O_RDWR | O_CREAT | O_TRUNC (mode 0644), ftruncate() to
    // count * sizeof(int) bytes, mmap() that length with PROT_READ | PROT_WRITE and
    // MAP_SHARED, then close() the descriptor. Every failure: one message (see README.md),
    // close what is open, return NULL.
    fprintf(stderr, "mmap_writer: map_file is not implemented\n");
    return NULL;
}

/* Store count values rand() % (MAX_VALUE + 1) into the mapping, in order. */
static void fill_values(int *values, size_t count)
{
    (void)values;
    (void)count;
    // TODO(student): values[i] = rand() % (MAX_VALUE + 1) for each i (srand is done in main).
}

/* Push the mapping of count ints to the file (msync) and release it (munmap);
 * 0 on success, -1 after one error line on stderr. */
static int unmap_file(int *values, size_t count, const char *file)
{
    (void)values;
    (void)count;
    (void)file;
    // TODO(student): msync(values, length, MS_SYNC) then munmap(values, length), where the
    // length is in bytes, the same as in map_file().
    return -1;
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
