/*
 * server_event.c: the event-loop models of shake_server (-m select, poll, epoll,
 * epoll-et): one thread, non-blocking sockets, and a loop that asks the backend (ev.h)
 * which descriptors are ready and does only what cannot block: accept what is pending,
 * read what arrived, write what the socket takes now.
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

static void report(const char *what)
{
    fprintf(stderr, "shake_server: %s: %s\n", what, strerror(errno));
}

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

/* Keep the bytes of iov[] from byte `skip` on (what writev did not take). */
static int keep_unsent(struct conn *c, const struct iovec *iov, int k, size_t skip)
{
    for (int i = 0; i < k; i++) {
        const char *p = iov[i].iov_base;
        size_t n = iov[i].iov_len;
        if (skip >= n) {
            skip -= n;
            continue;
        }
        p += skip, n -= skip, skip = 0;
        if (c->len + n > c->cap) {
            size_t cap = c->cap ? c->cap : 4096;
            while (cap < c->len + n)
                cap *= 2;
            char *o = realloc(c->out, cap);
            if (!o)
                return -1;
            c->out = o;
            c->cap = cap;
        }
        memcpy(c->out + c->len, p, n);
        c->len += n;
    }
    return 0;
}

/* What to watch: read unless the client finished or too much is buffered; write
 * while something is buffered. */
static int wanted(const struct conn *c)
{
    int m = 0;
    if (!c->eof && c->len - c->off <= HIGH_WATER)
        m |= EV_READ;
    if (c->len > c->off)
        m |= EV_WRITE;
    return m;
}

/* Send replies: straight to the socket when nothing waits before them, the rest into
 * the output buffer. -1: the connection is dead. */
static int conn_send(struct conn *c, struct iovec *iov, int k)
{
    size_t total = 0, sent = 0;
    for (int i = 0; i < k; i++)
        total += iov[i].iov_len;
    if (total == 0)
        return 0;
    if (c->len == c->off) {
        ssize_t n = writev(c->fd, iov, k);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        sent = n > 0 ? (size_t)n : 0;
    }
    if (sent < total && keep_unsent(c, iov, k, sent) == -1)
        return -1;
    return 0;
}

/* Read what arrived and answer it. Level-triggered: one read() per event (the backend
 * reports the socket again while bytes are left). Edge-triggered: until EAGAIN (no new
 * event comes for the bytes left), but at most TURN_BUDGET bytes: a connection with
 * more goes on the `more` list, served again after the others. */
static void on_readable(struct loop *l, struct conn *c)
{
    size_t budget = TURN_BUDGET;
    for (;;) {
        struct iovec iov[2];
        size_t want = l->be->edge && budget < sizeof l->rbuf ? budget : sizeof l->rbuf;
        ssize_t n = read(c->fd, l->rbuf, want);
        int k;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (n < 0)
            k = -1;
        else if (n == 0) {
            c->eof = true;
            k = session_finish(&c->s, iov);
        } else {
            k = session_feed(&c->s, l->rbuf, (size_t)n, iov);
        }
        if (k < 0 || conn_send(c, iov, k) == -1 || (c->eof && c->len == c->off) ||
            watch(l, c, wanted(c)) == -1) {
            conn_close(l, c);
            return;
        }
        if (!l->be->edge || !(c->mask & EV_READ))
            return; /* level-triggered; or EOF, or back-pressure: read no more now */
        budget -= (size_t)n;
        if (budget == 0) {
            more_push(l, c);
            return;
        }
    }
}

/* Send what the output buffer holds: one write() per event level-triggered, until
 * EAGAIN or empty edge-triggered. Edge-triggered, a connection whose reading resumes
 * (back-pressure over) goes on the `more` list: the bytes that waited in its socket
 * bring no new event. */
