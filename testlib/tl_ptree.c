/*
 * tl_ptree.c: process-tree snapshots with pipe ends, and a stall watcher that fails a
 * deadlocked program in a fraction of a second with a diagnosis (see tl_ptree.h).
 */
#define _GNU_SOURCE
#include "tl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
void tl_proc_fds(pid_t pid, tl_pt_proc *p)
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
    for (int i = 0; i < count && p->nfd < TL_PT_MAX_FD; i++) {
        tl_pt_fd *f = &p->fd[p->nfd];
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
            tl_pt_fd tmp = p->fd[j];
            p->fd[j] = p->fd[j - 1];
            p->fd[j - 1] = tmp;
        }
}

static bool in_tree(const tl_ptree *t, pid_t pid)
{
    for (int i = 0; i < t->n; i++)
        if (t->p[i].pid == pid)
            return true;
    return false;
}

static void add_proc(tl_ptree *t, const struct stat_line *l)
{
    tl_pt_proc *p = &t->p[t->n++];
    p->pid = l->pid;
    p->ppid = l->ppid;
    p->state = l->state;
    memcpy(p->comm, l->comm, sizeof p->comm);
}

int tl_ptree_scan(pid_t leader, tl_ptree *t, bool fds)
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
            if (t->n == TL_PT_MAX_PROC)
                t->truncated = true;
            else
                add_proc(t, &all[i]), added = true;
        }
    }
    for (int i = 0; i < t->n; i++) {
        t->p[i].switches = read_switches(t->p[i].pid);
        t->p[i].nfd = 0;
        if (fds)
            tl_proc_fds(t->p[i].pid, &t->p[i]);
    }
    return t->n;
}

/* Every process asleep, and none has run since the previous snapshot. */
static bool stuck(const tl_ptree *prev, const tl_ptree *cur)
{
    if (cur->n == 0 || cur->n != prev->n || cur->truncated)
        return false;
    for (int i = 0; i < cur->n; i++)
        if (cur->p[i].state != 'S' || cur->p[i].pid != prev->p[i].pid ||
            cur->p[i].switches != prev->p[i].switches || cur->p[i].switches < 0)
            return false;
    return true;
}

tl_watched tl_run_watched(const tl_opts *o, int stall_ms)
{
    return tl_wait_watched(tl_start(o), o->deadline_ms, stall_ms);
}

tl_watched tl_wait_watched(tl_proc *p, int deadline_ms, int stall_ms)
{
    tl_watched run;
    memset(&run, 0, sizeof run);
    static tl_ptree trees[2];
    tl_ptree *prev = &trees[0], *cur = &trees[1], *tmp;
    prev->n = 0;
    double t0 = tl_now_ms(), since = -1;
    double limit = tl_deadline(deadline_ms ? deadline_ms : 5000);
    double stall = tl_deadline(stall_ms);
    while (tl_alive(p) && tl_now_ms() - t0 < limit) {
        tl_ptree_scan(tl_pid(p), cur, false);
        if (!stuck(prev, cur))
            since = -1;
        else if (since < 0)
            since = tl_now_ms();
        else if (tl_now_ms() - since >= stall) {
            /* the snapshot with descriptors; without memory for it, cur's pids */
            run.tree = malloc(sizeof *run.tree);
            tl_ptree *t = run.tree ? run.tree : cur;
            if (run.tree)
                tl_ptree_scan(tl_pid(p), run.tree, true);
            run.stalled = true;
            kill(-tl_pid(p), SIGKILL);
            for (int i = 0; i < t->n; i++)
                kill(t->p[i].pid, SIGKILL);
            break;
        }
        tmp = prev, prev = cur, cur = tmp;
        tl_sleep_ms(10);
    }
    run.r = tl_wait(p);
    if (run.stalled) {
        tl_set_look(&run.r, "it hangs: meanwhile, in another terminal, `ls -l /proc/$(pgrep "
                    "-n %.15s)/fd` and the same for its children (`pgrep -P PID`) show who "
                    "holds which pipe end", run.tree && run.tree->n ? run.tree->p[0].comm
                                                                   : run.r.prog);
        tl_mark_hung(&run.r);
    }
    return run;
}

void tl_watched_free(tl_watched *w)
{
    tl_result_free(&w->r);
    free(w->tree);
    w->tree = NULL;
}

/* ---------- describing who holds what ---------- */

/* A letter per pipe, in order of first appearance. */
static char pipe_label(const tl_ptree *t, unsigned long pipe)
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

const char *tl_ptree_describe(const tl_ptree *t)
{
    static char buf[2048];
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; t && i < t->n && n < sizeof buf; i++) {
        const tl_pt_proc *p = &t->p[i];
        char role[48];
        if (i == 0)
            snprintf(role, sizeof role, "started by the test");
        else
            snprintf(role, sizeof role, "child of %d", (int)p->ppid);
        n += snprintf(buf + n, sizeof buf - n, "%s%s (pid %d, %s, %s):", i ? "; " : "", p->comm,
                      (int)p->pid, role, p->state == 'S' ? "asleep" : "running");
        int shown = 0;
        for (int k = 0; k < p->nfd && n < sizeof buf; k++) {
            const tl_pt_fd *f = &p->fd[k];
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

int tl_ptree_holder(const tl_ptree *t, unsigned long pipe, char mode, int from, int *fd)
{
    for (int i = from; i < t->n; i++)
        for (int k = 0; k < t->p[i].nfd; k++) {
            const tl_pt_fd *f = &t->p[i].fd[k];
            if (f->pipe == pipe && (f->mode == mode || f->mode == '+')) {
                *fd = f->fd;
                return i;
            }
        }
    return -1;
}

