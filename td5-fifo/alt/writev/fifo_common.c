/*
 * fifo_common.c: td5 reference. Helpers shared by send_rand and get_rand: the FIFO's
 * path, number parsing, write-all, and creating / opening the FIFO whichever of the
 * two programs starts first. The contract is in README.md.
 */
#include "fifo_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

int fifo_path(const char *name, char *out, size_t size)
{
    int n = strchr(name, '/') ? snprintf(out, size, "%s", name)
                              : snprintf(out, size, "%s/%s", FIFO_DIR, name);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int open_fifo(const char *prog, const char *path, int flags)
{
    int fd;
    /* Blocks until the other end is opened too. */
    while ((fd = open(path, flags | O_CLOEXEC)) == -1 && errno == EINTR)
        continue;
    if (fd == -1)
        fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(errno));
    return fd;
}

/* ======================= Functions you implement ======================= */

int ensure_fifo(const char *prog, const char *path)
{
    struct stat st;
    /* The other program (or the reader removing it) may race with us: retry. */
    for (int attempt = 0; attempt < 100; attempt++) {
        if (mkfifo(path, 0600) == 0)
            return 0;
        if (errno != EEXIST) {
            fprintf(stderr, "%s: cannot create FIFO %s: %s\n", prog, path, strerror(errno));
            return -1;
        }
        if (stat(path, &st) == -1) {
            if (errno == ENOENT)
                continue;           /* removed in between: create it again */
            fprintf(stderr, "%s: cannot stat %s: %s\n", prog, path, strerror(errno));
            return -1;
        }
        if (!S_ISFIFO(st.st_mode)) {
            fprintf(stderr, "%s: %s exists and is not a FIFO\n", prog, path);
            return -1;
        }
        return 0;
    }
    fprintf(stderr, "%s: cannot create FIFO %s: it keeps disappearing\n", prog, path);
    return -1;
}
