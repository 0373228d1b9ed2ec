/*
 * ev_epoll.c: the epoll backend of the event loop (see ev.h). The kernel keeps the
 * interest list between calls, so a wait costs in proportion to the ready
 * descriptors, not the watched ones: the model that scales to 10,000 clients.
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
    struct epoll_event events[MAX_EVENTS];
};

static void *ep_create(void)
{
    struct state *st = malloc(sizeof *st);
    if (!st)
        return NULL;
    st->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (st->epfd < 0) {
        int e = errno;
        free(st);
        errno = e;
        return NULL;
    }
    return st;
}

static int ep_set(void *state, int fd, int old_mask, int new_mask)
{
    struct state *st = state;
    struct epoll_event ev = { .data.fd = fd };
    ev.events = (new_mask & EV_READ ? EPOLLIN : 0) | (new_mask & EV_WRITE ? EPOLLOUT : 0);
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
    "epoll", INT_MAX, ep_create, ep_set, ep_wait, ep_destroy,
};

int serve_epoll(struct server *sv)
{
    return event_serve(sv, &ev_epoll_backend);
}
