/*
 * support.h: test helpers of td3-mmap that testlib does not have (yet):
 *   - an exit probe: run a program under ptrace, stopped at its exit before the kernel
 *     releases anything, to list the descriptors and file mappings it still holds (this
 *     is how a test sees "close()/munmap() never called"), and the read()/write()-like
 *     calls it made on the test's files (this is how a test sees "not through mmap");
 *   - an unprivileged run: as root, run a program under uid/gid 65534 (setpriv), so that
 *     "permission denied" can be tested at all;
 *   - native-int files: write them, read them back, parse the programs' output.
 * They live here, in the exercise, until they move into testlib (see the report).
 */
#ifndef TD3_SUPPORT_H
#define TD3_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "tl.h"

/* What a probed program still held when it reached exit. */
typedef struct {
    bool probed;          /* the probe saw the exit (false: ptrace unavailable, or no exit) */
    int n_fd;             /* descriptors >= 3 still open */
    int n_map;            /* mappings of files under the test directory still in place */
    char fds[512];        /* "3 -> /tmp/.../data.bin; ..." */
    char maps[512];       /* "/tmp/.../data.bin; ..." */
    int n_io;             /* read()/write()-like calls on files under the test directory */
    char io[512];         /* "write /tmp/.../data.bin; ..." (each call and file once) */
    char why[160];        /* when !probed: the reason */
} td_held;

/* tl_run(o) with the program stopped at its exit to fill *held. o->argv[0] is a program
 * of $TD_BIN, or a path with '/'. The result's cmd is the program's own command line. */
tl_result td_run_probed(const tl_opts *o, td_held *held);

/* tl_run(o) as an unprivileged user: when the tests run as root, under uid/gid 65534 via
 * setpriv (the program is copied where that user can execute it); otherwise as is.
 * *how says which ("as uid 65534" / "as yourself"); false if root and setpriv is missing. */
bool td_run_unprivileged(const tl_opts *o, tl_result *r, const char **how);

/* Files of native ints. td_write_* abort the test on failure. */
void td_write_bytes(const char *path, const void *data, size_t len);
void td_write_ints(const char *path, const int *values, size_t count);
/* The file's bytes (malloc'd), its size in *len; NULL if it cannot be read. */
unsigned char *td_read_file(const char *path, size_t *len);
long td_file_size(const char *path);          /* -1 if missing */

/* Parse output made of lines "%d\n" only. Returns the number of values (stored in a
 * malloc'd *values), or -1 with the first offending line (quoted) in bad. */
long td_parse_ints(const char *out, int **values, char *bad, size_t badcap);

/* Random ints of the whole range from seed (xorshift), to feed the reader. */
void td_random_ints(int *values, size_t count, unsigned seed);

#endif
