/*
 * support.c: td4's test helpers (see support.h): process-tree snapshots with pipe
 * ends, a stall watcher that fails a deadlocked pipe program in a fraction of a
 * second with a diagnosis, and the descriptor probe run by pipeline tests.
 */
#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void nap_ms(int ms)
{
    struct timespec ts = { 0, ms * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* ---------- reading /proc ---------- */

static bool read_text(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return true;
}

/* What /proc/PID/stat says of a process. */
struct stat_line {
    pid_t pid, ppid, pgrp;
    char state;
    char comm[32];
};

static bool read_stat(pid_t pid, struct stat_line *p)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (!read_text(path, buf, sizeof buf))
        return false;
    char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren)
        return false;
    int ppid, pg;
    if (sscanf(close_paren + 1, " %c %d %d", &p->state, &ppid, &pg) != 3)
        return false;
    snprintf(p->comm, sizeof p->comm, "%.*s", (int)(close_paren - open_paren - 1),
             open_paren + 1);
    p->pid = pid;
    p->ppid = ppid;
    p->pgrp = pg;
    return true;
}

static long read_switches(pid_t pid)
{
    char path[64], buf[4096];
    long total = 0, v;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (!read_text(path, buf, sizeof buf))
        return -1;
    for (char *line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
            sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
            total += v;
    return total;
}

/* Mode of descriptor fd of process pid from its fdinfo flags. */
static char fd_mode(pid_t pid, int fd)
{
    char path[64], buf[512];
    unsigned flags;
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)pid, fd);
    if (!read_text(path, buf, sizeof buf))
        return '?';
    char *f = strstr(buf, "flags:");
    if (!f || sscanf(f, "flags: %o", &flags) != 1)
        return '?';
    return (flags & O_ACCMODE) == O_RDONLY ? 'r' : (flags & O_ACCMODE) == O_WRONLY ? 'w' : '+';
}

/* The descriptors of pid. The names are collected first and the directory closed,
 * so that a listing of our own descriptors does not show the listing's. */
static void read_fds(pid_t pid, sp_proc *p)
{
    char path[64];
    int nums[256], count = 0;
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    p->nfd = 0;
    DIR *d = opendir(path);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d)) && count < 256;)
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
            nums[count++] = atoi(e->d_name);
    closedir(d);
    for (int i = 0; i < count && p->nfd < SP_MAX_FD; i++) {
        sp_fd *f = &p->fd[p->nfd];
        char link[300];
        snprintf(link, sizeof link, "%s/%d", path, nums[i]);
        ssize_t n = readlink(link, f->target, sizeof f->target - 1);
        if (n <= 0)
            continue; /* closed meanwhile (our own listing's descriptor) */
        f->target[n] = '\0';
        f->fd = nums[i];
        if (sscanf(f->target, "pipe:[%lu]", &f->pipe) != 1)
            f->pipe = 0;
        f->mode = fd_mode(pid, f->fd);
        p->nfd++;
    }
    /* readdir order is not numeric: sort by descriptor */
    for (int i = 1; i < p->nfd; i++)
        for (int j = i; j > 0 && p->fd[j - 1].fd > p->fd[j].fd; j--) {
            sp_fd tmp = p->fd[j];
            p->fd[j] = p->fd[j - 1];
            p->fd[j - 1] = tmp;
        }
}

static bool in_tree(const sp_tree *t, pid_t pid)
{
    for (int i = 0; i < t->n; i++)
        if (t->p[i].pid == pid)
            return true;
    return false;
}

static void add_proc(sp_tree *t, const struct stat_line *l)
{
    sp_proc *p = &t->p[t->n++];
    p->pid = l->pid;
    p->ppid = l->ppid;
    p->state = l->state;
    memcpy(p->comm, l->comm, sizeof p->comm);
}

