/*
 * net.c: socket and descriptor helpers of shake_server and shake_client
 * (PROVIDED, DO NOT CHANGE). Library style, as in Redis' anet.c: every function
 * returns an error (-1 and errno, or a message) and never prints or exits, so that
 * each program decides what to say.
 */
#include "shake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Listen backlog: large, so that a burst of connections (the benchmark opens 1000 at
 * once) waits in the kernel instead of being refused (the kernel caps it at somaxconn). */
#define BACKLOG 4096

int tcp_listen(const char *addr, int port, bool reuseport)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    if (addr && inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    /* SO_REUSEADDR: a restarted server may bind while old connections sit in TIME_WAIT. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == -1) ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(fd, BACKLOG) == -1) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int tcp_local_port(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) == -1)
        return -1;
    return ntohs(sa.sin_port);
}

int tcp_connect(const char *host, const char *port, char *err, size_t errlen)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
    int rc = getaddrinfo(host, port, &hints, &res), fd = -1, e = 0;
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    /* Try every address (IPv6 and IPv4 for "localhost") until one answers. */
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        /* Not retried on EINTR: the only signal the client catches is its -t alarm,
         * which must end the attempt (errno stays EINTR for the caller to tell). */
        rc = connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc == -1) {
            e = errno;
            close(fd);
            fd = -1;
            if (e == EINTR)
                break;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "cannot connect to %s port %s: %s", host, port, strerror(e));
        errno = e;
    }
    return fd;
}

int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags == -1 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void set_nodelay(int fd)
{
    /* Without it, a reply written in two pieces waits for the client's delayed ACK
     * (Nagle): 40 ms per line instead of microseconds. Failure only costs speed. */
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int write_all(int fd, const void *buf, size_t len)
{
    struct iovec iov = { (void *)buf, len };
    return writev_all(fd, &iov, 1);
}

int writev_all(int fd, struct iovec *iov, int iovcnt)
{
    /* A blocking write returns short when a signal interrupts it after some bytes left:
     * advance past what was written and go on. */
    while (iovcnt > 0) {
        if (iov->iov_len == 0) {
            iov++, iovcnt--;
            continue;
        }
        ssize_t n = writev(fd, iov, iovcnt);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        for (size_t k = (size_t)n; k > 0 && iovcnt > 0;) {
            size_t step = k < iov->iov_len ? k : iov->iov_len;
            iov->iov_base = (char *)iov->iov_base + step;
            iov->iov_len -= step;
            k -= step;
            if (iov->iov_len == 0)
                iov++, iovcnt--;
        }
    }
    return 0;
}

void raise_nofile_limit(void)
{
    /* One descriptor per client: the default soft limit (often 1024) would refuse the
     * 1025th connection although the hard limit allows many more. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int parse_port(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 65535)
        return -1;
    return (int)v;
}
