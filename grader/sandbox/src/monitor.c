/*
 * monitor.c: watching a run from outside (see monitor.h).
 */
#include "monitor.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

volatile sig_atomic_t monitor_interrupt;

struct watch {
    const struct sb_config *c;
    const struct cgroups *cg;
    pid_t child;
    bool isolate;
    const struct run_io *io;
    struct run_result *r;
    bool child_done;
    bool open_out, open_err;
    char status_buf[256];
    size_t status_len;
    double next_disk_check;
    double last_disk_t;       /* the previous walk: its time, what it found */
    long long last_disk_bytes;
    long last_disk_files;
};

/* The first moment a limit was seen (CLOCK_MONOTONIC ms, comparable with the test
 * runner's START/END records: no time namespace), so the grader can name the test. */
static void limit_seen(struct watch *w)
{
    if (w->r->limit_at_ms == 0)
        w->r->limit_at_ms = now_ms();
}

static void kill_run(struct watch *w)
{
    if (w->cg)
        cg_kill(w->cg);
    if (!w->child_done) {
        if (!w->isolate)
            kill(-w->child, SIGKILL);
        kill(w->child, SIGKILL);
    }
}

/* Copy what the command wrote, up to the cap; past it, drop and kill. */
static void take_output(struct watch *w, const char *buf, size_t n, int dst, bool is_err)
{
    struct run_result *r = w->r;
    if (is_err || w->io->err_rd < 0) {
        size_t room = sizeof r->errhead - 1 - r->errhead_len;
        size_t k = n < room ? n : room;
        memcpy(r->errhead + r->errhead_len, buf, k);
        r->errhead_len += k;
        r->errhead[r->errhead_len] = '\0';
    }
    long long cap = w->c->lim.output, before = r->out_bytes;
    r->out_bytes += (long long)n;
    if (before < cap) {
        size_t k = r->out_bytes > cap ? (size_t)(cap - before) : n;
        write_all(dst, buf, k);
    }
    if (r->out_bytes > cap && !r->killed_output) {
        r->killed_output = true;
        limit_seen(w);
        kill_run(w);
    }
}

