/* td1 written from the handout alone (not from the reference): the planted class's
 * independent solution. Each function replaces the skeleton's of the same name. */
static void on_sigusr1(int sig)
{
    if (sig == SIGUSR1)
        sio_pid_line("Hello from PID ", getpid());
}

static int install_handler(void)
{
    struct sigaction act = { .sa_handler = on_sigusr1, .sa_flags = SA_RESTART };
    if (sigemptyset(&act.sa_mask) != 0)
        return -1;
    return sigaction(SIGUSR1, &act, NULL) == 0 ? 0 : -1;
}

static void child_loop(void)
{
    while (1)
        pause();
}

static int fork_children(pid_t *pids, int n)
{
    int made = 0;
    while (made < n) {
        pid_t child = fork();
        switch (child) {
        case -1: {
            int e = errno;
            fprintf(stderr, "hello_signals: fork: %s\n", strerror(e));
            while (made-- > 0) {
                kill(pids[made], SIGKILL);
                waitpid(pids[made], NULL, 0);
            }
            return -1;
        }
        case 0:
            child_loop();
            break;
        default:
            pids[made++] = child;
            say("Child %d has PID %d\n", made, (int)child);
        }
    }
    return 0;
}

static void tick(const pid_t *pids, const struct options *o)
{
    long t = 0;
    while (t++ < o->ticks) {
        int k;
        sleep_ms(o->interval_ms);
        k = rand() % o->children;
        say("Tick %ld: SIGUSR1 -> PID %d\n", t, (int)pids[k]);
        kill(pids[k], SIGUSR1);
    }
    sleep_ms(o->interval_ms);
}

static int stop_children(const pid_t *pids, int n)
{
    int i = 0, reaped = 0;
    for (i = 0; i < n; ++i) {
        say("SIGINT -> PID %d\n", (int)pids[i]);
        kill(pids[i], SIGINT);
    }
    while (reaped < n) {
        int st;
        pid_t who = waitpid(-1, &st, 0);
        if (who < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "hello_signals: waitpid: %s\n", strerror(errno));
            return -1;
        }
        reaped++;
        if (WIFEXITED(st))
            say("PID %d exited with status %d\n", (int)who, WEXITSTATUS(st));
        else
            say("PID %d ended by signal %d\n", (int)who, WTERMSIG(st));
    }
    return 0;
}
