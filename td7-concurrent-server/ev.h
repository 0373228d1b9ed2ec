/*
 * ev.h: the event-loop backend interface (PROVIDED, DO NOT CHANGE), in the style of
 * Redis' ae.c: server_event.c runs one loop over any backend that can watch
 * descriptors for reading/writing: ev_select.c, ev_poll.c, ev_epoll.c (level- and
 * edge-triggered).
 */
#ifndef EV_H
#define EV_H

#include "shake.h"

#define EV_READ 1
#define EV_WRITE 2

/* A ready descriptor. Errors and hang-ups are reported as EV_READ | EV_WRITE: the
 * next read() or write() says what happened. */
struct ev_fired {
    int fd;
    int mask;
};

struct ev_backend {
    const char *name;
    int max_fd;                                   /* descriptors must be below it */
    void *(*create)(void);                        /* NULL with errno on failure */
    /* Watch fd for new_mask (EV_READ|EV_WRITE; 0: stop watching); old_mask is what
     * was watched before (0: not watched). 0, or -1 with errno. */
    int (*set)(void *state, int fd, int old_mask, int new_mask);
    /* Wait until a watched descriptor is ready (timeout_ms -1: no limit); fill at most
     * max entries of fired. Returns their number, or -1 with errno (EINTR...). */
    int (*wait)(void *state, struct ev_fired *fired, int max, int timeout_ms);
    void (*destroy)(void *state);
    /* false: level-triggered, a descriptor is reported by every wait while it is ready
     * (select, poll, epoll). true: edge-triggered, reported once when it becomes ready
     * (epoll-et, EPOLLET): the loop accepts, reads and writes until EAGAIN, and serves
     * again by itself what it left unfinished (no new event will say so). */
    bool edge;
};

extern const struct ev_backend ev_select_backend, ev_poll_backend, ev_epoll_backend,
    ev_epoll_et_backend;

/* server_event.c: serve sv->listener with one event loop over backend be until
 * SIGTERM. 0, or -1 on a fatal error. */
int event_serve(struct server *sv, const struct ev_backend *be);

#endif
