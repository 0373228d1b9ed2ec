/*
 * tl_exitprobe.h: what a program still holds when it reaches exit, before the kernel
 * releases anything (this is how a test sees "close()/munmap() never called"), and the
 * read()/write()-like calls it made on the test's files (how a test sees "not through
 * mmap"). The program runs under ptrace in a probe: the test binary itself, exec'd, which
 * takes over before Criterion's main(). Part of tl.h.
 */
#ifndef TL_EXITPROBE_H
#define TL_EXITPROBE_H

#include <stdbool.h>

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
} tl_held;

/* tl_run(o) with the program stopped at its exit to fill *held. o->argv[0] is a program
 * of $TD_BIN, or a path with '/'. The result's cmd is the program's own command line. */
tl_result tl_run_probed(const tl_opts *o, tl_held *held);

#endif
