/*
 * shake_client.c: the client of shake_server.
 *
 *   shake_client HOST PORT
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
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "shake_client"

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

/* The parent: the socket to standard output until the server closes. 0, or -1. */
static int reader(int sock)
{
    char buf[READ_CHUNK];
    for (;;) {
        ssize_t n = read(sock, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
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
 * first) and reaps it. 0, or -1 if something failed (and was reported). */
static int talk(int sock)
{
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "%s: fork: %s\n", PROG, strerror(errno));
        return -1;
    }
    if (pid == 0)
        writer(sock);
    close(STDIN_FILENO);
    int rc = reader(sock);
    kill(pid, SIGTERM);
    int status;
    while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
        rc = -1; /* the writer failed and said why */
    return rc;
}

/* (DO NOT CHANGE) */
int main(int argc, char **argv)
{
    if (argc != 3 || parse_port(argv[2]) <= 0) {
        fprintf(stderr, "usage: %s HOST PORT   (PORT: 1..65535)\n", PROG);
        return 2;
    }
    char err[256];
    int sock = tcp_connect(argv[1], argv[2], err, sizeof err);
    if (sock < 0) {
        fprintf(stderr, "%s: %s\n", PROG, err);
        return 1;
    }
    /* Writing to a server that has gone must give EPIPE, not kill the writer. */
    signal(SIGPIPE, SIG_IGN);
    set_nodelay(sock);
    int rc = talk(sock);
    close(sock);
    return rc == 0 ? 0 : 1;
}
