/*
 * shake_client.c (td7 skeleton): the client of shake_server.
 *
 *   shake_client [-t SECONDS] HOST PORT
 *
 * It forks: the child copies standard input to the server, the parent prints what the
 * server sends. Two processes, because each side may block: the child waits for the
 * user, the parent for the server, and neither must hold the other up.
 *
 * Ending (README.md): at end of input the child shuts down the socket's write side
 * (the server sees EOF, answers what it still has, then closes) and exits; the parent
 * prints until the server closes, then ends the child if it still runs (the server
 * went first), reaps it, and exits.
 *
 * Timeout (-t SECONDS, README.md): main() calls start_timeout() before connecting when
 * -t is given, and passes SECONDS (0: none) to talk().
 *
 * Implement the functions below "Functions you implement"; main() is provided and must
 * not change. `make check` runs the tests.
 */
#include "shake.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "shake_client"

/* ======================= Functions you implement ======================= */

/* Set by on_alarm: the server has been silent for the -t time. */
__attribute__((unused))
static volatile sig_atomic_t timed_out;

/* SIGALRM: note it; the interrupted call returns EINTR and its caller looks here. */
__attribute__((unused))
static void on_alarm(int sig)
{
    (void)sig;
    // TODO(student): timed_out = 1 (nothing else: no printf in a handler).
}

/* -t SECONDS (called by main() before connecting): catch SIGALRM without SA_RESTART, so
 * that a blocked read or connect fails with EINTR, and start the count. 0, or -1. */
static int start_timeout(unsigned seconds)
{
    (void)seconds;
    // TODO(student): sigaction(SIGALRM, ...) with on_alarm and sa_flags 0 (report a
    // failure: "shake_client: sigaction: ...", return -1), then alarm(seconds).
    return 0;
}

/* The child: standard input to the socket; at EOF, shutdown(SHUT_WR): close() would
 * not do, the parent's descriptor keeps the connection open. Never returns. */
__attribute__((unused))
static void writer(int sock)
{
    (void)sock;
    // TODO(student): loop: read() stdin into a buffer (retry on EINTR), write_all() it
    // to sock (EPIPE/ECONNRESET: the server is gone, _exit(0)); at EOF
    // shutdown(sock, SHUT_WR) and _exit(0). Read errors: one line, _exit(1).
    // Close sock before every _exit (valgrind --track-fds counts it as leaked).
    _exit(1);
}

/* The parent: the socket to standard output until the server closes. 0, -1, or
 * TIMED_OUT when seconds (0: none) passed without a byte from the server. */
#define TIMED_OUT 1
__attribute__((unused))
static int reader(int sock, unsigned seconds)
{
    (void)sock, (void)seconds;
    // TODO(student): loop: read() sock (on EINTR: return TIMED_OUT if timed_out is set,
    // else retry), write_all() to stdout, until read returns 0 (return 0) or fails
    // ("shake_client: read from server: ...", -1). After each read: alarm(seconds) if
    // it got bytes (they restart the count), alarm(0) otherwise.
    return -1;
}

/* Fork: the child runs writer(), the parent closes its stdin (the writer is the only
 * reader), runs reader(), then ends the writer if it still runs (the server closed
 * first, or was silent for seconds) and reaps it. 0, or -1 if something failed or timed
 * out (and was reported). */
static int talk(int sock, unsigned seconds)
{
    (void)sock, (void)seconds;
    // TODO(student): fork(); child: writer(sock). Parent: close(STDIN_FILENO),
    // rc = reader(sock, seconds) (TIMED_OUT: print "shake_client: Time out!"),
    // kill(pid, SIGTERM), waitpid(pid, ...) (retry on EINTR); a writer that exited with
    // status 1 makes rc -1.
    fprintf(stderr, "%s: talk() is not implemented yet\n", PROG);
    return -1;
}

/* (DO NOT CHANGE) */
/* The value of -t: 1..3600 (seconds), or -1. */
static int parse_seconds(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno != 0 || end == s || *end != '\0' || v < 1 || v > 3600 ? -1 : (int)v;
}

static int usage(void)
{
    fprintf(stderr, "usage: %s [-t SECONDS] HOST PORT   (PORT: 1..65535, SECONDS: 1..3600)\n",
            PROG);
    return 2;
}

int main(int argc, char **argv)
{
    int opt, seconds = 0; /* 0: no timeout */
    opterr = 0;           /* one usage line, not getopt's message as well */
    while ((opt = getopt(argc, argv, "+t:")) != -1)
        if (opt != 't' || (seconds = parse_seconds(optarg)) < 0)
            return usage();
    if (argc - optind != 2 || parse_port(argv[optind + 1]) <= 0)
        return usage();
    /* The count starts before connecting: a server that never accepts is silent too. */
    if (seconds > 0 && start_timeout((unsigned)seconds) == -1)
        return 1;
    char err[256];
    int sock = tcp_connect(argv[optind], argv[optind + 1], err, sizeof err);
    if (sock < 0) {
        /* EINTR: the only signal caught here is the timeout's SIGALRM. */
        fprintf(stderr, "%s: %s\n", PROG, errno == EINTR ? "Time out!" : err);
        return 1;
    }
    /* Writing to a server that has gone must give EPIPE, not kill the writer. */
    signal(SIGPIPE, SIG_IGN);
    set_nodelay(sock);
    int rc = talk(sock, (unsigned)seconds);
    close(sock);
    return rc == 0 ? 0 : 1;
}
