/*
 * cgroup.c: the control groups of one run (see cgroup.h). Library code: errors are
 * returned, never printed.
 */
#include "cgroup.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where a hierarchy is mounted: for v1 the one whose options name CONTROLLER, for
 * v2 (CONTROLLER == NULL) the cgroup2 mount. 0 or -1. */
static int find_mount(const char *controller, char *out, size_t n)
{
    if (controller && getenv("SANDBOX_NO_CGROUP_V1"))     /* testing: a cgroup v2 machine */
        return -1;
    FILE *f = fopen("/proc/self/mounts", "re");
    if (!f)
        return -1;
    char dev[256], dir[PATH_MAX], type[64], opts[1024];
    int found = -1;
    while (found == -1 && fscanf(f, "%255s %4095s %63s %1023s %*d %*d", dev, dir, type, opts) == 4) {
        if (!controller && strcmp(type, "cgroup2") == 0)
            found = 0;
        if (controller && strcmp(type, "cgroup") == 0) {
            for (char *save, *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
                if (strcmp(o, controller) == 0)
                    found = 0;
        }
        if (found == 0)
            snprintf(out, n, "%s", dir);
    }
    fclose(f);
    return found;
}

/* Our own cgroup in a hierarchy: "/a/b" from /proc/self/cgroup. 0 or -1. */
static int own_cgroup(const char *controller, char *out, size_t n)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return -1;
    char line[4096];
    int found = -1;
    while (found == -1 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        if (!controller && !*ctrls)
            found = 0;
        if (controller && *ctrls) {
            char copy[512];
            snprintf(copy, sizeof copy, "%s", ctrls);
            for (char *save, *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
                if (strcmp(o, controller) == 0)
                    found = 0;
        }
        if (found == 0)
            snprintf(out, n, "%s", strcmp(path, "/") == 0 ? "" : path);
    }
    fclose(f);
    return found;
}

/* The directory under which our cgroups of this hierarchy go. 0 or -1. */
static int parent_dir(const char *controller, char *out, size_t n)
{
    char mnt[PATH_MAX], own[PATH_MAX];
    if (find_mount(controller, mnt, sizeof mnt) == -1 || own_cgroup(controller, own, sizeof own) == -1)
        return -1;
    return snprintf(out, n, "%s%s", mnt, own) < (int)n ? 0 : -1;
}

static int make_dir(struct cgroups *cg, const char *parent, const char *name, bool v2)
{
    if (cg->ndirs >= CG_MAX_DIRS)
        return -1;
    char *d = cg->dirs[cg->ndirs];
    snprintf(d, PATH_MAX, "%s/%s", parent, name);
    if (mkdir(d, 0755) == -1 && errno != EEXIST)
        return -1;
    cg->dir_v2[cg->ndirs] = v2;
    return cg->ndirs++;
}

static void file_in(const struct cgroups *cg, int i, const char *f, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", cg->dirs[i], f);
}

static bool has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(list, word); p; p = strstr(p + 1, word))
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
            return true;
    return false;
}

/* cgroup v2: enable CONTROLLER for our children if we can. */
static bool v2_enable(const char *parent, const char *controller)
{
    char path[PATH_MAX], buf[512], cmd[64];
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", parent);
    if (read_file(path, buf, sizeof buf) >= 0 && has_word(buf, controller))
        return true;
    snprintf(cmd, sizeof cmd, "+%s", controller);
    return write_file(path, cmd) == 0;
}

static void note_missing(struct cgroups *cg, const char *what)
{
    size_t n = strlen(cg->missing);
    snprintf(cg->missing + n, sizeof cg->missing - n, "%s%s", n ? ", " : "", what);
}

/* One limited controller: v1 if mounted, else v2. Returns the dir index or -1. */
static int controller_dir(struct cgroups *cg, const char *ctrl, const char *name, int v2dir,
                          const char *v2parent)
{
    char parent[PATH_MAX];
    if (parent_dir(ctrl, parent, sizeof parent) == 0)
        return make_dir(cg, parent, name, false);
    if (v2dir >= 0 && v2_enable(v2parent, ctrl))
        return v2dir;
    return -1;
}

