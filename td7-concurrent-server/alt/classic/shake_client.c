/*
 * shake_client.c: the client of shake_server (td7 alternative, instructor only,
 * alt/classic: the writer polls standard input AND the socket, so that it leaves by
 * itself when the server closes; the parent reaps it with SIGTERM only as a fallback).
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
#define _GNU_SOURCE /* POLLRDHUP */
#include "shake.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <poll.h>

#define PROG "shake_client"

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

/* The parent: the server's bytes to stdout until it closes. */
static int reader(int sock)
{
    static char buf[READ_CHUNK];
    ssize_t n;
    while ((n = read(sock, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "%s: read from server: %s\n", PROG, strerror(errno));
            return -1;
        }
        if (write_all(STDOUT_FILENO, buf, (size_t)n) == -1) {
            fprintf(stderr, "%s: write to stdout: %s\n", PROG, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Fork the writer; read; then make sure the writer ends (SIGTERM if it still runs
 * after its own check of the socket had no chance) and reap it. */
static int talk(int sock)
{
    pid_t pid = fork();
    if (pid == -1) {
        fprintf(stderr, "%s: fork: %s\n", PROG, strerror(errno));
        return -1;
    }
    if (pid == 0)
        writer(sock);
    int rc = reader(sock);
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
