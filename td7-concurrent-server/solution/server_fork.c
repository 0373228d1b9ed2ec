/*
 * server_fork.c: the fork model of shake_server (-m fork, the graded core): the parent
 * accepts, forks one child per connection and goes back to accept(); the child serves
 * that one client and exits. A SIGCHLD handler reaps the children as they end.
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

/* SIGCHLD: reap every child that has ended (several may end for one signal: signals do
 * not queue), forget its pid, and leave errno as it was (the handler may interrupt
 * the parent between a failing call and its test of errno). */
static void on_sigchld(int sig)
{
    (void)sig;
    int saved = errno;
    pid_t pid;
    while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
        children_remove(pid);
    errno = saved;
}

/* Install on_sigchld with sigaction(). SA_RESTART restarts the calls it interrupts;
 * SA_NOCLDSTOP: a child stopped by a signal is not an end. 0, or -1 with errno. */
static int install_sigchld(void)
{
    struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGCHLD, &sa, NULL);
}

/* In the child: put back the default signal actions (the parent's handlers mean
 * nothing here: SIGTERM must just end the child), close the listener, unblock the
 * signals, serve the client, exit. Never returns. */
static void serve_child(struct server *sv, int conn, const sigset_t *old_mask)
{
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGCHLD, &dfl, NULL);
    sigaction(SIGTERM, &dfl, NULL);
    sigaction(SIGINT, &dfl, NULL);
    close(sv->listener);
    sigprocmask(SIG_SETMASK, old_mask, NULL);
    set_nodelay(conn);
    /* A client that vanishes (reset, EPIPE) is normal: no message, just end. */
    int rc = session_serve_blocking(conn, sv->echo);
    close(conn);
    _exit(rc == 0 ? 0 : 1);
}

/* Fork a child for conn. SIGCHLD (and SIGTERM, SIGINT) stay blocked from before fork()
 * until the parent has recorded the pid: else a child that ends at once could be
 * reaped before it is added, and its stale pid stay in the table. The parent closes
 * conn whatever happens. 0, or -1 if fork() failed. */
static int spawn(struct server *sv, int conn)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t pid = nchildren < MAX_CHILDREN ? fork() : (errno = EAGAIN, -1);
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
 * as accept() filled them). Numeric only: a name would cost a DNS query in the accept
 * loop. An IPv6 address goes in brackets, to keep its colons apart from the port's. */
static void log_accepted(const struct sockaddr_storage *peer, socklen_t len)
{
    char host[NI_MAXHOST], port[NI_MAXSERV];
    int rc = getnameinfo((const struct sockaddr *)peer, len, host, sizeof host, port,
                         sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    if (rc != 0) /* getnameinfo does not set errno */
        fprintf(stderr, "shake_server: getnameinfo: %s\n", gai_strerror(rc));
    else if (peer->ss_family == AF_INET6)
        fprintf(stderr, "shake_server: accepted [%s]:%s\n", host, port);
    else
        fprintf(stderr, "shake_server: accepted %s:%s\n", host, port);
}

/* SIGTERM to every child, then wait for all of them. */
static void stop_children(void)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    children_signal_all(SIGTERM);
    pid_t pid;
    while ((pid = waitpid(-1, NULL, 0)) > 0 || (pid == -1 && errno == EINTR))
        if (pid > 0)
            children_remove(pid);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The accept loop: one child per connection, until SIGTERM. 0, or -1 on a fatal error. */
int serve_fork(struct server *sv)
{
    int rc = 0;
    if (install_sigchld() == -1) {
        report("sigaction");
        close(sv->listener);
        return -1;
    }
    while (!stop_requested) {
        struct sockaddr_storage peer; /* large enough for any family */
        socklen_t len = sizeof peer;  /* in: the buffer's size; out: the address's */
        int conn = accept(sv->listener, (struct sockaddr *)&peer, &len);
        if (conn < 0) {
            if (stop_requested)
                break;
            /* EINTR: a child ended during accept(); ECONNABORTED: the client left
             * before we took it. Neither is the server's problem. */
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                report("accept");
                pause_ms(10);
                continue;
            }
            report("accept");
            rc = -1;
            break;
        }
        if (sv->verbose)
            log_accepted(&peer, len);
        if (spawn(sv, conn) == -1)
            report("fork");
    }
    close(sv->listener);
    stop_children();
    return rc;
}
