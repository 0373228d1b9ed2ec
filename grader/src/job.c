/*
 * job.c: run one command with a deadline, an output cap and a whole-tree kill (see job.h).
 * This is the only file that executes student-influenced commands: two runners, local
 * and sandboxed (see job.h).
 */
#include "job.h"
#include "proctree.h"
#include "util.h"
#include "verdict_file.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct job_runner {
    int (*run)(const struct job_runner *self, const struct job_spec *spec,
               struct job_outcome *out, char *err);
    const char *sandbox;   /* the sandboxed runner's binary */
    int allow;             /* pass --allow-no-isolation */
};

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

/* What the tree kill needs to know: the main process (its status is the job's). */
struct reap_state {
    pid_t main_pid;
    int *status, *main_done;
};

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

/* The memory check's sub-worker runs its own jobs: never part of this job's tree. */
static bool spare_protected(const struct pt_child *c, void *arg)
{
    (void)arg;
    return protected_pid && c->pid == protected_pid;
}

static void note_reaped(pid_t pid, int status, void *arg)
{
    struct reap_state *rs = arg;
    if (pid == rs->main_pid) {
        *rs->status = status;
        *rs->main_done = 1;
    }
}

/* Kill every process left in the job's tree (testlib/proctree.c: this worker is a child
 * subreaper, so orphans come back to it); returns how many were alive. */
static int kill_tree(pid_t main_pid, int *status, int *main_done)
{
    struct reap_state rs = { main_pid, status, main_done };
    int live = pt_kill_tree(200, spare_protected, note_reaped, &rs);
    reap_any(main_pid, status, main_done);
    return live;
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
static char **sandbox_argv(const struct job_runner *r, const struct job_spec *spec,
                           const char *verdict, char **strs)
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
    char *fixed[] = { (char *)r->sandbox, "--quiet", "--slot", strs[0], "--name", strs[1],
                      "--rw", (char *)spec->rw_dir, "--chdir", (char *)spec->cwd,
                      "--time", strs[2], "--cpu", strs[2], "--mem", "1G", "--pids", "256",
                      /* td7's select test needs a descriptor >= FD_SETSIZE (1024) */
                      "--nofile", "4096",
                      "--output", strs[3], "--tmp-size", "64M", "--log", (char *)spec->log,
                      "--verdict", (char *)verdict, NULL };
    for (char **f = fixed; *f; f++)
        argv[a++] = *f;
    add_each(argv, &a, "--ro", spec->ro_dirs);
    add_each(argv, &a, "--hide", spec->hide);
    add_each(argv, &a, "--setenv", (const char *const *)spec->env);
    if (spec->pass_fd > 0)
        argv[a++] = "--pass-fd", argv[a++] = "3";
    if (r->allow)
        argv[a++] = "--allow-no-isolation";
    argv[a++] = "--";
    for (size_t i = 0; i < n; i++)
        argv[a++] = spec->argv[i];
    argv[a] = NULL;
    return argv;
}

/* Fill OUT from the sandbox's verdict file (or say the sandbox failed). */
static void read_verdict(const char *path, int sandbox_status, struct job_outcome *out)
{
    struct verdict_record v;
    int ok = verdict_file_read(path, &v) == 0;
    snprintf(out->vstatus, sizeof out->vstatus, "%s", v.status);
    snprintf(out->message, sizeof out->message, "%s", v.message);
    if (!ok)
        snprintf(out->message, sizeof out->message, "the sandbox failed (%s)",
                 job_describe(&(struct job_outcome){ .status = sandbox_status }));
    out->no_isolation = ok && !v.isolated;
    out->leftovers = v.leftovers < 0 ? 0 : v.leftovers;
    out->limit_at_ms = v.limit_at_ms;
    if (ok && v.cpu_ms >= 0)        /* the cgroup's figure: every process of the run */
        out->cpu_secs = (double)v.cpu_ms / 1e3;
    const char *st = out->vstatus;
    out->timed_out = strcmp(st, "time") == 0;
    out->log_capped = strcmp(st, "output") == 0;
    if (strcmp(st, "ok") == 0 || strcmp(st, "exit") == 0)
        out->status = (v.exit_code & 0xff) << 8;
    else if (strcmp(st, "signal") == 0 && v.signal > 0)
        out->status = v.signal & 0x7f;
    else if (strcmp(st, "error") == 0)
        out->status = 125 << 8;
    else if (!out->timed_out && !out->log_capped)
        out->status = v.signal > 0 ? v.signal & 0x7f : 124 << 8;   /* memory, pids, disk */
}

static int run_local(const struct job_spec *spec, struct job_outcome *out, char *err);

