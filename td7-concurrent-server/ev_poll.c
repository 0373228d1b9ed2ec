/*
 * ev_poll.c (td7 skeleton): the poll backend of the event loop (see ev.h). One struct
 * pollfd per watched descriptor in a compact array (pos[] finds an fd's entry, removal
 * moves the last entry into the hole); every wait passes and scans the whole array:
 * O(clients).
 *
 * Implement the functions below the "Functions you implement" line (the part above it is
 * provided and must not change); README.md gives the contract, `make check` the tests.
 */
#include "ev.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>

struct state {
    struct pollfd *fds;
    int n, cap;
    int *pos;                  /* pos[fd]: index in fds, or -1 */
    int pos_cap;
};

/* ======================= Functions you implement ======================= */

/* A new, empty state; NULL with errno on failure. */
static void *pl_create(void)
{
    // TODO(student): calloc a struct state (an empty pollfd array and pos[] index).
    errno = ENOSYS;
    return NULL;
}

/* Watch fd for new_mask (0: stop watching it). 0, or -1 with errno. */
static int pl_set(void *state, int fd, int old_mask, int new_mask)
{
    (void)state, (void)fd, (void)old_mask, (void)new_mask;
    // TODO(student): see ev.h for the contract.
    errno = ENOSYS;
    return -1;
}

/* Wait (timeout_ms -1: no limit) and fill at most max fired entries; their number, or -1. */
static int pl_wait(void *state, struct ev_fired *fired, int max, int timeout_ms)
{
    (void)state, (void)fired, (void)max, (void)timeout_ms;
    // TODO(student): errors and hang-ups are reported as EV_READ | EV_WRITE.
    errno = ENOSYS;
    return -1;
}

static void pl_destroy(void *state)
{
    (void)state;
    // TODO(student): release what create made.
}

const struct ev_backend ev_poll_backend = {
    "poll", INT_MAX, pl_create, pl_set, pl_wait, pl_destroy, false,
};

int serve_poll(struct server *sv)
{
    return event_serve(sv, &ev_poll_backend);
}
