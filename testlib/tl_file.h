/*
 * tl_file.h: files and descriptors as tests use them: write all of a buffer (to a
 * descriptor, a new file, or a non-blocking descriptor within a deadline), read a whole
 * file back, its size. Part of tl.h.
 */
#ifndef TL_FILE_H
#define TL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* All of buf to fd, retrying after EINTR and short writes; 0, or -1 (errno). */
int tl_write_all(int fd, const void *buf, size_t len);
/* Create (or truncate) path with mode and write data into it; 0, or -1 (errno). */
int tl_write_file(const char *path, const void *data, size_t len, mode_t mode);
/* A regular file's bytes (malloc'd, one spare byte), its size in *len; NULL if unreadable. */
unsigned char *tl_read_file(const char *path, size_t *len);
long tl_file_size(const char *path);            /* -1 if missing */
bool tl_path_exists(const char *path);          /* anything, even a dangling link */
/* All of buf to the non-blocking fd within ms (a pipe, FIFO or socket that the program
 * reads at its own pace); false on error (EPIPE...) or timeout. */
bool tl_write_within(int fd, const void *buf, size_t len, int ms);

#endif
