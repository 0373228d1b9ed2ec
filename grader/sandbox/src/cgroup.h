/*
 * cgroup.h: the control groups of one run. Limits come from whichever hierarchy holds a
 * controller (cgroup v1 "pids"/"memory"/"cpuacct" if mounted, else cgroup v2 with the
 * controller enabled); every process of the run is also put in a cgroup v2 leaf when a
 * cgroup2 hierarchy exists, so that one write to cgroup.kill ends them all.
 */
#ifndef SANDBOX_CGROUP_H
#define SANDBOX_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

#define CG_MAX_DIRS 4

struct cgroups {
    char dirs[CG_MAX_DIRS][PATH_MAX];  /* every cgroup created (to enter, kill, remove) */
    bool dir_v2[CG_MAX_DIRS];
    int ndirs;
    int pids, mem, cpu, kill;          /* index in dirs of each role, -1 if none */
    char missing[256];                 /* limits we could not set, for the verdict */
};

struct cg_stats {
    long long cpu_us;      /* -1: unknown */
    long long mem_peak;    /* bytes, -1: unknown */
    long long oom_kills;   /* processes the memory limit killed */
    long long pids_peak;   /* -1: unknown */
    long long pids_refused; /* forks refused by pids.max */
};

/* Create the run's cgroups (named NAME) with the limits in LIM. Returns 0, or -1 with
 * ERR set when nothing usable could be created (not root, no cgroup mounted...). */
int cg_create(struct cgroups *cg, const char *name, const struct sb_limits *lim,
              char *err, size_t errlen);

/* Put PID in every cgroup of the run (called by the child on itself before exec). */
int cg_enter(const struct cgroups *cg, pid_t pid);

/* SIGKILL every process of the run (cgroup.kill, or one by one). */
void cg_kill(const struct cgroups *cg);

/* True when no process is left in the run's cgroups. */
bool cg_empty(const struct cgroups *cg);

/* Current CPU time of the run in microseconds, -1 if unknown. */
long long cg_cpu_us(const struct cgroups *cg);

void cg_stats(const struct cgroups *cg, struct cg_stats *st);

/* Processes the memory limit killed plus forks pids.max refused, so far (cheap: two
 * small files, read on every tick of the monitor). */
long long cg_limit_hits(const struct cgroups *cg);

/* Remove the run's cgroups (after cg_empty). 0, or -1 if one could not be removed. */
int cg_remove(struct cgroups *cg);

/* Kill and remove the cgroups named PREFIX...-PID whose sandbox PID died without
 * removing them. */
void cg_sweep_stale(const char *prefix);

#endif
