/*
 * server_event.c (td7 skeleton): the event-loop models of shake_server (-m select, poll,
 * epoll, epoll-et): one thread, non-blocking sockets, and a loop that asks the backend
 * (ev.h) which descriptors are ready and does only what cannot block: accept what is
 * pending, read what arrived, write what the socket takes now.
 *
 * What a blocking server gets for free must be done by hand here:
 *   - partial writes: write() on a non-blocking socket takes what fits in the socket
 *     buffer; the rest is kept in the connection's output buffer and sent when the
 *     socket is writable again;
 *   - back-pressure: a client that sends but does not read would make that buffer grow
 *     without end; above HIGH_WATER we stop reading it until it has drained;
 *   - half-close: at EOF the replies still buffered are sent before closing.
 *
 * Edge-triggered (epoll-et, the backend's `edge`): a descriptor is reported once when
 * it becomes ready, so each event is served until EAGAIN (accept, read, write), or no
 * event would ever come for what is left. But reading until EAGAIN a client that
 * sends without pause would never end: at most TURN_BUDGET bytes per connection and
 * ACCEPT_BATCH accepts per turn, and what is left unfinished (a connection past its
 * budget or whose reading resumes after back-pressure, the listener past its batch)
 * the loop serves again by itself after the others (the `more` list), without
 * waiting.
 *
 * Implement the functions below the "Functions you implement" line (the part above it is
 * provided and must not change); README.md gives the contract, `make check` the tests.
 */
#define _GNU_SOURCE /* accept4(): a non-blocking socket in one call */
#include "ev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HIGH_WATER (256 * 1024) /* buffered reply bytes above which we stop reading */
#define ACCEPT_BATCH 64          /* accepts per listener event: others get their turn */
#define TURN_BUDGET (64 * 1024)  /* edge-triggered: bytes read from a connection per turn */

struct conn {
    int fd;
    int mask;                  /* what the backend watches for it */
    bool eof;                  /* the client finished sending: close once drained */
    struct session s;
    char *out;                 /* replies the socket did not take yet: out[off..len) */
    size_t off, len, cap;
    bool queued;               /* on the loop's `more` list (edge-triggered) */
    struct conn *prev, *next;  /* its neighbours on that list */
};

struct loop {
    const struct ev_backend *be;
    void *st;
    struct server *sv;
    struct conn **conns;       /* by descriptor */
    int nconns;                /* size of conns[] */
    int nopen;
    struct ev_fired *fired;
    int nfired;                /* size of fired[] */
    struct conn *more, *more_tail; /* to serve again without an event (edge-triggered) */
    int nmore;                 /* their number */
    bool accept_more;          /* the last accept batch was full: connections may wait */
    char rbuf[READ_CHUNK];     /* one buffer for every read: only pending bytes are kept */
};

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

static void report(const char *what)
{
    fprintf(stderr, "shake_server: %s: %s\n", what, strerror(errno));
}

__attribute__((unused))
static int watch(struct loop *l, struct conn *c, int mask)
{
    if (mask == c->mask)
        return 0;
    int rc = l->be->set(l->st, c->fd, c->mask, mask);
    if (rc == 0)
        c->mask = mask;
    return rc;
}

/* Serve c again at the end of this turn (once, however often it is asked). */
__attribute__((unused))
static void more_push(struct loop *l, struct conn *c)
{
    if (c->queued)
        return;
    c->queued = true;
    c->next = NULL;
    c->prev = l->more_tail;
    if (l->more_tail)
        l->more_tail->next = c;
    else
        l->more = c;
    l->more_tail = c;
    l->nmore++;
}

__attribute__((unused))
static void more_remove(struct loop *l, struct conn *c)
{
    if (!c->queued)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        l->more = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->more_tail = c->prev;
    c->queued = false;
    l->nmore--;
}

__attribute__((unused))
static void conn_close(struct loop *l, struct conn *c)
{
    more_remove(l, c);
    (void)watch(l, c, 0);
    l->conns[c->fd] = NULL;
    l->nopen--;
    close(c->fd);
    session_free(&c->s);
    free(c->out);
    free(c);
}

/* Room for one more descriptor in conns[] and fired[]. */
__attribute__((unused))
static int make_room(struct loop *l, int fd)
{
    if (fd >= l->nconns) {
        int n = l->nconns ? l->nconns : 256;
        while (n <= fd)
            n *= 2;
        struct conn **p = realloc(l->conns, (size_t)n * sizeof *p);
        if (!p)
            return -1;
        memset(p + l->nconns, 0, (size_t)(n - l->nconns) * sizeof *p);
        l->conns = p;
        l->nconns = n;
    }
    if (l->nopen + 2 > l->nfired) {
        int n = l->nfired * 2;
        struct ev_fired *f = realloc(l->fired, (size_t)n * sizeof *f);
        if (!f)
            return -1;
        l->fired = f;
        l->nfired = n;
    }
    return 0;
}

__attribute__((unused))
static void loop_free(struct loop *l)
{
    for (int fd = 0; fd < l->nconns; fd++)
        if (l->conns[fd])
            conn_close(l, l->conns[fd]);
    if (l->st)
        l->be->destroy(l->st);
    free(l->conns);
    free(l->fired);
    free(l);
}

/* ======================= Functions you implement ======================= */

/* The loop (one thread, every socket non-blocking):
 *   - register sv->listener (non-blocking) for EV_READ; while (!stop_requested):
 *     be->wait(); EINTR: again; for each fired descriptor: the listener -> accept up to
 *     ACCEPT_BATCH connections (accept4 SOCK_NONBLOCK; refuse fd >= be->max_fd),
 *     a connection -> read or write, as fired and as watched;
 *   - readable: read() into l->rbuf; > 0: session_feed() and send the replies; 0: the
 *     client finished: session_finish(), send, close once the output is drained;
 *     EAGAIN: nothing; error: close;
 *   - send: writev() straight away only if nothing is buffered; keep whatever was not
 *     written (partial write, EAGAIN) in c->out; watch EV_WRITE while c->out holds
 *     bytes and stop watching EV_READ above HIGH_WATER;
 *   - writable: write() from c->out; when empty, watch EV_READ again (or close at EOF);
 *   - edge-triggered (be->edge, -m epoll-et): read until EAGAIN, at most TURN_BUDGET
 *     bytes per connection per turn (more_push() the connection when its budget runs
 *     out, or when reading resumes after back-pressure), write until EAGAIN or empty,
 *     serve both directions when an event says both, accept until EAGAIN (a full batch:
 *     set accept_more); after each turn's events serve the `more` list and the listener
 *     again, and while either has work wait with timeout 0 instead of -1;
 *   - at the end: loop_free(), close the listener. 0, or -1 on a fatal error. */
int event_serve(struct server *sv, const struct ev_backend *be)
{
    // TODO(student): see the comment above (keep_unsent, wanted, conn_send,
    // on_readable, on_writable, on_accept; for epoll-et on_event, serve_more).
    errno = ENOSYS;
    report(be->name);
    close(sv->listener);
    return -1;
}
