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
 */
#define _GNU_SOURCE
#include "tl.h"

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
#include <sys/stat.h>
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
    tl_result r;
};

static char base_dir[256];         /* /tmp/tl-XXXXXX */
static char work_dir[300];         /* base/work: the program's cwd */
static char io_dir[300];           /* base/io: captures and traces */
static int io_counter;
static volatile pid_t tracked[MAX_PROCS];   /* process groups to kill on cleanup */

/* ---------- small helpers ---------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

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
        s = (unsigned)getpid() ^ (unsigned)now_ms();
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

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Parse "pid (comm) S ppid pgrp ..." from /proc/PID/stat. */
static bool read_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgrp)
{
    char path[64], buf[512];
    int n = snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (n <= 0)
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t k = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (k <= 0)
        return false;
    buf[k] = '\0';
    char *p = strrchr(buf, ')');
    if (!p || sscanf(p + 1, " %c %d %d", state, ppid, pgrp) != 3)
        return false;
    return true;
}

/* Children of this process: pids, states. Returns the count (<= max). */
static int scan_children(pid_t *pids, char *states, pid_t *pgrps, int max)
{
    pid_t self = getpid();
    char buf[4096];
    int n = 0, fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    for (;;) {
        long k = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (k <= 0)
            break;
        for (long off = 0; off < k;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            if (d->d_name[0] < '1' || d->d_name[0] > '9')
                continue;
            pid_t pid = (pid_t)atoi(d->d_name), ppid, pgrp;
            char st;
            if (n < max && read_stat(pid, &st, &ppid, &pgrp) && ppid == self) {
                pids[n] = pid;
                if (states)
                    states[n] = st;
                if (pgrps)
                    pgrps[n] = pgrp;
                n++;
            }
        }
    }
    close(fd);
    return n;
}

static bool is_tracked(pid_t pid)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (tracked[i] == pid)
            return true;
    return false;
}

/* Kill and reap every child of this process; with keep_tracked, spare the other
 * programs the test still runs (tracked) and their process groups. */
static void kill_children(bool keep_tracked, int rounds)
{
    pid_t pids[256], pgrps[256];
    for (int round = 0; round < rounds; round++) {
        int n = scan_children(pids, NULL, pgrps, 256), killed = 0;
        for (int i = 0; i < n; i++) {
            if (keep_tracked && (is_tracked(pids[i]) || is_tracked(pgrps[i])))
                pids[i] = 0;
            else if (kill(pids[i], SIGKILL) == 0)
                killed++;
        }
        if (!killed)
            return;
        for (int i = 0; i < n; i++)
            if (pids[i])
                waitpid(pids[i], NULL, 0);
    }
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
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = { .sa_handler = on_sigprof };
    sigaction(SIGPROF, &sa, NULL);
}