static int set_limit(const struct cgroups *cg, int i, const char *file, long long v)
{
    char path[PATH_MAX], val[32];
    file_in(cg, i, file, path, sizeof path);
    snprintf(val, sizeof val, "%lld", v);
    return write_file(path, val);
}

static int set_limits(struct cgroups *cg, const struct sb_limits *lim)
{
    /* +2: bubblewrap's monitor and the sandbox's init are in the cgroup too. */
    if (cg->pids >= 0 && set_limit(cg, cg->pids, "pids.max", lim->pids + 2) == -1)
        return -1;
    if (cg->mem >= 0 && !cg->dir_v2[cg->mem]) {
        if (set_limit(cg, cg->mem, "memory.limit_in_bytes", lim->mem) == -1)
            return -1;
        set_limit(cg, cg->mem, "memory.memsw.limit_in_bytes", lim->mem); /* absent without swap accounting */
    } else if (cg->mem >= 0) {
        if (set_limit(cg, cg->mem, "memory.max", lim->mem) == -1)
            return -1;
        set_limit(cg, cg->mem, "memory.swap.max", 0);
    }
    return 0;
}

int cg_create(struct cgroups *cg, const char *name, const struct sb_limits *lim,
              char *err, size_t errlen)
{
    memset(cg, 0, sizeof *cg);
    cg->pids = cg->mem = cg->cpu = cg->kill = -1;
    char v2parent[PATH_MAX];
    int v2 = -1;
    if (parent_dir(NULL, v2parent, sizeof v2parent) == 0)
        v2 = make_dir(cg, v2parent, name, true);
    cg->pids = controller_dir(cg, "pids", name, v2, v2parent);
    cg->mem = controller_dir(cg, "memory", name, v2, v2parent);
    cg->cpu = v2 >= 0 ? v2 : controller_dir(cg, "cpuacct", name, -1, NULL);
    cg->kill = v2 >= 0 ? v2 : cg->pids >= 0 ? cg->pids : cg->mem;
    if (cg->pids < 0)
        note_missing(cg, "process count");
    if (cg->mem < 0)
        note_missing(cg, "memory");
    if (cg->ndirs == 0 || cg->kill < 0) {
        snprintf(err, errlen, "cannot create a cgroup (%s)", strerror(errno));
        return -1;
    }
    if (set_limits(cg, lim) == -1) {
        snprintf(err, errlen, "cannot set the cgroup limits: %s", strerror(errno));
        cg_remove(cg);
        return -1;
    }
    return 0;
}

int cg_enter(const struct cgroups *cg, pid_t pid)
{
    char path[PATH_MAX], val[32];
    snprintf(val, sizeof val, "%d", (int)pid);
    for (int i = 0; i < cg->ndirs; i++) {
        file_in(cg, i, "cgroup.procs", path, sizeof path);
        if (write_file(path, val) == -1)
            return -1;
    }
    return 0;
}

/* SIGKILL every pid listed in DIR/cgroup.procs; how many were listed. */
static int kill_listed(const char *dir)
{
    char path[PATH_MAX], buf[65536];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    if (read_file(path, buf, sizeof buf) <= 0)
        return 0;
    int n = 0;
    for (char *p = buf, *end; *p; p = end) {
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
            n++;
    }
    return n;
}

void cg_kill(const struct cgroups *cg)
{
    if (cg->kill < 0)
        return;
    char path[PATH_MAX];
    file_in(cg, cg->kill, "cgroup.kill", path, sizeof path);
    if (cg->dir_v2[cg->kill] && write_file(path, "1") == 0)
        return;
    for (int i = 0; i < cg->ndirs; i++)
        kill_listed(cg->dirs[i]);
}

