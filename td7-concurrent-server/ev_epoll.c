/*
 * ev_epoll.c (td7 skeleton): the epoll backend of the event loop (see ev.h). The kernel
 * keeps the interest list between calls, so a wait costs in proportion to the ready
 * descriptors, not the watched ones: the model that scales to 10,000 clients.
 * Two backends share this code: ev_epoll_backend (-m epoll) is level-triggered,
 * ev_epoll_et_backend (-m epoll-et) registers every descriptor with EPOLLET.
 *
 * Implement the functions below the "Functions you implement" line (the part above it is
 * provided and must not change); README.md gives the contract, `make check` the tests.
 */
#include "ev.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_EVENTS 1024

struct state {
    int epfd;
    bool et;                   /* register every descriptor EPOLLET */
    struct epoll_event events[MAX_EVENTS];
};

/* ======================= Functions you implement ======================= */

/* A new, empty state; NULL with errno on failure. */
static void *ep_create(void)
{
    // TODO(student): malloc a struct state (et false); epoll_create1(EPOLL_CLOEXEC).
    errno = ENOSYS;
    return NULL;
}

/* Watch fd for new_mask (0: stop watching it). 0, or -1 with errno. */
static int ep_set(void *state, int fd, int old_mask, int new_mask)
{
    (void)state, (void)fd, (void)old_mask, (void)new_mask;
    // TODO(student): see ev.h for the contract; add EPOLLET to the events when st->et.
    errno = ENOSYS;
    return -1;
}

/* Wait (timeout_ms -1: no limit) and fill at most max fired entries; their number, or -1. */
static int ep_wait(void *state, struct ev_fired *fired, int max, int timeout_ms)
{
    (void)state, (void)fired, (void)max, (void)timeout_ms;
    // TODO(student): errors and hang-ups are reported as EV_READ | EV_WRITE.
    errno = ENOSYS;
    return -1;
}

static void ep_destroy(void *state)
{
    (void)state;
    // TODO(student): release what create made.
}

/* The same state, every descriptor registered edge-triggered. */
static void *ep_create_et(void)
{
    struct state *st = ep_create();
    if (st)
        st->et = true;
    return st;
}

const struct ev_backend ev_epoll_backend = {
    "epoll", INT_MAX, ep_create, ep_set, ep_wait, ep_destroy, false,
};

const struct ev_backend ev_epoll_et_backend = {
    "epoll", INT_MAX, ep_create_et, ep_set, ep_wait, ep_destroy, true,
};

int serve_epoll(struct server *sv)
{
    return event_serve(sv, &ev_epoll_backend);
}

int serve_epoll_et(struct server *sv)
{
    return event_serve(sv, &ev_epoll_et_backend);
}
