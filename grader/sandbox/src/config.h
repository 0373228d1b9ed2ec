/*
 * config.h: what one sandboxed run is asked to do (built from the command line by
 * options.c, read by every other part).
 */
#ifndef SANDBOX_CONFIG_H
#define SANDBOX_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#define MAX_PATHS 64
#define MAX_FDS 16
#define MAX_ENV 64
#define UID_BASE 61000

struct sb_limits {
    double wall_s;        /* wall clock, kept by the sandbox */
    double cpu_s;         /* RLIMIT_CPU of every process */
    double cpu_total_s;   /* CPU of the whole tree (cgroup), 0 = none */
    long long mem;        /* memory cgroup limit, bytes */
    long pids;            /* processes of the command's tree */
    long long fsize;      /* RLIMIT_FSIZE */
    long nofile;          /* RLIMIT_NOFILE */
    long long output;     /* captured stdout + stderr */
    long long tmp_size;   /* the private /tmp and /dev/shm */
    long long disk;       /* space used in the --rw directories */
    long files;           /* entries in the --rw directories */
    long nproc;           /* RLIMIT_NPROC, only where no pids cgroup exists (0: none) */
    long long as;         /* RLIMIT_AS, only where no memory cgroup exists (0: none) */
};

struct sb_config {
    const char *rw[MAX_PATHS];
    int nrw;
    const char *ro[MAX_PATHS];
    int nro;
    const char *hide[MAX_PATHS];
    int nhide;
    int slot;             /* -1: none */
    uid_t uid;            /* the uid the command runs as */
    gid_t gid;
    bool drop;            /* started as root: drop to uid/gid before bwrap */
    struct sb_limits lim;
    int pass_fd[MAX_FDS];
    int npass;
    const char *verdict;  /* verdict file, or NULL */
    const char *log;      /* stdout + stderr of the command, or NULL: our own */
    const char *chdir;
    const char *env[MAX_ENV];
    int nenv;
    bool keep_env;
    bool allow_no_isolation;
    bool no_isolation;    /* asked for: skip bwrap (testing, or a machine without it) */
    bool no_chown;
    bool quiet;
    bool dry_run;         /* print bubblewrap's command line and stop */
    const char *name;     /* job name, used in cgroup names and messages */
    char *const *cmd;
    char self[4096];      /* this program, bound into the sandbox as its init */
};

/* Parse ARGV into C; on a usage error print it and return -1 (the caller exits 2). */
int parse_options(int argc, char **argv, struct sb_config *c);

void usage(FILE *f);

#endif
