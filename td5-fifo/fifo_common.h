/*
 * fifo_common.h: what send_rand and get_rand share (td5): the value format, the
 * limits of the contract, and the helpers of fifo_common.c. See README.md.
 */
#ifndef FIFO_COMMON_H
#define FIFO_COMMON_H

#include <stddef.h>

#define VALUE_MAX 999           /* values are integers in 0..VALUE_MAX */
#define VALUE_DIGITS 3          /* at most this many digits per value */
#define COUNT_MAX 100000000L    /* largest -n */
#define FIFO_DIR "/tmp"         /* where a NAME without '/' lives */

/* Provided. The path of the FIFO called name: FIFO_DIR/name if name has no '/',
 * name itself otherwise. 0 on success, -1 if it does not fit in size bytes. */
int fifo_path(const char *name, char *out, size_t size);

/* Provided. Parse a whole decimal number in [min, max]; 0 on success, -1 otherwise. */
int parse_long(const char *s, long min, long max, long *out);

/* Provided. Write all of buf to fd, retrying after EINTR and short writes; 0 or -1. */
int write_all(int fd, const void *buf, size_t len);

/* Make sure path is a FIFO: create it with mkfifo (mode 0600) if nothing has that
 * name, accept an existing FIFO. Otherwise print one line "PROG: ..." on stderr and
 * return -1 (an existing file that is not a FIFO is left untouched). */
int ensure_fifo(const char *prog, const char *path);

/* Provided. Open path with flags (O_RDONLY or O_WRONLY), retrying after EINTR: for a
 * FIFO this blocks until the other end is open too. Returns the descriptor, or prints
 * one line "PROG: cannot open PATH: <reason>" and returns -1. Call ensure_fifo first. */
int open_fifo(const char *prog, const char *path, int flags);

#endif
