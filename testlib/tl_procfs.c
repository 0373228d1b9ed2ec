/*
 * tl_procfs.c: /proc views of a live process (see tl_procfs.h).
 */
#define _GNU_SOURCE
#include "tl.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int tl_proc_children(pid_t pid, pid_t *out, int max)
{
    char path[96];
    int n = 0;
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char cpath[300];
        snprintf(cpath, sizeof cpath, "/proc/%d/task/%s/children", (int)pid, e->d_name);
        FILE *f = fopen(cpath, "r");
        int c;
        while (f && n < max && fscanf(f, "%d", &c) == 1)
            out[n++] = c;
        if (f)
            fclose(f);
    }
    closedir(d);
    return n;
}

char tl_proc_state(pid_t pid)
{
    char path[64], buf[512], st = '?';
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return st;
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = '\0';
    char *p = strrchr(buf, ')');
    if (p && p[1] == ' ')
        st = p[2];
    return st;
}

int tl_zombie_children(pid_t pid)
{
    pid_t kids[4096];
    int n = tl_proc_children(pid, kids, 4096), z = 0;
    for (int i = 0; i < n; i++)
        z += tl_proc_state(kids[i]) == 'Z';
    return z;
}

bool tl_holds_socket(pid_t pid, unsigned long inode)
{
    char path[64], want[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    snprintf(want, sizeof want, "socket:[%lu]", inode);
    DIR *d = opendir(path);
    bool found = false;
    if (!d)
        return false;
    for (struct dirent *e; !found && (e = readdir(d));) {
        char link[400], target[64];
        snprintf(link, sizeof link, "%s/%s", path, e->d_name);
        ssize_t k = readlink(link, target, sizeof target - 1);
        if (k > 0) {
            target[k] = '\0';
            found = !strcmp(target, want);
        }
    }
    closedir(d);
    return found;
}

int tl_wait_fd_count(pid_t pid, int min, int max, int ms)
{
    double until = tl_now_ms() + tl_deadline(ms);
    int n;
    while (((n = tl_fd_count(pid)) < min || n > max) && tl_now_ms() < until)
        tl_sleep_ms(2);
    return n;
}
