/*
 * sum_server.c: td6 alternative (instructor only, alt/select): select() instead of
 * ppoll(), and the self-pipe trick for SIGINT/SIGTERM (never blocked: the handler sets
 * the flag and writes one byte into a pipe that select() watches, so a signal that
 * comes between the test of the flag and select() still wakes it). Before a round
 * completes, every member is probed (recv MSG_PEEK) so that one that left does not count. A server on a UNIX domain SOCK_SEQPACKET socket that
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
#include <fcntl.h>
#include <sys/select.h>
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

/* The self-pipe: the stop handler writes a byte into wake[1], select() watches wake[0].
 * -1 until serve() makes it (a signal before that only sets the flag, which the loop
 * tests before its first select()). */
static int wake[2] = { -1, -1 };

/* The stop handler of this design: the flag, then a byte into the self-pipe (write is
 * async-signal-safe; a full pipe already holds a wake-up). errno is kept. */
static void on_stop(int sig)
{
    int saved = errno;
    on_stop_signal(sig);
    if (wake[1] != -1 && write(wake[1], "x", 1) == -1) {
        /* full or closed: nothing to do */
    }
    errno = saved;
}

/* Install on_stop for SIGINT and SIGTERM (nothing blocked: the self-pipe closes the
 * race). *orig gets the current mask, unused by this design. */
static int install_stop_handlers(sigset_t *orig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigprocmask(SIG_SETMASK, NULL, orig) == -1 || sigaction(SIGINT, &sa, NULL) == -1 ||
        sigaction(SIGTERM, &sa, NULL) == -1) {
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

/* A listening socket on path (blocking: accept() is called only when select() said a
 * client waits), a stale file replaced; -1 after a message. */
static int open_listener(const char *path)
{
    struct sockaddr_un sa;
    if (make_address(path, &sa) == -1)
        return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    if (fd == -1) {
        fprintf(stderr, "sum_server: socket: %s\n", strerror(errno));
        return -1;
    }
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    if (rc == -1 && errno == EADDRINUSE) {
        if (remove_stale_socket(path, &sa) == -1) {
            close(fd);
            return -1;
        }
        rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    }
    if (rc == -1) {
        fprintf(stderr, "sum_server: cannot bind %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, 64) == -1) {
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

/* Remove member i (closing its socket). */
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

/* Drop every member that has left (recv MSG_PEEK returns 0: end of the connection;
 * EAGAIN: still there, nothing new). Called before a round is declared complete, so
 * that the value of a client that sent and left never counts. */
static void drop_departed(struct round *r)
{
    char c;
    for (int i = r->n - 1; i >= 0; i--) {
        ssize_t n = recv(r->m[i].fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            fprintf(stderr, "sum_server: a client left round %ld before its end\n", r->number);
            drop_member(r, i);
        }
    }
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

/* Accept one client into the round (select() said one waits). */
static void accept_member(struct round *r, int lfd)
{
    int fd;
    while ((fd = accept(lfd, NULL, NULL)) == -1 && errno == EINTR)
        continue;
    if (fd == -1) {
        if (errno != ECONNABORTED)
            fprintf(stderr, "sum_server: accept: %s\n", strerror(errno));
        return;
    }
    if (fd >= FD_SETSIZE) { /* select() cannot watch it */
        fprintf(stderr, "sum_server: accept: descriptor %d beyond FD_SETSIZE\n", fd);
        close(fd);
        return;
    }
    r->m[r->n++] = (struct member){ .fd = fd };
}

/* Make the self-pipe, non-blocking at both ends; 0 or -1 after a message. */
static int make_wake_pipe(void)
{
    int p[2];
    if (pipe(p) == -1) {
        fprintf(stderr, "sum_server: pipe: %s\n", strerror(errno));
        return -1;
    }
    for (int k = 0; k < 2; k++)
        fcntl(p[k], F_SETFL, fcntl(p[k], F_GETFL) | O_NONBLOCK);
    wake[0] = p[0];
    wake[1] = p[1];
    return 0;
}

/* Serve rounds with select() until the stop flag (or the self-pipe) says stop. */
static int serve(int lfd, int want, const sigset_t *orig)
{
    struct round r = { .want = want, .number = 1 };
    int rc = 0;
    (void)orig;
    if (make_wake_pipe() == -1)
        return -1;
    while (!stop_requested) {
        fd_set in;
        FD_ZERO(&in);
        FD_SET(wake[0], &in);
        int top = wake[0];
        for (int i = 0; i < r.n; i++) {
            FD_SET(r.m[i].fd, &in);
            if (r.m[i].fd > top)
                top = r.m[i].fd;
        }
        bool listening = r.n < want;
        if (listening) {
            FD_SET(lfd, &in);
            if (lfd > top)
                top = lfd;
        }
        if (select(top + 1, &in, NULL, NULL, NULL) == -1) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "sum_server: select: %s\n", strerror(errno));
            rc = -1;
            break;
        }
        if (stop_requested || FD_ISSET(wake[0], &in))
            break;
        int ready[MAX_CLIENTS], nready = 0;
        for (int i = 0; i < r.n; i++)
            if (FD_ISSET(r.m[i].fd, &in))
                ready[nready++] = r.m[i].fd;
        /* receive_value() may drop members: find each ready one again by its fd */
        for (int k = 0; k < nready; k++)
            for (int i = 0; i < r.n; i++)
                if (r.m[i].fd == ready[k]) {
                    receive_value(&r, i);
                    break;
                }
        int values = 0;
        for (int i = 0; i < r.n; i++)
            values += r.m[i].has_value;
        if (r.n == want && values == want) {
            drop_departed(&r);
            if (r.n == want)
                finish_round(&r);
        } else if (listening && FD_ISSET(lfd, &in)) {
            accept_member(&r, lfd);
        }
    }
    while (r.n > 0)
        drop_member(&r, r.n - 1);
    close(wake[0]);
    close(wake[1]);
    wake[0] = wake[1] = -1;
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
