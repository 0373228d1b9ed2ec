/*
 * job.c: run one command with a deadline, an output cap and a whole-tree kill (see job.h).
 * This is the only file that executes student-influenced commands; with isolation on,
 * each goes through the sandbox (run_sandboxed).
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
static const char *sandbox_bin;        /* grader/sandbox/sandbox, or NULL: no isolation */
static int sandbox_allow;              /* pass --allow-no-isolation */
static int sandbox_bin_active = 1;     /* 0 while job_run() starts the sandbox itself */

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

int job_isolated(void)
{
    return sandbox_bin != NULL;
}

/* ARGV += the strings of a NULL-ended list, each after OPTION. */
static void add_each(char **argv, int *n, const char *option, const char *const *list)
{
    for (; list && *list; list++) {
        argv[(*n)++] = (char *)option;
        argv[(*n)++] = (char *)*list;
    }
}

/* "NAME" of a run, reduced to characters safe in a cgroup name. */
static char *run_name(const struct job_spec *spec)
{
    char *name = xasprintf("%.60s", spec->name ? spec->name : "grader");
    for (char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            *p = '_';
    return name;
}

/* The sandbox command line for SPEC (strings in STRS to free, NULL-ended). */
static char **sandbox_argv(const struct job_spec *spec, const char *verdict, char **strs)
{
    size_t n = 0, k = 0;
    while (spec->argv[n])
        n++;
    for (const char *const *p = spec->hide; p && *p; p++)
        k++;
    for (const char *const *p = spec->ro_dirs; p && *p; p++)
        k++;
    for (char *const *p = spec->env; p && *p; p++)
        k++;
    char **argv = xmalloc((n + 2 * k + 48) * sizeof *argv);
    int a = 0, s = 0;
    strs[s++] = xasprintf("%d", spec->slot);
    strs[s++] = run_name(spec);
    strs[s++] = xasprintf("%d", spec->deadline_s);
    strs[s++] = xasprintf("%lld", spec->log_cap > 0 ? spec->log_cap : 4LL << 20);
    strs[s] = NULL;
    char *fixed[] = { (char *)sandbox_bin, "--quiet", "--slot", strs[0], "--name", strs[1],
                      "--rw", (char *)spec->rw_dir, "--chdir", (char *)spec->cwd,
                      "--time", strs[2], "--cpu", strs[2], "--mem", "1G", "--pids", "256",
                      "--output", strs[3], "--tmp-size", "64M", "--log", (char *)spec->log,
                      "--verdict", (char *)verdict, NULL };
    for (char **f = fixed; *f; f++)
        argv[a++] = *f;
    add_each(argv, &a, "--ro", spec->ro_dirs);
    add_each(argv, &a, "--hide", spec->hide);
    add_each(argv, &a, "--setenv", (const char *const *)spec->env);
    if (spec->pass_fd > 0)
        argv[a++] = "--pass-fd", argv[a++] = "3";
    if (sandbox_allow)
        argv[a++] = "--allow-no-isolation";
    argv[a++] = "--";
    for (size_t i = 0; i < n; i++)
        argv[a++] = spec->argv[i];
    argv[a] = NULL;
    return argv;
}

/* The value of "KEY": in a one-line JSON verdict: a number, or a string into BUF. */
static const char *verdict_field(const char *json, const char *key, char *buf, size_t len)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    size_t o = 0;
    if (!p) {
        snprintf(buf, len, "-1");
        return buf;
    }
    p += strlen(pat);
    int quoted = *p == '"';
    for (p += quoted; *p && o + 1 < len; p++) {
        if (quoted ? *p == '"' : (*p == ',' || *p == '}'))
            break;
        if (quoted && *p == '\\' && p[1])
            p++;
        buf[o++] = *p;
    }
    buf[o] = '\0';
    return buf;
}

/* Fill OUT from the sandbox's verdict file (or say the sandbox failed). */
static void read_verdict(const char *path, int sandbox_status, struct job_outcome *out)
{
    char *json = read_text(path, 1 << 16, NULL);
    char v[256];
    snprintf(out->vstatus, sizeof out->vstatus, "%s",
             json ? verdict_field(json, "status", v, sizeof v) : "error");
    verdict_field(json, "message", out->message, sizeof out->message);
    if (!json)
        snprintf(out->message, sizeof out->message, "the sandbox failed (%s)",
                 job_describe(&(struct job_outcome){ .status = sandbox_status }));
    out->no_isolation = json && strcmp(verdict_field(json, "isolation", v, sizeof v), "full") != 0;
    out->leftovers = atoi(verdict_field(json, "leftovers", v, sizeof v));
    out->leftovers = out->leftovers < 0 ? 0 : out->leftovers;
    out->limit_at_ms = atoll(verdict_field(json, "limit_at_ms", v, sizeof v));
    int code = atoi(verdict_field(json, "exit_code", v, sizeof v));
    int sig = atoi(verdict_field(json, "signal", v, sizeof v));
    const char *st = out->vstatus;
    out->timed_out = strcmp(st, "time") == 0;
    out->log_capped = strcmp(st, "output") == 0;
    if (strcmp(st, "ok") == 0 || strcmp(st, "exit") == 0)
        out->status = (code & 0xff) << 8;
    else if (strcmp(st, "signal") == 0 && sig > 0)
        out->status = sig & 0x7f;
    else if (strcmp(st, "error") == 0)
        out->status = 125 << 8;
    else if (!out->timed_out && !out->log_capped)
        out->status = sig > 0 ? sig & 0x7f : 124 << 8;   /* memory, pids, disk */
    free(json);
}

