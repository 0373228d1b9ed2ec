/*
 * sum_server.c: td6 alternative (instructor only, alt/epoll): SIGINT/SIGTERM stay
 * blocked and are read from a signalfd; one epoll instance waits for the signalfd, the
 * listening socket (non-blocking, its interest switched off while the round is full)
 * and the members; accept4() takes every waiting client the round has room for. A server on a UNIX domain SOCK_SEQPACKET socket that
 * serves rounds: it waits for the values of CLIENTS clients, prints their sum and sends
 * it back to each of them, then starts the next round, until SIGINT or SIGTERM; then it
 * removes its socket file and exits 0. The contract is in README.md.
 */
#define _GNU_SOURCE /* ppoll() */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "sum_proto.h"

/* One client of the current round. */
struct member {
    int fd;
    bool has_value;
    int32_t value;
};

/* The current round: its members in the order they were accepted. */
struct round {
    struct member m[MAX_CLIENTS];
    int n;                      /* members connected */
    int want;                   /* clients per round (-c) */
    long number;                /* 1 for the first round */
};

struct options {
    const char *path;
    int clients;
};

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

static volatile sig_atomic_t stop_requested;

__attribute__((unused))
static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

__attribute__((unused))
static void usage(void)
{
    fprintf(stderr, "usage: sum_server [-p PATH] [-c CLIENTS]\n");
}

/* Options of the contract; on error one line on stderr and -1. */
static int parse_options(int argc, char **argv, struct options *o)
{
    struct sockaddr_un sa;
    int c;
    *o = (struct options){ DEFAULT_SOCKET_PATH, DEFAULT_CLIENTS };
    opterr = 0;
    while ((c = getopt(argc, argv, "p:c:")) != -1) {
        if (c == 'p') {
            o->path = optarg;
            if (make_address(optarg, &sa) == -1) {
                fprintf(stderr, "sum_server: invalid socket path '%s' (1 to %zu bytes)\n",
                        optarg, sizeof sa.sun_path - 1);
                return -1;
            }
        } else if (c == 'c') {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 1 || v > MAX_CLIENTS) {
                fprintf(stderr, "sum_server: invalid -c value '%s' (expected 1..%d)\n", optarg,
                        MAX_CLIENTS);
                return -1;
            }
            o->clients = (int)v;
        } else {
            usage();
            return -1;
        }
    }
    if (optind != argc) {
        usage();
        return -1;
    }
    return 0;
}

/* Print the round's line: "round R: V1 + V2 + ... = S". */
__attribute__((unused))
static void print_round(const struct round *r, long long sum)
{
    char line[2048];
    size_t n = (size_t)snprintf(line, sizeof line, "round %ld: ", r->number);
    for (int i = 0; i < r->n && n < sizeof line; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, "%s%d", i ? " + " : "",
                              (int)r->m[i].value);
    if (n < sizeof line)
        say("%s = %lld\n", line, sum);
}

/* ======================= Functions you implement ======================= */

/* The stop signals, blocked for the whole run and read from a signalfd in serve(). */
static sigset_t stop_set;

/* Block SIGINT and SIGTERM (serve() reads them from a signalfd, so they never need to
 * be unblocked); the provided handler is installed too, in case one ever is. */