/* Read one chunk from FD; false at end of file. */
static bool read_stream(struct watch *w, int fd, int dst, bool is_err)
{
    char buf[65536];
    ssize_t k = read(fd, buf, sizeof buf);
    if (k < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (k <= 0)
        return false;
    take_output(w, buf, (size_t)k, dst, is_err);
    return true;
}

static void parse_status_line(struct run_result *r, const char *line)
{
    int v;
    if (strcmp(line, "start") == 0)
        r->started = true;
    else if (sscanf(line, "exit %d", &v) == 1)
        r->have_status = true, r->signaled = false, r->code = v;
    else if (sscanf(line, "signal %d", &v) == 1)
        r->have_status = true, r->signaled = true, r->code = v;
    else if (sscanf(line, "left %d", &v) == 1)
        r->leftovers += v;
}

static bool read_status(struct watch *w)
{
    size_t room = sizeof w->status_buf - 1 - w->status_len;
    if (room == 0)
        w->status_len = 0, room = sizeof w->status_buf - 1;
    ssize_t k = read(w->io->status_rd, w->status_buf + w->status_len, room);
    if (k < 0 && errno == EINTR)
        return true;
    if (k <= 0)
        return false;
    w->status_len += (size_t)k;
    w->status_buf[w->status_len] = '\0';
    char *nl;
    while ((nl = strchr(w->status_buf, '\n'))) {
        *nl = '\0';
        parse_status_line(w->r, w->status_buf);
        w->status_len -= (size_t)(nl + 1 - w->status_buf);
        memmove(w->status_buf, nl + 1, w->status_len + 1);
    }
    return true;
}

static void check_child(struct watch *w)
{
    if (w->child_done)
        return;
    int st;
    pid_t p = waitpid(w->child, &st, WNOHANG);
    if (p == w->child) {
        w->child_done = true;
        w->r->child_status = st;
    }
}

/* Space and entries in the --rw directories: kill past the limits. */
static void check_disk(struct watch *w)
{
    const struct sb_limits *lim = &w->c->lim;
    long long bytes = 0;
    long files = 0;
    for (int i = 0; i < w->c->nrw; i++)
        disk_usage(w->c->rw[i], lim->disk, lim->files, &bytes, &files);
    w->r->disk_bytes = bytes;
    w->r->disk_files = files;
    if ((bytes > lim->disk || files > lim->files) && !w->r->killed_disk) {
        w->r->killed_disk = true;
        limit_seen(w);
        kill_run(w);
    }
}

/* When to walk the --rw directories again: 5 ms after the start, then twice the last
 * interval up to 100 ms while nothing grows fast; when they grow, half the time the last
 * rate needs to reach a limit (a writer at page-cache speed fills 100 MB in 100 ms); but
 * never more often than 10 walks' time (a tree of many files is slow to walk). */
static double disk_interval(struct watch *w, double t, double walk)
{
    const struct sb_limits *lim = &w->c->lim;
    double dt = t - w->last_disk_t;
    double ms = w->last_disk_t > 0 ? fmin(100, 2 * dt) : 5;
    if (w->last_disk_t > 0 && dt > 0) {
        double rate_b = (double)(w->r->disk_bytes - w->last_disk_bytes) / dt;
        double rate_f = (double)(w->r->disk_files - w->last_disk_files) / dt;
        if (rate_b > 0)
            ms = fmin(ms, (double)(lim->disk - w->r->disk_bytes) / rate_b / 2);
        if (rate_f > 0)
            ms = fmin(ms, (double)(lim->files - w->r->disk_files) / rate_f / 2);
    }
    w->last_disk_t = t;
    w->last_disk_bytes = w->r->disk_bytes;
    w->last_disk_files = w->r->disk_files;
    return fmax(fmax(ms, 2), walk * 10);
}

static void check_limits(struct watch *w, double deadline)
{
    struct run_result *r = w->r;
    if (monitor_interrupt && !r->interrupted) {
        r->interrupted = monitor_interrupt;
        kill_run(w);
    }
    if (!r->killed_time && now_ms() >= deadline) {
        r->killed_time = true;
        limit_seen(w);
        kill_run(w);
    }
    if (now_ms() >= w->next_disk_check) {
        double t = now_ms();
        check_disk(w);
        double walk = now_ms() - t;
        w->next_disk_check = now_ms() + disk_interval(w, t, walk);
    }
    /* Limits that refuse or kill one process without ending the run. */
    if (r->limit_at_ms == 0 && w->cg && cg_limit_hits(w->cg) > 0)
        limit_seen(w);
    double cpu_limit = w->c->lim.cpu_total_s;
    if (cpu_limit > 0 && w->cg && !r->killed_cpu) {
        long long us = cg_cpu_us(w->cg);
        if (us >= 0 && (double)us >= cpu_limit * 1e6) {
            r->killed_cpu = true;
            limit_seen(w);
            kill_run(w);
        }
    }
}

/* One poll round over the open pipes (and the child's pidfd). */
static void poll_once(struct watch *w, int pidfd, int timeout_ms, bool *status_open)
{
    struct pollfd p[4];
    int n = 0, i_out = -1, i_err = -1, i_st = -1;
    if (w->open_out)
        p[i_out = n++] = (struct pollfd){ w->io->out_rd, POLLIN, 0 };
    if (w->open_err)
        p[i_err = n++] = (struct pollfd){ w->io->err_rd, POLLIN, 0 };
    if (*status_open)
        p[i_st = n++] = (struct pollfd){ w->io->status_rd, POLLIN, 0 };
    if (pidfd >= 0 && !w->child_done)
        p[n++] = (struct pollfd){ pidfd, POLLIN, 0 };
    if (poll(p, (nfds_t)n, timeout_ms) <= 0)
        return;
    if (i_out >= 0 && p[i_out].revents)
        w->open_out = read_stream(w, w->io->out_rd, w->io->out_dst, false);
    if (i_err >= 0 && p[i_err].revents)
        w->open_err = read_stream(w, w->io->err_rd, w->io->err_dst, true);
    if (i_st >= 0 && p[i_st].revents)
        *status_open = read_status(w);
}

/* After the command ended: kill what is left, wait for the cgroup to empty. */
static void finish(struct watch *w, int pidfd, bool *status_open)
{
    double until = now_ms() + 5000;
    for (;;) {
        kill_run(w);
        kill_descendants(1);
        if (!w->cg || w->cg->ndirs == 0 || cg_empty(w->cg) || now_ms() >= until)
            break;
        sleep_ms(5);
    }
    until = now_ms() + 2000;
    while ((w->open_out || w->open_err || *status_open) && now_ms() < until)
        poll_once(w, pidfd, 50, status_open);
    reap_zombies();
}

void monitor(const struct sb_config *c, const struct cgroups *cg, pid_t child, bool isolate,
             const struct run_io *io, struct run_result *r)
{
    struct watch w = { .c = c, .cg = cg, .child = child, .isolate = isolate, .io = io, .r = r };
    w.open_out = io->out_rd >= 0;
    w.open_err = io->err_rd >= 0;
    bool status_open = true;
    double t0 = now_ms(), deadline = t0 + c->lim.wall_s * 1000;
    int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
    while (!w.child_done) {
        double left = deadline - now_ms();
        int timeout = r->killed_time ? 50 : left < 0 ? 0 : left > 100 ? 100 : (int)left + 1;
        double disk = w.next_disk_check - now_ms();  /* the disk walk may be due sooner */
        if (disk < timeout)
            timeout = disk < 0 ? 0 : (int)disk + 1;
        poll_once(&w, pidfd, timeout, &status_open);
        check_child(&w);
        if (!w.child_done)
            check_limits(&w, deadline);
    }
    r->wall_ms = now_ms() - t0;
    finish(&w, pidfd, &status_open);
    check_disk(&w);     /* what it left: a last chance to say "disk limit" */
    if (pidfd >= 0)
        close(pidfd);
}
