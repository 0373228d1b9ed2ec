/*
 * scrub.c: remove what a dedicated uid left on the host (see scrub.h).
 */
#include "scrub.h"

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
