/* td7 reuseport model written from the handout alone (not from the reference): the
 * planted class's independent solution; the function below replaces the skeleton's,
 * with the helpers it calls. */

/* Only there to make sigsuspend() return when a worker ends. */
static void wake_on_child(int sig)
{
    (void)sig;
}

/* Listeners 1..n-1 on the same port (fds[0] is the one main opened). 0, or -1 with
 * every listener opened here closed again. */
static int more_listeners(struct server *sv, int *fds, int n)
{
    for (int i = 1; i < n; i++) {
        fds[i] = tcp_listen(sv->addr, sv->port, true);
        if (fds[i] == -1) {
            fprintf(stderr, "shake_server: cannot listen on port %d: %s\n", sv->port,
                    strerror(errno));
            while (--i >= 1)
                close(fds[i]);
            return -1;
        }
    }
    return 0;
}

/* In the child: keep listener `me` only, its own SIGTERM handler, one epoll loop. */
static void run_worker(struct server *sv, int *fds, int n, int me, const sigset_t *mask)
{
    struct server mine = *sv;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGCHLD, &dfl, NULL);
    for (int i = 0; i < n; i++)
        if (i != me)
            close(fds[i]);
    mine.listener = fds[me];
    if (install_stop_handler(mine.listener) == -1) {
        report("sigaction");
        _exit(1);
    }
    sigprocmask(SIG_SETMASK, mask, NULL);
    _exit(event_serve(&mine, &ev_epoll_backend) == 0 ? 0 : 1);
}

/* Sleep until SIGTERM/SIGINT (0) or until a worker ends on its own (-1). The three
 * signals are blocked outside sigsuspend: none can slip between a test and the wait. */
static int await_end(pid_t *pids, int n, const sigset_t *mask)
{
    sigset_t open = *mask;
    sigdelset(&open, SIGCHLD);
    sigdelset(&open, SIGTERM);
    sigdelset(&open, SIGINT);
    for (;;) {
        if (stop_requested)
            return 0;
        int status;
        pid_t gone = waitpid(-1, &status, WNOHANG);
        if (gone > 0) {
            for (int i = 0; i < n; i++)
                if (pids[i] == gone)
                    pids[i] = 0;            /* reaped: never signal that pid again */
            fprintf(stderr, "shake_server: reuseport worker %ld died (%s %d)\n", (long)gone,
                    WIFSIGNALED(status) ? "signal" : "status",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            return -1;
        }
        sigsuspend(&open);
    }
}

static void end_workers(pid_t *pids, int n)
{
    for (int i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGTERM);
    for (int i = 0; i < n; i++)
        if (pids[i] > 0)
            while (waitpid(pids[i], NULL, 0) == -1 && errno == EINTR)
                ;
}

int serve_reuseport(struct server *sv)
{
    int n = sv->workers, rc = 0, started = 0;
    int *fds = calloc((size_t)n, sizeof *fds);
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    if (fds == NULL || pids == NULL || (fds[0] = sv->listener, more_listeners(sv, fds, n)) == -1) {
        if (fds == NULL || pids == NULL)
            report("calloc");
        free(fds);
        free(pids);
        close(sv->listener);
        return -1;
    }
    sigset_t blocked, before;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGCHLD);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    sigprocmask(SIG_BLOCK, &blocked, &before);
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = wake_on_child;
    sigemptyset(&act.sa_mask);
    if (sigaction(SIGCHLD, &act, NULL) == -1) {
        report("sigaction");
        rc = -1;
    }
    for (; rc == 0 && started < n; started++) {
        pid_t pid = fork();
        if (pid == 0)
            run_worker(sv, fds, n, started, &before);
        if (pid == -1) {
            report("fork");
            rc = -1;
            break;
        }
        pids[started] = pid;
    }
    install_stop_handler(-1);               /* before closing: it must not shut reused fds */
    for (int i = 0; i < n; i++)
        close(fds[i]);
    if (rc == 0)
        rc = await_end(pids, n, &before);
    end_workers(pids, started);
    sigprocmask(SIG_SETMASK, &before, NULL);
    free(fds);
    free(pids);
    return rc;
}
