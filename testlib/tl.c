/*
 * tl.c: implementation of the test-support library (see tl.h).
 *
 * Design notes (why it is built this way):
 *   - Output goes to files, not pipes: no reader to keep alive, no SIGPIPE, and the
 *     cap is a plain RLIMIT_FSIZE (the program gets SIGXFSZ past it).
 *   - The Criterion worker becomes a child subreaper in tl_setup(), so every process
 *     orphaned by the program (a child it did not wait for, a daemonized grandchild)
 *     is reparented here, where we can see it, call it a leftover, and kill it.
 *   - The forked child only calls async-signal-safe functions and then execs or
 *     _exits: Criterion code must never run in it.
 *   - Everything that cleans up (deadline, teardown, SIGPROF from Criterion's
 *     timeout) goes through kill_everything(), which is async-signal-safe.
 *   - Each run's Reproduce line (tl_result.cmd) is composed from parts once the run is
 *     over, when it is known whether it hung, forked or left zombies: a student pastes it
 *     in the exercise directory, so it names paths relative to that directory, keeps the
 *     input and a copy of the test's directory under $TL_REPRO_DIR (the test's own
 *     directory is gone by then), and recreates the failure's conditions (preload and
 *     seed, `| cat`, `timeout`). With $TL_REPLAY_LOG each line is logged with the run's
 *     outcome, for the Reproduce check (tl_replay.c, tools/selftest).
 */
#define _GNU_SOURCE
#include "tl.h"
#include "proctree.h"
#include "tl_trace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 64

struct tl_proc {
    pid_t pid;
    int pidfd;
    int stdin_fd;
    int deadline_ms;
    double t0;
    int index;                 /* io file number */
    bool reaped;
    int wstatus;
    char out_path[512], err_path[512], trace_path[512];
    char cwd[512];
    tl_result r;
};

static char base_dir[256];         /* /tmp/tl-XXXXXX */
static char work_dir[300];         /* base/work: the program's cwd */
static char io_dir[300];           /* base/io: captures and traces */
static int io_counter;
static bool test_is_peer;          /* tl_test_is_peer() */
static int n_recs;                 /* runs of the test (run_rec, below) */
static volatile pid_t tracked[MAX_PROCS];   /* process groups to kill on cleanup */

/* ---------- small helpers ---------- */

int tl_deadline(int ms)
{
    const char *s = getenv("TL_TIME_SCALE");
    double k = s ? atof(s) : 1.0;
    return (int)(ms * (k > 0 ? k : 1.0));
}

unsigned tl_random_seed(void)
{
    unsigned s;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, &s, sizeof s) != (ssize_t)sizeof s)
        s = (unsigned)getpid() ^ (unsigned)tl_now_ms();
    if (fd >= 0)
        close(fd);
    return s % 1000000000u + 1;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        abort();
    if (f) {
        size_t k;
        while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
            n += k;
            if (cap - n < 2 && !(buf = realloc(buf, cap *= 2)))
                abort();
        }
        fclose(f);
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* ---------- process scanning (async-signal-safe: raw syscalls only) ---------- */

static bool is_tracked(pid_t pid)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (tracked[i] == pid)
            return true;
    return false;
}

/* With keep_tracked: spare the other programs the test still runs and their groups. */
static bool spare_tracked(const struct pt_child *c, void *arg)
{
    (void)arg;
    return is_tracked(c->pid) || is_tracked(c->pgrp);
}

/* Kill and reap every child of this process (testlib/proctree.c: we are a subreaper,
 * so daemonized grandchildren are reached too); async-signal-safe. */
static void kill_children(bool keep_tracked, int rounds)
{
    pt_kill_tree(rounds, keep_tracked ? spare_tracked : NULL, NULL, NULL);
}

/* Async-signal-safe: kill every tracked group and every child, reap them. */
static void kill_everything(void)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (tracked[i] > 0)
            kill(-tracked[i], SIGKILL);
    kill_children(false, 50);
    for (int i = 0; i < MAX_PROCS; i++)
        tracked[i] = 0;
}

static void on_sigprof(int sig)
{
    /* Criterion's timeout: leave nothing running, then die as Criterion expects. */
    kill_everything();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* ---------- per-test directory ---------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(path) == -1 && errno != ENOENT)
        chmod(path, 0700), remove(path);
    return 0;
}

/* Directories of tests whose worker is gone (killed by a timeout, or by an outer
 * deadline) are named tl-<dead pid>-*: remove them, so killed runs do not pile up. */
static void remove_stale_dirs(const char *tmp)
{
    DIR *d = opendir(tmp);
    char path[512];
    int pid;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (sscanf(e->d_name, "tl-%d-", &pid) != 1 || pid <= 0 ||
            kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    if (d)
        closedir(d);
}

void tl_setup(void)
{
    const char *tmp = getenv("TMPDIR");
    tmp = tmp && *tmp ? tmp : "/tmp";
    remove_stale_dirs(tmp);
    snprintf(base_dir, sizeof base_dir, "%s/tl-%d-XXXXXX", tmp, (int)getpid());
    if (!mkdtemp(base_dir)) {
        fprintf(stderr, "tl: cannot create a temp directory in %s: %s\n", tmp,
                strerror(errno));
        abort();
    }
    snprintf(work_dir, sizeof work_dir, "%s/work", base_dir);
    snprintf(io_dir, sizeof io_dir, "%s/io", base_dir);
    if (mkdir(work_dir, 0755) == -1 || mkdir(io_dir, 0755) == -1)
        abort();
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    n_recs = 0; /* runs of this test only */
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = { .sa_handler = on_sigprof };
    sigaction(SIGPROF, &sa, NULL);
}

void tl_test_is_peer(void)
{
    test_is_peer = true;
}

void tl_teardown(void)
{
    test_is_peer = false;
    tl_trace_flush(); /* make trace: a run the test never waited for */
    kill_everything();
    if (base_dir[0] && !getenv("TL_KEEP"))
        nftw(base_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tl_dir(void)
{
    return work_dir;
}

const char *tl_path(const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 512, "%s/%s", work_dir, name);
    return b;
}

const char *tl_bin(const char *prog)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    const char *dir = getenv("TD_BIN");
    snprintf(b, 512, "%s/%s", dir && *dir ? dir : ".", prog);
    return b;
}

const char *tl_ref_bin(const char *prog)
{
    static char bufs[4][512];
    static int next;
    const char *dir = getenv("TD_REF_BIN");
    if (!dir || !*dir)
        return NULL;
    char *b = bufs[next++ % 4];
    snprintf(b, 512, "%s/%s", dir, prog);
    return b;
}

/* ---------- starting a program ---------- */

/* Append to BUF (CAP bytes, N used so far), never past its end; returns the new N. */
static size_t appendf(char *buf, size_t cap, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t appendf(char *buf, size_t cap, size_t n, const char *fmt, ...)
{
    if (n + 1 >= cap)
        return n;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
    return k < 0 ? n : n + (size_t)k < cap ? n + (size_t)k : cap - 1;
}

/* Paths relative to the exercise directory start with UP, paths inside the run's copy of
 * the test directory with HERE: tl_repro_update() makes them right for where the line
 * runs (the exercise directory, or the run's directory). */
#define UP "\001"
#define HERE "\002"

/* The program's path as the student would type it ($TD_BIN_SHOW, e.g. build/student). */
static const char *shown_bin(const char *prog)
{
    static char buf[512];
    const char *dir = getenv("TD_BIN_SHOW");
    if (!dir || !*dir)
        return tl_bin(prog);
    snprintf(buf, sizeof buf, "%s%s/%s", dir[0] == '/' ? "" : "./" UP, dir, prog);
    return buf;
}

/* An argument as the Reproduce line shows it: the test binary by the path the runner
 * gave ($TL_SELF_SHOW, relative to the exercise directory), a path inside the test's
 * private directory (gone after the test) inside $TL_REPRO_SHOW instead. */
static const char *shown_arg(const char *a, int i, const char *cwd)
{
    static char buf[600], self[512];
    if (i == 0 && !strchr(a, '/'))
        return shown_bin(a);
    const char *show = getenv("TL_SELF_SHOW"), *repro = getenv("TL_REPRO_SHOW");
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    self[k > 0 ? k : 0] = '\0';
    if (show && *show && k > 0 && !strcmp(a, self)) {
        snprintf(buf, sizeof buf, "%s%s", show[0] == '/' ? "" : UP, show);
        return buf;
    }
    size_t w = strlen(cwd);
    if (repro && *repro && w && !strncmp(a, cwd, w) && (a[w] == '/' || !a[w])) {
        snprintf(buf, sizeof buf, HERE "%s", a[w] ? a + w + 1 : ".");
        return buf;
    }
    return a;
}

/* ---------- the run's copy of the test directory ---------- */

static char copy_to[700];
static size_t copy_from_len;

/* A socket file nobody listens on, as the test directory had (a crashed server's, or the
 * one a test left on purpose): without it a Reproduce line would not meet the same path. */
static void stale_socket_at(const char *path, mode_t mode)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path)
        return;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        chmod(path, mode);
    if (fd >= 0)
        close(fd);
}

