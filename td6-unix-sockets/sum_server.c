/*
 * sum_server.c: td6 skeleton. A server on a UNIX domain SOCK_SEQPACKET socket that
 * serves rounds: it waits for the values of CLIENTS clients, prints their sum and sends
 * it back to each of them, then starts the next round, until SIGINT or SIGTERM; then it
 * removes its socket file and exits 0. The contract is in README.md.
 *
 * Implement the functions below the "Functions you implement" line; the helpers
 * above it are provided and must not change. `make check` runs the tests.
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
    (void)orig;
    // TODO(student): a struct sigaction with on_stop_signal for SIGINT and SIGTERM, and
    // sigprocmask(SIG_BLOCK, {SIGINT, SIGTERM}, orig) so they arrive only inside ppoll();
    // then remove both from *orig (they must be deliverable inside ppoll).
    fprintf(stderr, "sum_server: install_stop_handlers is not implemented\n");
    return -1;
}

/* bind() said EADDRINUSE: path exists. Remove it if it is a stale socket (nobody
 * accepts connections on it); refuse if it is not a socket or if a server is live.
 * 0 if removed, -1 (message printed) otherwise. */
__attribute__((unused))
static int remove_stale_socket(const char *path, const struct sockaddr_un *sa)
{
    (void)path;
    (void)sa;
    // TODO(student): lstat() + S_ISSOCK; connect() a probe socket: success means a live
    // server (refuse), ECONNREFUSED a stale file (unlink it); close the probe.
    fprintf(stderr, "sum_server: remove_stale_socket is not implemented\n");
    return -1;
}

/* Create the listening socket on path (SOCK_SEQPACKET), replacing a stale socket file.
 * Returns its descriptor, or -1 after printing one error line. */
static int open_listener(const char *path)
{
    (void)path;
    // TODO(student): make_address(), socket(AF_UNIX, SOCK_SEQPACKET, 0), bind() (on
    // EADDRINUSE: remove_stale_socket() then bind() again), listen().
    fprintf(stderr, "sum_server: open_listener is not implemented\n");
    return -1;
}

/* Send msg (a string, without its NUL) as one message on fd. Its client may have left:
 * that is not an error for the server, and must not kill it (SIGPIPE). */
__attribute__((unused))
static void send_message(int fd, const char *msg)
{
    (void)fd;
    (void)msg;
    // TODO(student): send() the whole string as one message, retried after EINTR; its
    // client may have left: use MSG_NOSIGNAL so that this fails with EPIPE (ignored)
    // instead of raising SIGPIPE, whose default action would kill the server.
}

/* Remove member i from the round (closing its connection), keeping the order. */
__attribute__((unused))
static void drop_member(struct round *r, int i)
{
    (void)r;
    (void)i;
    // TODO(student): close its descriptor, shift the members after it down by one, r->n--.
}

/* Member i is readable: take its value, or reject its message (error reply, then the
 * connection is closed). recv() returning 0 means the client left. */
__attribute__((unused))
static void receive_value(struct round *r, int i)
{
    (void)r;
    (void)i;
    // TODO(student): one recv() into a MSG_MAX buffer; 0 bytes: the client left (drop it);
    // a bad value or a second value: send_message(REPLY_ERROR "...") and drop it;
    // otherwise record the value.
}

/* Every member has sent its value: print the round, send the sum to each member,
 * close their connections and start the next round. */
__attribute__((unused))
static void finish_round(struct round *r)
{
    (void)r;
    // TODO(student): add the values in a long long, print_round(), send "sum S" to every
    // member with send_message(), close every member, r->n = 0, r->number++.
}

/* Accept one client into the round. */
__attribute__((unused))
static void accept_member(struct round *r, int lfd)
{
    (void)r;
    (void)lfd;
    // TODO(student): accept(); on success append a member without a value.
}

/* Serve rounds of `want` clients on lfd until SIGINT/SIGTERM; then close the
 * connections of the unfinished round and print "stopped after N rounds".
 * 0 on a requested stop, -1 on a fatal error. */
static int serve(int lfd, int want, const sigset_t *orig)
{
    (void)lfd;
    (void)want;
    (void)orig;
    // TODO(student): until stop_requested: build a pollfd array (the members, plus the
    // listener while the round has fewer than `want` members), ppoll(..., orig), drop the
    // members with POLLHUP/POLLERR, receive_value() from the readable ones (walk them from
    // last to first: dropping member i moves only those after it), finish_round()
    // when `want` members have sent a value, else accept_member() if the listener is
    // readable. At the end drop the remaining members and say "stopped after N rounds".
    fprintf(stderr, "sum_server: serve is not implemented\n");
    return -1;
}

/* Close the listening socket and remove its file. */
static void close_listener(int lfd, const char *path)
{
    (void)lfd;
    (void)path;
    // TODO(student): close() the listener and unlink() its path.
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