void tl_teardown(void)
{
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

/* The program's path as the student would type it ($TD_BIN_SHOW, e.g. build/student). */
static const char *shown_bin(const char *prog)
{
    static char buf[512];
    const char *dir = getenv("TD_BIN_SHOW");
    if (!dir || !*dir)
        return tl_bin(prog);
    snprintf(buf, sizeof buf, "%s%s/%s", dir[0] == '/' ? "" : "./", dir, prog);
    return buf;
}

static void build_cmd(tl_proc *p, const tl_opts *o)
{
    size_t n = 0;
    char *c = p->r.cmd;
    for (int i = 0; o->env && o->env[i] && n < sizeof p->r.cmd - 1; i++)
        n += snprintf(c + n, sizeof p->r.cmd - n, "%s ", o->env[i]);
    for (int i = 0; o->argv[i] && n < sizeof p->r.cmd - 1; i++) {
        const char *a = i == 0 && !strchr(o->argv[0], '/') ? shown_bin(o->argv[0]) : o->argv[i];
        bool quote = !*a || strpbrk(a, " \t'\"$\\;&|<>*?()");
        n += snprintf(c + n, sizeof p->r.cmd - n, i ? (quote ? " '%s'" : " %s")
                                                    : (quote ? "'%s'" : "%s"), a);
    }
    if (o->stdin_data && n < sizeof p->r.cmd - 1)
        snprintf(c + n, sizeof p->r.cmd - n, " < input");
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
        if (o->perturb) {
            unsigned s = tl_random_seed();
            snprintf(perturb, sizeof perturb, "TL_PERTURB=%s", o->perturb);
            snprintf(seed, sizeof seed, "TL_SEED=%u", s);
            env[n++] = perturb;
            env[n++] = seed;
            snprintf(p->r.seed_note, sizeof p->r.seed_note,
                     "timing perturbed: TL_PERTURB=%s TL_SEED=%u", o->perturb, s);
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
    build_cmd(p, o);
    const char *path = strchr(o->argv[0], '/') ? o->argv[0] : tl_bin(o->argv[0]);
    char **env = build_env(p, o);
    int in = -1, errpipe[2];
    int out = open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0 || err < 0 || open_stdin(p, o, &in) == -1 || pipe2(errpipe, O_CLOEXEC) == -1)
        abort();
    p->t0 = now_ms();
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

void tl_signal(tl_proc *p, int sig)
{
    if (!p->reaped && p->pid > 0)
        kill(p->pid, sig);
}

/* Wait for the program itself to end, up to ms; true if it ended (and is reaped). */
static bool wait_end(tl_proc *p, int ms)
{
    if (p->reaped)
        return true;
    double until = now_ms() + ms;
    for (;;) {
        pid_t w = waitpid(p->pid, &p->wstatus, WNOHANG);
        if (w == p->pid || (w == -1 && errno == ECHILD)) {
            p->reaped = true;
            return true;
        }
        int left = (int)(until - now_ms());
        if (left <= 0)
            return false;
        if (p->pidfd >= 0) {
            struct pollfd pfd = { p->pidfd, POLLIN, 0 };
            poll(&pfd, 1, left);
        } else {
            sleep_ms(left < 2 ? left : 2);
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
    double until = now_ms() + tl_deadline(timeout_ms);
    for (;;) {
        char *out = slurp(p->out_path, NULL);
        bool found = strstr(out, needle) != NULL;
        free(out);
        if (found)
            return true;
        if (now_ms() > until || !tl_alive(p))
            return false;
        sleep_ms(2);
    }
}

/* ---------- collecting ---------- */

/* Record the orphans reparented to us by the end of the program. */
static void note_leftovers(tl_proc *p)
{
    pid_t pids[256], pgrps[256];
    char st[256];
    int n = scan_children(pids, st, pgrps, 256);
    for (int i = 0; i < n; i++) {
        if (is_tracked(pids[i]) && pids[i] != p->pid)
            continue; /* another program this test runs */
        bool mine = pgrps[i] == p->pid || !is_tracked(pgrps[i]);
        if (!mine)
            continue;
        if (st[i] == 'Z' && p->r.n_zombie < TL_MAX_PIDS)
            p->r.zombie[p->r.n_zombie++] = pids[i];
        else if (st[i] != 'Z' && p->r.n_leftover < TL_MAX_PIDS)
            p->r.leftover[p->r.n_leftover++] = pids[i];
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
    FILE *f = fopen(p->trace_path, "r");
    char kind[16];
    int id;
    size_t n = 0;
    if (!f)
        return;
    while (fscanf(f, "%15s %d", kind, &id) == 2) {
        if (strcmp(kind, "shm") && strcmp(kind, "sem") && strcmp(kind, "msg"))
            continue;
        if (!ipc_exists(kind, id))
            continue;
        p->r.n_ipc_leak++;
        if (n < sizeof p->r.ipc_leak)
            n += snprintf(p->r.ipc_leak + n, sizeof p->r.ipc_leak - n, "%s%s %d",
                          n ? ", " : "", kind, id);
        ipc_remove(kind, id);
    }
    fclose(f);
}

tl_result tl_wait(tl_proc *p)
{
    if (p->r.started && !wait_end(p, p->deadline_ms - (int)(now_ms() - p->t0))) {
        p->r.timed_out = true;
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
        wait_end(p, 2000);
    }
    p->r.elapsed_ms = now_ms() - p->t0;
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

static size_t list_pids(char *b, size_t cap, size_t n, const pid_t *pids, int count)
{
    for (int i = 0; i < count && i < 8; i++)
        n = appendf(b, cap, n, "%s%d", i ? ", " : "", (int)pids[i]);
    return n;
}

const char *tl_explain(const tl_result *r)
{
    static char bufs[TL_BUFS][2048];
    static unsigned turn;
    char *buf = bufs[turn++ % TL_BUFS];
    size_t cap = sizeof bufs[0];
    size_t n = appendf(buf, cap, 0, "the program %s", tl_ending(r));
    if (r->n_leftover) {
        n = appendf(buf, cap, n, "; %d process(es) outlived it (pids ", r->n_leftover);
        n = list_pids(buf, cap, n, r->leftover, r->n_leftover);
        n = appendf(buf, cap, n, "): every child must end before the parent");
    }
    if (r->n_zombie) {
        n = appendf(buf, cap, n, "; %d child(ren) never reaped (zombies, pids ", r->n_zombie);
        n = list_pids(buf, cap, n, r->zombie, r->n_zombie);
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
    if (r->seed_note[0])
        appendf(buf, cap, n, "\n  (%s: delays were added after fork, around kill and in "
                "handlers to expose races)", r->seed_note);
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
