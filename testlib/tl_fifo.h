/*
 * tl_fifo.h: the test as a FIFO's reader or writer, beside the programs under test,
 * without ever blocking: ends opened O_NONBLOCK, every wait bounded (scaled by
 * $TL_TIME_SCALE). Opening an end calls tl_test_is_peer(). Write with tl_write_within
 * (tl_file.h). Part of tl.h.
 */
#ifndef TL_FIFO_H
#define TL_FIFO_H

#include <stdbool.h>

#include "tl.h"

bool tl_is_fifo(const char *path);
/* true once path exists and is a FIFO; false after ms, or once p (may be NULL) ended. */
bool tl_wait_fifo(const char *path, tl_proc *p, int ms);
/* The read end, O_NONBLOCK (never blocks, even with no writer yet); -1 on error. */
int tl_fifo_read_end(const char *path);
/* A write end, O_NONBLOCK, as soon as a reader has the FIFO open (retrying while the
 * FIFO is missing or has no reader); -1 after ms, or once p (may be NULL) ended. */
int tl_fifo_write_end(const char *path, tl_proc *p, int ms);
/* Wait until the pipe behind fd is empty (its reader took everything); false after ms. */
bool tl_wait_drained(int fd, int ms);

#endif
