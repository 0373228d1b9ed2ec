/* The reference with this one function rewritten (the planted class's "rewrite"). */
int serve_fork(struct server *sv)
{
    if (install_sigchld() != 0) {
        report("sigaction");
        close(sv->listener);
        return -1;
    }
    int failed = 0;
    for (;;) {
        if (stop_requested)
            break;
        int c = accept(sv->listener, NULL, NULL);
        if (c >= 0) {
            if (spawn(sv, c) != 0)
                report("fork");
            continue;
        }
        if (stop_requested || errno == EINTR || errno == ECONNABORTED)
            continue;
        report("accept");
        switch (errno) {
        case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM:
            pause_ms(10);   /* wait for descriptors or memory to come back */
            continue;
        }
        failed = 1;
        break;
    }
    close(sv->listener);
    stop_children();
    return failed ? -1 : 0;
}
