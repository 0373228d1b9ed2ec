/*
 * shake_client.c (td7 skeleton): the client of shake_server.
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
 *
 * Implement the functions below "Functions you implement"; main() is provided and must
 * not change. `make check` runs the tests.
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

/* ======================= Functions you implement ======================= */

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

/* The parent: the socket to standard output until the server closes. 0, or -1. */
__attribute__((unused))
static int reader(int sock)
{
    (void)sock;
    // TODO(student): loop: read() sock (retry on EINTR), write_all() to stdout, until
    // read returns 0 (return 0) or fails ("shake_client: read from server: ...", -1).
    return -1;
}

/* Fork: the child runs writer(), the parent closes its stdin (the writer is the only
 * reader), runs reader(), then ends the writer if it still runs (the server closed
 * first) and reaps it. 0, or -1 if something failed (and was reported). */
static int talk(int sock)
{
    (void)sock;
    // TODO(student): fork(); child: writer(sock). Parent: close(STDIN_FILENO),
    // rc = reader(sock), kill(pid, SIGTERM), waitpid(pid, ...) (retry on EINTR);
    // a writer that exited with status 1 makes rc -1.
    fprintf(stderr, "%s: talk() is not implemented yet\n", PROG);
    return -1;
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
