/*
 * mmap_reader.c: td3 alternative (instructor only, alt/remap): the file is checked with
 * stat() on its name first and fstat() after open, mapped MAP_PRIVATE (read-only, so
 * the same bytes) with an madvise(MADV_SEQUENTIAL) hint. Maps FILE (an array of native ints, as mmap_writer
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
#include <stdint.h>

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

/* What fstat() says about FILE: regular, not empty, whole ints. The count, or 0 after
 * one error line. */
static size_t check_size(const char *file, const struct stat *st)
{
    const char *why = NULL;
    if (!S_ISREG(st->st_mode))
        why = "not a regular file";
    else if (st->st_size <= 0)
        why = "empty file";
    if (why) {
        fprintf(stderr, "mmap_reader: %s: %s\n", file, why);
        return 0;
    }
    if (st->st_size % 4) {
        fprintf(stderr, "mmap_reader: %s: size %ld is not a multiple of 4\n", file,
                (long)st->st_size);
        return 0;
    }
    return (size_t)(st->st_size / 4);
}

/* Open FILE read-only, fstat and check it, map it privately and read-only (nothing is
 * ever stored, so private and shared show the same bytes), close the descriptor. */
static const int *map_input(const char *file, size_t *count)
{
    int fd = open(file, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "mmap_reader: cannot open %s: %s\n", file, strerror(errno));
        return NULL;
    }
    struct stat st;
    const int *values = NULL;
    if (fstat(fd, &st) < 0) {
        fprintf(stderr, "mmap_reader: fstat %s: %s\n", file, strerror(errno));
    } else if ((*count = check_size(file, &st)) > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            fprintf(stderr, "mmap_reader: mmap %s: %s\n", file, strerror(errno));
        } else {
            (void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL); /* a hint only */
            values = m;
        }
    }
    close(fd);
    return values;
}

/* Release the mapping made by map_input(). */
static int unmap_input(const int *values, size_t count)
{
    if (munmap((void *)(uintptr_t)values, count * sizeof *values) < 0) {
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
