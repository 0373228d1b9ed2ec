/*
 * util.h: small helpers shared by the grader: strings, whole-file I/O, write-all,
 * directory creation and removal, copying with modification times kept.
 * Library functions return -1 and fill an error message; they never exit.
 */
#ifndef GRADER_UTIL_H
#define GRADER_UTIL_H

#include <stddef.h>
#include <stdio.h>

#define ERRLEN 512

/* A growable string. */
struct buf {
    char *s;
    size_t len, cap;
};

void buf_add(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int write_all(int fd, const char *s, size_t n);
char *read_text(const char *path, size_t max, size_t *len);
int write_text(const char *path, const char *s, size_t n, char *err);
int mkdir_p(const char *path, char *err);
int rm_rf(const char *path);
int copy_file(const char *src, const char *dst, char *err);
int sync_tree(const char *src, const char *dst, const char *const *skip, char *err);
extern int sync_changes;   /* files copied or removed by sync_tree() so far */
int is_dir(const char *path);
int is_file(const char *path);
int ends_with(const char *s, const char *suffix);
char *trim(char *s);
char *excerpt(const char *text, int max_lines, size_t max_chars);
/* Points as people write them: "3", "2.50" (4 rotating static buffers). */
const char *fmt_points(double v);

/* S as one CSV field (RFC 4180: quoted when it holds , " CR or LF), appended to B; a
 * leading = + - @ gets a ' so that a spreadsheet does not run it as a formula. */
void csv_field(struct buf *b, const char *s);

#endif
