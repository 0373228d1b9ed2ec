/*
 * mmap_reader.c: td3 skeleton. Maps FILE (an array of native ints, as mmap_writer
 * writes it: the count is the file size divided by sizeof(int)) read-only and prints
 * every value, one per line, without any read() on the file. Refuses, with one line on
 * stderr and status 1, a file that is missing, unreadable, not a regular file, empty,
 * or whose size is not a multiple of sizeof(int). The contract is in README.md.
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
#include <unistd.h>

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

__attribute__((unused))
static void usage(void)
{
    fprintf(stderr, "usage: mmap_reader FILE\n");
}

/* FILE, the only argument; on error the usage line on stderr and NULL. */
__attribute__((unused))
static const char *parse_args(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-' || argv[1][0] == '\0') {
        usage();
        return NULL;
    }
    return argv[1];
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

/* Check what fstat() says about FILE: a regular file, not empty, a whole number of
 * ints. Returns the number of ints, or 0 after one error line on stderr. */
__attribute__((unused))
static size_t check_size(const char *file, const struct stat *st)
{
    (void)file;
    (void)st;
    // TODO(student): S_ISREG(st->st_mode), st->st_size != 0, st->st_size % sizeof(int) == 0,
    // each with its own message (README.md); return the number of ints.
    return 0;
}

/* Open FILE read-only, check it, map it shared and read-only, close the descriptor.
 * Returns the mapping and sets *count, or NULL after one error line and nothing
 * left open. */
static const int *map_input(const char *file, size_t *count)
{
    (void)file;
    *count = 0;
    // TODO(student): open() O_RDONLY, fstat(), check_size(), mmap() the whole file with
    // PROT_READ and MAP_SHARED, close() the descriptor (on every path).
    fprintf(stderr, "mmap_reader: map_input is not implemented\n");
    return NULL;
}

/* Release the mapping made by map_input(); 0 on success, -1 after a message. */
static int unmap_input(const int *values, size_t count)
{
    (void)values;
    (void)count;
    // TODO(student): munmap() the mapping (length in bytes).
    return -1;
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
