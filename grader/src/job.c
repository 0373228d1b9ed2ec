/*
 * job.c: run one command with a deadline, an output cap and a whole-tree kill (see job.h).
 * This is the only file that executes student-influenced commands.
 */
#include "job.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_PROCS 65536

static volatile sig_atomic_t cancelled;
static volatile pid_t protected_pid;   /* a sub-worker whose tree job_run() must not kill */

void job_protect(pid_t pid)
{
    protected_pid = pid;
}

/* SIGTERM from the grader: stop the running job, and the sub-worker's. */
static void on_cancel(int sig)
{
    cancelled = sig;
    if (protected_pid > 0)
        kill(protected_pid, SIGTERM);
}

/* Variables of the grader's environment that must not reach a job. */
static const char *const dropped[] = { "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES",
    "CFLAGS", "CPPFLAGS", "LDFLAGS", "LDLIBS", "CC", "TMPDIR", "TL_KEEP", "TL_RESULTS",
    "TD_BIN", "TD_REF_BIN", "LANG", "LANGUAGE", "GCC_COLORS", NULL };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int job_init_worker(char *err)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
        snprintf(err, ERRLEN, "cannot become a child subreaper: %s", strerror(errno));
        return -1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct sigaction sa = { .sa_handler = on_cancel };
    sigaction(SIGTERM, &sa, NULL);
    return 0;
}

static int is_dropped(const char *kv)
{
    if (strncmp(kv, "LC_", 3) == 0)
        return 1;
    for (const char *const *d = dropped; *d; d++) {
        size_t n = strlen(*d);
        if (strncmp(kv, *d, n) == 0 && kv[n] == '=')
            return 1;
    }
    return 0;
}

static char **job_environment(const struct job_spec *spec)
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    while (spec->env && spec->env[k])
        k++;
    char **env = xmalloc((n + k + 3) * sizeof *env);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_dropped(environ[i]))
            env[m++] = environ[i];
    env[m++] = "LC_ALL=C";
    static char tmpdir[4200];
    snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s", spec->tmpdir);
    env[m++] = tmpdir;
    for (size_t i = 0; i < k; i++)
        env[m++] = spec->env[i];
    env[m] = NULL;
    return env;
}

/* Close every descriptor from FIRST up (the grader's files must not leak into jobs):
 * close_range(2), or the list in /proc/self/fd (a loop to RLIMIT_NOFILE is slow). */
static void close_from(int first)
{
    if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0)
        return;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int self = d ? dirfd(d) : -1;
    while (d && (e = readdir(d)))
        if (atoi(e->d_name) >= first && atoi(e->d_name) != self)
            close(atoi(e->d_name));
    if (d)
        closedir(d);
}

/* In the child: set up and exec; never returns. */
static void start_child(const struct job_spec *spec, char **env)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    setsid();
    int in = open("/dev/null", O_RDONLY);
    int out = open(spec->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (in == -1 || out == -1 || chdir(spec->cwd) == -1) {
        dprintf(out == -1 ? 2 : out, "grader: cannot start %s: %s\n", spec->argv[0],
                strerror(errno));
        _exit(127);
    }
    if (spec->pass_fd > 0 && spec->pass_fd != 3 && dup2(spec->pass_fd, 3) == -1)
        _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    if (spec->pass_fd > 0)
        fcntl(3, F_SETFD, 0);
    close_from(spec->pass_fd > 0 ? 4 : 3);
    environ = env;
    execvp(spec->argv[0], spec->argv);
    dprintf(2, "grader: cannot run %s: %s\n", spec->argv[0], strerror(errno));
    _exit(127);
}

struct proc {
    pid_t pid, ppid;
    char state;
};

