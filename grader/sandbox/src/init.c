/*
 * init.c: the sandbox's init (see init.h). It runs as the unprivileged uid, inside the
 * namespaces; it is non-dumpable, so the command (same uid, no capabilities) can neither
 * ptrace it nor open its descriptors through /proc.
 */
#include "init.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Fixed-position arguments after "--init". */
enum { A_STATUS = 2, A_CPU, A_FSIZE, A_NOFILE, A_NPROC, A_AS, A_REAPER, A_DASH, A_CMD };

int init_argv(const struct sb_config *c, const char *path, int status_fd, bool subreaper,
              char **argv, int cap, char *store, size_t storelen)
{
    int n = 0;
    size_t used = 0;
    long long values[] = { status_fd, (long long)(c->lim.cpu_s + 0.999), c->lim.fsize,
                           c->lim.nofile, c->lim.nproc, c->lim.as, subreaper };
    argv[n++] = (char *)path;
    argv[n++] = "--init";
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        int k = snprintf(store + used, storelen - used, "%lld", values[i]);
        argv[n++] = store + used;
        used += (size_t)k + 1;
    }
    argv[n++] = "--";
    for (int i = 0; c->cmd[i] && n < cap - 1; i++)
        argv[n++] = c->cmd[i];
    argv[n] = NULL;
    return n;
}

bool is_init_call(int argc, char **argv)
{
    return argc > A_CMD && strcmp(argv[1], "--init") == 0 && strcmp(argv[A_DASH], "--") == 0;
}

static void report(int fd, const char *what, int value)
{
    char line[64];
    int n = value < 0 ? snprintf(line, sizeof line, "%s\n", what)
                      : snprintf(line, sizeof line, "%s %d\n", what, value);
    write_all(fd, line, (size_t)n);
}

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit r = { soft, hard };
    setrlimit(resource, &r);
}

/* In the forked child: limits, default signals, exec. Never returns. */
static void exec_command(char **argv, char **cmd)
{
    rlim_t cpu = strtoull(argv[A_CPU], NULL, 10), fsize = strtoull(argv[A_FSIZE], NULL, 10);
    rlim_t nofile = strtoull(argv[A_NOFILE], NULL, 10), nproc = strtoull(argv[A_NPROC], NULL, 10);
    set_limit(RLIMIT_CPU, cpu, cpu + 1);
    set_limit(RLIMIT_FSIZE, fsize, fsize);
    set_limit(RLIMIT_NOFILE, nofile, nofile);
    set_limit(RLIMIT_CORE, 0, 0);
    rlim_t as = strtoull(argv[A_AS], NULL, 10);
    if (nproc > 0)
        set_limit(RLIMIT_NPROC, nproc, nproc);
    if (as > 0)
        set_limit(RLIMIT_AS, as, as);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    execvp(cmd[0], cmd);
    int e = errno;
    fprintf(stderr, PROG ": cannot run %s: %s\n", cmd[0], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
}

/* Reap until the command itself ends; returns its wait status. */
static int wait_command(pid_t cmd_pid)
{
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, 0);
        if (p == cmd_pid)
            return st;
        if (p == -1 && errno == ECHILD)
            return -1;
    }
}

/* Processes still alive in our pid namespace besides us (we are its pid 1). */
static int count_namespace(void)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    reap_zombies();
    while (d && (e = readdir(d)))
        if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && atoi(e->d_name) != getpid())
            n++;
    if (d)
        closedir(d);
    return n;
}

int init_main(int argc, char **argv)
{
    (void)argc;
    int status_fd = atoi(argv[A_STATUS]);
    bool subreaper = atoi(argv[A_REAPER]) != 0;
    prctl(PR_SET_DUMPABLE, 0);
    if (subreaper)
        prctl(PR_SET_CHILD_SUBREAPER, 1);
    fcntl(status_fd, F_SETFD, FD_CLOEXEC);
    report(status_fd, "start", -1);
    pid_t pid = fork();
    if (pid == -1) {
        fprintf(stderr, PROG ": cannot fork the command: %s\n", strerror(errno));
        _exit(125);
    }
    if (pid == 0)
        exec_command(argv, argv + A_CMD);
    int st = wait_command(pid);
    if (st != -1 && WIFSIGNALED(st))
        report(status_fd, "signal", WTERMSIG(st));
    else
        report(status_fd, "exit", st == -1 ? 125 : WEXITSTATUS(st));
    /* What the command left running: with a pid namespace, our exit kills it all;
     * without, kill it ourselves (orphans came back to us, a subreaper). */
    report(status_fd, "left", subreaper ? kill_descendants(100) : count_namespace());
    _exit(0);
}