static int copy_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)ftw;
    char dst[1400];
    snprintf(dst, sizeof dst, "%s%s", copy_to, path + copy_from_len);
    if (flag == FTW_D)
        mkdir(dst, sb->st_mode & 07777);
    else if (flag == FTW_F && S_ISREG(sb->st_mode)) {
        int in = open(path, O_RDONLY | O_CLOEXEC);
        int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, sb->st_mode & 0777);
        char buf[65536];
        ssize_t k;
        while (in >= 0 && out >= 0 && (k = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)k) != k)
                break;
        if (in >= 0)
            close(in);
        if (out >= 0)
            close(out);
    } else if (flag == FTW_F && S_ISFIFO(sb->st_mode))
        mkfifo(dst, sb->st_mode & 0777);
    else if (flag == FTW_F && S_ISSOCK(sb->st_mode))
        stale_socket_at(dst, sb->st_mode & 0777);
    return 0;
}

static bool dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    bool empty = true;
    for (struct dirent *e; d && empty && (e = readdir(d));)
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return empty;
}

/* Create the run's directory under $TL_REPRO_DIR, a copy of dir (NULL: empty). */
static void make_run_dir(tl_result *r, const char *dir)
{
    const char *repro = getenv("TL_REPRO_DIR");
    if (!repro || !*repro || !r->run_dir[0])
        return;
    snprintf(copy_to, sizeof copy_to, "%s/%s", repro, r->run_dir);
    if (mkdir(copy_to, 0755) == -1 && errno != EEXIST)
        return;
    if (dir) {
        copy_from_len = strlen(dir);
        nftw(dir, copy_entry, 16, FTW_PHYS);
    }
}

/* Append a shell word, single-quoted when it needs to be. */
static size_t append_word(char *c, size_t cap, size_t n, const char *a)
{
    if (n + 1 >= cap)
        return n;
    if (*a && !strpbrk(a, " \t\n'\"$\\;&|<>*?()[]{}`~#!"))
        return appendf(c, cap, n, "%s%s", n ? " " : "", a);
    size_t m = n;
    if (m && m + 1 < cap)
        c[m++] = ' ';
    if (m + 1 < cap)
        c[m++] = '\'';
    for (; *a && m + 5 < cap; a++) {
        if (*a == '\'') {
            memcpy(c + m, "'\\''", 4);
            m += 4;
        } else {
            c[m++] = *a;
        }
    }
    if (m + 1 < cap)
        c[m++] = '\'';
    c[m] = '\0';
    return m;
}

/* The input as a printf (short text) or a file under $TL_REPRO_DIR the line names. */
static void shown_stdin(tl_proc *p, const tl_opts *o)
{
    tl_result *r = &p->r;
    size_t len = o->stdin_len ? o->stdin_len : strlen(o->stdin_data), n = 0;
    bool text = len <= 160;
    for (size_t i = 0; text && i < len; i++)
        text = (o->stdin_data[i] >= ' ' && o->stdin_data[i] < 127) || o->stdin_data[i] == '\n';
    if (text) {
        char fmt[400];
        for (size_t i = 0; i < len && n + 5 < sizeof fmt; i++) {
            char ch = o->stdin_data[i];
            if (ch == '\n')
                fmt[n++] = '\\', fmt[n++] = 'n';
            else if (ch == '%')
                fmt[n++] = '%', fmt[n++] = '%';
            else if (ch == '\\')
                fmt[n++] = '\\', fmt[n++] = '\\';
            else
                fmt[n++] = ch;
        }
        fmt[n] = '\0';
        n = appendf(r->cmd_in, sizeof r->cmd_in, 0, "printf");
        append_word(r->cmd_in, sizeof r->cmd_in, n, fmt);
        r->cmd_in_pipe = true;
        return;
    }
    const char *dir = getenv("TL_REPRO_DIR"), *show = getenv("TL_REPRO_SHOW");
    char path[700];
    if (dir && *dir && show && *show) {
        snprintf(path, sizeof path, "%s/input-%d-%d", dir, (int)getpid(), p->index);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0 && write(fd, o->stdin_data, len) == (ssize_t)len) {
            close(fd);
            snprintf(path, sizeof path, UP "%s/input-%d-%d", show, (int)getpid(), p->index);
            n = appendf(r->cmd_in, sizeof r->cmd_in, 0, "<");
            append_word(r->cmd_in, sizeof r->cmd_in, n, path);
            return;
        }
        if (fd >= 0)
            close(fd);
    }
    /* No place to keep it (e.g. the grader's run): say so instead of naming a file. */
    snprintf(r->cmd_in, sizeof r->cmd_in, "< /dev/null  # the test gave it %zu bytes of input", len);
}

static void build_cmd(tl_proc *p, const tl_opts *o)
{
    tl_result *r = &p->r;
    char *c = r->cmd_argv;
    size_t n = 0, cap = sizeof r->cmd_argv;
    /* extra variables, each once (the last setting wins, as in the program's env) */
    const char *const *env = o->show_argv ? o->show_env : o->env;
    for (int i = 0; env && env[i]; i++) {
        size_t name = strcspn(env[i], "=");
        bool later = false;
        for (int j = i + 1; env[j] && !later; j++)
            later = !strncmp(env[i], env[j], name + 1);
        if (!later)
            append_word(r->cmd_env, sizeof r->cmd_env, strlen(r->cmd_env), env[i]);
    }
    const char *cwd = o->cwd ? o->cwd : work_dir;
    const char *const *argv = o->show_argv ? o->show_argv : o->argv;
    for (int i = 0; argv[i]; i++)
        n = append_word(c, cap, n, shown_arg(argv[i], i, cwd));
    if (o->stdin_data)
        shown_stdin(p, o);
    /* A program that works on files of its directory gets a copy of it to run in. */
    const char *repro = getenv("TL_REPRO_DIR");
    snprintf(r->run_dir, sizeof r->run_dir, "run-%d-%d", (int)getpid(), p->index);
    if (repro && *repro && !strncmp(cwd, base_dir, strlen(base_dir)) && !dir_empty(cwd)) {
        make_run_dir(r, cwd);
        r->cmd_cd = true;
    } else if (strstr(c, HERE)) {
        make_run_dir(r, NULL);
    }
    /* the program as shown: through a wrapper (the exit probe) it is the wrapped one */
    const char *base = strrchr(argv[0], '/');
    snprintf(r->prog, sizeof r->prog, "%.15s", base ? base + 1 : argv[0]);
    r->cmd_timeout_s = (p->deadline_ms + 999) / 1000;
    tl_repro_update(r);
}

