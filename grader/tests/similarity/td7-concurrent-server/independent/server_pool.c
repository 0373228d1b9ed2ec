/* td7 pool model written from the handout alone (not from the reference): the planted
 * class's independent solution; the function below replaces the skeleton's, with the
 * helpers it calls. */

/* Record the connection a worker serves (-1: none). false once the pool stops: the
 * caller must then drop fd. Closing happens here too, under the lock, so that the
 * main thread never shuts down a descriptor number already reused. */
static bool set_serving(struct worker *w, int fd, int closing)
{
    pthread_mutex_lock(&lock);
    bool ok = !stopping;
    if (closing >= 0)
        close(closing);
    w->fd = ok ? fd : -1;
    pthread_mutex_unlock(&lock);
    return ok;
}

static void *pool_worker(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        int fd = accept(w->sv->listener, NULL, NULL);
        if (fd == -1) {
            if (stop_requested || errno == EINVAL)
                break;                      /* the listener was shut down */
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            int err = errno;
            report("accept", err);
            if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
                usleep(10000);
                continue;
            }
            break;
        }
        if (!set_serving(w, fd, -1)) {
            close(fd);
            break;
        }
        set_nodelay(fd);
        (void)session_serve_blocking(fd, w->sv->echo);
        set_serving(w, -1, fd);
    }
    return NULL;
}

/* Start n workers with SIGTERM/SIGINT blocked (the caller blocked them); how many
 * started. */
static int launch(struct worker *ws, int n, struct server *sv)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    int i;
    for (i = 0; i < n; i++) {
        ws[i].sv = sv;
        ws[i].fd = -1;
        int err = pthread_create(&ws[i].thread, &attr, pool_worker, &ws[i]);
        if (err != 0) {
            report("pthread_create", err);
            break;
        }
    }
    pthread_attr_destroy(&attr);
    return i;
}

/* Wake every worker: the listener and the connections being served are shut down. */
static void halt(struct server *sv, struct worker *ws, int n)
{
    pthread_mutex_lock(&lock);
    stopping = true;
    shutdown(sv->listener, SHUT_RD);
    for (int i = 0; i < n; i++)
        if (ws[i].fd >= 0)
            shutdown(ws[i].fd, SHUT_RDWR);
    pthread_mutex_unlock(&lock);
}

int serve_pool(struct server *sv)
{
    struct worker *ws = calloc((size_t)sv->workers, sizeof *ws);
    if (ws == NULL) {
        report("calloc", errno);
        close(sv->listener);
        return -1;
    }
    sigset_t stops, before;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stops, &before);
    int started = launch(ws, sv->workers, sv);
    if (started == sv->workers) {
        sigset_t waiting = before;          /* sigsuspend lets only the stops in */
        sigdelset(&waiting, SIGTERM);
        sigdelset(&waiting, SIGINT);
        while (!stop_requested)
            sigsuspend(&waiting);
    }
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    halt(sv, ws, started);
    for (int i = 0; i < started; i++)
        pthread_join(ws[i].thread, NULL);
    close(sv->listener);
    free(ws);
    return started == sv->workers ? 0 : -1;
}
