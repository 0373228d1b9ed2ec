/*
 * ev_epoll.c: the epoll backend of the event loop (see ev.h). The kernel keeps the
 * interest list between calls, so a wait costs in proportion to the ready
 * descriptors, not the watched ones: the model that scales to 10,000 clients.
 *
 * Two backends share this code. ev_epoll_backend (-m epoll) is level-triggered, as
 * Redis' ae_epoll.c: a descriptor still ready is reported again, so the loop may read
 * one chunk or accept one batch per event. ev_epoll_et_backend (-m epoll-et) registers
 * every descriptor with EPOLLET: reported once per change, so the loop (told by the
 * backend's `edge`) reads, accepts and writes until EAGAIN. What
 * keeps it cheap lives in the loop and here: epoll_ctl only when a descriptor's mask
 * changes (server_event.c's watch() compares first: ADD at accept, DEL at close, nothing
 * per request), write interest only while replies wait in the output buffer, and up to
 * MAX_EVENTS ready descriptors per epoll_wait. bench/README.md has the measurements.
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

static void *ep_create(void)
{
    struct state *st = malloc(sizeof *st);
    if (!st)
        return NULL;
    st->et = false;
    st->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (st->epfd < 0) {
        int e = errno;
        free(st);
        errno = e;
        return NULL;
    }
    return st;
}

/* The same state, every descriptor registered edge-triggered. */
static void *ep_create_et(void)
{
    struct state *st = ep_create();
    if (st)
        st->et = true;
    return st;
}

static int ep_set(void *state, int fd, int old_mask, int new_mask)
{
    struct state *st = state;
    struct epoll_event ev = { .data.fd = fd };
    ev.events = (new_mask & EV_READ ? EPOLLIN : 0) | (new_mask & EV_WRITE ? EPOLLOUT : 0) |
                (st->et ? EPOLLET : 0);
    int op = new_mask == 0 ? EPOLL_CTL_DEL : old_mask == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (op == EPOLL_CTL_DEL && old_mask == 0)
        return 0;
    return epoll_ctl(st->epfd, op, fd, &ev);
}

static int ep_wait(void *state, struct ev_fired *fired, int max, int timeout_ms)
{
    struct state *st = state;
    int n = epoll_wait(st->epfd, st->events, max < MAX_EVENTS ? max : MAX_EVENTS, timeout_ms);
    for (int i = 0; i < n; i++) {
        unsigned e = st->events[i].events;
        fired[i].fd = st->events[i].data.fd;
        fired[i].mask = (e & EPOLLIN ? EV_READ : 0) | (e & EPOLLOUT ? EV_WRITE : 0) |
                        (e & (EPOLLERR | EPOLLHUP) ? EV_READ | EV_WRITE : 0);
    }
    return n;
}

static void ep_destroy(void *state)
{
    struct state *st = state;
    close(st->epfd);
    free(st);
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
