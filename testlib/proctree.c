/*
 * proctree.c: the process tree of a child subreaper, and killing all of it (see
 * proctree.h). Raw system calls only: it runs in signal handlers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "proctree.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* A decimal number at *P (advanced past it); -1 if none. */
static long number(const char **p)
{
    long v = -1;
    while (**p == ' ')
        (*p)++;
    for (; **p >= '0' && **p <= '9'; (*p)++)
        v = (v < 0 ? 0 : v * 10) + (**p - '0');
    return v;
}

/* "pid (comm) S ppid pgrp ..." from /proc/PID/stat (comm may hold spaces and ')'). */
static bool read_stat(const char *pid, char *state, pid_t *ppid, pid_t *pgrp)
{
    char path[64] = "/proc/", buf[512];
    size_t n = 6;
    for (const char *s = pid; *s && n < sizeof path - 6; s++)
        path[n++] = *s;
    for (const char *s = "/stat"; *s; s++)
        path[n++] = *s;
    path[n] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t k = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (k <= 0)
        return false;
    buf[k] = '\0';
    const char *p = NULL;
    for (ssize_t i = 0; i < k; i++)
        if (buf[i] == ')')
            p = buf + i + 1;
    if (!p || p[0] != ' ' || !p[1])
        return false;
    *state = p[1];
    p += 2;
    long pp = number(&p), pg = number(&p);
    if (pp < 0 || pg < 0)
        return false;
    *ppid = (pid_t)pp;
    *pgrp = (pid_t)pg;
    return true;
}

int pt_children(struct pt_child *out, int max)
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
            if (d->d_name[0] < '1' || d->d_name[0] > '9' || n >= max)
                continue;
            const char *name = d->d_name;
            pid_t pid = (pid_t)number(&name), ppid, pgrp;
            char st;
            if (read_stat(d->d_name, &st, &ppid, &pgrp) && ppid == self)
                out[n++] = (struct pt_child){ pid, pgrp, st };
        }
    }
    close(fd);
    return n;
}

int pt_kill_tree(int rounds, pt_spare_fn spare, pt_reaped_fn reaped, void *arg)
{
    struct pt_child c[256];
    int live = 0;
    for (int round = 0; round < rounds; round++) {
        int n = pt_children(c, 256), killed = 0;
        for (int i = 0; i < n; i++) {
            if (spare && spare(&c[i], arg)) {
                c[i].pid = 0;
                continue;
            }
            if (kill(c[i].pid, SIGKILL) == 0)
                killed++;
            live += c[i].state != 'Z';
        }
        if (!killed)
            break;
        for (int i = 0; i < n; i++) {
            int st;
            pid_t r;
            if (!c[i].pid)
                continue;
            while ((r = waitpid(c[i].pid, &st, 0)) == -1 && errno == EINTR)
                ;
            if (r > 0 && reaped)
                reaped(r, st, arg);
        }
    }
    return live;
}
