/*
 * tl_fifo.c: the test as a FIFO's reader or writer (see tl_fifo.h).
 */
#define _GNU_SOURCE
#include "tl.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

bool tl_is_fifo(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISFIFO(st.st_mode);
}

bool tl_wait_fifo(const char *path, tl_proc *p, int ms)
{
    double until = tl_now_ms() + tl_deadline(ms);
    while (!tl_is_fifo(path)) {
        if (tl_now_ms() > until || (p && !tl_alive(p)))
            return tl_is_fifo(path);
        tl_sleep_us(500);
    }
    return true;
}

int tl_fifo_read_end(const char *path)
{
    tl_test_is_peer();
    return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

int tl_fifo_write_end(const char *path, tl_proc *p, int ms)
{
    double until = tl_now_ms() + tl_deadline(ms);
    tl_test_is_peer();
    for (;;) {
        int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0)
            return fd;
        if ((errno != ENXIO && errno != ENOENT) || tl_now_ms() > until || (p && !tl_alive(p)))
            return -1;
        tl_sleep_us(300);
    }
}

bool tl_wait_drained(int fd, int ms)
{
    double until = tl_now_ms() + tl_deadline(ms);
    for (;;) {
        int queued = 0;
        if (ioctl(fd, FIONREAD, &queued) == -1)
            return false;
        if (queued == 0)
            return true;
        if (tl_now_ms() > until)
            return false;
        tl_sleep_us(50);
    }
}