bool cg_empty(const struct cgroups *cg)
{
    char path[PATH_MAX], buf[256];
    for (int i = 0; i < cg->ndirs; i++) {
        file_in(cg, i, "cgroup.procs", path, sizeof path);
        if (read_file(path, buf, sizeof buf) > 0)
            return false;
    }
    return true;
}

long long cg_cpu_us(const struct cgroups *cg)
{
    if (cg->cpu < 0)
        return -1;
    char path[PATH_MAX];
    if (cg->dir_v2[cg->cpu]) {
        file_in(cg, cg->cpu, "cpu.stat", path, sizeof path);
        return read_number(path, "usage_usec");
    }
    file_in(cg, cg->cpu, "cpuacct.usage", path, sizeof path);
    long long ns = read_number(path, NULL);
    return ns < 0 ? -1 : ns / 1000;
}

static long long stat_of(const struct cgroups *cg, int i, const char *file, const char *key)
{
    if (i < 0)
        return -1;
    char path[PATH_MAX];
    file_in(cg, i, file, path, sizeof path);
    return read_number(path, key);
}

static long long oom_kills(const struct cgroups *cg)
{
    bool m2 = cg->mem >= 0 && cg->dir_v2[cg->mem];
    return stat_of(cg, cg->mem, m2 ? "memory.events" : "memory.oom_control", "oom_kill");
}

static long long pids_refused(const struct cgroups *cg)
{
    return stat_of(cg, cg->pids, "pids.events", "max");
}

void cg_stats(const struct cgroups *cg, struct cg_stats *st)
{
    bool m2 = cg->mem >= 0 && cg->dir_v2[cg->mem];
    st->cpu_us = cg_cpu_us(cg);
    st->mem_peak = stat_of(cg, cg->mem, m2 ? "memory.peak" : "memory.max_usage_in_bytes", NULL);
    st->oom_kills = oom_kills(cg);
    st->pids_peak = stat_of(cg, cg->pids, "pids.peak", NULL);
    st->pids_refused = pids_refused(cg);
    if (st->pids_peak > 2)
        st->pids_peak -= 2;     /* bubblewrap's monitor and our init */
}

long long cg_limit_hits(const struct cgroups *cg)
{
    long long oom = oom_kills(cg), refused = pids_refused(cg);
    return (oom > 0 ? oom : 0) + (refused > 0 ? refused : 0);
}

int cg_remove(struct cgroups *cg)
{
    int rc = 0;
    for (int i = cg->ndirs - 1; i >= 0; i--) {
        int tries = 0;
        while (rmdir(cg->dirs[i]) == -1 && errno != ENOENT) {
            if ((errno != EBUSY && errno != EINTR) || ++tries > 200) {
                rc = -1;
                break;
            }
            sleep_ms(10);
        }
    }
    cg->ndirs = 0;
    return rc;
}

/* One stale directory: its sandbox (pid after the last '-') is gone: kill, remove. */
static void sweep_one(const char *parent, const char *entry, const char *prefix)
{
    const char *dash = strrchr(entry, '-');
    if (strncmp(entry, prefix, strlen(prefix)) != 0 || !dash)
        return;
    long pid = strtol(dash + 1, NULL, 10);
    if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
        return;
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s/%s", parent, entry) >= (int)sizeof dir)
        return;
    for (int i = 0; i < 100 && kill_listed(dir) > 0; i++)
        sleep_ms(10);
    for (int i = 0; i < 50 && rmdir(dir) == -1 && errno == EBUSY; i++)
        sleep_ms(10);
}

static void sweep_hierarchy(const char *controller, const char *prefix)
{
    char parent[PATH_MAX];
    if (parent_dir(controller, parent, sizeof parent) == -1)
        return;
    DIR *d = opendir(parent);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)))
        sweep_one(parent, e->d_name, prefix);
    closedir(d);
}

void cg_sweep_stale(const char *prefix)
{
    sweep_hierarchy(NULL, prefix);
    sweep_hierarchy("pids", prefix);
    sweep_hierarchy("memory", prefix);
    sweep_hierarchy("cpuacct", prefix);
}