int sp_scan(pid_t leader, sp_tree *t, bool fds)
{
    static struct stat_line all[4096];
    int n = 0;
    t->n = 0;
    t->truncated = false;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d)) && n < 4096;)
        if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
            read_stat((pid_t)atoi(e->d_name), &all[n]) && all[n].state != 'Z')
            n++;
    closedir(d);
    /* the leader first, then its group and its descendants until nothing is added */
    for (int i = 0; i < n; i++)
        if (all[i].pid == leader)
            add_proc(t, &all[i]);
    for (bool added = true; added && !t->truncated;) {
        added = false;
        for (int i = 0; i < n && !t->truncated; i++) {
            if (in_tree(t, all[i].pid) || (all[i].pgrp != leader && !in_tree(t, all[i].ppid)))
                continue;
            if (t->n == SP_MAX_PROC)
                t->truncated = true;
            else
                add_proc(t, &all[i]), added = true;
        }
    }
    for (int i = 0; i < t->n; i++) {
        t->p[i].switches = read_switches(t->p[i].pid);
        t->p[i].nfd = 0;
        if (fds)
            read_fds(t->p[i].pid, &t->p[i]);
    }
    return t->n;
}

/* Every process asleep, and none has run since the previous snapshot. */
static bool stuck(const sp_tree *prev, const sp_tree *cur)
{
    if (cur->n == 0 || cur->n != prev->n || cur->truncated)
        return false;
    for (int i = 0; i < cur->n; i++)
        if (cur->p[i].state != 'S' || cur->p[i].pid != prev->p[i].pid ||
            cur->p[i].switches != prev->p[i].switches || cur->p[i].switches < 0)
            return false;
    return true;
}

sp_run sp_run_watched(const tl_opts *o, int stall_ms)
{
    return sp_wait_watched(tl_start(o), o->deadline_ms, stall_ms);
}

sp_run sp_wait_watched(tl_proc *p, int deadline_ms, int stall_ms)
{
    sp_run run;
    memset(&run, 0, sizeof run);
    static sp_tree trees[2];
    sp_tree *prev = &trees[0], *cur = &trees[1], *tmp;
    prev->n = 0;
    double t0 = now_ms(), since = -1;
    double limit = tl_deadline(deadline_ms ? deadline_ms : 5000);
    double stall = tl_deadline(stall_ms);
    while (tl_alive(p) && now_ms() - t0 < limit) {
        sp_scan(tl_pid(p), cur, false);
        if (!stuck(prev, cur))
            since = -1;
        else if (since < 0)
            since = now_ms();
        else if (now_ms() - since >= stall) {
            run.tree = malloc(sizeof *run.tree);
            if (!run.tree)
                abort();
            sp_scan(tl_pid(p), run.tree, true);
            run.stalled = true;
            kill(-tl_pid(p), SIGKILL);
            for (int i = 0; i < run.tree->n; i++)
                kill(run.tree->p[i].pid, SIGKILL);
            break;
        }
        tmp = prev, prev = cur, cur = tmp;
        nap_ms(10);
    }
    run.r = tl_wait(p);
    if (run.stalled) {
        tl_set_look(&run.r, "it hangs: meanwhile, in another terminal, `ls -l /proc/$(pgrep "
                    "-n %.15s)/fd` and the same for its children (`pgrep -P PID`) show who "
                    "holds which pipe end", run.tree->n ? run.tree->p[0].comm : "pipeline");
        tl_mark_hung(&run.r);
    }
    return run;
}

void sp_run_free(sp_run *w)
{
    tl_result_free(&w->r);
    free(w->tree);
    w->tree = NULL;
}

/* ---------- describing who holds what ---------- */

/* A letter per pipe, in order of first appearance. */
static char pipe_label(const sp_tree *t, unsigned long pipe)
{
    unsigned long seen[64];
    int n = 0;
    for (int i = 0; i < t->n; i++)
        for (int k = 0; k < t->p[i].nfd; k++) {
            unsigned long q = t->p[i].fd[k].pipe;
            bool known = false;
            for (int j = 0; j < n; j++)
                known = known || seen[j] == q;
            if (q == 0 || known)
                continue;
            if (q == pipe)
                return (char)('A' + n % 26);
            if (n < 64)
                seen[n++] = q;
        }
    return '?';
}

