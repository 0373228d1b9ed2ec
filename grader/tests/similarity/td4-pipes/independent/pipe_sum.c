/* td4 pipe_sum written from the handout alone (not from the reference): the planted
 * class's independent solution. Each function replaces the skeleton's of that name. */
static long read_values(int fd, long *sum)
{
    int vals[CHUNK];
    long n = 0;
    *sum = 0;
    for (;;) {
        ssize_t got = read_full(fd, vals, sizeof vals);
        if (got < 0) {
            fprintf(stderr, "pipe_sum: read: %s\n", strerror(errno));
            return -1;
        }
        size_t whole = (size_t)got / sizeof(int);
        for (size_t k = 0; k < whole; k++)
            *sum += vals[k];
        n += (long)whole;
        if ((size_t)got % sizeof(int) != 0) {
            fprintf(stderr, "pipe_sum: child: input ends inside a value\n");
            return -1;
        }
        if ((size_t)got < sizeof vals)
            return n;
    }
}

static void child_main(int fds[2])
{
    long total, how_many;
    close(fds[1]);
    how_many = read_values(fds[0], &total);
    close(fds[0]);
    if (how_many < 0)
        _exit(1);
    say("child %d: received %ld values, sum %ld\n", (int)getpid(), how_many, total);
    _exit(0);
}

static long send_values(int fd, long count)
{
    int vals[CHUNK];
    long total = 0, left = count;
    while (left > 0) {
        long batch = left < CHUNK ? left : CHUNK;
        for (long k = 0; k < batch; k++) {
            vals[k] = rand() % 10;
            total += vals[k];
        }
        if (write_all(fd, vals, (size_t)batch * sizeof(int)) != 0) {
            fprintf(stderr, "pipe_sum: write: %s\n", strerror(errno));
            return -1;
        }
        left -= batch;
    }
    return total;
}

static int wait_child(pid_t pid, int *status)
{
    for (;;) {
        if (waitpid(pid, status, 0) == pid)
            return 0;
        if (errno != EINTR) {
            perror("pipe_sum: waitpid");
            return -1;
        }
    }
}

static int parent_main(int fds[2], pid_t child, long count)
{
    int st, ok = 1;
    close(fds[0]);
    long total = send_values(fds[1], count);
    close(fds[1]);
    if (total >= 0)
        say("parent %d: sent %ld values, sum %ld\n", (int)getpid(), count, total);
    else
        ok = 0;
    if (wait_child(child, &st) != 0)
        return 1;
    if (WIFSIGNALED(st)) {
        say("parent %d: child %d killed by signal %d\n", (int)getpid(), (int)child, WTERMSIG(st));
        return 1;
    }
    say("parent %d: child %d exited with status %d\n", (int)getpid(), (int)child,
        WEXITSTATUS(st));
    return ok && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static int run(long count)
{
    int p[2];
    if (pipe(p) != 0) {
        fprintf(stderr, "pipe_sum: pipe: %s\n", strerror(errno));
        return 1;
    }
    pid_t kid = fork();
    if (kid < 0) {
        fprintf(stderr, "pipe_sum: fork: %s\n", strerror(errno));
        close(p[0]);
        close(p[1]);
        return 1;
    }
    if (kid == 0)
        child_main(p);
    return parent_main(p, kid, count);
}
