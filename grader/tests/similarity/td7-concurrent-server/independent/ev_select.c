/* td7 select backend written from the handout alone (not from the reference): the
 * planted class's independent solution; the functions below replace the skeleton's. */
static void *sl_create(void)
{
    struct state *st = malloc(sizeof *st);
    if (st == NULL)
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
    if (fd < 0 || fd >= FD_SETSIZE) {
        errno = EINVAL;
        return -1;
    }
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
    /* the highest descriptor left: select scans up to it */
    while (st->maxfd >= 0 && !FD_ISSET(st->maxfd, &st->rfds) && !FD_ISSET(st->maxfd, &st->wfds))
        st->maxfd--;
    return 0;
}

static int sl_wait(void *state, struct ev_fired *fired, int max, int timeout_ms)
{
    struct state *st = state;
    fd_set rd = st->rfds, wr = st->wfds;     /* select overwrites what it is given */
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    int ready = select(st->maxfd + 1, &rd, &wr, NULL, timeout_ms < 0 ? NULL : &tv);
    if (ready <= 0)
        return ready;
    int got = 0;
    for (int fd = 0; fd <= st->maxfd && got < max; fd++) {
        int what = (FD_ISSET(fd, &rd) ? EV_READ : 0) | (FD_ISSET(fd, &wr) ? EV_WRITE : 0);
        if (what) {
            fired[got].fd = fd;
            fired[got].mask = what;
            got++;
        }
    }
    return got;
}

static void sl_destroy(void *state)
{
    free(state);
}
