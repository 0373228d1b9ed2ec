/* td7 event loop written from the handout alone (not from the reference): the planted
 * class's independent solution; the functions below replace the skeleton's, with the
 * helpers they call. */
static size_t backlog_of(const struct conn *c)
{
    return c->len - c->off;
}

/* What the backend must watch: reading until EOF unless too much waits to be sent,
 * writing while something waits. */
static int interest(const struct conn *c)
{
    int m = 0;
    if (!c->eof && backlog_of(c) < HIGH_WATER)
        m |= EV_READ;
    if (backlog_of(c) > 0)
        m |= EV_WRITE;
    return m;
}

/* Append n bytes to the output buffer. 0, or -1 (out of memory). */
static int stash(struct conn *c, const char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (c->off > 0) {                       /* slide the unsent part to the front */
        memmove(c->out, c->out + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + n)
            cap *= 2;
        char *bigger = realloc(c->out, cap);
        if (bigger == NULL)
            return -1;
        c->out = bigger;
        c->cap = cap;
    }
    memcpy(c->out + c->len, p, n);
    c->len += n;
    return 0;
}

/* Send the k replies: straight to the socket when nothing is queued before them, and
 * what it does not take now into the output buffer. 0, or -1 (close the client). */
static int deliver(struct conn *c, struct iovec *iov, int k)
{
    size_t taken = 0;
    if (k > 0 && backlog_of(c) == 0) {
        ssize_t w;
        do
            w = writev(c->fd, iov, k);
        while (w == -1 && errno == EINTR);
        if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        if (w > 0)
            taken = (size_t)w;
    }
    for (int i = 0; i < k; i++) {
        size_t skip = taken < iov[i].iov_len ? taken : iov[i].iov_len;
        taken -= skip;
        if (stash(c, (char *)iov[i].iov_base + skip, iov[i].iov_len - skip) == -1)
            return -1;
    }
    return 0;
}

/* Write from the output buffer what the socket takes. 0, or -1 (close the client). */
static int drain(struct conn *c)
{
    while (backlog_of(c) > 0) {
        ssize_t w = write(c->fd, c->out + c->off, backlog_of(c));
        if (w > 0) {
            c->off += (size_t)w;
            continue;
        }
        if (w == -1 && errno == EINTR)
            continue;
        if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return -1;
    }
    c->off = c->len = 0;
    return 0;
}

/* After any change: close a finished client whose replies are all out, else tell the
 * backend what to watch now. */
static void settle(struct loop *l, struct conn *c)
{
    if (c->eof && backlog_of(c) == 0)
        conn_close(l, c);
    else if (watch(l, c, interest(c)) == -1)
        conn_close(l, c);
}

static void readable(struct loop *l, struct conn *c)
{
    struct iovec iov[2];
    ssize_t got;
    do
        got = read(c->fd, l->rbuf, sizeof l->rbuf);
    while (got == -1 && errno == EINTR);
    if (got == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (got == -1) {
        conn_close(l, c);
        return;
    }
    int k;
    if (got == 0) {                         /* EOF: the unfinished line, then close */
        c->eof = true;
        k = session_finish(&c->s, iov);
    } else {
        k = session_feed(&c->s, l->rbuf, (size_t)got, iov);
        if (k < 0) {                        /* line too long: no more reading */
            c->eof = true;
            k = 0;
        }
    }
    if (deliver(c, iov, k) == -1) {
        conn_close(l, c);
        return;
    }
    settle(l, c);
}

static void writable(struct loop *l, struct conn *c)
{
    if (drain(c) == -1) {
        conn_close(l, c);
        return;
    }
    settle(l, c);
}

/* A new client: its state, watched for reading. */
static void adopt(struct loop *l, int fd)
{
    struct conn *c = NULL;
    if (fd >= l->be->max_fd || make_room(l, fd) == -1 || (c = calloc(1, sizeof *c)) == NULL) {
        close(fd);                          /* select cannot watch it, or no memory */
        return;
    }
    c->fd = fd;
    session_init(&c->s, l->sv->echo);
    set_nodelay(fd);
    l->conns[fd] = c;
    l->nopen++;
    if (watch(l, c, EV_READ) == -1)
        conn_close(l, c);
}

/* Take up to ACCEPT_BATCH pending clients. 0, or -1 on a fatal accept error. */
static int take_clients(struct loop *l)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int fd = accept4(l->sv->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            adopt(l, fd);
            continue;
        }
        if (stop_requested || errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
        int err = errno;
        report("accept");
        if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
            return 0;                       /* that client only */
        return -1;
    }
    return 0;
}

/* One round of ready descriptors. 0, or -1 on a fatal error. */
static int dispatch(struct loop *l, int n)
{
    for (int i = 0; i < n && !stop_requested; i++) {
        int fd = l->fired[i].fd, m = l->fired[i].mask;
        if (fd == l->sv->listener) {
            if (take_clients(l) == -1)
                return -1;
            continue;
        }
        struct conn *c = fd < l->nconns ? l->conns[fd] : NULL;
        if (c != NULL && (m & EV_WRITE) && (c->mask & EV_WRITE)) {
            writable(l, c);
            c = l->conns[fd];               /* NULL if that closed it */
        }
        if (c != NULL && (m & EV_READ) && (c->mask & EV_READ))
            readable(l, c);
    }
    return 0;
}

int event_serve(struct server *sv, const struct ev_backend *be)
{
    int rc = -1;
    struct loop *l = calloc(1, sizeof *l);
    if (l == NULL || (l->fired = calloc(64, sizeof *l->fired)) == NULL) {
        report(be->name);
        free(l);
        close(sv->listener);
        return -1;
    }
    l->nfired = 64;
    l->be = be;
    l->sv = sv;
    l->st = be->create();
    if (l->st == NULL || set_nonblocking(sv->listener) == -1
        || be->set(l->st, sv->listener, 0, EV_READ) == -1) {
        report(be->name);
        goto out;
    }
    rc = 0;
    while (!stop_requested && rc == 0) {
        int n = be->wait(l->st, l->fired, l->nfired, -1);
        if (n == -1 && errno != EINTR && !stop_requested) {
            report(be->name);
            rc = -1;
        } else if (n > 0) {
            rc = dispatch(l, n);
        }
    }
out:
    loop_free(l);
    close(sv->listener);
    return rc;
}
