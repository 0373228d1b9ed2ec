/* td7 poll backend written from the handout alone (not from the reference): the
 * planted class's independent solution; the functions below replace the skeleton's. */
static void *pl_create(void)
{
    return calloc(1, sizeof(struct state));
}

/* pos[] long enough to hold fd, new entries -1 (not watched). */
static int pl_index_room(struct state *st, int fd)
{
    if (fd < st->pos_cap)
        return 0;
    int cap = st->pos_cap ? st->pos_cap : 64;
    while (cap <= fd)
        cap *= 2;
    int *bigger = realloc(st->pos, (size_t)cap * sizeof *bigger);
    if (bigger == NULL)
        return -1;
    for (int i = st->pos_cap; i < cap; i++)
        bigger[i] = -1;
    st->pos = bigger;
    st->pos_cap = cap;
    return 0;
}

static int pl_set(void *state, int fd, int old_mask, int new_mask)
{
    struct state *st = state;
    (void)old_mask;
    if (pl_index_room(st, fd) == -1)
        return -1;
    int at = st->pos[fd];
    if (new_mask == 0) {
        if (at >= 0) {                     /* the last entry fills the hole */
            st->fds[at] = st->fds[--st->n];
            st->pos[st->fds[at].fd] = at;
            st->pos[fd] = -1;
        }
        return 0;
    }
    if (at < 0) {
        if (st->n == st->cap) {
            int cap = st->cap ? 2 * st->cap : 64;
            struct pollfd *more = realloc(st->fds, (size_t)cap * sizeof *more);
            if (more == NULL)
                return -1;
            st->fds = more;
            st->cap = cap;
        }
        at = st->n++;
        st->fds[at].fd = fd;
        st->pos[fd] = at;
    }
    st->fds[at].events = (short)((new_mask & EV_READ ? POLLIN : 0) | (new_mask & EV_WRITE ? POLLOUT : 0));
    st->fds[at].revents = 0;
    return 0;
}

static int pl_wait(void *state, struct ev_fired *fired, int max, int timeout_ms)
{
    struct state *st = state;
    int ready = poll(st->fds, (nfds_t)st->n, timeout_ms);
    if (ready <= 0)
        return ready;
    int got = 0;
    for (int i = 0; i < st->n && got < max; i++) {
        short r = st->fds[i].revents;
        if (r == 0)
            continue;
        int what = 0;
        if (r & (POLLERR | POLLHUP | POLLNVAL))
            what = EV_READ | EV_WRITE;     /* the next read or write says what it is */
        if (r & POLLIN)
            what |= EV_READ;
        if (r & POLLOUT)
            what |= EV_WRITE;
        fired[got].fd = st->fds[i].fd;
        fired[got].mask = what;
        got++;
    }
    return got;
}

static void pl_destroy(void *state)
{
    struct state *st = state;
    if (st == NULL)
        return;
    free(st->fds);
    free(st->pos);
    free(st);
}