/* The sandboxed runner: the sandbox is the job; the local runner keeps a backstop
 * deadline and the tree kill around it; the verdict file replaces the wait status. */
static int run_sandboxed(const struct job_runner *r, const struct job_spec *spec,
                         struct job_outcome *out, char *err)
{
    char *verdict = xasprintf("%s.verdict", spec->log), *slog = xasprintf("%s.sandbox", spec->log);
    char *strs[8];
    char **argv = sandbox_argv(r, spec, verdict, strs);
    struct job_spec outer = *spec;
    outer.argv = argv, outer.log = slog, outer.env = NULL, outer.pass_fd = spec->pass_fd;
    outer.deadline_s = spec->deadline_s + 30, outer.log_cap = 1 << 20;
    unlink(verdict);
    int rc = run_local(&outer, out, err);
    if (rc == 0 && !out->timed_out) {
        double secs = out->secs, cpu = out->cpu_secs;
        int status = out->status;
        memset(out, 0, sizeof *out);
        out->secs = secs, out->cpu_secs = cpu;
        read_verdict(verdict, status, out);
    } else if (rc == 0)
        snprintf(out->message, sizeof out->message, "the sandbox did not stop in time");
    for (char **s = strs; *s; s++)
        free(*s);
    free(argv), free(verdict), free(slog);
    return rc;
}

static int local_run(const struct job_runner *self, const struct job_spec *spec,
                     struct job_outcome *out, char *err)
{
    (void)self;
    return run_local(spec, out, err);
}

static const struct job_runner local_runner = { .run = local_run };

const struct job_runner *job_local(void)
{
    return &local_runner;
}

int job_runner_isolated(const struct job_runner *r)
{
    return r->run == run_sandboxed;
}

int job_run(const struct job_runner *r, const struct job_spec *spec, struct job_outcome *out,
            char *err)
{
    return r->run(r, spec, out, err);
}

/* CPU seconds of every descendant this process reaped so far (they are all reaped here
 * or by a reaped parent: the worker is a subreaper). A job's share is the difference
 * around it; the memory check's sub-worker is reaped only after the tests' step ends. */
static double children_cpu(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) == -1)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The local runner: fork, supervise, kill the tree. */
static int run_local(const struct job_spec *spec, struct job_outcome *out, char *err)

{
    memset(out, 0, sizeof *out);
    out->status = -1;
    if (mkdir_p(spec->tmpdir, err) == -1)
        return -1;
    char **env = job_environment(spec);
    double start = now_s(), cpu0 = children_cpu();
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
    int left = kill_tree(pid, &out->status, &main_done);
    out->leftovers = main_done && !out->timed_out && !out->log_capped ? left : 0;
    if (!main_done)
        waitpid(pid, &out->status, 0);
    out->secs = now_s() - start;
    out->cpu_secs = children_cpu() - cpu0;
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
static int probe(const char *sandbox, int allow, const char *work, int slot, char *msg)
{
    char *dir = xasprintf("%s/probe-XXXXXX", work);
    if (mkdir_p(work, msg) == -1 || !mkdtemp(dir)) {
        snprintf(msg, ERRLEN, "cannot create %.200s: %s", dir, strerror(errno));
        free(dir);
        return -1;
    }
    chmod(dir, 0755);
    char *verdict = xasprintf("%s/verdict", dir), *log = xasprintf("%s/log", dir);
    char slotarg[16];
    snprintf(slotarg, sizeof slotarg, "%d", slot);
    char *argv[] = { (char *)sandbox, "--quiet", "--slot", slotarg, "--name", "probe", "--rw", dir, "--time", "30",
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

const struct job_runner *job_sandboxed(const char *sandbox, int allow, const char *work,
                                       int slot, int *degraded, char *err)
{
    static struct job_runner runner = { .run = run_sandboxed };
    char msg[ERRLEN];
    runner.sandbox = sandbox;
    *degraded = 0;
    int rc = probe(sandbox, 0, work, slot, msg);
    if (rc == 0)
        return &runner;
    if (!allow) {
        snprintf(err, ERRLEN, "the sandbox cannot isolate the jobs: %.300s\n(fix it as it says, "
                 "or run with --allow-no-isolation (degraded mode: serial, NO ISOLATION) or "
                 "--no-isolation)", msg);
        return NULL;
    }
    if (probe(sandbox, 1, work, slot, msg) != 1) {
        snprintf(err, ERRLEN, "the sandbox does not run: %.300s", msg);
        return NULL;
    }
    runner.allow = 1;
    *degraded = 1;
    return &runner;
}
