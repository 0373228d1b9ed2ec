/* td7 shake_client written from the handout alone (not from the reference): the
 * planted class's independent solution (the other files stay the skeleton's). */
static void writer(int sock)
{
    char chunk[4096];
    for (;;) {
        ssize_t got = read(STDIN_FILENO, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            fprintf(stderr, "%s: read from stdin: %s\n", PROG, strerror(errno));
            close(sock);
            _exit(1);
        }
        if (got == 0)
            break;
        if (write_all(sock, chunk, (size_t)got) != 0) {
            int gone = errno == EPIPE || errno == ECONNRESET;
            if (!gone)
                fprintf(stderr, "%s: write to server: %s\n", PROG, strerror(errno));
            close(sock);
            _exit(gone ? 0 : 1);
        }
    }
    shutdown(sock, SHUT_WR);
    close(sock);
    _exit(0);
}

static int reader(int sock)
{
    char chunk[4096];
    ssize_t got;
    while ((got = read(sock, chunk, sizeof chunk)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "%s: read from server: %s\n", PROG, strerror(errno));
            return -1;
        }
        if (write_all(STDOUT_FILENO, chunk, (size_t)got) != 0)
            return -1;
    }
    return 0;
}

static int talk(int sock)
{
    pid_t w = fork();
    if (w == -1) {
        fprintf(stderr, "%s: fork: %s\n", PROG, strerror(errno));
        return -1;
    }
    if (w == 0)
        writer(sock);
    close(STDIN_FILENO);
    int result = reader(sock), status = 0;
    kill(w, SIGTERM);
    while (waitpid(w, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "%s: waitpid: %s\n", PROG, strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
        result = -1;
    return result;
}
