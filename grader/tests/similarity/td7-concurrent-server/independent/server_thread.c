/* td7 thread model written from the handout alone (not from the reference): the
 * planted class's independent solution; the function below replaces the skeleton's,
 * with the helpers it calls. */

/* The end of a connection: out of the registry and closed under the lock (so that
 * stop_all never shuts down a descriptor number already reused), then freed. */
static void forget(struct conn *c)
{
    pthread_mutex_lock(&lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        open_conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    close(c->fd);
    if (--nopen == 0)
        pthread_cond_broadcast(&all_done);
    pthread_mutex_unlock(&lock);
    free(c);
}

static void *client_main(void *arg)
{
    struct conn *c = arg;
    set_nodelay(c->fd);
    (void)session_serve_blocking(c->fd, c->echo);
    forget(c);
    return NULL;
}

/* A detached thread for fd, registered first; SIGTERM/SIGINT stay with the main
 * thread. A failed pthread_create costs this client only. */
static void start_client(struct server *sv, int fd)
{
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        report("calloc", errno);
        close(fd);
        return;
    }
    c->fd = fd;
    c->echo = sv->echo;
    pthread_mutex_lock(&lock);
    c->next = open_conns;
    if (open_conns)
        open_conns->prev = c;
    open_conns = c;
    nopen++;
    pthread_mutex_unlock(&lock);

    pthread_attr_t attr;
    sigset_t stops, before;
    pthread_t tid;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    pthread_sigmask(SIG_BLOCK, &stops, &before);
    int err = pthread_create(&tid, &attr, client_main, c);
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    pthread_attr_destroy(&attr);
    if (err != 0) {
        report("pthread_create", err);
        forget(c);
    }
}

/* SIGTERM: wake every client thread out of its read or write, wait until all left. */
static void stop_all(void)
{
    pthread_mutex_lock(&lock);
    for (struct conn *c = open_conns; c != NULL; c = c->next)
        shutdown(c->fd, SHUT_RDWR);
    while (nopen > 0)
        pthread_cond_wait(&all_done, &lock);
    pthread_mutex_unlock(&lock);
}

int serve_thread(struct server *sv)
{
    int rc = 0;
    while (!stop_requested) {
        int fd = accept(sv->listener, NULL, NULL);
        if (fd >= 0) {
            start_client(sv, fd);
            continue;
        }
        if (stop_requested)
            break;
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        int err = errno;
        report("accept", err);
        if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
            usleep(10000);                  /* that client only: try again soon */
            continue;
        }
        rc = -1;
        break;
    }
    close(sv->listener);
    stop_all();
    return rc;
}
