/*
 * ev_poll.c: the poll backend of the event loop (see ev.h). One struct pollfd per
 * watched descriptor in a compact array (pos[] finds an fd's entry, removal moves the
 * last entry into the hole); every wait passes and scans the whole array: O(clients).
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

static void *pl_create(void)
{
    return calloc(1, sizeof(struct state));
}

static int grow(struct state *st, int fd)
{
    if (fd >= st->pos_cap) {
        int cap = st->pos_cap ? st->pos_cap : 64;
        while (cap <= fd)
            cap *= 2;
        int *p = realloc(st->pos, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        for (int i = st->pos_cap; i < cap; i++)
            p[i] = -1;
        st->pos = p;
        st->pos_cap = cap;
    }
    if (st->n == st->cap) {
        int cap = st->cap ? st->cap * 2 : 64;
        struct pollfd *f = realloc(st->fds, (size_t)cap * sizeof *f);
        if (!f)
            return -1;
        st->fds = f;
        st->cap = cap;
    }
    return 0;
}

static int pl_set(void *state, int fd, int old_mask, int new_mask)
{
    struct state *st = state;
    (void)old_mask;
    short events = (short)((new_mask & EV_READ ? POLLIN : 0) | (new_mask & EV_WRITE ? POLLOUT : 0));
    int i = fd < st->pos_cap ? st->pos[fd] : -1;
    if (new_mask == 0) {
        if (i >= 0) {
            st->fds[i] = st->fds[--st->n];
            st->pos[st->fds[i].fd] = i;
            st->pos[fd] = -1;
        }
        return 0;
    }
    if (i < 0) {
        if (grow(st, fd) == -1)
            return -1;
        i = st->n++;
        st->pos[fd] = i;
        st->fds[i].fd = fd;
    }
    st->fds[i].events = events;
    return 0;
}

static int pl_wait(void *state, struct ev_fired *fired, int max, int timeout_ms)
{
    struct state *st = state;
    int ready = poll(st->fds, (nfds_t)st->n, timeout_ms), k = 0;
    for (int i = 0; i < st->n && k < ready && k < max; i++) {
        short r = st->fds[i].revents;
        if (!r)
            continue;
        fired[k].fd = st->fds[i].fd;
        fired[k++].mask = (r & POLLIN ? EV_READ : 0) | (r & POLLOUT ? EV_WRITE : 0) |
                          (r & (POLLERR | POLLHUP | POLLNVAL) ? EV_READ | EV_WRITE : 0);
    }
    return ready < 0 ? -1 : k;
}

static void pl_destroy(void *state)
{
    struct state *st = state;
    free(st->fds);
    free(st->pos);
    free(st);
}

const struct ev_backend ev_poll_backend = {
    "poll", INT_MAX, pl_create, pl_set, pl_wait, pl_destroy, false,
};

int serve_poll(struct server *sv)
{
    return event_serve(sv, &ev_poll_backend);
}
