/*
 * server_reuseport.c (td7 skeleton): the reuseport model of shake_server (-m reuseport):
 * WORKERS processes (-w, default one per core), each with its own listening socket bound
 * to the same port with SO_REUSEPORT and its own epoll loop. The kernel spreads new
 * connections over the listeners (a hash of the addresses), so the workers share
 * nothing: no lock, no shared accept queue, one core each.
 *
 * The parent only starts the workers, waits, and on SIGTERM ends them. If a worker
 * dies on its own, the parent ends the others and exits 1 (its share of the port
 * would be gone).
 *
 * Implement the functions below the "Functions you implement" line (the part above it is
 * provided and must not change); README.md gives the contract, `make check` the tests.
 */
#include "ev.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

static void report(const char *what)
{
    fprintf(stderr, "shake_server: %s: %s\n", what, strerror(errno));
}

/* ======================= Functions you implement ======================= */

/* The whole model: open sv->workers - 1 more listeners on sv->port (tcp_listen with
 * reuseport true; sv->listener is the first), block SIGCHLD/SIGTERM/SIGINT, fork one
 * worker per listener (it closes the others, SIG_DFL for SIGCHLD,
 * install_stop_handler(its listener), unblocks, _exit(event_serve(its listener,
 * &ev_epoll_backend))). The parent closes every listener (install_stop_handler(-1)
 * first), waits with sigsuspend() for stop_requested or a worker's death (a SIGCHLD
 * handler is needed to wake it), then SIGTERMs and reaps every worker.
 * 0, or -1 if a worker died or something failed. */
int serve_reuseport(struct server *sv)
{
    // TODO(student): see the comment above (worker, open_listeners, wait_for_stop,
    // stop_workers).
    errno = ENOSYS;
    report("-m reuseport");
    close(sv->listener);
    return -1;
}