const char *sp_describe(const sp_tree *t)
{
    static char buf[2048];
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; t && i < t->n && n < sizeof buf; i++) {
        const sp_proc *p = &t->p[i];
        char role[48];
        if (i == 0)
            snprintf(role, sizeof role, "started by the test");
        else
            snprintf(role, sizeof role, "child of %d", (int)p->ppid);
        n += snprintf(buf + n, sizeof buf - n, "%s%s (pid %d, %s, %s):", i ? "; " : "", p->comm,
                      (int)p->pid, role, p->state == 'S' ? "asleep" : "running");
        int shown = 0;
        for (int k = 0; k < p->nfd && n < sizeof buf; k++) {
            const sp_fd *f = &p->fd[k];
            if (!f->pipe)
                continue;
            n += snprintf(buf + n, sizeof buf - n, "%s fd %d = %s end of pipe %c",
                          shown++ ? "," : "", f->fd,
                          f->mode == 'r' ? "read" : f->mode == 'w' ? "write" : "read/write",
                          pipe_label(t, f->pipe));
        }
        if (!shown && n < sizeof buf)
            n += snprintf(buf + n, sizeof buf - n, " no pipe end");
    }
    return buf;
}

int sp_holder(const sp_tree *t, unsigned long pipe, char mode, int from, int *fd)
{
    for (int i = from; i < t->n; i++)
        for (int k = 0; k < t->p[i].nfd; k++) {
            const sp_fd *f = &t->p[i].fd[k];
            if (f->pipe == pipe && (f->mode == mode || f->mode == '+')) {
                *fd = f->fd;
                return i;
            }
        }
    return -1;
}

/* ---------- the descriptor probe ---------- */

const char *sp_self(void)
{
    static char path[512];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    path[n > 0 ? n : 0] = '\0';
    return path;
}

bool sp_read_probe(const char *path, sp_proc *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[256];
    while (fgets(line, sizeof line, f) && out->nfd < SP_MAX_FD) {
        sp_fd *d = &out->fd[out->nfd];
        char mode;
        if (sscanf(line, "%d %c %159s", &d->fd, &mode, d->target) != 3)
            continue;
        d->mode = mode;
        if (sscanf(d->target, "pipe:[%lu]", &d->pipe) != 1)
            d->pipe = 0;
        out->nfd++;
    }
    fclose(f);
    return true;
}

const sp_fd *sp_find_fd(const sp_proc *p, int fd)
{
    for (int i = 0; i < p->nfd; i++)
        if (p->fd[i].fd == fd)
            return &p->fd[i];
    return NULL;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The probe: list our descriptors into report, then behave as cat. */
static int probe(const char *report)
{
    static sp_proc self;
    char text[SP_MAX_FD * 200];
    size_t n = 0;
    read_fds(getpid(), &self);
    for (int i = 0; i < self.nfd && n < sizeof text; i++)
        n += snprintf(text + n, sizeof text - n, "%d %c %s\n", self.fd[i].fd, self.fd[i].mode,
                      self.fd[i].target);
    /* "-": on stderr (how the Reproduce lines show them) */
    bool err = !strcmp(report, "-");
    int fd = err ? STDERR_FILENO : open(report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, text, n < sizeof text ? n : sizeof text) == -1)
        return 1;
    if (!err)
        close(fd);
    char buf[65536];
    for (;;) {
        ssize_t k = read(STDIN_FILENO, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k < 0;
        if (write_all(STDOUT_FILENO, buf, (size_t)k) == -1)
            return 1;
    }
}

/* Runs before Criterion's main: the probe never reaches Criterion. */
__attribute__((constructor)) static void probe_entry(int argc, char **argv)
{
    const char *env = getenv("TD4_FD_PROBE");
    if (argc == 3 && !strcmp(argv[1], SP_PROBE_FLAG) && env && !strcmp(env, "1"))
        _exit(probe(argv[2]));
}
