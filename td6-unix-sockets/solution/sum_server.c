/*
 * sum_server.c: td6 reference. A server on a UNIX domain SOCK_SEQPACKET socket that
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

/* Install on_stop_signal for SIGINT and SIGTERM and block both signals; *orig gets
 * the previous mask, which serve() gives to ppoll() so that the signals are delivered
 * only while the server waits. 0 on success, -1 on error. */
static int install_stop_handlers(sigset_t *orig)
{
    struct sigaction sa = { .sa_handler = on_stop_signal };
    sigset_t stop_set;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &stop_set, orig) == -1 ||
        sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1) {
        perror("sum_server: sigaction");
        return -1;
    }
    /* Inside ppoll() both must be deliverable, even if our parent had blocked them. */
    sigdelset(orig, SIGINT);
    sigdelset(orig, SIGTERM);
    return 0;
}

/* bind() said EADDRINUSE: path exists. Remove it if it is a stale socket (nobody
 * accepts connections on it); refuse if it is not a socket or if a server is live.
 * 0 if removed, -1 (message printed) otherwise. */
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
    int probe = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    if (probe == -1) {
        fprintf(stderr, "sum_server: socket: %s\n", strerror(errno));
        return -1;
    }
    int rc = connect(probe, (const struct sockaddr *)sa, sizeof *sa), err = errno;
    close(probe);
    if (rc == 0) {
        fprintf(stderr, "sum_server: a server is already listening on %s\n", path);
        return -1;
    }
    if (err != ECONNREFUSED) {
        fprintf(stderr, "sum_server: cannot probe %s: %s\n", path, strerror(err));
        return -1;
    }
    if (unlink(path) == -1 && errno != ENOENT) {
        fprintf(stderr, "sum_server: cannot remove stale socket %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Create the listening socket on path (SOCK_SEQPACKET), replacing a stale socket file.
 * Returns its descriptor, or -1 after printing one error line. */
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
    if (listen(fd, SOMAXCONN) == -1) {
        fprintf(stderr, "sum_server: listen: %s\n", strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    return fd;
}

/* Send msg (a string, without its NUL) as one message on fd. Its client may have left:
 * that is not an error for the server, and must not kill it (SIGPIPE). */
static void send_message(int fd, const char *msg)
{
    while (send(fd, msg, strlen(msg), MSG_NOSIGNAL) == -1 && errno == EINTR)
        continue;
}

/* Remove member i from the round (closing its connection), keeping the order. */
static void drop_member(struct round *r, int i)
{
    close(r->m[i].fd);
    memmove(&r->m[i], &r->m[i + 1], (size_t)(r->n - i - 1) * sizeof r->m[0]);
    r->n--;
}

/* Member i is readable: take its value, or reject its message (error reply, then the
 * connection is closed). recv() returning 0 means the client left. */
static void receive_value(struct round *r, int i)
{
    char buf[MSG_MAX];
    ssize_t n;
    int32_t v;
    while ((n = recv(r->m[i].fd, buf, sizeof buf, 0)) == -1 && errno == EINTR)
        continue;
    if (n <= 0) {
        fprintf(stderr, "sum_server: a client left round %ld before its end\n", r->number);
        drop_member(r, i);
    } else if (r->m[i].has_value || parse_value(buf, (size_t)n, &v) == -1) {
        fprintf(stderr, "sum_server: rejected a bad message (%zd bytes) in round %ld\n", n,
                r->number);
        send_message(r->m[i].fd, r->m[i].has_value ? REPLY_ERROR "one value per connection"
                     : REPLY_ERROR "not an integer in -2147483648..2147483647");
        drop_member(r, i);
    } else {
        r->m[i].value = v;
        r->m[i].has_value = true;
    }
}

/* Every member has sent its value: print the round, send the sum to each member,
 * close their connections and start the next round. */
static void finish_round(struct round *r)
{
    long long sum = 0;
    char reply[64];
    for (int i = 0; i < r->n; i++)
        sum += r->m[i].value;
    print_round(r, sum);
    snprintf(reply, sizeof reply, REPLY_SUM "%lld", sum);
    for (int i = 0; i < r->n; i++) {
        send_message(r->m[i].fd, reply);
        close(r->m[i].fd);
    }
    r->n = 0;
    r->number++;
}

/* Accept one client into the round. */
static void accept_member(struct round *r, int lfd)
{
    int fd = accept(lfd, NULL, NULL);
    if (fd == -1) {
        if (errno != EINTR && errno != ECONNABORTED)
            fprintf(stderr, "sum_server: accept: %s\n", strerror(errno));
        return;
    }
    r->m[r->n++] = (struct member){ .fd = fd };
}

/* Serve rounds of `want` clients on lfd until SIGINT/SIGTERM; then close the
 * connections of the unfinished round and print "stopped after N rounds".
 * 0 on a requested stop, -1 on a fatal error. */
static int serve(int lfd, int want, const sigset_t *orig)
{
    struct round r = { .want = want, .number = 1 };
    struct pollfd pfd[MAX_CLIENTS + 1];
    int rc = 0;
    while (!stop_requested) {
        int n = 0;
        for (int i = 0; i < r.n; i++)
            pfd[n++] = (struct pollfd){ .fd = r.m[i].fd, .events = POLLIN };
        bool listening = r.n < want;
        if (listening)
            pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
        if (ppoll(pfd, (nfds_t)n, NULL, orig) == -1) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "sum_server: poll: %s\n", strerror(errno));
            rc = -1;
            break;
        }
        /* Last to first: dropping member i moves only the members after it. Departures
         * are handled before the round can complete, so a departed client's value never
         * counts. */
        for (int i = r.n - 1; i >= 0; i--) {
            if (pfd[i].revents & (POLLHUP | POLLERR)) {
                fprintf(stderr, "sum_server: a client left round %ld before its end\n",
                        r.number);
                drop_member(&r, i);
            } else if (pfd[i].revents & POLLIN) {
                receive_value(&r, i);
            }
        }
        int values = 0;
        for (int i = 0; i < r.n; i++)
            values += r.m[i].has_value;
        if (r.n == want && values == want)
            finish_round(&r);
        else if (listening && (pfd[n - 1].revents & POLLIN))
            accept_member(&r, lfd);
    }
    while (r.n > 0)
        drop_member(&r, r.n - 1);
    say("stopped after %ld rounds\n", r.number - 1);
    return rc;
}

/* Close the listening socket and remove its file. */
static void close_listener(int lfd, const char *path)
{
    close(lfd);
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
