/*
 * ev_select.c (td7 skeleton): the select backend of the event loop (see ev.h). Two bit
 * sets of FD_SETSIZE (1024) descriptors, copied before each call because select()
 * overwrites them, then scanned up to the highest descriptor: O(highest fd) per wait,
 * and no descriptor at or above FD_SETSIZE (max_fd: the loop refuses such clients).
 *
 * Implement the functions below the "Functions you implement" line (the part above it is
 * provided and must not change); README.md gives the contract, `make check` the tests.
 */
#include "ev.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/select.h>

struct state {
    fd_set rfds, wfds;
    int maxfd;                 /* highest watched descriptor, or -1 */
};

/* ======================= Functions you implement ======================= */

/* A new, empty state; NULL with errno on failure. */
static void *sl_create(void)
{
    // TODO(student): malloc a struct state; FD_ZERO both sets; maxfd -1.
    errno = ENOSYS;
    return NULL;
}

/* Watch fd for new_mask (0: stop watching it). 0, or -1 with errno. */
static int sl_set(void *state, int fd, int old_mask, int new_mask)
{
    (void)state, (void)fd, (void)old_mask, (void)new_mask;
    // TODO(student): see ev.h for the contract.
    errno = ENOSYS;
    return -1;
}

/* Wait (timeout_ms -1: no limit) and fill at most max fired entries; their number, or -1. */
static int sl_wait(void *state, struct ev_fired *fired, int max, int timeout_ms)
{
    (void)state, (void)fired, (void)max, (void)timeout_ms;
    // TODO(student): errors and hang-ups are reported as EV_READ | EV_WRITE.
    errno = ENOSYS;
    return -1;
}

static void sl_destroy(void *state)
{
    (void)state;
    // TODO(student): release what create made.
}

const struct ev_backend ev_select_backend = {
    "select", FD_SETSIZE, sl_create, sl_set, sl_wait, sl_destroy, false,
};

int serve_select(struct server *sv)
{
    return event_serve(sv, &ev_select_backend);
}
