/*
 * shake_client.c: the client of shake_server (td7 alternative, instructor only,
 * alt/sigfd: send(MSG_NOSIGNAL) and recv() with small buffers, the parent's stdout
 * written with writev of a prefix-free buffer, the writer reaped with WNOHANG first and
 * signalled only if it still runs).
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

/* Timeout (-t): the alarm is set again before each recv (not after it), and a flag says
 * whether an EINTR came from it. */
static volatile sig_atomic_t alarm_rang;

static void on_alarm(int sig)
{
    (void)sig;
    alarm_rang = 1;
}

/* SIGALRM caught, SA_RESTART off: connect and recv fail with EINTR when it rings. */
static int start_timeout(unsigned seconds)
{
    struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = 0 };
    sigfillset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) == -1) {
        fprintf(stderr, "%s: sigaction: %s\n", PROG, strerror(errno));
        return -1;
    }
    alarm(seconds);
    return 0;
}

/* The child: standard input to the server, 4 KiB at a time, sent with MSG_NOSIGNAL
 * (a server that has gone gives EPIPE, whatever SIGPIPE's disposition); at end of input
 * shutdown(SHUT_WR), so the server sees EOF although the parent still holds the socket.
 * Never returns. */
static void writer(int sock)
{
    char buf[4096];
    ssize_t n;
    while ((n = read(STDIN_FILENO, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "%s: read from stdin: %s\n", PROG, strerror(errno));
            close(sock);
            _exit(1);
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t k = send(sock, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0) { /* the server is gone or reset us: the parent reports it */
                int e = errno;
                close(sock);
                _exit(e == EPIPE || e == ECONNRESET ? 0 : 1);
            }
            off += k;
        }
    }
    /* From here on the writer just finishes: a SIGTERM from the parent (the server may
     * close as soon as it sees our EOF) must not end it with the socket still open. */
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, NULL);
    if (shutdown(sock, SHUT_WR) == -1 && errno != ENOTCONN) {
        fprintf(stderr, "%s: shutdown: %s\n", PROG, strerror(errno));
        close(sock);
        _exit(1);
    }
    close(sock);
    _exit(0);
}

/* The parent: everything the server sends, to stdout as it comes, until it closes (0),
 * fails (-1) or stays silent for seconds (2; 0: no limit). */
static int reader(int sock, unsigned seconds)
{
    char buf[8192];
    for (;;) {
        if (seconds > 0)
            alarm(seconds);
        ssize_t n = recv(sock, buf, sizeof buf, 0);
        if (n == 0) {
            alarm(0);
            return 0;
        }
        if (n < 0) {
            if (errno == EINTR && alarm_rang)
                return 2;
            if (errno == EINTR)
                continue;
            fprintf(stderr, "%s: read from server: %s\n", PROG, strerror(errno));
            return -1;
        }
        struct iovec iov = { buf, (size_t)n };
        if (writev_all(STDOUT_FILENO, &iov, 1) == -1) {
            fprintf(stderr, "%s: write to stdout: %s\n", PROG, strerror(errno));
            return -1;
        }
    }
}

/* Reap the writer: if it has already ended (end of input came first) it is collected
 * at once; otherwise the server closed first and the writer, maybe blocked on the
 * keyboard, is ended with SIGTERM. Returns its wait status. */
static int end_writer(pid_t pid)
{
    int status = 0;
    pid_t r;
    while ((r = waitpid(pid, &status, WNOHANG)) == -1 && errno == EINTR)
        continue;
    if (r == 0) {
        kill(pid, SIGTERM);
        while ((r = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
            continue;
    }
    return r == pid ? status : 0;
}

/* Fork the writer, read in the parent, then reap the writer. */
static int talk(int sock, unsigned seconds)
{
    fflush(stdout);
    pid_t pid = fork();
    switch (pid) {
    case -1:
        fprintf(stderr, "%s: fork: %s\n", PROG, strerror(errno));
        return -1;
    case 0:
        writer(sock);
    }
    int rc = reader(sock, seconds);
    alarm(0);
    if (rc == 2) {
        fprintf(stderr, "%s: Time out!\n", PROG);
        rc = -1;
    }
    int status = end_writer(pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        rc = -1; /* the writer failed and said why */
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