/* The environment of the program under test: minimal, plus the shim and extras. */
static char **build_env(tl_proc *p, const tl_opts *o)
{
    static char *env[64];
    static char preload[600], trace[600], perturb[300], seed[64];
    int n = 0;
    env[n++] = "PATH=/usr/local/bin:/usr/bin:/bin";
    env[n++] = "LC_ALL=C";
    const char *so = getenv("TL_PRELOAD");
    if (so && *so) {
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s", so);
        env[n++] = preload;
        snprintf(trace, sizeof trace, "TL_TRACE=%s", p->trace_path);
        env[n++] = trace;
        if (getenv("TL_TIMELINE")) /* TL_TIMELINE=0: no timeline (tl_preload.c) */
            env[n++] = "TL_TIMELINE=0";
        if (o->perturb) {
            unsigned s = tl_random_seed();
            snprintf(perturb, sizeof perturb, "TL_PERTURB=%s", o->perturb);
            snprintf(seed, sizeof seed, "TL_SEED=%u", s);
            env[n++] = perturb;
            env[n++] = seed;
            snprintf(p->r.seed_note, sizeof p->r.seed_note,
                     "timing perturbed: TL_PERTURB=%s TL_SEED=%u", o->perturb, s);
            /* The variables do nothing without the library: the line names it. */
            const char *show = getenv("TL_PRELOAD_SHOW");
            char vars[sizeof p->r.cmd_env];
            snprintf(vars, sizeof vars, "%s", p->r.cmd_env);
            size_t k = appendf(p->r.cmd_env, sizeof p->r.cmd_env, 0, "LD_PRELOAD=%s%s",
                               show && *show && show[0] != '/' ? UP : "", show && *show ? show : so);
            k = appendf(p->r.cmd_env, sizeof p->r.cmd_env, k, " TL_PERTURB=%s TL_SEED=%u",
                        o->perturb, s);
            if (vars[0])
                appendf(p->r.cmd_env, sizeof p->r.cmd_env, k, " %s", vars);
        }
    }
    for (int i = 0; o->env && o->env[i] && n < 62; i++)
        env[n++] = (char *)o->env[i];
    env[n] = NULL;
    return env;
}

static int open_stdin(tl_proc *p, const tl_opts *o, int *child_fd)
{
    if (o->stdin_pipe) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) == -1)
            return -1;
        *child_fd = fds[0];
        p->stdin_fd = fds[1];
        return 0;
    }
    if (!o->stdin_data) {
        *child_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        return *child_fd < 0 ? -1 : 0;
    }
    char path[600];
    snprintf(path, sizeof path, "%s/stdin-%d", io_dir, p->index);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = o->stdin_len ? o->stdin_len : strlen(o->stdin_data);
    if (fd < 0 || write(fd, o->stdin_data, len) != (ssize_t)len)
        return -1;
    lseek(fd, 0, SEEK_SET);
    *child_fd = fd;
    return 0;
}

/* In the forked child: async-signal-safe calls only, then exec or _exit. */
static void exec_child(const char *path, const tl_opts *o, char **env, int in, int out,
                       int err, int errpipe)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    setpgid(0, 0);
    if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(err, 2) == -1)
        _exit(127);
    /* Close Criterion's descriptors (and ours) except the exec-error pipe, which is
     * moved to 3 first: close_range(4, ~0) then covers every descriptor, however high. */
    if (errpipe != 3 && (dup2(errpipe, 3) == -1 || fcntl(3, F_SETFD, FD_CLOEXEC) == -1))
        _exit(127);
    errpipe = 3;
    if (syscall(SYS_close_range, 4U, ~0U, 0U) == -1)
        for (int fd = 4; fd < 65536; fd++)
            close(fd);
    long cap = o->out_cap ? o->out_cap : 16L << 20;
    struct rlimit fs = { (rlim_t)cap, (rlim_t)cap }, core = { 0, 0 };
    setrlimit(RLIMIT_FSIZE, &fs);
    setrlimit(RLIMIT_CORE, &core);
    if (chdir(o->cwd ? o->cwd : work_dir) == -1)
        _exit(127);
    execve(path, (char *const *)o->argv, env);
    int e = errno;
    if (write(errpipe, &e, sizeof e) < 0)
        _exit(127);
    _exit(127);
}

/* Programs started and not yet waited for: one started while another runs is its peer
 * (a server and its client...), and neither run alone shows the failure. */
static tl_proc *live[MAX_PROCS];

static bool wait_end(tl_proc *p, int ms);

/* The programs running now (before a new one's fork(): one that ends while the new one
 * starts, before note_live(), still ran alongside it). */
static int live_now(tl_proc **out)
{
    int n = 0;
    for (int i = 0; i < MAX_PROCS; i++)
        if (live[i] && !wait_end(live[i], 0))
            out[n++] = live[i];
    return n;
}

static void note_live(tl_proc *p, bool add)
{
    for (int i = 0; i < MAX_PROCS; i++) {
        if (!add && live[i] == p)
            live[i] = NULL;
        else if (add && live[i] && !wait_end(live[i], 0))
            live[i]->r.peer = p->r.peer = true;
    }
    for (int i = 0; add && i < MAX_PROCS; i++)
        if (!live[i]) {
            live[i] = p;
            return;
        }
}

/* ---------- runs of several programs ---------- */

/* Every run of the test, so that the Reproduce line of one that ran alongside others (a
 * server and its clients) starts them all from one shell line, in one directory, about
 * when the test did: neither run alone shows the failure. */
#define MAX_RECS 64
typedef struct {
    tl_proc *p;                /* NULL once waited for */
    double t0, t1;             /* start, and end (0: still running) */
    char part[900];            /* its command as the line runs it */
    char cwd[512], run_dir[64];
    bool copied;               /* run_dir is a copy of the test's directory */
    int n_acts, act_ms[4];     /* what the test did to it (tl_note_action) */
    char acts[4][200];
    char prog[64];
    int end;                   /* exit status or 128 + signal; -2 hung; -1 not yet known */
} run_rec;
static run_rec recs[MAX_RECS];

/* The program's own command: its input, variables, arguments. */
static void prog_part(const tl_result *r, char *buf, size_t cap, int timeout_s)
{
    size_t n = 0;
    buf[0] = '\0';
    if (r->cmd_in_pipe)
        n = appendf(buf, cap, n, "%s | ", r->cmd_in);
    if (timeout_s) /* timeout execs what follows: variables then go through env */
        n = appendf(buf, cap, n, "timeout -k 1 %d %s", timeout_s < 2 ? 2 : timeout_s,
                    r->cmd_env[0] ? "env " : "");
    if (r->cmd_env[0])
        n = appendf(buf, cap, n, "%s ", r->cmd_env);
    n = appendf(buf, cap, n, "%s", r->cmd_argv);
    if (r->cmd_in[0] && !r->cmd_in_pipe && !strchr(r->cmd_in, '#'))
        appendf(buf, cap, n, " %s", r->cmd_in);
}

static void rec_fill(run_rec *x, const tl_proc *p)
{
    prog_part(&p->r, x->part, sizeof x->part, 0);
    snprintf(x->cwd, sizeof x->cwd, "%s", p->cwd);
    snprintf(x->run_dir, sizeof x->run_dir, "%s", p->r.run_dir);
    x->copied = p->r.cmd_cd;
    x->n_acts = p->r.n_acts;
    memcpy(x->act_ms, p->r.act_ms, sizeof x->act_ms);
    memcpy(x->acts, p->r.acts, sizeof x->acts);
    snprintf(x->prog, sizeof x->prog, "%s", p->r.prog);
    x->end = -1;
    if (p->r.timed_out || p->r.hung)
        x->end = -2;
    else if (p->reaped || wait_end((tl_proc *)p, 0))
        x->end = WIFSIGNALED(p->wstatus) ? 128 + WTERMSIG(p->wstatus) : WEXITSTATUS(p->wstatus);
}

/* Programs the test started together (a few ms apart) ended differently: which came
 * first (connected first...) may have decided it, and the line, which starts them 0.1 s
 * apart, may not give them the test's order. */
static bool order_decided(const int *idx, int n, int me)
{
    int lo = me, hi = me;
    while (lo > 0 && !strcmp(recs[idx[lo - 1]].prog, recs[idx[me]].prog) &&
           recs[idx[lo]].t0 - recs[idx[lo - 1]].t0 < 5)
        lo--;
    while (hi + 1 < n && !strcmp(recs[idx[hi + 1]].prog, recs[idx[me]].prog) &&
           recs[idx[hi + 1]].t0 - recs[idx[hi]].t0 < 5)
        hi++;
    for (int k = lo; k <= hi; k++) /* (one the test signalled ended as the test chose) */
        if (recs[idx[k]].end != -1 && !recs[idx[k]].n_acts &&
            recs[idx[k]].end != recs[idx[me]].end)
            return true;
    return false;
}

