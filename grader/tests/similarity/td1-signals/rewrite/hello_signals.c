/* The reference with this one function rewritten (the planted class's "rewrite"). */
static int fork_children(pid_t *pids, int n)
{
    int i = 0;
    while (i < n) {
        pid_t child = fork();
        if (child < 0) {
            int saved = errno;
            fprintf(stderr, "hello_signals: fork: %s\n", strerror(saved));
            for (int k = i - 1; k >= 0; k--) {
                kill(pids[k], SIGKILL);
                waitpid(pids[k], NULL, 0);
            }
            return -1;
        }
        if (child == 0)
            child_loop();
        pids[i++] = child;
        say("Child %d has PID %d\n", i, (int)child);
    }
    return 0;
}
