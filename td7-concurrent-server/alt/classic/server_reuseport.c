/*
 * server_reuseport.c: the reuseport model of shake_server (-m reuseport): WORKERS
 * processes (-w, default one per core), each with its own listening socket bound to
 * the same port with SO_REUSEPORT and its own epoll loop. The kernel spreads new
 * connections over the listeners (a hash of the addresses), so the workers share
 * nothing: no lock, no shared accept queue, one core each.
 *
 * The parent only starts the workers, waits, and on SIGTERM ends them. If a worker
 * dies on its own, the parent ends the others and exits 1 (its share of the port
 * would be gone).
 */
#include "ev.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what)
{
    fprintf(stderr, "shake_server: %s: %s\n", what, strerror(errno));
}

/* SIGCHLD must have a handler (not the default "ignore") to wake sigsuspend(). */
static void on_sigchld(int sig)
{
    (void)sig;
}

/* In worker i: keep only listener fds[i], run the epoll loop on it, exit. The arrays
 * are the parent's: freed here too, since _exit() skips nothing else. */
static void worker(struct server *sv, int *fds, pid_t *pids, int i, const sigset_t *old)
{
    int n = sv->workers;
    for (int j = 0; j < n; j++)
        if (j != i)
            close(fds[j]);
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGCHLD, &dfl, NULL);
    struct server mine = *sv;
    mine.listener = fds[i];
    free(fds);
    free(pids);
    if (install_stop_handler(mine.listener) == -1)
        _exit(1);
    sigprocmask(SIG_SETMASK, old, NULL);
    _exit(event_serve(&mine, &ev_epoll_backend) == 0 ? 0 : 1);
}

/* Open the other listeners on the same port. Returns how many are open. */
static int open_listeners(struct server *sv, int *fds)
{
    fds[0] = sv->listener;
    for (int i = 1; i < sv->workers; i++)
        if ((fds[i] = tcp_listen(sv->addr, sv->port, true)) < 0) {
            report("listen");
            return i;
        }
    return sv->workers;
}

/* Wait for SIGTERM, or for a worker's death (then -1). Signals are blocked here and
 * sigsuspend() unblocks them atomically: none can slip in between test and wait. */
static int wait_for_stop(pid_t *pids, int n, const sigset_t *old)
{
    while (!stop_requested) {
        sigsuspend(old);
        pid_t pid;
        while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
            for (int i = 0; i < n; i++)
                if (pids[i] == pid) {
                    fprintf(stderr, "shake_server: worker %d ended unexpectedly\n", (int)pid);
                    pids[i] = 0;
                    return -1;
                }
    }
    return 0;
}

/* SIGTERM to every worker still running, and wait for all of them. */
static void stop_workers(pid_t *pids, int n)
{
    for (int i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGTERM);
    pid_t pid;
    while ((pid = waitpid(-1, NULL, 0)) > 0 || (pid == -1 && errno == EINTR))
        ;
}

int serve_reuseport(struct server *sv)
{
    int n = sv->workers, *fds = calloc((size_t)n, sizeof *fds), started = 0, rc = -1;
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_NOCLDSTOP };
    sigemptyset(&sa.sa_mask);
    if (!fds || !pids || sigaction(SIGCHLD, &sa, NULL) == -1) {
        report("setup");
        free(fds), free(pids), close(sv->listener);
        return -1;
    }
    sigprocmask(SIG_BLOCK, &block, &old);
    int open = open_listeners(sv, fds);
    for (; open == n && started < n; started++) {
        pid_t pid = fork();
        if (pid == 0)
            worker(sv, fds, pids, started, &old);
        if (pid < 0) {
            report("fork");
            break;
        }
        pids[started] = pid;
    }
    /* The parent serves nothing: only the workers keep the port. */
    install_stop_handler(-1);
    for (int i = 0; i < open; i++)
        close(fds[i]);
    if (started == n)
        rc = wait_for_stop(pids, n, &old);
    stop_workers(pids, started);
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(fds);
    free(pids);
    return rc;
}