static int install_stop_handlers(sigset_t *orig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigfillset(&sa.sa_mask);
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1 ||
        sigprocmask(SIG_BLOCK, &stop_set, orig) == -1) {
        fprintf(stderr, "sum_server: sigaction: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* bind() failed with EADDRINUSE: a socket file nobody accepts on is stale (removed,
 * 0); anything else is refused (-1, message printed). */
static int remove_stale_socket(const char *path, const struct sockaddr_un *sa)
{
    struct stat st;
    if (lstat(path, &st) == -1) {
        fprintf(stderr, "sum_server: cannot stat %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        fprintf(stderr, "sum_server: %s exists and is not a socket\n", path);
        return -1;
    }
    int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (probe == -1) {
        fprintf(stderr, "sum_server: socket: %s\n", strerror(errno));
        return -1;
    }
    int live = connect(probe, (const struct sockaddr *)sa, sizeof *sa) == 0;
    int err = errno;
    close(probe);
    if (live) {
        fprintf(stderr, "sum_server: a server is already listening on %s\n", path);
        return -1;
    }
    if (err != ECONNREFUSED) {
        fprintf(stderr, "sum_server: cannot probe %s: %s\n", path, strerror(err));
        return -1;
    }
    if (unlink(path) == -1 && errno != ENOENT) {
        fprintf(stderr, "sum_server: cannot remove stale socket %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* A non-blocking listening socket on path, a stale file replaced; -1 after a message. */
static int open_listener(const char *path)
{
    struct sockaddr_un sa;
    if (make_address(path, &sa) == -1)
        return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        fprintf(stderr, "sum_server: socket: %s\n", strerror(errno));
        return -1;
    }
    for (int attempt = 0;; attempt++) {
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            break;
        if (errno != EADDRINUSE || attempt > 0) {
            fprintf(stderr, "sum_server: cannot bind %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (remove_stale_socket(path, &sa) == -1) {
            close(fd);
            return -1;
        }
    }
    if (listen(fd, 128) == -1) {
        fprintf(stderr, "sum_server: listen: %s\n", strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    return fd;
}

/* One message to a client that may have gone: never SIGPIPE, EPIPE ignored. */
static void send_message(int fd, const char *msg)
{
    size_t len = strlen(msg);
    while (send(fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) == -1 && errno == EINTR)
        continue;
}

/* Remove member i (closing its socket also takes it out of the epoll set). */
static void drop_member(struct round *r, int i)
{
    close(r->m[i].fd);
    for (int k = i; k + 1 < r->n; k++)
        r->m[k] = r->m[k + 1];
    r->n--;
}

/* Member i is readable: its value, or an error reply and a drop; 0 bytes: it left. */
static void receive_value(struct round *r, int i)
{
    char buf[MSG_MAX];
    int32_t v;
    ssize_t n;
    do
        n = recv(r->m[i].fd, buf, sizeof buf, MSG_DONTWAIT);
    while (n == -1 && errno == EINTR);
    if (n == -1 && errno == EAGAIN)
        return; /* nothing after all */
    if (n <= 0) {
        fprintf(stderr, "sum_server: a client left round %ld before its end\n", r->number);
        drop_member(r, i);
        return;
    }
    const char *why = NULL;
    if (r->m[i].has_value)
        why = REPLY_ERROR "a second message (one value per connection)";
    else if (parse_value(buf, (size_t)n, &v) == -1)
        why = REPLY_ERROR "not an integer in -2147483648..2147483647";
    if (why) {
        fprintf(stderr, "sum_server: rejected a bad message (%zd bytes) in round %ld\n", n,
                r->number);
        send_message(r->m[i].fd, why);
        drop_member(r, i);
        return;
    }
    r->m[i].value = v;
    r->m[i].has_value = true;
}

/* The round is complete: its line, the sum to everyone, the next round. */
static void finish_round(struct round *r)
{
    long long sum = 0;
    char reply[32];
    for (int i = 0; i < r->n; i++)
        sum += r->m[i].value;
    print_round(r, sum);
    snprintf(reply, sizeof reply, "%s%lld", REPLY_SUM, sum);
    while (r->n > 0) {
        send_message(r->m[0].fd, reply);
        drop_member(r, 0);
    }
    r->number++;
}

/* The epoll instance of serve(). */
static int epfd = -1;

/* Accept the waiting clients the round has room for (the listener is non-blocking:
 * EAGAIN ends the loop); each new member joins the epoll set. */
static void accept_member(struct round *r, int lfd)
{
    while (r->n < r->want) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                fprintf(stderr, "sum_server: accept: %s\n", strerror(errno));
            return;
        }
        struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = fd };
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
            fprintf(stderr, "sum_server: epoll_ctl: %s\n", strerror(errno));
            close(fd);
            return;
        }
        r->m[r->n++] = (struct member){ .fd = fd };
    }
}

/* Index of the member whose socket is fd, or -1. */
static int member_of(const struct round *r, int fd)
{
    for (int i = 0; i < r->n; i++)
        if (r->m[i].fd == fd)
            return i;
    return -1;
}

/* Listen (EPOLLIN) or not (0) on lfd: while the round is full, the next clients wait
 * in the backlog and must not wake us up. */
static int watch_listener(int lfd, bool on)
{
    struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.fd = lfd };
    return epoll_ctl(epfd, EPOLL_CTL_MOD, lfd, &ev);
}

/* Handle one batch of events: departures first (a member that sent its value and
 * left must not count), then values, then the listener. */
static void handle_events(struct round *r, int lfd, const struct epoll_event *ev, int n)
{
    for (int k = 0; k < n; k++) {
        int i = member_of(r, ev[k].data.fd);
        if (i >= 0 && (ev[k].events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR))) {
            fprintf(stderr, "sum_server: a client left round %ld before its end\n",
                    r->number);
            drop_member(r, i);
        }
    }
    for (int k = 0; k < n; k++) {
        int i = member_of(r, ev[k].data.fd);
        if (i >= 0 && (ev[k].events & EPOLLIN))
            receive_value(r, i);
    }
    int values = 0;
    for (int i = 0; i < r->n; i++)
        values += r->m[i].has_value;
    if (r->n == r->want && values == r->want)
        finish_round(r);
    for (int k = 0; k < n; k++)
        if (ev[k].data.fd == lfd && r->n < r->want)
            accept_member(r, lfd);
}

/* Serve rounds until a stop signal is read from the signalfd. */
static int serve(int lfd, int want, const sigset_t *orig)
{
    struct round r = { .want = want, .number = 1 };
    struct epoll_event ev[MAX_CLIENTS + 2];
    int rc = 0;
    (void)orig; /* the signals are never unblocked in this design */
    int sfd = signalfd(-1, &stop_set, SFD_CLOEXEC);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event se = { .events = EPOLLIN, .data.fd = sfd };
    struct epoll_event le = { .events = EPOLLIN, .data.fd = lfd };
    if (sfd == -1 || epfd == -1 || epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &se) == -1 ||
        epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &le) == -1) {
        fprintf(stderr, "sum_server: signalfd/epoll: %s\n", strerror(errno));
        rc = -1;
    }
    bool listening = true;
    while (rc == 0 && !stop_requested) {
        if (listening != (r.n < want)) {
            listening = r.n < want;
            if (watch_listener(lfd, listening) == -1) {
                fprintf(stderr, "sum_server: epoll_ctl: %s\n", strerror(errno));
                rc = -1;
                break;
            }
        }
        int n = epoll_wait(epfd, ev, MAX_CLIENTS + 2, -1);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "sum_server: epoll_wait: %s\n", strerror(errno));
            rc = -1;
            break;
        }
        for (int k = 0; k < n; k++)
            if (ev[k].data.fd == sfd)
                stop_requested = 1;
        if (!stop_requested)
            handle_events(&r, lfd, ev, n);
    }
    while (r.n > 0)
        drop_member(&r, r.n - 1);
    if (epfd != -1)
        close(epfd);
    if (sfd != -1)
        close(sfd);
    if (rc == 0)
        say("stopped after %ld rounds\n", r.number - 1);
    return rc;
}

/* Close the listening socket, then remove its file. */
static void close_listener(int lfd, const char *path)
{
    if (close(lfd) == -1)
        fprintf(stderr, "sum_server: close: %s\n", strerror(errno));
    if (unlink(path) == -1)
        fprintf(stderr, "sum_server: cannot remove %s: %s\n", path, strerror(errno));
}

/* (DO NOT CHANGE) */
int main(int argc, char **argv)
{
    struct options o;
    sigset_t orig;
    if (parse_options(argc, argv, &o) == -1)
        return 2;
    if (install_stop_handlers(&orig) == -1)
        return 1;
    int lfd = open_listener(o.path);
    if (lfd == -1)
        return 1;
    say("listening on %s\n", o.path);
    int rc = serve(lfd, o.clients, &orig);
    close_listener(lfd, o.path);
    return rc == -1 ? 1 : 0;
}
