/*
 * server_fork.c (td7 skeleton): the fork model of shake_server (-m fork, the graded
 * core): the parent accepts, forks one child per connection and goes back to accept();
 * the child serves that one client and exits. A SIGCHLD handler reaps the children as
 * they end.
 *
 * Each side closes the socket it does not need: the child closes the listener (else it
 * keeps the port open after the server is gone), the parent closes the connection
 * (else its descriptors grow by one per client and the client never sees EOF).
 *
 * Implement the functions below the "Functions you implement" line (the part above it is
 * provided and must not change); README.md gives the contract, `make check` the tests.
 */
#include "shake.h"

#include <errno.h>
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
__attribute__((unused))
static void on_sigchld(int sig)
{
    (void)sig;
    // TODO(student): save errno; loop on waitpid(-1, NULL, WNOHANG) while it returns a
    // pid > 0 and children_remove() each; restore errno. Nothing else (no printf).
}

/* Install on_sigchld with sigaction(). SA_RESTART restarts the calls it interrupts;
 * SA_NOCLDSTOP: a child stopped by a signal is not an end. 0, or -1 with errno. */
__attribute__((unused))
static int install_sigchld(void)
{
    // TODO(student): a struct sigaction with on_sigchld, an empty sa_mask and
    // SA_RESTART | SA_NOCLDSTOP, then sigaction(SIGCHLD, ...).
    errno = ENOSYS;
    return -1;
}

/* In the child: put back the default signal actions (the parent's handlers mean
 * nothing here: SIGTERM must just end the child), close the listener, unblock the
 * signals, serve the client, exit. Never returns. */
__attribute__((unused))
static void serve_child(struct server *sv, int conn, const sigset_t *old_mask)
{
    (void)sv;
    (void)old_mask;
    // TODO(student): SIG_DFL for SIGCHLD, SIGTERM and SIGINT (sigaction); close the
    // listener; sigprocmask(SIG_SETMASK, old_mask, NULL); set_nodelay(conn);
    // session_serve_blocking(conn, sv->echo); close(conn); _exit().
    close(conn);
    _exit(1);
}

/* Fork a child for conn. SIGCHLD (and SIGTERM, SIGINT) stay blocked from before fork()
 * until the parent has recorded the pid: else a child that ends at once could be
 * reaped before it is added, and its stale pid stay in the table. The parent closes
 * conn whatever happens. 0, or -1 if fork() failed. */
__attribute__((unused))
static int spawn(struct server *sv, int conn)
{
    (void)sv;
    // TODO(student): block SIGCHLD, SIGTERM, SIGINT (sigprocmask, keep the old mask);
    // fork(); the child calls serve_child(sv, conn, &old); the parent calls
    // children_add(pid), closes conn and restores the old mask. Refuse (errno EAGAIN)
    // when nchildren == MAX_CHILDREN.
    close(conn);
    errno = ENOSYS;
    return -1;
}

/* -v: "shake_server: accepted HOST:PORT" on stderr for the client at peer (len bytes,
 * as accept() filled them). Numeric only (a name would cost a DNS query in the accept
 * loop); an IPv6 address in brackets, to keep its colons apart from the port's. */
__attribute__((unused))
static void log_accepted(const struct sockaddr_storage *peer, socklen_t len)
{
    (void)peer;
    (void)len;
    // TODO(student): getnameinfo((const struct sockaddr *)peer, len, host, NI_MAXHOST,
    // port, NI_MAXSERV, NI_NUMERICHOST | NI_NUMERICSERV) (include <netdb.h>); on success
    // one fprintf to stderr, "[HOST]" when peer->ss_family == AF_INET6; else report
    // "shake_server: getnameinfo: " + gai_strerror(rc) (getnameinfo does not set errno).
}

/* SIGTERM to every child, then wait for all of them. */
__attribute__((unused))
static void stop_children(void)
{
    // TODO(student): block SIGCHLD; children_signal_all(SIGTERM); waitpid(-1, NULL, 0)
    // until it fails with ECHILD (retry on EINTR); restore the mask.
}

/* The accept loop: one child per connection, until SIGTERM. 0, or -1 on a fatal error. */
int serve_fork(struct server *sv)
{
    // TODO(student): install_sigchld(); then while (!stop_requested): accept() into a
    // struct sockaddr_storage (its socklen_t set to sizeof before each call);
    // on failure leave if stop_requested, retry on EINTR and ECONNABORTED, report and
    // pause_ms(10) on EMFILE/ENFILE/ENOBUFS/ENOMEM, else report and fail; on success
    // log_accepted() if sv->verbose (-v), then spawn(). At the end close the listener
    // and stop_children().
    fprintf(stderr, "shake_server: -m fork is not implemented yet\n");
    close(sv->listener);
    return -1;
}