static void rec_add(tl_proc *p)
{
    if (n_recs == MAX_RECS) { /* drop runs that ended before every live one started */
        double first = 1e300;
        for (int i = 0; i < n_recs; i++)
            if (!recs[i].t1 && recs[i].t0 < first)
                first = recs[i].t0;
        int k = 0;
        for (int i = 0; i < n_recs; i++)
            if (!recs[i].t1 || recs[i].t1 >= first)
                recs[k++] = recs[i];
        n_recs = k;
    }
    if (n_recs == MAX_RECS)
        return;
    run_rec *x = &recs[n_recs++];
    memset(x, 0, sizeof *x);
    x->p = p;
    x->t0 = p->t0;
}

static run_rec *rec_of(const tl_proc *p)
{
    for (int i = 0; i < n_recs; i++)
        if (recs[i].p == p)
            return &recs[i];
    return NULL;
}

/* One event of the composed line: a start (act -1) or an action of run i. */
typedef struct {
    double t;
    int i, act;
} rec_event;

static int cmp_event(const void *a, const void *b)
{
    const rec_event *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* The pause before an event: about the test's, and at least 0.1 s so that programs the
 * test started one after the other (a few ms apart) start in that order too (who
 * connects first may decide the failure); 0.2 s after a start the test waited on (a
 * server gets time to listen before its first client). */
static size_t append_pause(char *c, size_t cap, size_t n, double gap_ms, bool after_start)
{
    double min = after_start && gap_ms >= 5 ? 200 : 100;
    double ms = gap_ms < min ? min : gap_ms;
    return appendf(c, cap, n, " sleep %.1f;", ((int)(ms + 50) / 100) / 10.0);
}

/* An action on $! done on the run's own variable instead. */
static size_t append_act(char *c, size_t cap, size_t n, const char *act, int k)
{
    n = appendf(c, cap, n, " ");
    for (const char *q = act; *q; q++)
        if (q[0] == '$' && q[1] == '!')
            n = appendf(c, cap, n, "$p%d", k), q++;
        else
            n = appendf(c, cap, n, "%c", *q);
    return appendf(c, cap, n, ";");
}

#define MAX_IN_LINE 8 /* programs in one line: more would not be read */

static bool overlap(const run_rec *a, const run_rec *b)
{
    return a->t0 < (b->t1 ? b->t1 : 1e300) && b->t0 < (a->t1 ? a->t1 : 1e300);
}

/* Compose p's line with the runs that overlapped it (p is ending now): each starts in the
 * background as pK, the others' stdout on stderr so that stdout is p's as in the test;
 * the line waits for p, ends the others and exits with p's status. */
static void compose_multi(tl_proc *p, run_rec *self)
{
    tl_result *r = &p->r;
    r->cmd_multi[0] = '\0';
    /* the runs it overlapped, and theirs (a server's earlier rounds), up to its end */
    bool in[MAX_RECS] = { false };
    in[self - recs] = true;
    for (bool more = true; more;) {
        more = false;
        for (int i = 0; i < n_recs; i++)
            for (int k = 0; k < n_recs && !in[i] && recs[i].t0 < self->t1; k++)
                if (in[k] && overlap(&recs[i], &recs[k]))
                    in[i] = more = true;
    }
    int idx[MAX_RECS], n = 0, me = -1;
    for (int i = 0; i < n_recs; i++) {
        run_rec *x = &recs[i];
        if (!in[i])
            continue;
        if (x->p)
            rec_fill(x, x->p); /* still running: its actions so far */
        if (strcmp(x->cwd, self->cwd))
            return; /* not in one directory: no one line */
        if (x == self)
            me = n;
        idx[n++] = i;
    }
    if (n < 2 || me < 0 || n > MAX_IN_LINE)
        return;
    if (order_decided(idx, n, me)) {
        snprintf(r->no_replay, sizeof r->no_replay, "which program started together came first");
        if (!r->look[0])
            snprintf(r->look, sizeof r->look, "the test started %s and others of its kind at "
                     "once and they ended differently: which one comes first (connects, "
                     "sends...) decides which fails; rerun, or swap their order", r->prog);
    }
    rec_event ev[MAX_RECS * 5];
    int ne = 0;
    for (int k = 0; k < n; k++) {
        run_rec *x = &recs[idx[k]];
        ev[ne++] = (rec_event){ x->t0, k, -1 };
        for (int a = 0; a < x->n_acts; a++)
            if (x->t0 + x->act_ms[a] < self->t1)
                ev[ne++] = (rec_event){ x->t0 + x->act_ms[a], k, a };
    }
    qsort(ev, (size_t)ne, sizeof *ev, cmp_event);
    char *c = r->cmd_multi;
    size_t cap = sizeof r->cmd_multi, m = appendf(c, cap, 0, "(");
    for (int e = 0; e < ne; e++) {
        run_rec *x = &recs[idx[ev[e].i]];
        if (e)
            m = append_pause(c, cap, m, ev[e].t - ev[e - 1].t, ev[e - 1].act < 0);
        if (ev[e].act >= 0)
            m = append_act(c, cap, m, x->acts[ev[e].act], ev[e].i + 1);
        else
            m = appendf(c, cap, m, "%s%s%s & p%d=$!;", e ? " " : "",
                        ev[e].i == me ? "\003" : x->part, ev[e].i == me ? "" : " >&2",
                        ev[e].i + 1);
    }
    if (r->hung && r->n_acts) { /* the test stopped it at its deadline */
        double left = self->t0 + r->cmd_timeout_s * 1000.0 - ev[ne - 1].t;
        m = appendf(c, cap, m, " sleep %d; kill -KILL $p%d 2>/dev/null;",
                    left < 1000 ? 1 : (int)(left + 999) / 1000, me + 1);
    }
    /* then the others end: asked (SIGTERM), then made to (one that ignores it would keep
     * the line waiting) */
    char others[64];
    size_t o = 0;
    others[0] = '\0';
    for (int k = 0; k < n; k++)
        if (k != me)
            o = appendf(others, sizeof others, o, " $p%d", k + 1);
    m = appendf(c, cap, m, " wait $p%d; s=$?; kill%s 2>/dev/null; sleep 0.2; kill -KILL%s "
                "2>/dev/null; wait; exit $s)", me + 1, others, others);
    if (m + 1 >= cap) { /* cut short: another command */
        r->cmd_multi[0] = '\0';
        return;
    }
    /* one directory for all: the first run's copy of the test's, or a fresh one */
    run_rec *first = &recs[idx[0]];
    if (first->copied)
        snprintf(r->run_dir, sizeof r->run_dir, "%s", first->run_dir);
    make_run_dir(r, NULL);
    r->cmd_cd = true;
}

static void track(pid_t pid)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (tracked[i] == 0) {
            tracked[i] = pid;
            return;
        }
}

static void untrack(pid_t pid)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (tracked[i] == pid)
            tracked[i] = 0;
}

