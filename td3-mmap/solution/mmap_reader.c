/*
 * mmap_reader.c: td3 reference. Maps FILE (an array of native ints, as mmap_writer
 * writes it: the count is the file size divided by sizeof(int)) read-only and prints
 * every value, one per line, without any read() on the file. Refuses, with one line on
 * stderr and status 1, a file that is missing, unreadable, not a regular file, empty,
 * or whose size is not a multiple of sizeof(int). The contract is in ../README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

static void usage(void)
{
    fprintf(stderr, "usage: mmap_reader FILE\n");
}

/* FILE, the only argument; on error the usage line on stderr and NULL. */
static const char *parse_args(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-' || argv[1][0] == '\0') {
        usage();
        return NULL;
    }
    return argv[1];
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

/* Check what fstat() says about FILE: a regular file, not empty, a whole number of
 * ints. Returns the number of ints, or 0 after one error line on stderr. */
static size_t check_size(const char *file, const struct stat *st)
{
    if (!S_ISREG(st->st_mode)) {
        fprintf(stderr, "mmap_reader: %s: not a regular file\n", file);
        return 0;
    }
    if (st->st_size == 0) {
        fprintf(stderr, "mmap_reader: %s: empty file\n", file);
        return 0;
    }
    if (st->st_size % (off_t)sizeof(int) != 0) {
        fprintf(stderr, "mmap_reader: %s: size %lld is not a multiple of %zu\n", file,
                (long long)st->st_size, sizeof(int));
        return 0;
    }
    return (size_t)st->st_size / sizeof(int);
}

/* Open FILE read-only, check it, map it shared and read-only, close the descriptor.
 * Returns the mapping and sets *count, or NULL after one error line and nothing
 * left open. */
static const int *map_input(const char *file, size_t *count)
{
    struct stat st;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        fprintf(stderr, "mmap_reader: cannot open %s: %s\n", file, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) == -1) {
        fprintf(stderr, "mmap_reader: fstat %s: %s\n", file, strerror(errno));
        close(fd);
        return NULL;
    }
    *count = check_size(file, &st);
    void *p = MAP_FAILED;
    if (*count > 0) {
        p = mmap(NULL, *count * sizeof(int), PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            fprintf(stderr, "mmap_reader: mmap %s: %s\n", file, strerror(errno));
    }
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

/* Release the mapping made by map_input(); 0 on success, -1 after a message. */
static int unmap_input(const int *values, size_t count)
{
    if (munmap((void *)values, count * sizeof(int)) == -1) {
        fprintf(stderr, "mmap_reader: munmap: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* (DO NOT CHANGE) */
int main(int argc, char **argv)
{
    const char *file = parse_args(argc, argv);
    if (file == NULL)
        return 2;
    size_t count = 0;
    const int *values = map_input(file, &count);
    if (values == NULL)
        return 1;
    int rc = print_values(values, count);
    if (rc == -1)
        fprintf(stderr, "mmap_reader: cannot write to stdout\n");
    if (unmap_input(values, count) == -1)
        rc = -1;
    return rc == -1 ? 1 : 0;
}
