/*
 * server_fork.c, alt/sigign: the fork model with automatic reaping (instructor only;
 * alt/sigign/README.md). SIGCHLD is set to SIG_IGN: the kernel reaps every child as it
 * ends (POSIX), so no zombie is ever left and no handler interrupts accept(). The price:
 * the parent is not told which children ended, and their pids may be reused. The
 * children table (the provided helpers) is kept for SIGTERM, and an entry is trusted
 * only while /proc says that pid is still a child of ours: stale entries are dropped
 * when the table is full and before SIGTERM is forwarded. At SIGTERM, waitpid() blocks
 * until every child has ended, then fails with ECHILD (SIGCHLD ignored: no status).
 *
 * Each side closes the socket it does not need, as in the reference.
 */
#include "shake.h"

#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
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

/* Is pid still a child of this process? /proc/PID/stat's 4th field is its parent: a
 * reused pid belongs to someone else's process (or to a new child of ours, which is in
 * the table anyway). */
static bool still_my_child(pid_t pid)
{
    char path[48], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    const char *end = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
    char state;
    int ppid;
    return end && sscanf(end + 1, " %c %d", &state, &ppid) == 2 && ppid == getpid() &&
           state != 'Z';
}

/* Drop the entries of children that have ended (the kernel reaped them). Called with
 * SIGTERM/SIGINT blocked or after the accept loop: the table changes nowhere else. */
static void children_prune(void)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] > 0 && !still_my_child(children[i]))
            children_remove(children[i]);
}

/* SIGCHLD ignored: the kernel reaps. SIG_IGN (not just the default, which also
 * ignores the signal but leaves zombies) is what turns automatic reaping on. */
static int install_sigchld(void)
{
    struct sigaction sa = { .sa_handler = SIG_IGN };
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGCHLD, &sa, NULL);
}

/* In the child: default signal actions back, close the listener, unblock, serve, exit. */
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
    int rc = session_serve_blocking(conn, sv->echo);
    close(conn);
    _exit(rc == 0 ? 0 : 1);
}

/* Fork a child for conn; SIGTERM/SIGINT blocked until its pid is in the table (a
 * SIGTERM in between would miss it). The parent closes conn whatever happens. */
static int spawn(struct server *sv, int conn)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    if (nchildren >= MAX_CHILDREN)
        children_prune();
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

/* SIGTERM to every child still ours, then wait: with SIGCHLD ignored, waitpid() returns
 * only once every child has ended, failing with ECHILD. */
static void stop_children(void)
{
    children_prune();
    children_signal_all(SIGTERM);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
        ;
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
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer; /* set again for each accept: it is in and out */
        int conn = accept(sv->listener, (struct sockaddr *)&peer, &len);
        if (conn < 0) {
            if (stop_requested)
                break;
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
