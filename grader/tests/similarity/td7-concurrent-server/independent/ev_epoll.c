/* td7 epoll backend written from the handout alone (not from the reference): the
 * planted class's independent solution; the functions below replace the skeleton's. */
static void *ep_create(void)
{
    struct state *st = malloc(sizeof *st);
    if (st == NULL)
        return NULL;
    st->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (st->epfd == -1) {
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
    struct epoll_event ev = { 0 };
    ev.events = (new_mask & EV_READ ? EPOLLIN : 0) | (new_mask & EV_WRITE ? EPOLLOUT : 0);
    ev.data.fd = fd;
    int op = old_mask == 0 ? EPOLL_CTL_ADD : new_mask == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    if (old_mask == 0 && new_mask == 0)
        return 0;
    return epoll_ctl(st->epfd, op, fd, &ev);
}

static int ep_wait(void *state, struct ev_fired *fired, int max, int timeout_ms)
{
    struct state *st = state;
    int want = max < MAX_EVENTS ? max : MAX_EVENTS;
    int ready = epoll_wait(st->epfd, st->events, want, timeout_ms);
    for (int i = 0; i < ready; i++) {
        uint32_t e = st->events[i].events;
        fired[i].fd = st->events[i].data.fd;
        fired[i].mask = (e & (EPOLLERR | EPOLLHUP)) ? EV_READ | EV_WRITE
                        : ((e & EPOLLIN) ? EV_READ : 0) | ((e & EPOLLOUT) ? EV_WRITE : 0);
    }
    return ready;
}

static void ep_destroy(void *state)
{
    struct state *st = state;
    if (st == NULL)
        return;
    close(st->epfd);
    free(st);
}
