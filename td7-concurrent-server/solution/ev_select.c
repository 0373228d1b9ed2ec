/*
 * ev_select.c: the select backend of the event loop (see ev.h). Two bit sets of
 * FD_SETSIZE (1024) descriptors, copied before each call because select() overwrites
 * them, then scanned up to the highest descriptor: O(highest fd) per wait, and no
 * descriptor at or above FD_SETSIZE (max_fd: the loop refuses such clients).
 */
#include "ev.h"

#include <stdlib.h>
#include <sys/select.h>

struct state {
    fd_set rfds, wfds;
    int maxfd;                 /* highest watched descriptor, or -1 */
};

static void *sl_create(void)
{
    struct state *st = malloc(sizeof *st);
    if (!st)
        return NULL;
    FD_ZERO(&st->rfds);
    FD_ZERO(&st->wfds);
    st->maxfd = -1;
    return st;
}

static int sl_set(void *state, int fd, int old_mask, int new_mask)
{
    struct state *st = state;
    (void)old_mask;
    if (new_mask & EV_READ)
        FD_SET(fd, &st->rfds);
    else
        FD_CLR(fd, &st->rfds);
    if (new_mask & EV_WRITE)
        FD_SET(fd, &st->wfds);
    else
        FD_CLR(fd, &st->wfds);
    if (new_mask && fd > st->maxfd)
        st->maxfd = fd;
    while (st->maxfd >= 0 && !FD_ISSET(st->maxfd, &st->rfds) && !FD_ISSET(st->maxfd, &st->wfds))
        st->maxfd--;
    return 0;
}

static int sl_wait(void *state, struct ev_fired *fired, int max, int timeout_ms)
{
    struct state *st = state;
    fd_set r = st->rfds, w = st->wfds;
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    int ready = select(st->maxfd + 1, &r, &w, NULL, timeout_ms < 0 ? NULL : &tv), k = 0;
    for (int fd = 0; fd <= st->maxfd && k < ready && k < max; fd++) {
        int mask = (FD_ISSET(fd, &r) ? EV_READ : 0) | (FD_ISSET(fd, &w) ? EV_WRITE : 0);
        if (mask) {
            fired[k].fd = fd;
            fired[k++].mask = mask;
        }
    }
    return ready < 0 ? -1 : k;
}

static void sl_destroy(void *state)
{
    free(state);
}

const struct ev_backend ev_select_backend = {
    "select", FD_SETSIZE, sl_create, sl_set, sl_wait, sl_destroy, false,
};

int serve_select(struct server *sv)
{
    return event_serve(sv, &ev_select_backend);
}
