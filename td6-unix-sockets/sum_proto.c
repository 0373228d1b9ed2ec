/*
 * sum_proto.c: helpers shared by sum_server and sum_client (provided, DO NOT CHANGE):
 * value parsing, UNIX socket addresses, unbuffered output lines. See sum_proto.h.
 */
#include "sum_proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int parse_value(const char *buf, size_t len, int32_t *out)
{
    size_t i = 0;
    int negative = len > 0 && buf[0] == '-';
    int64_t v = 0;
    i = (size_t)negative;
    if (len == i || len - i > 10)
        return -1;
    for (; i < len; i++) {
        if (buf[i] < '0' || buf[i] > '9')
            return -1;
        v = v * 10 + (buf[i] - '0');
    }
    if (negative)
        v = -v;
    if (v < INT32_MIN || v > INT32_MAX)
        return -1;
    *out = (int32_t)v;
    return 0;
}

int make_address(const char *path, struct sockaddr_un *sa)
{
    size_t len = strlen(path);
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (len == 0 || len >= sizeof sa->sun_path)
        return -1;
    memcpy(sa->sun_path, path, len + 1);
    return 0;
}

/* Write all of buf, retrying after EINTR and short writes. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

void say(const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        (void)write_all(STDOUT_FILENO, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}