static void on_writable(struct loop *l, struct conn *c)
{
    int before = c->mask;
    do {
        ssize_t n = write(c->fd, c->out + c->off, c->len - c->off);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (n < 0) {
            conn_close(l, c);
            return;
        }
        c->off += (size_t)n;
    } while (l->be->edge && c->off < c->len);
    if (c->off == c->len) {
        c->off = c->len = 0;
        if (c->cap > 65536) { /* a burst is over: give the memory back */
            free(c->out);
            c->out = NULL;
            c->cap = 0;
        }
    }
    if ((c->eof && c->len == 0) || watch(l, c, wanted(c)) == -1)
        conn_close(l, c);
    else if (l->be->edge && !(before & EV_READ) && (c->mask & EV_READ))
        more_push(l, c);
}

/* Accept what is pending, ACCEPT_BATCH at most per turn; edge-triggered, accepting
 * goes on in the next turn until EAGAIN (accept_more). */
static void on_accept(struct loop *l)
{
    l->accept_more = false;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int fd = accept4(l->sv->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                report("accept");
            return; /* EAGAIN: no more for now; EINVAL: SIGTERM shut it down */
        }
        struct conn *c = NULL;
        if (fd >= l->be->max_fd || make_room(l, fd) == -1 || !(c = calloc(1, sizeof *c))) {
            close(fd); /* over select's FD_SETSIZE, or no memory: refuse this client */
            continue;
        }
        set_nodelay(fd);
        c->fd = fd;
        session_init(&c->s, l->sv->echo);
        l->conns[fd] = c;
        l->nopen++;
        if (watch(l, c, EV_READ) == -1)
            conn_close(l, c);
    }
    l->accept_more = l->be->edge;
}

/* One reported descriptor. Edge-triggered, an event that says readable and writable
 * is the only one that will say writable: serve both. */
static void on_event(struct loop *l, int fd, int mask)
{
    struct conn *c = fd < l->nconns ? l->conns[fd] : NULL;
    if (fd == l->sv->listener)
        on_accept(l);
    else if (c && (mask & EV_READ) && (c->mask & EV_READ)) {
        on_readable(l, c);
        c = l->conns[fd];
        if (l->be->edge && c && (mask & EV_WRITE) && (c->mask & EV_WRITE))
            on_writable(l, c);
    } else if (c && (mask & EV_WRITE) && (c->mask & EV_WRITE))
        on_writable(l, c);
}

/* Edge-triggered: serve again, after the events of this turn, what the last ones left
 * unfinished; those that still have more go back on the list for the next turn. */
static void serve_more(struct loop *l)
{
    if (l->accept_more)
        on_accept(l);
    for (int k = l->nmore; k > 0 && l->more && !stop_requested; k--) {
        struct conn *c = l->more;
        more_remove(l, c);
        if (c->mask & EV_READ)
            on_readable(l, c);
    }
}

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

int event_serve(struct server *sv, const struct ev_backend *be)
{
    int rc = 0;
    struct loop *l = calloc(1, sizeof *l);
    if (l) {
        *l = (struct loop){ .be = be, .sv = sv, .nfired = 64 };
        l->fired = malloc((size_t)l->nfired * sizeof *l->fired);
        l->st = l->fired ? be->create() : NULL;
    }
    if (!l || !l->st || set_nonblocking(sv->listener) == -1 ||
        be->set(l->st, sv->listener, 0, EV_READ) == -1) {
        report(be->name);
        if (l)
            loop_free(l);
        close(sv->listener);
        return -1;
    }
    while (!stop_requested) {
        /* Unfinished work: look for new events without waiting, then do it. */
        int n = be->wait(l->st, l->fired, l->nfired, l->nmore || l->accept_more ? 0 : -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            report(be->name);
            rc = -1;
            break;
        }
        for (int i = 0; i < n && !stop_requested; i++)
            on_event(l, l->fired[i].fd, l->fired[i].mask);
        if (!stop_requested)
            serve_more(l);
    }
    (void)be->set(l->st, sv->listener, EV_READ, 0);
    loop_free(l);
    close(sv->listener);
    return rc;
}