tl_proc *tl_start(const tl_opts *o)
{
    tl_proc *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->index = ++io_counter;
    p->stdin_fd = -1;
    p->pidfd = -1;
    p->deadline_ms = tl_deadline(o->deadline_ms ? o->deadline_ms : 5000);
    snprintf(p->out_path, sizeof p->out_path, "%s/out-%d", io_dir, p->index);
    snprintf(p->err_path, sizeof p->err_path, "%s/err-%d", io_dir, p->index);
    snprintf(p->trace_path, sizeof p->trace_path, "%s/trace-%d", io_dir, p->index);
    snprintf(p->cwd, sizeof p->cwd, "%s", o->cwd ? o->cwd : work_dir);
    build_cmd(p, o);
    const char *path = strchr(o->argv[0], '/') ? o->argv[0] : tl_bin(o->argv[0]);
    char **env = build_env(p, o);
    int in = -1, errpipe[2];
    int out = open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0 || err < 0 || open_stdin(p, o, &in) == -1 || pipe2(errpipe, O_CLOEXEC) == -1)
        abort();
    tl_proc *alongside[MAX_PROCS];
    int nalong = live_now(alongside);
    p->t0 = tl_now_ms();
    pid_t pid = fork();
    if (pid == 0)
        exec_child(path, o, env, in, out, err, errpipe[1]);
    close(errpipe[1]);
    close(in);
    close(out);
    close(err);
    if (pid > 0) {
        setpgid(pid, pid); /* also done in the child: whichever runs first */
        track(pid);
    }
    int e = 0;
    ssize_t k = pid > 0 ? read(errpipe[0], &e, sizeof e) : -1;
    close(errpipe[0]);
    p->pid = pid;
    p->r.pid = pid;
    p->r.started = pid > 0 && k == 0;
    if (pid > 0)
        p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (p->r.started) {
        for (int i = 0; i < nalong; i++) /* even if it ended since the fork */
            alongside[i]->r.peer = p->r.peer = true;
        note_live(p, true);
        rec_add(p);
        tl_trace_started(&p->r, p->trace_path); /* its timeline, even if never waited for */
    }
    if (!p->r.started && pid > 0) {
        waitpid(pid, &p->wstatus, 0);
        p->reaped = true;
        untrack(pid);
        char msg[600];
        int n = snprintf(msg, sizeof msg, "cannot execute %s: %s\n", path, strerror(e));
        int fd = open(p->err_path, O_WRONLY | O_TRUNC);
        if (fd >= 0 && write(fd, msg, (size_t)n) < 0)
            n = 0;
        if (fd >= 0)
            close(fd);
    }
    return p;
}

int tl_stdin_fd(tl_proc *p)
{
    return p->stdin_fd;
}

void tl_close_stdin(tl_proc *p)
{
    if (p->stdin_fd >= 0)
        close(p->stdin_fd);
    p->stdin_fd = -1;
}

pid_t tl_pid(tl_proc *p)
{
    return p->pid;
}

const char *tl_proc_cmd(tl_proc *p)
{
    return p->r.cmd;
}

void tl_signal(tl_proc *p, int sig)
{
    if (!p->reaped && p->pid > 0) {
        kill(p->pid, sig);
        const char *name = sigabbrev_np(sig);
        char act[48];
        snprintf(act, sizeof act, "kill -%s $!", name ? name : "TERM");
        tl_note_action(p, act);
    }
}

/* path as the line names it (a file of the test's directory is in the run's copy) */
static const char *shown_path(tl_proc *p, const char *path)
{
    static char buf[700];
    const char *a = shown_arg(path, 1, p->cwd);
    size_t n = append_word(buf, sizeof buf, 0, a);
    buf[n] = '\0';
    if (a[0] == HERE[0] && !p->r.cmd_cd && !strstr(p->r.cmd_argv, HERE))
        make_run_dir(&p->r, NULL); /* the line names its directory: it must exist */
    return buf;
}

void tl_note_wrote(tl_proc *p, const char *path, const char *data, size_t len)
{
    const char *dir = getenv("TL_REPRO_DIR"), *show = getenv("TL_REPRO_SHOW");
    char file[700], act[1500];
    if (!dir || !*dir || !show || !*show)
        return;
    snprintf(file, sizeof file, "%s/wrote-%d-%d", dir, (int)getpid(), p->index);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && write(fd, data, len) == (ssize_t)len;
    if (fd >= 0)
        close(fd);
    if (!ok)
        return;
    snprintf(act, sizeof act, "cat %s%s/wrote-%d-%d > %s", show[0] == '/' ? "" : UP, show,
             (int)getpid(), p->index, shown_path(p, path));
    tl_note_action(p, act);
    p->r.peer_in_line = true;
}

void tl_note_read(tl_proc *p, const char *path)
{
    char act[800];
    snprintf(act, sizeof act, "cat %s >&2", shown_path(p, path)); /* its stdout: the program's */
    tl_note_action(p, act);
    p->r.peer_in_line = true;
}

void tl_note_peer(tl_proc *p, const char *shell)
{
    tl_note_action(p, shell);
    p->r.peer_in_line = true;
}

bool tl_note_seen(tl_proc *p, const char *shell, const char *seen)
{
    size_t have = strlen(p->r.seen), len = strlen(seen);
    bool nl = len && seen[len - 1] != '\n';
    int acts = p->r.n_acts;
    if (have + len + nl >= sizeof p->r.seen)
        return false;
    tl_note_action(p, shell);
    if (p->r.n_acts == acts) /* no room in the line: its output would be missing */
        return false;
    memcpy(p->r.seen + have, seen, len);
    if (nl)
        p->r.seen[have + len++] = '\n';
    p->r.seen[have + len] = '\0';
    return true;
}

bool tl_note_server(tl_proc *p, const char *start, int port)
{
    char word[16], argv[sizeof p->r.cmd_argv];
    size_t w = (size_t)snprintf(word, sizeof word, " %d", port);
    char *at = p->r.cmd_argv;
    while ((at = strstr(at, word)) && at[w] != ' ' && at[w] != '\0')
        at += w; /* a word of its own, not the start of a longer one */
    if (!at || strlen(start) >= sizeof p->r.server_first)
        return false;
    snprintf(argv, sizeof argv, "%.*s $p%s", (int)(at - p->r.cmd_argv), p->r.cmd_argv, at + w);
    snprintf(p->r.cmd_argv, sizeof p->r.cmd_argv, "%s", argv);
    snprintf(p->r.server_first, sizeof p->r.server_first, "%s", start);
    p->r.peer_in_line = true;
    return true;
}

void tl_note_action(tl_proc *p, const char *shell)
{
    size_t len = strlen(shell);
    /* the Reproduce line does it: "& sleep T; ACT"; an action cut short would be another
     * command, so one too long for the line is left out */
    if (p->r.n_acts < 4 && len < sizeof p->r.acts[0]) {
        memcpy(p->r.acts[p->r.n_acts], shell, len + 1);
        p->r.act_ms[p->r.n_acts++] = (int)(tl_now_ms() - p->t0);
    }
}

/* Wait for the program itself to end, up to ms; true if it ended (and is reaped). */
static bool wait_end(tl_proc *p, int ms)
{
    if (p->reaped)
        return true;
    double until = tl_now_ms() + ms;
    for (;;) {
        pid_t w = waitpid(p->pid, &p->wstatus, WNOHANG);
        if (w == p->pid || (w == -1 && errno == ECHILD)) {
            p->reaped = true;
            return true;
        }
        int left = (int)(until - tl_now_ms());
        if (left <= 0)
            return false;
        if (p->pidfd >= 0) {
            struct pollfd pfd = { p->pidfd, POLLIN, 0 };
            poll(&pfd, 1, left);
        } else {
            tl_sleep_ms(left < 2 ? left : 2);
        }
    }
}

bool tl_alive(tl_proc *p)
{
    return !wait_end(p, 0);
}

char *tl_peek_output(tl_proc *p)
{
    return slurp(p->out_path, NULL);
}

bool tl_wait_output(tl_proc *p, const char *needle, int timeout_ms)
{
    double until = tl_now_ms() + tl_deadline(timeout_ms);
    for (;;) {
        char *out = slurp(p->out_path, NULL);
        bool found = strstr(out, needle) != NULL;
        free(out);
        if (found)
            return true;
        if (tl_now_ms() > until || !tl_alive(p))
            return false;
        tl_sleep_ms(2);
    }
}

/* ---------- collecting ---------- */

/* Record the orphans reparented to us by the end of the program. */
static void note_leftovers(tl_proc *p)
{
    struct pt_child c[256];
    int n = pt_children(c, 256);
    for (int i = 0; i < n; i++) {
        if (is_tracked(c[i].pid) && c[i].pid != p->pid)
            continue; /* another program this test runs */
        bool mine = c[i].pgrp == p->pid || !is_tracked(c[i].pgrp);
        if (!mine)
            continue;
        if (c[i].state == 'Z' && p->r.n_zombie < TL_MAX_PIDS) {
            /* reap it now, to say how it ended (exit status or signal) */
            int ws = 0;
            if (waitpid(c[i].pid, &ws, WNOHANG) != c[i].pid)
                ws = -1;
            p->r.zombie_status[p->r.n_zombie] = ws;
            p->r.zombie[p->r.n_zombie++] = c[i].pid;
        } else if (c[i].state != 'Z' && p->r.n_leftover < TL_MAX_PIDS) {
            p->r.leftover_state[p->r.n_leftover] = c[i].state;
            p->r.leftover[p->r.n_leftover++] = c[i].pid;
        }
    }
}

