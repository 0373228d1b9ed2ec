/*
 * shake_client.c: the client of shake_server (td7 alternative, instructor only,
 * alt/classic: the writer polls standard input AND the socket, so that it leaves by
 * itself when the server closes; the parent reaps it with SIGTERM only as a fallback).
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
 * Timeout (-t): the SIGALRM handler does nothing at all; since it is the only handler the
 * parent has, an EINTR from its read means the alarm rang (no flag).
 */
#define _GNU_SOURCE /* POLLRDHUP */
#include "shake.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <poll.h>

#define PROG "shake_client"

/* SIGALRM: its only job is to exist, so that the blocked call is interrupted. */
static void on_alarm(int sig)
{
    (void)sig;
}

/* Catch SIGALRM with no SA_RESTART (the blocked call must fail) and arm the alarm. */
static int start_timeout(unsigned seconds)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) == -1) {
        fprintf(stderr, "%s: sigaction: %s\n", PROG, strerror(errno));
        return -1;
    }
    alarm(seconds);
    return 0;
}

/* Close the socket and exit with status: SIGTERM (which the parent may send at any
 * moment once the server has closed) is blocked first, so that the writer never dies
 * between its last call and _exit() with the socket still open. */
static void leave(int sock, int status)
{
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, NULL);
    close(sock);
    _exit(status);
}

/* The child: poll stdin and the socket. Input goes to the server; end of input ->
 * shutdown(SHUT_WR), exit. The server closing (POLLHUP/POLLRDHUP/POLLERR on the
 * socket) -> exit at once, whatever the keyboard does. Never returns. */
static void writer(int sock)
{
    char buf[READ_CHUNK];
    struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
                           { .fd = sock, .events = POLLRDHUP } };
    for (;;) {
        if (poll(p, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "%s: poll: %s\n", PROG, strerror(errno));
            leave(sock, 1);
        }
        if (p[1].revents & (POLLHUP | POLLRDHUP | POLLERR))
            leave(sock, 0); /* the server went first: the parent reports what it has to */
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "%s: read from stdin: %s\n", PROG, strerror(errno));
            leave(sock, 1);
        }
        if (n == 0)
            break;
        if (write_all(sock, buf, (size_t)n) == -1) {
            leave(sock, errno == EPIPE || errno == ECONNRESET ? 0 : 1);
        }
    }
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, NULL); /* from here on the writer just finishes */
    shutdown(sock, SHUT_WR);
    leave(sock, 0);
}

/* The parent: the server's bytes to stdout until it closes (0), fails (-1), or is
 * silent for seconds (1; seconds 0: never). */
static int reader(int sock, unsigned seconds)
{
    static char buf[READ_CHUNK];
    ssize_t n;
    while ((n = read(sock, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            return 1; /* only SIGALRM is caught */
        if (n < 0) {
            fprintf(stderr, "%s: read from server: %s\n", PROG, strerror(errno));
            return -1;
        }
        if (seconds > 0)
            alarm(seconds);
        if (write_all(STDOUT_FILENO, buf, (size_t)n) == -1) {
            fprintf(stderr, "%s: write to stdout: %s\n", PROG, strerror(errno));
            return -1;
        }
    }
    alarm(0);
    return 0;
}

/* Fork the writer; read; then make sure the writer ends (SIGTERM if it still runs
 * after its own check of the socket had no chance) and reap it. */
static int talk(int sock, unsigned seconds)
{
    pid_t pid = fork();
    if (pid == -1) {
        fprintf(stderr, "%s: fork: %s\n", PROG, strerror(errno));
        return -1;
    }
    if (pid == 0)
        writer(sock);
    int rc = reader(sock, seconds);
    if (rc == 1) {
        fprintf(stderr, "%s: Time out!\n", PROG);
        rc = -1;
    }
    int status;
    pid_t r;
    while ((r = waitpid(pid, &status, WNOHANG)) == -1 && errno == EINTR)
        continue;
    if (r == 0) {
        kill(pid, SIGTERM);
        while ((r = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
            continue;
    }
    if (r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 1)
        rc = -1;
    return rc;
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