/* job_run() through the sandbox: the sandbox is the job, the grader keeps a backstop
 * deadline and the tree kill; the verdict file replaces the wait status. */
static int run_sandboxed(const struct job_spec *spec, struct job_outcome *out, char *err)
{
    char *verdict = xasprintf("%s.verdict", spec->log), *slog = xasprintf("%s.sandbox", spec->log);
    char *strs[8];
    char **argv = sandbox_argv(spec, verdict, strs);
    struct job_spec outer = *spec;
    outer.argv = argv, outer.log = slog, outer.env = NULL, outer.pass_fd = spec->pass_fd;
    outer.deadline_s = spec->deadline_s + 30, outer.log_cap = 1 << 20;
    unlink(verdict);
    sandbox_bin_active = 0;
    int rc = job_run(&outer, out, err);
    sandbox_bin_active = 1;
    if (rc == 0 && !out->timed_out) {
        double secs = out->secs;
        int status = out->status;
        memset(out, 0, sizeof *out);
        out->secs = secs;
        read_verdict(verdict, status, out);
    } else if (rc == 0)
        snprintf(out->message, sizeof out->message, "the sandbox did not stop in time");
    for (char **s = strs; *s; s++)
        free(*s);
    free(argv), free(verdict), free(slog);
    return rc;
}

int job_run(const struct job_spec *spec, struct job_outcome *out, char *err)
{
    if (sandbox_bin && sandbox_bin_active)
        return run_sandboxed(spec, out, err);
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

/* Run the sandbox once on /bin/true in a new directory under WORK (not /tmp: without
 * namespaces the sandbox removes the slot's entries there); its messages go to our
 * stderr. Returns its exit status (1: ran without isolation), the verdict in MSG. */
static int probe(const char *sandbox, int allow, const char *work, char *msg)
{
    char *dir = xasprintf("%s/probe-XXXXXX", work);
    if (mkdir_p(work, msg) == -1 || !mkdtemp(dir)) {
        snprintf(msg, ERRLEN, "cannot create %.200s: %s", dir, strerror(errno));
        free(dir);
        return -1;
    }
    chmod(dir, 0755);
    char *verdict = xasprintf("%s/verdict", dir), *log = xasprintf("%s/log", dir);
    char *argv[] = { (char *)sandbox, "--quiet", "--name", "probe", "--rw", dir, "--time", "30",
                     "--verdict", verdict, "--log", log, allow ? "--allow-no-isolation" : "--quiet",
                     "--", "/bin/true", NULL };
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 1);
        execv(sandbox, argv);
        _exit(127);
    }
    int st = -1;
    while (pid > 0 && waitpid(pid, &st, 0) == -1 && errno == EINTR)
        ;
    struct job_outcome o = { .status = -1 };
    read_verdict(verdict, st, &o);
    snprintf(msg, ERRLEN, "%s", o.message);
    int rc = pid == -1 || !WIFEXITED(st) ? -1 : o.no_isolation ? 1 : WEXITSTATUS(st);
    unlink(verdict), unlink(log), rmdir(dir);
    free(verdict), free(log), free(dir);
    return rc;
}

int job_use_sandbox(const char *sandbox, int allow, const char *work, char *err)
{
    char msg[ERRLEN];
    int rc = probe(sandbox, 0, work, msg);
    if (rc == 0) {
        sandbox_bin = sandbox;
        return 0;
    }
    if (!allow) {
        snprintf(err, ERRLEN, "the sandbox cannot isolate the jobs: %.300s\n(fix it as it says, "
                 "or run with --allow-no-isolation (serial, NO ISOLATION) or --no-isolation)",
                 msg);
        return -1;
    }
    if (probe(sandbox, 1, work, msg) != 1) {
        snprintf(err, ERRLEN, "the sandbox does not run: %.300s", msg);
        return -1;
    }
    sandbox_bin = sandbox;
    sandbox_allow = 1;
    return 1;
}
