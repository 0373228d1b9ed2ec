/*
 * tl_file.c: files and descriptors for tests (see tl_file.h).
 */
#define _GNU_SOURCE
#include "tl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int tl_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int tl_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    int rc = tl_write_all(fd, data, len), err = errno;
    close(fd);
    errno = err;
    return rc;
}

unsigned char *tl_read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
        close(fd);
        return NULL;
    }
    unsigned char *buf = malloc((size_t)st.st_size + 1);
    size_t n = 0;
    while (buf && n < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    *len = n;
    return buf;
}

long tl_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == -1 ? -1 : (long)st.st_size;
}

bool tl_path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

bool tl_write_within(int fd, const void *buf, size_t len, int ms)
{
    const char *p = buf;
    double until = tl_now_ms() + tl_deadline(ms);
    while (len > 0) {
        ssize_t n = write(fd, p, len);   /* SIGPIPE is ignored (tl_setup): EPIPE */
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        int left = (int)(until - tl_now_ms());
        if (left <= 0)
            return false;
        struct pollfd pfd = { fd, POLLOUT, 0 };
        poll(&pfd, 1, left < 20 ? left : 20);
    }
    return true;
}
