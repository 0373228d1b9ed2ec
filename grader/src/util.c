/*
 * util.c: small helpers shared by the grader (see util.h): growable strings, whole-file
 * I/O with write-all and EINTR loops, mkdir -p, rm -rf, copies that keep mtimes (so the
 * staged instructor tree stays "up to date" for make), text excerpts.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("grader: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("grader: out of memory\n", stderr);
        abort();
    }
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

static char *vformat(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    char *s = xmalloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    buf_puts(b, s);
    free(s);
}

void buf_free(struct buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

int write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w == -1 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The first MAX bytes of PATH, NUL-terminated; NULL if it cannot be opened. */
char *read_text(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return NULL;
    struct buf b = { 0 };
    buf_add(&b, "", 0);
    char chunk[65536];
    while (b.len < max) {
        size_t want = max - b.len < sizeof chunk ? max - b.len : sizeof chunk;
        ssize_t r = read(fd, chunk, want);
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        buf_add(&b, chunk, (size_t)r);
    }
    close(fd);
    if (len)
        *len = b.len;
    return b.s;
}

/* Write S to PATH through a temporary file and a rename: readers never see half. */
int write_text(const char *path, const char *s, size_t n, char *err)
{
    char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd == -1 || write_all(fd, s, n) == -1 ? -1 : 0;
    if (fd != -1 && close(fd) == -1)
        rc = -1;
    if (rc == 0 && rename(tmp, path) == -1)
        rc = -1;
    if (rc == -1) {
        snprintf(err, ERRLEN, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

int mkdir_p(const char *path, char *err)
{
    char *p = xstrdup(path);
    for (char *s = p + 1;; s++) {
        char c = *s;
        if (c != '/' && c != '\0')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) == -1 && errno != EEXIST) {
            snprintf(err, ERRLEN, "cannot create %s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag == FTW_DNR || flag == FTW_D)
        chmod(path, 0700);
    if (remove(path) == -1 && errno != ENOENT) {
        chmod(path, 0700);
        remove(path);
    }
    return 0;
}

int rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == -1)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    chmod(path, 0700);
    return nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A regular file, not through a symbolic link (students' files are never followed). */
int is_file(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int copy_fd(int in, int out)
{
    char chunk[65536];
    for (;;) {
        ssize_t r = read(in, chunk, sizeof chunk);
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0)
            return (int)r;
        if (write_all(out, chunk, (size_t)r) == -1)
            return -1;
    }
}

/* Copy a regular file, keeping its mode and modification time. */
int copy_file(const char *src, const char *dst, char *err)
{
    struct stat st;
    int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in == -1 || fstat(in, &st) == -1 || !S_ISREG(st.st_mode)) {
        snprintf(err, ERRLEN, "cannot read %s: %s", src, in == -1 ? strerror(errno)
                                                                 : "not a regular file");
        if (in != -1)
            close(in);
        return -1;
    }
    unlink(dst);
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0755);
    int rc = out == -1 ? -1 : copy_fd(in, out);
    if (out != -1 && close(out) == -1)
        rc = -1;
    close(in);
    if (rc == -1) {
        snprintf(err, ERRLEN, "cannot copy %s to %s: %s", src, dst, strerror(errno));
        return -1;
    }
    struct timespec times[2] = { st.st_atim, st.st_mtim };
    utimensat(AT_FDCWD, dst, times, 0);
    return 0;
}

int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n > 0 && strchr(" \t\r\n", s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* At most MAX_LINES lines and MAX_CHARS bytes of TEXT, with a note when cut. */
char *excerpt(const char *text, int max_lines, size_t max_chars)
{
    struct buf b = { 0 };
    buf_add(&b, "", 0);
    const char *p = text;
    int lines = 0;
    while (*p && lines < max_lines && b.len < max_chars) {
        size_t n = strcspn(p, "\n");
        if (b.len + n > max_chars)
            n = max_chars - b.len;
        buf_add(&b, p, n);
        buf_add(&b, "\n", 1);
        p += n;
        p += *p == '\n';
        lines++;
    }
    if (*p)
        buf_puts(&b, "[... trimmed]\n");
    return b.s;
}

static int skipped(const char *name, const char *const *skip)
{
    for (; skip && *skip; skip++)
        if (strcmp(name, *skip) == 0)
            return 1;
    return 0;
}

/* Copy SRC/name unless DST/name already has the same size and mtime. */
int sync_changes;

static int sync_file(const char *src, const char *dst, const struct stat *st, char *err)
{
    struct stat dt;
    if (lstat(dst, &dt) == 0 && S_ISREG(dt.st_mode) && dt.st_size == st->st_size &&
        dt.st_mtim.tv_sec == st->st_mtim.tv_sec && dt.st_mtim.tv_nsec == st->st_mtim.tv_nsec)
        return 0;
    sync_changes++;
    return copy_file(src, dst, err);
}

/* Remove what DST holds and SRC does not (skipped names are kept). */
static void prune(const char *src, const char *dst, const char *const *skip)
{
    DIR *d = opendir(dst);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || skipped(e->d_name, skip))
            continue;
        char *s = xasprintf("%s/%s", src, e->d_name), *t = xasprintf("%s/%s", dst, e->d_name);
        struct stat st;
        if (lstat(s, &st) == -1 && ++sync_changes)
            rm_rf(t);
        free(s);
        free(t);
    }
    if (d)
        closedir(d);
}

/* Make DST a copy of SRC (regular files and directories only), copying only what
 * changed so that make sees an up-to-date build; SKIP names top-level entries left out. */
int sync_tree(const char *src, const char *dst, const char *const *skip, char *err)
{
    DIR *d = opendir(src);
    if (!d) {
        snprintf(err, ERRLEN, "cannot read %s: %s", src, strerror(errno));
        return -1;
    }
    int rc = mkdir_p(dst, err);
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || skipped(e->d_name, skip))
            continue;
        char *s = xasprintf("%s/%s", src, e->d_name), *t = xasprintf("%s/%s", dst, e->d_name);
        struct stat st;
        if (lstat(s, &st) == 0 && S_ISDIR(st.st_mode))
            rc = sync_tree(s, t, NULL, err);
        else if (lstat(s, &st) == 0 && S_ISREG(st.st_mode))
            rc = sync_file(s, t, &st, err);
        free(s);
        free(t);
    }
    closedir(d);
    if (rc == 0)
        prune(src, dst, skip);
    return rc;
}

const char *fmt_points(double v)
{
    static char bufs[4][32];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, 32, v == (double)(long long)v ? "%.0f" : "%.2f", v);
    return b;
}

void csv_field(struct buf *b, const char *s)
{
    int quote = strpbrk(s, ",\"\n\r") != NULL;
    buf_puts(b, quote ? "\"" : "");
    if (s[0] && strchr("=+-@", s[0]))
        buf_puts(b, "'");
    for (; *s; s++)
        buf_add(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    buf_puts(b, quote ? "\"" : "");
}
