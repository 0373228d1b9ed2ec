/*
 * tl_net.c: the test as a client or a server (see tl_net.h). Runs in the Criterion
 * worker: no fork, no wait without a deadline.
 */
#define _GNU_SOURCE
#include "tl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

int tl_tcp_connect(int port, int rcvbuf)
{
    struct sockaddr_in sa = loopback(port);
    tl_test_is_peer();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        return -1;
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

int tl_tcp_listen(int *port)
{
    struct sockaddr_in sa = loopback(0);
    socklen_t sl = sizeof sa;
    tl_test_is_peer();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(fd, 8) == -1 ||
                    getsockname(fd, (struct sockaddr *)&sa, &sl) == -1)) {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

unsigned long tl_tcp_listener_inode(int port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    char line[512];
    unsigned long inode = 0;
    if (!f)
        return 0;
    while (!inode && fgets(line, sizeof line, f)) {
        unsigned lport, st;
        unsigned long ino;
        if (sscanf(line, " %*d: %*x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*d %*d %lu", &lport, &st,
                   &ino) == 3 && (int)lport == port && st == 0x0A)
            inode = ino;
    }
    fclose(f);
    return inode;
}

static int unix_socket_at(const char *path, int type, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    snprintf(sa->sun_path, sizeof sa->sun_path, "%s", path);
    tl_test_is_peer();
    return socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
}

int tl_unix_connect(const char *path, int type)
{
    struct sockaddr_un sa;
    int fd = unix_socket_at(path, type, &sa);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int tl_unix_listen(const char *path, int type)
{
    struct sockaddr_un sa;
    int fd = unix_socket_at(path, type, &sa);
    if (fd >= 0 && (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(fd, 8) == -1)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int tl_accept_within(int lfd, tl_proc *peer, int ms)
{
    struct pollfd p = { lfd, POLLIN, 0 };
    double until = tl_now_ms() + tl_deadline(ms);
    /* Short slices: give up as soon as the peer has ended without connecting. */
    while (poll(&p, 1, 10) != 1) {
        if (tl_now_ms() > until || (peer && !tl_alive(peer)))
            return -1;
    }
    return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

ssize_t tl_recv_within(int fd, char *buf, size_t cap, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    int k = poll(&p, 1, tl_deadline(ms));
    if (k == 0)
        return -2;
    if (k < 0)
        return -1;
    ssize_t n;
    while ((n = recv(fd, buf, cap, MSG_DONTWAIT)) == -1 && errno == EINTR)
        continue;
    return n;
}

size_t tl_recv_all(int fd, char *buf, size_t want, int ms, bool *eof)
{
    double until = tl_now_ms() + tl_deadline(ms);
    size_t got = 0;
    if (eof)
        *eof = false;
    while (got < want) {
        int left = (int)(until - tl_now_ms());
        struct pollfd pfd = { fd, POLLIN, 0 };
        if (left <= 0 || poll(&pfd, 1, left) == 0)
            break;
        ssize_t n = read(fd, buf + got, want - got);
        if (n > 0) {
            got += (size_t)n;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            if (eof)
                *eof = true;
            break;
        }
    }
    return got;
}

bool tl_wait_eof(int fd, int ms)
{
    char buf[4096];
    double until = tl_now_ms() + tl_deadline(ms);
    for (;;) {
        int left = (int)(until - tl_now_ms());
        struct pollfd pfd = { fd, POLLIN, 0 };
        if (left <= 0 || poll(&pfd, 1, left) == 0)
            return false;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return true;
    }
}

size_t tl_exchange(int fd, const char *in, size_t inlen, char *out, size_t want, int ms,
                   int hold_ms, size_t chunk)
{
    double t0 = tl_now_ms(), until = t0 + tl_deadline(ms), progress = t0;
    size_t sent = 0, got = 0;
    bool reading = hold_ms == 0;
    while (got < want || sent < inlen) {
        double now = tl_now_ms();
        /* Holding back: nothing read during the first hold_ms. */
        if (!reading && now - t0 >= hold_ms)
            reading = true, progress = now;
        /* Reading, all sent and nothing new for a while: the rest is not coming (the
         * peer lost it); do not wait for the whole deadline. */
        if (reading && sent == inlen && now - progress > tl_deadline(TL_EXCHANGE_IDLE_MS))
            break;
        bool may_read = reading && got < want;
        short events = (short)((sent < inlen ? POLLOUT : 0) | (may_read ? POLLIN : 0));
        struct pollfd pfd = { fd, events, 0 };
        int left = (int)(until - now);
        if (left <= 0)
            break;
        if (left > 20)
            left = 20; /* wake up to check the hold and idle conditions */
        if (poll(&pfd, 1, left) < 0 && errno != EINTR)
            break;
        if (pfd.revents & POLLOUT) {
            ssize_t n = send(fd, in + sent, inlen - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n, progress = tl_now_ms();
            else if (n < 0 && errno != EAGAIN && errno != EINTR)
                inlen = sent; /* the peer is gone: stop sending, read what came */
        }
        if (may_read && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
            size_t room = want - got;
            ssize_t n = read(fd, out + got, chunk && chunk < room ? chunk : room);
            if (n > 0)
                got += (size_t)n, progress = tl_now_ms();
            else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                break;
        }
    }
    return got;
}
