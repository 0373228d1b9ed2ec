/*
 * server_fork.c: the fork model of shake_server (-m fork), td7 alternative (instructor
 * only, alt/classic): a SIGCHLD handler WITHOUT SA_RESTART (every interrupted accept is
 * retried) that reaps with waitid(P_ALL, WNOHANG); at SIGTERM the parent signals its
 * children and sleeps in sigsuspend() until the handler has reaped the last one.
 *
 * Each side closes the socket it does not need: the child closes the listener (else it
 * keeps the port open after the server is gone), the parent closes the connection
 * (else its descriptors grow by one per client and the client never sees EOF).
 */
#include "shake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

/* SIGCHLD: reap with waitid(WNOHANG) until no ended child is left (si_pid 0), forget
 * each pid, keep errno. */
static void on_sigchld(int sig)
{
    (void)sig;
    int saved = errno;
    for (;;) {
        siginfo_t si;
        si.si_pid = 0;
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) == -1 || si.si_pid == 0)
            break;
        children_remove(si.si_pid);
    }
    errno = saved;
}

/* The handler, with no SA_RESTART: accept() fails with EINTR when a child ends, and the
 * loop retries it. SIGTERM/SIGINT are held off while it runs. */
static int install_sigchld(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGINT);
    return sigaction(SIGCHLD, &sa, NULL);
}

/* The child: default actions, no listener, the old mask, serve, exit. */
static void serve_child(struct server *sv, int conn, const sigset_t *old_mask)
{
    signal(SIGCHLD, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    if (close(sv->listener) == -1)
        _exit(1);
    sigprocmask(SIG_SETMASK, old_mask, NULL);
    set_nodelay(conn);
    int rc = session_serve_blocking(conn, sv->echo);
    close(conn);
    _exit(rc ? 1 : 0);
}

/* fork with SIGCHLD/SIGTERM/SIGINT blocked until the pid is in the table. */
static int spawn(struct server *sv, int conn)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t pid = -1;
    if (nchildren < MAX_CHILDREN)
        pid = fork();
    else
        errno = EAGAIN;
    int e = errno;
    if (pid == 0)
        serve_child(sv, conn, &old);
    if (pid > 0 && children_add(pid) == -1)
        kill(pid, SIGKILL); /* cannot happen: nchildren was checked */
    close(conn);
    sigprocmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return pid > 0 ? 0 : -1;
}

/* -v: "shake_server: accepted HOST:PORT" on stderr for the client at peer (as accept()
 * filled it), the other way: inet_ntop on the address of its family, ntohs on the port
 * (network byte order on the wire and in the structure). An IPv6 address in brackets. */
static void log_accepted(const struct sockaddr_storage *peer)
{
    char host[INET6_ADDRSTRLEN];
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)peer;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)peer;
    bool v6 = peer->ss_family == AF_INET6;
    const void *addr = v6 ? (const void *)&in6->sin6_addr : (const void *)&in4->sin_addr;
    if (!inet_ntop(peer->ss_family, addr, host, sizeof host)) {
        report("inet_ntop");
        return;
    }
    fprintf(stderr, "shake_server: accepted %s%s%s:%u\n", v6 ? "[" : "", host, v6 ? "]" : "",
            (unsigned)ntohs(v6 ? in6->sin6_port : in4->sin_port));
}

/* SIGTERM to every child, then sigsuspend() until the handler has reaped them all. */
static void stop_children(void)
{
    sigset_t block, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGCHLD);
    children_signal_all(SIGTERM);
    while (nchildren > 0)
        sigsuspend(&wait_mask);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
}

/* accept, retried after EINTR (no SA_RESTART here), one child per connection. */
int serve_fork(struct server *sv)
{
    if (install_sigchld() == -1) {
        report("sigaction");
        close(sv->listener);
        return -1;
    }
    int rc = 0;
    for (;;) {
        if (stop_requested)
            break;
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer; /* set again for each accept: it is in and out */
        int conn = accept(sv->listener, (struct sockaddr *)&peer, &len);
        if (conn == -1) {
            if (stop_requested)
                break;
            switch (errno) {
            case EINTR:
            case ECONNABORTED:
            case EPROTO:
                continue;
            case EMFILE:
            case ENFILE:
            case ENOBUFS:
            case ENOMEM:
                report("accept");
                pause_ms(10);
                continue;
            default:
                report("accept");
                rc = -1;
            }
            break;
        }
        if (sv->verbose)
            log_accepted(&peer);
        if (spawn(sv, conn) == -1)
            report("fork");
    }
    close(sv->listener);
    stop_children();
    return rc;
}
