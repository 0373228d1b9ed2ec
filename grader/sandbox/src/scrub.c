/*
 * scrub.c: remove what a dedicated uid left on the host (see scrub.h).
 */
#include "scrub.h"

#include <ctype.h>
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

enum ipc_kind { IPC_SHM, IPC_SEM, IPC_MSG };

/* /proc/sysvipc/KIND columns: the id is the 2nd; uid and cuid are at these positions. */
static const struct {
    const char *file;
    int uid_col, cuid_col;
} tables[] = {
    [IPC_SHM] = { "/proc/sysvipc/shm", 8, 10 },
    [IPC_SEM] = { "/proc/sysvipc/sem", 5, 7 },
    [IPC_MSG] = { "/proc/sysvipc/msg", 8, 10 },
};

static int remove_ipc(enum ipc_kind k, int id)
{
    switch (k) {
    case IPC_SHM: return shmctl(id, IPC_RMID, NULL);
    case IPC_SEM: return semctl(id, 0, IPC_RMID);
    default: return msgctl(id, IPC_RMID, NULL);
    }
}

static int scrub_ipc(enum ipc_kind k, uid_t uid)
{
    FILE *f = fopen(tables[k].file, "re");
    char line[512];
    int n = 0;
    if (!f)
        return 0;
    if (!fgets(line, sizeof line, f)) {        /* the header */
        fclose(f);
        return 0;
    }
    while (fgets(line, sizeof line, f)) {
        long col[16] = { 0 };
        int ncol = 0;
        for (char *save, *t = strtok_r(line, " \t\n", &save); t && ncol < 16;
             t = strtok_r(NULL, " \t\n", &save))
            col[ncol++] = strtol(t, NULL, 10);
        if (ncol > tables[k].cuid_col &&
            ((uid_t)col[tables[k].uid_col - 1] == uid || (uid_t)col[tables[k].cuid_col - 1] == uid) &&
            remove_ipc(k, (int)col[1]) == 0)
            n++;
    }
    fclose(f);
    return n;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static int scrub_dir(const char *dir, uid_t uid)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d))) {
        char path[PATH_MAX];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
            lstat(path, &st) == -1 || st.st_uid != uid)
            continue;
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        n++;
    }
    if (d)
        closedir(d);
    return n;
}

int scrub_uid(uid_t uid)
{
    int n = scrub_ipc(IPC_SHM, uid) + scrub_ipc(IPC_SEM, uid) + scrub_ipc(IPC_MSG, uid);
    return n + scrub_dir("/tmp", uid) + scrub_dir("/var/tmp", uid) + scrub_dir("/dev/shm", uid);
}

/* 1 when /proc/PID/status says the process is alive (not a zombie) and one of its
 * real, effective or saved uids is UID. */
static int owned_by(const char *pid, uid_t uid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%s/status", pid);
    FILE *f = fopen(path, "re");
    int yes = 0;
    char state = '?';
    while (f && fgets(line, sizeof line, f)) {
        unsigned long r, e, s;
        if (sscanf(line, "State: %c", &state) == 1 && state == 'Z')
            break;
        if (sscanf(line, "Uid: %lu %lu %lu", &r, &e, &s) == 3) {
            yes = r == uid || e == uid || s == uid;
            break;
        }
    }
    if (f)
        fclose(f);
    return yes;
}

/* Without a pid namespace, a process of the slot's uid can leave the run's tree (a
 * child of a process it does not own cannot; but the uid is the boundary we rely on, so
 * the sweep is by uid). A few passes: a process may fork while we kill. */
int kill_uid(uid_t uid)
{
    int first = -1;
    if (uid == 0 || uid == getuid())
        return 0;
    for (int round = 0; round < 50; round++) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        int alive = 0;
        while (d && (e = readdir(d)))
            if (isdigit((unsigned char)e->d_name[0]) && owned_by(e->d_name, uid) &&
                kill((pid_t)atoi(e->d_name), SIGKILL) == 0)
                alive++;
        if (d)
            closedir(d);
        if (first == -1)
            first = alive;
        if (alive == 0)
            break;
        usleep(2000);
    }
    return first;
}
