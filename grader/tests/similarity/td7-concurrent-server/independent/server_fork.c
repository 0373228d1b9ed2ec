/* td7 fork model written from the handout alone (not from the reference): the planted
 * class's independent solution; the functions below replace the skeleton's. */
static void on_sigchld(int sig)
{
    int keep = errno;
    pid_t gone;
    (void)sig;
    do {
        gone = waitpid(-1, NULL, WNOHANG);
        if (gone > 0)
            children_remove(gone);
    } while (gone > 0);
    errno = keep;
}

static int install_sigchld(void)
{
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_sigchld;
    act.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    sigemptyset(&act.sa_mask);
    return sigaction(SIGCHLD, &act, NULL);
}

static void serve_child(struct server *sv, int conn, const sigset_t *old_mask)
{
    static const int reset[] = { SIGCHLD, SIGTERM, SIGINT };
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (size_t k = 0; k < sizeof reset / sizeof reset[0]; k++)
        sigaction(reset[k], &dfl, NULL);
    close(sv->listener);
    sigprocmask(SIG_SETMASK, old_mask, NULL);
    set_nodelay(conn);
    int rc = session_serve_blocking(conn, sv->echo);
    close(conn);
    _exit(rc == 0 ? 0 : 1);
}

static int spawn(struct server *sv, int conn)
{
    sigset_t block, before;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &before);
    if (nchildren >= MAX_CHILDREN) {
        close(conn);
        sigprocmask(SIG_SETMASK, &before, NULL);
        errno = EAGAIN;
        return -1;
    }
    pid_t kid = fork();
    if (kid == 0)
        serve_child(sv, conn, &before);
    int saved = errno;
    if (kid > 0)
        children_add(kid);
    close(conn);
    sigprocmask(SIG_SETMASK, &before, NULL);
    errno = saved;
    return kid > 0 ? 0 : -1;
}

static void stop_children(void)
{
    sigset_t block, before;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &before);
    children_signal_all(SIGTERM);
    for (;;) {
        pid_t w = waitpid(-1, NULL, 0);
        if (w > 0)
            children_remove(w);
        else if (errno != EINTR)
            break;
    }
    sigprocmask(SIG_SETMASK, &before, NULL);
}

int serve_fork(struct server *sv)
{
    int failed = 0;
    if (install_sigchld() == -1) {
        report("sigaction");
        close(sv->listener);
        return -1;
    }
    while (!stop_requested) {
        int conn = accept(sv->listener, NULL, NULL);
        if (conn >= 0) {
            if (spawn(sv, conn) == -1)
                report("fork");
            continue;
        }
        if (stop_requested)
            break;
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            report("accept");
            pause_ms(10);
            continue;
        }
        report("accept");
        failed = 1;
        break;
    }
    close(sv->listener);
    stop_children();
    return failed ? -1 : 0;
}