static bool ipc_exists(const char *kind, int id)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/sysvipc/%s", kind);
    FILE *f = fopen(path, "r");
    bool found = false;
    if (!f)
        return false;
    if (fgets(line, sizeof line, f))
        while (!found && fgets(line, sizeof line, f)) {
            int key, ident;
            if (sscanf(line, "%d %d", &key, &ident) == 2 && ident == id)
                found = true;
        }
    fclose(f);
    return found;
}

static void ipc_remove(const char *kind, int id)
{
    if (!strcmp(kind, "shm"))
        shmctl(id, IPC_RMID, NULL);
    else if (!strcmp(kind, "sem"))
        semctl(id, 0, IPC_RMID);
    else
        msgctl(id, IPC_RMID, NULL);
}

/* Objects the trace shim saw created and that still exist: note them, remove them. */
static void note_ipc_leaks(tl_proc *p)
{
    const char *kinds[256];
    int ids[256];
    int nobj = tl_trace_created(p->trace_path, kinds, ids, 256);
    size_t n = 0;
    for (int i = 0; i < nobj; i++) { /* read by testlib/tl_trace.c, the format's owner */
        const char *kind = kinds[i];
        int id = ids[i];
        if (!ipc_exists(kind, id))
            continue;
        p->r.n_ipc_leak++;
        if (n < sizeof p->r.ipc_leak)
            n += snprintf(p->r.ipc_leak + n, sizeof p->r.ipc_leak - n, "%s%s %d",
                          n ? ", " : "", kind, id);
        ipc_remove(kind, id);
    }
}

/* The pids of the run: the program's, and both sides of every fork the trace shim saw
 * ("fork PARENT CHILD"). Returns how many forks there were. */
/* pids[0] is the program's own pid: the run's, or with $TL_SELF_NAME (tl_replay, where
 * the run is a shell) the first process the trace saw exec that program ("exec PID NAME",
 * with TL_TRACE_ALL). */
static int trace_pids(const char *path, pid_t self, pid_t *pids, int *n, int max)
{
    return tl_trace_pids(path, self, getenv("TL_SELF_NAME"), pids, n, max);
}

/* Append the run's Reproduce line and signature to $TL_REPLAY_LOG (set by selftest). */
static void log_replay(const tl_result *r)
{
    const char *log = getenv("TL_REPLAY_LOG");
    if (!log || !*log || !r->started)
        return;
    char line[2400];
    size_t len = strcspn(r->cmd, "\n");
    int n = snprintf(line, sizeof line, "%.*s\t%s\t%.0f\n", (int)len, r->cmd, tl_signature(r),
                     r->elapsed_ms);
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0 && n > 0 && (size_t)n < sizeof line && write(fd, line, (size_t)n) < 0)
        n = 0;
    if (fd >= 0)
        close(fd);
}

/* Copy the composed line into r->cmd, the markers replaced for where it runs. */
static void place_line(tl_result *r, const char *line)
{
    const char *show = getenv("TL_REPRO_SHOW");
    char up[128] = "", here[160] = "";
    size_t n = 0, cap = sizeof r->cmd;
    if (r->cmd_cd && show) { /* from SHOW/run-X back to the exercise directory */
        size_t k = 0;
        for (const char *q = show; *q; q++)
            if (*q == '/' && q[1] && q[1] != '/')
                k++;
        for (size_t i = 0; i < k + 2 && strlen(up) + 4 < sizeof up; i++) /* + run-X */
            strcat(up, "../");
        n = appendf(r->cmd, cap, 0, "(cd %s/%s && ", show, r->run_dir);
        snprintf(here, sizeof here, "./"); /* a path keeps its slash ("f" may mean /tmp/f) */
    } else if (show) {
        snprintf(here, sizeof here, "%s/%s/", show, r->run_dir);
    }
    for (const char *q = line; *q; q++) {
        if (r->cmd_cd && q[0] == '.' && q[1] == '/' && q[2] == UP[0])
            n = appendf(r->cmd, cap, n, "%s", up), q += 2;
        else if (*q == UP[0])
            n = appendf(r->cmd, cap, n, "%s", up);
        else if (*q == HERE[0])
            n = appendf(r->cmd, cap, n, "%s", here);
        else if (*q == '\n' && r->cmd_cd) { /* the note after the line */
            n = appendf(r->cmd, cap, n, ")%s", q);
            return;
        } else if (n + 1 < cap)
            r->cmd[n++] = *q, r->cmd[n] = '\0';
    }
    if (r->cmd_cd)
        appendf(r->cmd, cap, n, ")");
}

void tl_repro_update(tl_result *r)
{
    static char line[sizeof r->cmd];
    char *c = line;
    size_t cap = sizeof line, n = 0;
    c[0] = '\0';
    if (r->cmd_multi[0]) { /* with the programs it ran alongside */
        char self[900];
        /* hung, as alone: timeout ends it (status 124) */
        prog_part(r, self, sizeof self, r->hung && !r->n_acts ? r->cmd_timeout_s : 0);
        for (const char *q = r->cmd_multi; *q; q++)
            n = *q == '\003' ? appendf(c, cap, n, "%s", self) : appendf(c, cap, n, "%c", *q);
        if (r->look[0])
            appendf(c, cap, n, "\n  then: %s", r->look);
        place_line(r, line);
        if (r->out)
            log_replay(r);
        return;
    }
    /* the test's server first, on a port of the line's own (tl_note_server) */
    if (r->server_first[0])
        n = appendf(c, cap, n, "(p=$((20000 + $$ %% 10000)); %s; ", r->server_first);
    size_t start = n; /* where the program's own command starts */
    if (r->cmd_in_pipe)
        n = appendf(c, cap, n, "%s | ", r->cmd_in);
    /* timeout execs what follows: variables then go through env. (With actions on $!,
     * $! must stay the program: a last kill after the deadline stands for timeout.) */
    if (r->hung && !r->n_acts)
        n = appendf(c, cap, n, "timeout -k 1 %d %s", r->cmd_timeout_s < 2 ? 2 : r->cmd_timeout_s,
                    r->cmd_env[0] ? "env " : "");
    if (r->cmd_env[0])
        n = appendf(c, cap, n, "%s ", r->cmd_env);
    n = appendf(c, cap, n, "%s", r->cmd_argv);
    if (r->cmd_in[0] && !r->cmd_in_pipe) {
        bool comment = strchr(r->cmd_in, '#') != NULL;
        if (!comment)
            n = appendf(c, cap, n, " %s", r->cmd_in);
        else if (!r->look[0])
            snprintf(r->look, sizeof r->look, "%s", strchr(r->cmd_in, '#') + 2);
    }
    /* A program that forks loses or repeats buffered stdout only when stdout is not a
     * terminal, as in the test: the line pipes it through cat. (Not when processes
     * outlived it: they would keep cat, and the shell, waiting; nor when the line signals
     * it: $! would be cat.) */
    if ((r->forked || r->signaled) && r->n_leftover == 0 && !r->n_acts)
        n = appendf(c, cap, n, " | cat");
    /* What the test did to it while it ran (signals...), about when it did it. */
    if (r->n_acts) {
        memmove(line + start + 1, line + start, n + 1 < cap ? n + 1 - start : cap - 1 - start);
        line[start] = '(';
        n = appendf(c, cap, n + 1, " &");
        for (int i = 0; i < r->n_acts; i++) {
            int ms = i ? r->act_ms[i] - r->act_ms[i - 1] : r->act_ms[i];
            n = appendf(c, cap, n, " sleep %.1f; %s;", (ms < 100 ? 100 : ms) / 1000.0, r->acts[i]);
        }
        if (r->hung)
            n = appendf(c, cap, n, " sleep %d; kill $! 2>/dev/null;", r->cmd_timeout_s);
        n = appendf(c, cap, n, " wait $!)");
    }
    /* the server ends once the program has: the line exits with the program's status */
    if (r->server_first[0])
        n = appendf(c, cap, n, "; s=$?; kill $! 2>/dev/null; wait; exit $s)");
    if (r->look[0])
        appendf(c, cap, n, "\n  then: %s", r->look);
    place_line(r, line);
    if (r->out) /* the run is over: the line as the test will show it */
        log_replay(r);
}

