/*
 * shake_client.c: the client of shake_server.
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
 * Timeout (-t): SIGALRM, caught without SA_RESTART, makes the parent's blocked read (or
 * connect) fail with EINTR; every byte received re-arms the alarm. The writer gets no
 * alarm (fork does not pass it on): the parent ends it.
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

/* Set by on_alarm: the server has been silent for the -t time. */
static volatile sig_atomic_t timed_out;

/* SIGALRM: note it; the interrupted call returns EINTR and its caller looks here. */
static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
}

/* -t SECONDS (called by main() before connecting): catch SIGALRM without SA_RESTART, so
 * that a blocked read or connect fails with EINTR, and start the count. 0, or -1. */
static int start_timeout(unsigned seconds)
{
    struct sigaction sa = { .sa_handler = on_alarm }; /* sa_flags 0: no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) == -1) {
        fprintf(stderr, "%s: sigaction: %s\n", PROG, strerror(errno));
        return -1;
    }
    alarm(seconds);
    return 0;
}

/* The child: standard input to the socket; at EOF, shutdown(SHUT_WR): close() would
 * not do, the parent's descriptor keeps the connection open. Never returns. */
static void writer(int sock)
{
    char buf[READ_CHUNK];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "%s: read from stdin: %s\n", PROG, strerror(errno));
            close(sock);
            _exit(1);
        }
        if (n == 0)
            break;
        /* EPIPE/ECONNRESET: the server is gone; the parent reports that, not us. */
        if (write_all(sock, buf, (size_t)n) == -1) {
            int e = errno;
            close(sock);
            _exit(e == EPIPE || e == ECONNRESET ? 0 : 1);
        }
    }
    shutdown(sock, SHUT_WR);
    close(sock);
    _exit(0);
}

/* The parent: the socket to standard output until the server closes. 0, -1, or
 * TIMED_OUT when seconds (0: none) passed without a byte from the server. */
#define TIMED_OUT 1
static int reader(int sock, unsigned seconds)
{
    char buf[READ_CHUNK];
    for (;;) {
        ssize_t n = read(sock, buf, sizeof buf);
        if (n < 0 && errno == EINTR && timed_out)
            return TIMED_OUT;
        if (n < 0 && errno == EINTR)
            continue;
        alarm(n > 0 ? seconds : 0); /* a byte restarts the count; the end stops it */
        if (n < 0) {
            fprintf(stderr, "%s: read from server: %s\n", PROG, strerror(errno));
            return -1;
        }
        if (n == 0)
            return 0;
        if (write_all(STDOUT_FILENO, buf, (size_t)n) == -1) {
            fprintf(stderr, "%s: write to stdout: %s\n", PROG, strerror(errno));
            return -1;
        }
    }
}

/* Fork: the child runs writer(), the parent closes its stdin (the writer is the only
 * reader), runs reader(), then ends the writer if it still runs (the server closed
 * first, or was silent for seconds) and reaps it. 0, or -1 if something failed or timed
 * out (and was reported). */
static int talk(int sock, unsigned seconds)
{
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "%s: fork: %s\n", PROG, strerror(errno));
        return -1;
    }
    if (pid == 0)
        writer(sock);
    close(STDIN_FILENO);
    int rc = reader(sock, seconds);
    if (rc == TIMED_OUT)
        fprintf(stderr, "%s: Time out!\n", PROG);
    kill(pid, SIGTERM);
    int status;
    while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
        rc = -1; /* the writer failed and said why */
    return rc == 0 ? 0 : -1;
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
