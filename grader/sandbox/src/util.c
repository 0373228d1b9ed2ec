/*
 * util.c: small helpers shared by the sandbox (see util.h).
 */
#include "util.h"
#include "proctree.h"

#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void msg(const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, PROG ": %s\n", buf);
}

int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t k = write(fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

int write_file(const char *path, const char *s)
{
    int fd;
    do
        fd = open(path, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, s, strlen(s));
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

ssize_t read_file(const char *path, char *buf, size_t cap)
{
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t k = read(fd, buf + n, cap - 1 - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    buf[n] = '\0';
    return (ssize_t)n;
}

long long read_number(const char *path, const char *key)
{
    char buf[8192];
    if (read_file(path, buf, sizeof buf) < 0)
        return -1;
    if (!key)
        return strncmp(buf, "max", 3) == 0 ? -1 : strtoll(buf, NULL, 10);
    size_t klen = strlen(key);
    for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
            return strtoll(line + klen + 1, NULL, 10);
    return -1;
}

int parse_size(const char *s, long long *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    double mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1024.0; end++; break;
    case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end == 'i' && mult > 1)
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end)
        return -1;
    *out = (long long)(v * mult);
    return 0;
}

int parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    if (strcmp(end, "ms") == 0)
        v /= 1000;
    else if (strcmp(end, "s") != 0 && *end)
        return -1;
    *out = v;
    return 0;
}

void format_size(long long b, char *buf, size_t n)
{
    static const char *units[] = { "bytes", "KiB", "MiB", "GiB" };
    int u = 0;
    double v = (double)b;
    while (u < 3 && v >= 1024) {
        v /= 1024;
        u++;
    }
    if (v == floor(v))
        snprintf(buf, n, "%.0f %s", v, units[u]);
    else
        snprintf(buf, n, "%.1f %s", v, units[u]);
}

void format_seconds(double s, char *buf, size_t n)
{
    if (s == floor(s))
        snprintf(buf, n, "%.0f s", s);
    else
        snprintf(buf, n, "%.3g s", s);
}

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* The whole tree is testlib/proctree.c's job (shared with the grader and the tests). */
int kill_descendants(int rounds)
{
    return pt_kill_tree(rounds, NULL, NULL, NULL);
}

void reap_zombies(void)
{
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

static long long du_bytes, du_max_bytes;
static long du_entries, du_max_entries;

static int du_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)path;
    (void)flag;
    (void)ftw;
    du_bytes += (long long)sb->st_blocks * 512;
    du_entries++;
    return du_bytes > du_max_bytes || du_entries > du_max_entries;
}

void disk_usage(const char *dir, long long max_bytes, long max_entries, long long *bytes,
                long *entries)
{
    du_bytes = *bytes;
    du_entries = *entries;
    du_max_bytes = max_bytes;
    du_max_entries = max_entries;
    nftw(dir, du_entry, 16, FTW_PHYS | FTW_MOUNT);
    *bytes = du_bytes;
    *entries = du_entries;
}

/* Close [lo, hi] with close_range(2), or one by one where it is missing. */
static void close_between(unsigned lo, unsigned hi)
{
    if (lo > hi)
        return;
    if (syscall(SYS_close_range, lo, hi, 0) == 0)
        return;
    for (unsigned fd = lo; fd <= hi && fd < 65536; fd++)
        close((int)fd);
}

void close_fds_except(const int *keep, int n)
{
    unsigned lo = 3;
    for (;;) {
        unsigned next = ~0U;            /* the smallest kept fd >= lo */
        for (int i = 0; i < n; i++)
            if (keep[i] >= 0 && (unsigned)keep[i] >= lo && (unsigned)keep[i] < next)
                next = (unsigned)keep[i];
        if (next == ~0U) {
            close_between(lo, ~0U);
            return;
        }
        if (next > lo)
            close_between(lo, next - 1);
        lo = next + 1;
    }
}