void tl_mark_hung(tl_result *r)
{
    r->hung = true;
    tl_repro_update(r);
    tl_trace_update(r); /* make trace's files: a hang */
}

void tl_set_look(tl_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->look, sizeof r->look, fmt, ap);
    va_end(ap);
    tl_repro_update(r);
}

void tl_show_arg(tl_result *r, const char *actual, const char *shown)
{
    char word[600], rest[sizeof r->cmd_argv];
    size_t w = append_word(word, sizeof word, 0, actual);
    char *at = strstr(r->cmd_argv, word);
    if (!w || !at)
        return;
    snprintf(rest, sizeof rest, "%s", at + w);
    size_t n = (size_t)(at - r->cmd_argv);
    n = n ? n - 1 : 0; /* the space before it: append_word puts one back */
    r->cmd_argv[n] = '\0';
    n = append_word(r->cmd_argv, sizeof r->cmd_argv, n, shown);
    appendf(r->cmd_argv, sizeof r->cmd_argv, n, "%s", rest);
    tl_repro_update(r);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A hash of the output's lines, sorted (the order of lines written by several processes
 * varies from run to run), with the pids of the run blanked (P). npids 0: the raw lines,
 * for an output full of numbers where a pid may also be a value. shape: the set of
 * distinct lines with the program's own pid (pids[0]) as S and every other number (signed
 * or not) as #, for an output that varies from run to run (timing, several writers):
 * which kinds of lines it has, and which show the program's own pid. */
