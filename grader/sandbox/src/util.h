/*
 * util.h: small helpers shared by the sandbox: messages that name the program, whole-file
 * reads and writes (cgroup files), sizes and durations, clocks, and killing every
 * descendant of a child subreaper.
 */
#ifndef SANDBOX_UTIL_H
#define SANDBOX_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROG "sandbox"

/* "sandbox: MESSAGE" on stderr. */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write S to PATH (no O_CREAT): 0, or -1 with errno. */
int write_file(const char *path, const char *s);

/* Read up to CAP-1 bytes of PATH into BUF (NUL-terminated): bytes read, or -1. */
ssize_t read_file(const char *path, char *buf, size_t cap);

/* The number in PATH (KEY == NULL: the first token; else the line "KEY value"), or -1. */
long long read_number(const char *path, const char *key);

/* "64M", "1G", "4096", "1.5K" -> bytes. 0 on success, -1 if malformed. */
int parse_size(const char *s, long long *out);

/* "10", "2.5", "500ms" -> seconds. 0 on success, -1 if malformed. */
int parse_seconds(const char *s, double *out);

/* 536870912 -> "512 MiB" (exact units when possible). */
void format_size(long long bytes, char *buf, size_t n);

/* 10.0 -> "10 s", 2.5 -> "2.5 s". */
void format_seconds(double s, char *buf, size_t n);

double now_ms(void);
void sleep_ms(int ms);

/* write() all of BUF, looping on EINTR and short writes: 0 or -1. */
int write_all(int fd, const void *buf, size_t len);

/* SIGKILL and reap every child of this process, repeatedly (a subreaper gets the orphans
 * back, so this reaches daemonized grandchildren): testlib/proctree.c's pt_kill_tree.
 * Returns how many live processes were killed. */
int kill_descendants(int rounds);

/* Reap every exited child without blocking. */
void reap_zombies(void);

/* Disk space (allocated blocks) and entries under DIR, not following symlinks or
 * crossing mounts; the walk stops early once past MAX_BYTES or MAX_ENTRIES. */
void disk_usage(const char *dir, long long max_bytes, long max_entries, long long *bytes,
                long *entries);

/* Close every descriptor >= 3 except those in KEEP[0..n). */
void close_fds_except(const int *keep, int n);

#endif