/* Read pid, state and ppid of every process from /proc; returns the count. */
static int scan_procs(struct proc *procs, int max)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    while (d && n < max && (e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char path[300], line[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t r = fd == -1 ? -1 : read(fd, line, sizeof line - 1);
        if (fd != -1)
            close(fd);
        if (r <= 0)
            continue;
        line[r] = '\0';
        char *rp = strrchr(line, ')');
        int ppid;
        if (rp && sscanf(rp + 1, " %c %d", &procs[n].state, &ppid) == 2) {
            procs[n].pid = atoi(e->d_name);
            procs[n++].ppid = ppid;
        }
    }
    if (d)
        closedir(d);
    return n;
}

/* Mark the descendants of ROOT in MARK; returns how many are alive (not zombies). */
static int mark_descendants(const struct proc *procs, int n, pid_t root, char *mark)
{
    memset(mark, 0, (size_t)n);
    int changed = 1, alive = 0;
    while (changed) {
        changed = 0;
        for (int i = 0; i < n; i++) {
            if (mark[i] || procs[i].ppid == 0 || (protected_pid && procs[i].pid == protected_pid))
                continue;
            int parent_marked = procs[i].ppid == root;
            for (int j = 0; j < n && !parent_marked; j++)
                parent_marked = mark[j] && procs[j].pid == procs[i].ppid;
            if (parent_marked) {
                mark[i] = 1;
                changed = 1;
                alive += procs[i].state != 'Z';
            }
        }
    }
    return alive;
}

static void reap_any(pid_t main_pid, int *status, int *main_done)
{
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0)
        if (p == main_pid) {
            *status = st;
            *main_done = 1;
        }
}

/* SIGKILL every descendant of this process until none is left; returns how many were
 * alive at the first pass. Orphans come back to us (subreaper), so repeated passes
 * catch processes forked while we were killing. */
static int kill_descendants(pid_t main_pid, int *status, int *main_done)
{
    static struct proc procs[MAX_PROCS];
    static char mark[MAX_PROCS];
    int first = -1;
    for (int round = 0; round < 200; round++) {
        int n = scan_procs(procs, MAX_PROCS);
        int alive = mark_descendants(procs, n, getpid(), mark);
        if (first == -1)
            first = alive;
        for (int i = 0; i < n; i++)
            if (mark[i] && procs[i].state != 'Z')
                kill(procs[i].pid, SIGKILL);
        reap_any(main_pid, status, main_done);
        if (alive == 0)
            break;
        struct timespec ts = { 0, 2000000 };
        nanosleep(&ts, NULL);
    }
    return first;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* Wait for the main process, the deadline or the output cap. */
static void supervise(const struct job_spec *spec, pid_t pid, struct job_outcome *out,
                      int *main_done)
{
    double deadline = now_s() + spec->deadline_s;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    for (;;) {
        reap_any(pid, &out->status, main_done);
        if (*main_done || cancelled)
            return;
        double left = deadline - now_s();
        if (left <= 0) {
            out->timed_out = 1;
            return;
        }
        if (spec->log_cap > 0 && file_size(spec->log) > spec->log_cap) {
            out->log_capped = 1;
            return;
        }
        struct timespec ts = { 0, left < 0.1 ? (long)(left * 1e9) : 100000000L };
        sigtimedwait(&set, NULL, &ts);
    }
}

int job_run(const struct job_spec *spec, struct job_outcome *out, char *err)
{
    memset(out, 0, sizeof *out);
    out->status = -1;
    if (mkdir_p(spec->tmpdir, err) == -1)
        return -1;
    char **env = job_environment(spec);
    double start = now_s();
    pid_t pid = fork();
    if (pid == -1) {
        snprintf(err, ERRLEN, "cannot fork: %s", strerror(errno));
        free(env);
        return -1;
    }
    if (pid == 0)
        start_child(spec, env);
    int main_done = 0;
    supervise(spec, pid, out, &main_done);
    if (!main_done)
        kill(-pid, SIGKILL);
    int left = kill_descendants(pid, &out->status, &main_done);
    out->leftovers = main_done && !out->timed_out && !out->log_capped ? left : 0;
    if (!main_done)
        waitpid(pid, &out->status, 0);
    out->secs = now_s() - start;
    rm_rf(spec->tmpdir);
    free(env);
    return 0;
}

const char *job_describe(const struct job_outcome *out)
{
    static char buf[128];
    if (out->timed_out)
        return "stopped at the time limit";
    if (out->log_capped)
        return "stopped: too much output";
    if (out->status == -1)
        snprintf(buf, sizeof buf, "did not start");
    else if (WIFEXITED(out->status))
        snprintf(buf, sizeof buf, "exited with status %d", WEXITSTATUS(out->status));
    else
        snprintf(buf, sizeof buf, "killed by signal %d (%s)", WTERMSIG(out->status),
                 strsignal(WTERMSIG(out->status)));
    return buf;
}