static unsigned long out_hash(const char *out, const pid_t *pids, int npids, bool shape)
{
    size_t len = strlen(out), n = 0, nlines = 0;
    char *norm = malloc(len + 2), **lines = malloc((len + 2) * sizeof *lines);
    if (!norm || !lines)
        abort();
    for (const char *q = out; *q;) {
        /* in a shape, a signed value is a number too: "142 + -566" and "-566 + 142" (two
         * clients that came in the other order) have one shape */
        bool sign = shape && *q == '-' && q[1] >= '0' && q[1] <= '9';
        if ((*q >= '0' && *q <= '9') || sign) {
            char *end;
            long v = strtol(q, &end, 10);
            bool pid = false;
            for (int i = 0; i < npids && !pid; i++)
                pid = v == pids[i];
            if (shape)
                norm[n++] = v == pids[0] ? 'S' : '#';
            else if (pid)
                norm[n++] = 'P';
            else
                memcpy(norm + n, q, (size_t)(end - q)), n += (size_t)(end - q);
            q = end;
        } else {
            norm[n++] = *q++;
        }
    }
    norm[n] = '\0';
    for (char *save = NULL, *l = strtok_r(norm, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (shape && !strcmp(l, "S"))
            l[0] = '#'; /* a number alone on its line is a value (seq, wc), not a pid */
        lines[nlines++] = l;
    }
    qsort(lines, nlines, sizeof *lines, cmp_str);
    unsigned long h = 1469598103934665603UL;
    for (size_t i = 0; i < nlines; i++) {
        if (shape && i > 0 && !strcmp(lines[i], lines[i - 1]))
            continue;
        for (const char *c = lines[i]; ; c++) {
            h = (h ^ (unsigned char)(*c ? *c : '\n')) * 1099511628211UL;
            if (!*c)
                break;
        }
    }
    free(lines);
    free(norm);
    return h;
}

const char *tl_signature(const tl_result *r)
{
    static char buf[128];
    if (!r->started)
        snprintf(buf, sizeof buf, "not started");
    else if ((r->peer && !r->cmd_multi[0]) || r->no_replay[0])
        snprintf(buf, sizeof buf, "solo: %s", r->no_replay[0] ? r->no_replay
                                                              : "ran alongside another program");
    else if (r->hung || r->timed_out)
        snprintf(buf, sizeof buf, "hang");
    else {
        int end = r->signaled ? 128 + r->sig : r->status;
        size_t n = appendf(buf, sizeof buf, 0, "end %d%s%s%s", end,
                           r->n_zombie ? " zombies" : "", r->n_leftover ? " leftovers" : "",
                           r->n_ipc_leak ? " ipc" : "");
        /* A process it waited for was killed by a signal no program here ends by (a
         * handler race, a crash): that is the outcome; what got printed before depends
         * on when it died. */
        unsigned long ends = 1UL << (SIGINT - 1) | 1UL << (SIGTERM - 1) |
                             1UL << (SIGKILL - 1) | 1UL << (SIGPIPE - 1);
        if (r->signaled)    /* its own death: a shell running it (a replay) reaps it */
            ends |= 1UL << (r->sig - 1);
        else if (end > 128 && end < 128 + 64)
            ends |= 1UL << (end - 128 - 1);
        if (r->child_deaths & ~ends)
            appendf(buf, sizeof buf, n, " killed %lx", r->child_deaths & ~ends);
        else if (end == 0 && tl_clean(r) && r->out)
            appendf(buf, sizeof buf, n, " out %016lx %016lx %016lx", r->out_hash,
                    r->out_hash_raw, r->out_shape);
    }
    return buf;
}

tl_result tl_wait(tl_proc *p)
{
    if (p->r.started && !wait_end(p, p->deadline_ms - (int)(tl_now_ms() - p->t0))) {
        p->r.timed_out = true;
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
        wait_end(p, 2000);
    }
    p->r.elapsed_ms = tl_now_ms() - p->t0;
    note_live(p, false);
    if (test_is_peer && !p->r.no_replay[0] && !p->r.peer_in_line)
        snprintf(p->r.no_replay, sizeof p->r.no_replay, "the test was its peer");
    if (p->r.started && !p->r.timed_out)
        note_leftovers(p);
    untrack(p->pid);
    kill(-p->pid, SIGKILL);
    kill_children(true, 50); /* all but the other programs the test runs */
    note_ipc_leaks(p);
    if (WIFEXITED(p->wstatus) && p->r.started && !p->r.timed_out) {
        p->r.exited = true;
        p->r.status = WEXITSTATUS(p->wstatus);
    } else if (WIFSIGNALED(p->wstatus) && !p->r.timed_out) {
        p->r.signaled = true;
        p->r.sig = WTERMSIG(p->wstatus);
    }
    if (p->pidfd >= 0)
        close(p->pidfd);
    tl_close_stdin(p);
    p->r.out = slurp(p->out_path, &p->r.out_len);
    p->r.err = slurp(p->err_path, &p->r.err_len);
    p->r.out_capped = p->r.signaled && p->r.sig == SIGXFSZ;
    p->r.hung = p->r.timed_out;
    static pid_t pids[512];
    int npids;
    p->r.forked = trace_pids(p->trace_path, p->pid, pids, &npids, 512) > 0;
    p->r.child_deaths = tl_trace_deaths(p->trace_path);
    /* What the test saw from outside is part of the line's output (tl_note_seen): its
     * numbers (threads, children...) are the failure, so no shape blanks them. */
    char *shown = p->r.out;
    if (p->r.seen[0] && (shown = malloc(p->r.out_len + sizeof p->r.seen + 1)))
        sprintf(shown, "%s%s%s", p->r.out,
                p->r.out_len && p->r.out[p->r.out_len - 1] != '\n' ? "\n" : "", p->r.seen);
    else if (!shown)
        shown = p->r.out;
    p->r.out_hash = out_hash(shown, pids, npids, false);
    p->r.out_hash_raw = out_hash(shown, pids, 0, false);
    p->r.out_shape = shown == p->r.out ? out_hash(shown, pids, 1, true) : p->r.out_hash;
    if (shown != p->r.out)
        free(shown);
    run_rec *self = rec_of(p);
    if (self) {
        self->t1 = tl_now_ms();
        rec_fill(self, p);
        self->p = NULL;
        if (p->r.peer && !(test_is_peer && !p->r.peer_in_line))
            compose_multi(p, self);
    }
    /* it made files in its directory: the line runs in a directory of its own */
    if (!p->r.cmd_cd && getenv("TL_REPRO_DIR") && !strncmp(p->cwd, base_dir, strlen(base_dir)) &&
        !dir_empty(p->cwd)) {
        make_run_dir(&p->r, NULL);
        p->r.cmd_cd = true;
    }
    if (p->r.n_zombie && !p->r.look[0])
        snprintf(p->r.look, sizeof p->r.look, "zombies vanish when %s exits (init reaps "
                 "them): add sleep(30) before it returns, and meanwhile `ps -o pid,stat,comm "
                 "--ppid $(pgrep -n %s)` shows them with stat Z", p->r.prog, p->r.prog);
    else if (p->r.n_leftover && !p->r.look[0])
        snprintf(p->r.look, sizeof p->r.look, "`ps -o pid,ppid,stat,comm -u \"$USER\"` "
                 "lists what outlived %s (ppid 1 or a subreaper's); end them with kill PID",
                 p->r.prog);
    else if (p->r.peer && !p->r.cmd_multi[0] && !p->r.look[0])
        snprintf(p->r.look, sizeof p->r.look, "the test ran another program alongside it "
                 "(see the message): start that one too, in another terminal");
    else if (test_is_peer && !p->r.peer_in_line && !p->r.look[0])
        snprintf(p->r.look, sizeof p->r.look, "the test itself talked to it (as its reader, "
                 "writer, client or server): in another terminal, run its partner too");
    else if (p->r.n_ipc_leak && !p->r.look[0])
        snprintf(p->r.look, sizeof p->r.look, "`ipcs` lists the objects left behind; remove "
                 "them with `ipcrm -m ID` / `ipcrm -s ID`");
    tl_repro_update(&p->r);
    tl_trace_register(&p->r, p->trace_path); /* for tl_explain()'s timeline */
    tl_result r = p->r;
    free(p);
    return r;
}

tl_result tl_run(const tl_opts *o)
{
    return tl_wait(tl_start(o));
}

void tl_result_free(tl_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* ---------- verdicts ---------- */

bool tl_clean(const tl_result *r)
{
    return r->n_leftover == 0 && r->n_zombie == 0 && r->n_ipc_leak == 0;
}

bool tl_exited_ok(const tl_result *r)
{
    return r->exited && r->status == 0 && tl_clean(r);
}

/* Each call returns one of a few buffers in turn, so that one failure message may hold
 * the explanations of two runs (server and client). */
#define TL_BUFS 4

const char *tl_ending(const tl_result *r)
{
    static char bufs[TL_BUFS][160];
    static unsigned turn;
    char *buf = bufs[turn++ % TL_BUFS];
    size_t cap = sizeof bufs[0];
    if (!r->started)
        snprintf(buf, cap, "could not be started (not built?)");
    else if (r->timed_out)
        snprintf(buf, cap, "did not finish within %.0f ms and was killed "
                 "(deadlock? waiting for a signal or a child that never comes?)", r->elapsed_ms);
    else if (r->out_capped)
        snprintf(buf, cap, "was killed for writing too much output (SIGXFSZ)");
    else if (r->signaled)
        snprintf(buf, cap, "was killed by signal %d (%s)%s", r->sig, strsignal(r->sig),
                 r->sig == SIGSEGV ? ": a crash (bad pointer?)" : "");
    else
        snprintf(buf, cap, "exited with status %d", r->status);
    return buf;
}

/* "pid 12 exited with status 0, pid 13 killed by signal 10 (User defined signal 1)":
 * a zombie killed by a signal is a second bug the first one hides. */
static size_t list_zombies(char *b, size_t cap, size_t n, const tl_result *r)
{
    for (int i = 0; i < r->n_zombie && i < 8; i++) {
        int ws = r->zombie_status[i];
        n = appendf(b, cap, n, "%spid %d ", i ? ", " : "", (int)r->zombie[i]);
        if (ws == -1)
            n = appendf(b, cap, n, "(status unknown)");
        else if (WIFSIGNALED(ws))
            n = appendf(b, cap, n, "killed by signal %d (%s)", WTERMSIG(ws), strsignal(WTERMSIG(ws)));
        else
            n = appendf(b, cap, n, "exited with status %d", WEXITSTATUS(ws));
    }
    return r->n_zombie > 8 ? appendf(b, cap, n, ", ...") : n;
}

static size_t list_leftovers(char *b, size_t cap, size_t n, const tl_result *r)
{
    for (int i = 0; i < r->n_leftover && i < 8; i++) {
        char st = r->leftover_state[i];
        n = appendf(b, cap, n, "%spid %d %s", i ? ", " : "", (int)r->leftover[i],
                    st == 'T' || st == 't' ? "stopped" : st == 'R' ? "running"
                    : st == 'D' ? "in a system call" : "asleep");
    }
    return r->n_leftover > 8 ? appendf(b, cap, n, ", ...") : n;
}

const char *tl_explain(const tl_result *r)
{
    static char bufs[TL_BUFS][6144];
    static unsigned turn;
    char *buf = bufs[turn++ % TL_BUFS];
    size_t cap = sizeof bufs[0];
    size_t n = appendf(buf, cap, 0, "the program %s", tl_ending(r));
    if (r->n_leftover) {
        n = appendf(buf, cap, n, "; %d process(es) outlived it, still alive (", r->n_leftover);
        n = list_leftovers(buf, cap, n, r);
        n = appendf(buf, cap, n, "; the test killed them): every child must end before the "
                    "parent");
    }
    if (r->n_zombie) {
        n = appendf(buf, cap, n, "; %d child(ren) never reaped (zombies: ", r->n_zombie);
        n = list_zombies(buf, cap, n, r);
        n = appendf(buf, cap, n, "): call waitpid() for each child");
    }
    if (r->n_ipc_leak)
        n = appendf(buf, cap, n, "; System V objects left behind: %s (remove them with "
                    "IPC_RMID)", r->ipc_leak);
    if (r->err_len) {
        const char *e = r->err;
        int len = (int)strcspn(e, "\n");
        n = appendf(buf, cap, n, "; stderr: \"%.*s\"%s", len > 200 ? 200 : len, e,
                    tl_count_lines(e) > 1 ? " ..." : "");
    }
    n = appendf(buf, cap, n, ".\n  Reproduce: %s", r->cmd);
    if (strstr(r->seed_note, "fork_fail="))
        n = appendf(buf, cap, n, "\n  (the library in that line makes fork() fail with EAGAIN, "
                    "as a process limit does)");
    else if (strstr(r->seed_note, "shmget_fail=") || strstr(r->seed_note, "shmat_fail="))
        n = appendf(buf, cap, n, "\n  (the library in that line makes shmget() or shmat() fail, "
                    "as the system's limits do)");
    else if (r->seed_note[0])
        n = appendf(buf, cap, n, "\n  (the library and seed of that line add the delays that "
                    "exposed the race: after fork, around kill and in handlers)");
    const char *timeline = tl_timeline(r); /* testlib/tl_trace.c: what the run did */
    if (*timeline)
        appendf(buf, cap, n, "\n%s", timeline);
    return buf;
}

/* ---------- text helpers ---------- */

int tl_count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        if (*p == '\n')
            n++;
    if (*text && text[strlen(text) - 1] != '\n')
        n++;
    return n;
}

int tl_count_prefix(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; p && *p;) {
        if (!strncmp(p, prefix, len))
            n++;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return n;
}

bool tl_one_line(const char *text)
{
    size_t len = strlen(text);
    return len > 1 && text[len - 1] == '\n' && strchr(text, '\n') == text + len - 1;
}

const char *tl_dir_extra(const char *dir, const char *const *expected)
{
    static char buf[1024];
    size_t n = 0;
    buf[0] = '\0';
    DIR *d = opendir(dir);
    if (!d)
        return buf;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        bool ok = false;
        for (int i = 0; expected && expected[i]; i++)
            ok = ok || !strcmp(expected[i], e->d_name);
        if (!ok && n < sizeof buf)
            n += snprintf(buf + n, sizeof buf - n, "%s%s", n ? " " : "", e->d_name);
    }
    closedir(d);
    return buf;
}

int tl_fd_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}
