/*
 * server_fork.c: the fork model of shake_server (-m fork), td7 alternative (instructor
 * only, alt/sigfd): the parent keeps SIGCHLD blocked and reads it from a signalfd; one
 * poll() waits for the listener (non-blocking) and the signalfd, and the children are
 * reaped in the main loop (waitpid WNOHANG), not in a handler.
 *
 * Each side closes the socket it does not need: the child closes the listener (else it
 * keeps the port open after the server is gone), the parent closes the connection
 * (else its descriptors grow by one per client and the client never sees EOF).
 */
#include "shake.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <poll.h>
#include <fcntl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHILDREN 4096 /* concurrent clients; more wait in the listen backlog */

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

/* The pids of the live children, so that SIGTERM can end them. Updated by the parent
 * (with SIGCHLD blocked) and by the SIGCHLD handler: plain stores, no locks, no malloc:
 * async-signal-safe. */
static volatile pid_t children[MAX_CHILDREN];
static volatile sig_atomic_t nchildren;

__attribute__((unused))
static int children_add(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == 0) {
            children[i] = pid;
            nchildren++;
            return 0;
        }
    return -1;
}

/* Async-signal-safe: call it from the SIGCHLD handler for each reaped pid. */
__attribute__((unused))
static void children_remove(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == pid) {
            children[i] = 0;
            nchildren--;
            return;
        }
}

__attribute__((unused))
static void children_signal_all(int sig)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] > 0)
            kill(children[i], sig);
}

/* "shake_server: WHAT: strerror(errno)" on stderr. Not async-signal-safe. */
__attribute__((unused))
static void report(const char *what)
{
    fprintf(stderr, "shake_server: %s: %s\n", what, strerror(errno));
}

/* Wait a little (after EMFILE: let connections end before accepting again). */
__attribute__((unused))
static void pause_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !stop_requested)
        ;
}

/* ======================= Functions you implement ======================= */

/* The parent's signal mask before SIGCHLD was blocked: what each child starts with. */
static sigset_t start_mask;
/* The signalfd that reports SIGCHLD to the accept loop. */
static int chld_fd = -1;

/* Reap every child that has ended (called by the loop when the signalfd is readable:
 * one SIGCHLD may stand for several children). Not a signal handler in this design. */
static void on_sigchld(int sig)
{
    (void)sig;
    struct signalfd_siginfo si;
    while (read(chld_fd, &si, sizeof si) == (ssize_t)sizeof si)
        continue; /* drain: the signalfd is non-blocking */
    pid_t pid;
    while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
        children_remove(pid);
}

/* Block SIGCHLD for good and open the signalfd that reports it. 0, or -1 with errno. */
static int install_sigchld(void)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, &start_mask) == -1)
        return -1;
    chld_fd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    return chld_fd == -1 ? -1 : 0;
}

/* The child: default actions back, the parent's descriptors closed, the start mask
 * back (SIGCHLD, SIGTERM, SIGINT unblocked), serve, exit. Never returns. */
static void serve_child(struct server *sv, int conn, const sigset_t *old_mask)
{
    (void)old_mask;
    signal(SIGCHLD, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    close(sv->listener);
    close(chld_fd);
    sigset_t mask = start_mask;
    sigdelset(&mask, SIGTERM);
    sigdelset(&mask, SIGINT);
    sigprocmask(SIG_SETMASK, &mask, NULL);
    int flags = fcntl(conn, F_GETFL);
    if (flags != -1)
        fcntl(conn, F_SETFL, flags & ~O_NONBLOCK); /* accepted from a non-blocking listener */
    set_nodelay(conn);
    int rc = session_serve_blocking(conn, sv->echo);
    close(conn);
    _exit(rc == 0 ? 0 : 1);
}

/* Fork a child for conn, with SIGTERM/SIGINT blocked until the child has put their
 * default actions back (the parent's handler shuts the shared listener down). The
 * parent records the pid (SIGCHLD is always blocked here: no reaping can come first)
 * and closes conn. 0, or -1 if fork() failed. */
static int spawn(struct server *sv, int conn)
{
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, &old);
    pid_t pid = -1;
    if (nchildren >= MAX_CHILDREN)
        errno = EAGAIN;
    else
        pid = fork();
    if (pid == 0)
        serve_child(sv, conn, &old);
    int e = errno;
    if (pid > 0)
        children_add(pid);
    close(conn);
    sigprocmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return pid > 0 ? 0 : -1;
}

/* -v: "shake_server: accepted HOST:PORT" on stderr for the client at peer (len bytes,
 * as accept() filled them); numeric, an IPv6 address in brackets. */
static void log_accepted(const struct sockaddr_storage *peer, socklen_t len)
{
    char host[NI_MAXHOST], port[NI_MAXSERV];
    int rc = getnameinfo((const struct sockaddr *)peer, len, host, sizeof host, port,
                         sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    if (rc != 0) /* getnameinfo does not set errno */
        fprintf(stderr, "shake_server: getnameinfo: %s\n", gai_strerror(rc));
    else
        fprintf(stderr, "shake_server: accepted %s%s%s:%s\n", peer->ss_family == AF_INET6 ?
                "[" : "", host, peer->ss_family == AF_INET6 ? "]" : "", port);
}

/* SIGTERM to every child, then wait until none is left. */
static void stop_children(void)
{
    children_signal_all(SIGTERM);
    while (nchildren > 0) {
        pid_t pid = waitpid(-1, NULL, 0);
        if (pid > 0)
            children_remove(pid);
        else if (errno != EINTR)
            break;
    }
    if (chld_fd != -1)
        close(chld_fd);
}

/* Accept what the listener has (non-blocking: EAGAIN ends the batch). -1 on a fatal
 * accept error, else 0. */
static int accept_batch(struct server *sv)
{
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer; /* set again for each accept: it is in and out */
        int conn = accept(sv->listener, (struct sockaddr *)&peer, &len);
        if (conn < 0) {
            if (stop_requested || errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            report("accept");
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                pause_ms(10);
                return 0;
            }
            return -1;
        }
        if (sv->verbose)
            log_accepted(&peer, len);
        if (spawn(sv, conn) == -1)
            report("fork");
    }
}

/* The loop: poll the listener and the SIGCHLD signalfd until SIGTERM. */
int serve_fork(struct server *sv)
{
    int rc = 0;
    if (install_sigchld() == -1 || set_nonblocking(sv->listener) == -1) {
        report("signalfd");
        close(sv->listener);
        return -1;
    }
    while (!stop_requested && rc == 0) {
        struct pollfd pfd[2] = { { .fd = sv->listener, .events = POLLIN },
                                 { .fd = chld_fd, .events = POLLIN } };
        if (poll(pfd, 2, -1) == -1) {
            if (errno == EINTR)
                continue; /* the stop handler ran: the loop test sees it */
            report("poll");
            rc = -1;
            break;
        }
        if (stop_requested)
            break;
        if (pfd[1].revents & POLLIN)
            on_sigchld(SIGCHLD);
        if (pfd[0].revents & (POLLIN | POLLERR | POLLHUP))
            rc = accept_batch(sv);
    }
    close(sv->listener);
    stop_children();
    return rc;
}
