/*
 * options.c: the sandbox's command line (see usage()) into a struct sb_config.
 */
#include "config.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void usage(FILE *f)
{
    fprintf(f,
        "usage: " PROG " [options] -- COMMAND [ARGS...]\n"
        "Run COMMAND in a bubblewrap sandbox with limits; write a one-line verdict.\n"
        "  --rw DIR            writable inside (repeatable; the first is the default cwd)\n"
        "  --ro DIR            visible read-only (repeatable; /usr and /etc always are)\n"
        "  --hide PATH         make PATH empty/unreadable inside (repeatable)\n"
        "  --slot N            run as uid/gid %d+N (as root; default 0)\n"
        "  --time S            wall-clock limit in seconds (default 60)\n"
        "  --cpu S             CPU seconds per process, RLIMIT_CPU (default 30)\n"
        "  --cpu-total S       CPU seconds of the whole tree, cgroup (default: none)\n"
        "  --mem SIZE          memory of the tree, cgroup (default 1G)\n"
        "  --pids N            processes of the tree, cgroup (default 256)\n"
        "  --fsize SIZE        largest file written, RLIMIT_FSIZE (default 64M)\n"
        "  --nofile N          open files per process, RLIMIT_NOFILE (default 1024)\n"
        "  --output SIZE       captured stdout+stderr before the run is killed (default 4M)\n"
        "  --tmp-size SIZE     size of the private /tmp and /dev/shm (default 64M)\n"
        "  --disk SIZE         space used in the --rw directories (default 512M)\n"
        "  --files N           files in the --rw directories (default 20000)\n"
        "  --pass-fd N         keep descriptor N (>= 3) open for the command (repeatable)\n"
        "  --verdict FILE      write the one-line JSON verdict there\n"
        "  --log FILE          stdout and stderr of the command go there (capped)\n"
        "  --chdir DIR         working directory inside (default: the first --rw)\n"
        "  --setenv NAME=VAL   add to the command's clean environment (repeatable)\n"
        "  --keep-env          pass this environment through instead of a clean one\n"
        "  --name NAME         a name for the run (cgroup names, messages)\n"
        "  --allow-no-isolation  if namespaces are unavailable, run anyway (loud warning)\n"
        "  --no-isolation      do not use bubblewrap at all (loud warning)\n"
        "  --no-chown          do not give the --rw directories to the slot's uid\n"
        "  --quiet             do not print the verdict sentence on stderr\n"
        "  --dry-run           print the bubblewrap command line and stop\n"
        "Exit status: 0 ok, the command's status if it exited non-zero, 128+N if killed\n"
        "by signal N, 124 if a limit stopped it, 125 if the sandbox failed.\n",
        UID_BASE);
}

enum {
    O_RW = 256, O_RO, O_HIDE, O_SLOT, O_TIME, O_CPU, O_CPU_TOTAL, O_MEM, O_PIDS, O_FSIZE,
    O_NOFILE, O_OUTPUT, O_TMP, O_PASS, O_VERDICT, O_LOG, O_CHDIR, O_SETENV, O_KEEPENV,
    O_NAME, O_ALLOW, O_NOISO, O_NOCHOWN, O_QUIET, O_DRY, O_DISK, O_FILES,
};

static const struct option longopts[] = {
    { "rw", required_argument, NULL, O_RW },
    { "ro", required_argument, NULL, O_RO },
    { "hide", required_argument, NULL, O_HIDE },
    { "slot", required_argument, NULL, O_SLOT },
    { "time", required_argument, NULL, O_TIME },
    { "cpu", required_argument, NULL, O_CPU },
    { "cpu-total", required_argument, NULL, O_CPU_TOTAL },
    { "mem", required_argument, NULL, O_MEM },
    { "pids", required_argument, NULL, O_PIDS },
    { "fsize", required_argument, NULL, O_FSIZE },
    { "nofile", required_argument, NULL, O_NOFILE },
    { "output", required_argument, NULL, O_OUTPUT },
    { "tmp-size", required_argument, NULL, O_TMP },
    { "pass-fd", required_argument, NULL, O_PASS },
    { "verdict", required_argument, NULL, O_VERDICT },
    { "log", required_argument, NULL, O_LOG },
    { "chdir", required_argument, NULL, O_CHDIR },
    { "setenv", required_argument, NULL, O_SETENV },
    { "keep-env", no_argument, NULL, O_KEEPENV },
    { "name", required_argument, NULL, O_NAME },
    { "allow-no-isolation", no_argument, NULL, O_ALLOW },
    { "no-isolation", no_argument, NULL, O_NOISO },
    { "no-chown", no_argument, NULL, O_NOCHOWN },
    { "quiet", no_argument, NULL, O_QUIET },
    { "dry-run", no_argument, NULL, O_DRY },
    { "disk", required_argument, NULL, O_DISK },
    { "files", required_argument, NULL, O_FILES },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static void set_defaults(struct sb_config *c)
{
    memset(c, 0, sizeof *c);
    c->slot = -1;
    c->lim.wall_s = 60;
    c->lim.cpu_s = 30;
    c->lim.mem = 1LL << 30;
    c->lim.pids = 256;
    c->lim.fsize = 64LL << 20;
    c->lim.nofile = 1024;
    c->lim.output = 4LL << 20;
    c->lim.tmp_size = 64LL << 20;
    c->lim.disk = 512LL << 20;
    c->lim.files = 20000;
    c->name = "run";
}

/* A directory that must exist: its canonical path, or NULL with a message. */
static const char *existing_dir(const char *opt, const char *path)
{
    char *real = realpath(path, NULL);
    if (!real) {
        msg("%s %s: %s", opt, path, strerror(errno));
        return NULL;
    }
    return real;
}

/* A path to hide: canonical if it exists (else as given: nothing to hide then). */
static const char *hidden_path(const char *path)
{
    char *real = realpath(path, NULL);
    return real ? real : path;
}

static int add_path(const char **list, int *n, const char *p)
{
    if (!p)
        return -1;
    if (*n >= MAX_PATHS) {
        msg("too many paths (at most %d of each kind)", MAX_PATHS);
        return -1;
    }
    list[(*n)++] = p;
    return 0;
}

static int number(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        msg("%s: '%s' is not a number in [%ld, %ld]", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int size_opt(const char *opt, const char *s, long long *out)
{
    if (parse_size(s, out) == 0 && *out > 0)
        return 0;
    msg("%s: '%s' is not a size (e.g. 512M, 1G, 4096)", opt, s);
    return -1;
}

static int seconds_opt(const char *opt, const char *s, double *out)
{
    if (parse_seconds(s, out) == 0 && *out > 0)
        return 0;
    msg("%s: '%s' is not a duration in seconds (e.g. 10, 2.5, 500ms)", opt, s);
    return -1;
}

static int pass_fd(struct sb_config *c, const char *s)
{
    long fd;
    if (number("--pass-fd", s, 3, 65535, &fd) == -1)
        return -1;
    if (fcntl((int)fd, F_GETFD) == -1) {
        msg("--pass-fd %ld: not an open descriptor", fd);
        return -1;
    }
    if (c->npass >= MAX_FDS) {
        msg("--pass-fd: at most %d descriptors", MAX_FDS);
        return -1;
    }
    c->pass_fd[c->npass++] = (int)fd;
    return 0;
}

static int one_option(struct sb_config *c, int opt, const char *arg)
{
    long v;
    switch (opt) {
    case O_RW: return add_path(c->rw, &c->nrw, existing_dir("--rw", arg));
    case O_RO: return add_path(c->ro, &c->nro, existing_dir("--ro", arg));
    case O_HIDE: return add_path(c->hide, &c->nhide, hidden_path(arg));
    case O_SLOT:
        if (number("--slot", arg, 0, 3999, &v) == -1)
            return -1;
        c->slot = (int)v;
        return 0;
    case O_TIME: return seconds_opt("--time", arg, &c->lim.wall_s);
    case O_CPU: return seconds_opt("--cpu", arg, &c->lim.cpu_s);
    case O_CPU_TOTAL: return seconds_opt("--cpu-total", arg, &c->lim.cpu_total_s);
    case O_MEM: return size_opt("--mem", arg, &c->lim.mem);
    case O_PIDS:
        if (number("--pids", arg, 1, 1000000, &v) == -1)
            return -1;
        c->lim.pids = v;
        return 0;
    case O_FSIZE: return size_opt("--fsize", arg, &c->lim.fsize);
    case O_NOFILE:
        if (number("--nofile", arg, 8, 1048576, &v) == -1)
            return -1;
        c->lim.nofile = v;
        return 0;
    case O_OUTPUT: return size_opt("--output", arg, &c->lim.output);
    case O_TMP: return size_opt("--tmp-size", arg, &c->lim.tmp_size);
    case O_PASS: return pass_fd(c, arg);
    case O_VERDICT: c->verdict = arg; return 0;
    case O_LOG: c->log = arg; return 0;
    case O_CHDIR: c->chdir = arg; return 0;
    case O_SETENV:
        if (!strchr(arg, '=') || c->nenv >= MAX_ENV) {
            msg("--setenv: '%s' is not NAME=VALUE (or too many)", arg);
            return -1;
        }
        c->env[c->nenv++] = arg;
        return 0;
    case O_KEEPENV: c->keep_env = true; return 0;
    case O_NAME: c->name = arg; return 0;
    case O_ALLOW: c->allow_no_isolation = true; return 0;
    case O_NOISO: c->no_isolation = true; return 0;
    case O_NOCHOWN: c->no_chown = true; return 0;
    case O_QUIET: c->quiet = true; return 0;
    case O_DRY: c->dry_run = true; return 0;
    case O_DISK: return size_opt("--disk", arg, &c->lim.disk);
    case O_FILES:
        if (number("--files", arg, 1, 100000000, &v) == -1)
            return -1;
        c->lim.files = v;
        return 0;
    default: return -1;
    }
}

/* Who the command runs as: the slot's uid when we are root, else ourselves. */
static void choose_identity(struct sb_config *c)
{
    if (geteuid() == 0) {
        int slot = c->slot < 0 ? 0 : c->slot;
        c->uid = (uid_t)(UID_BASE + slot);
        c->gid = (gid_t)(UID_BASE + slot);
        c->drop = true;
    } else {
        c->uid = getuid();
        c->gid = getgid();
        c->drop = false;
    }
}

int parse_options(int argc, char **argv, struct sb_config *c)
{
    set_defaults(c);
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            exit(0);
        }
        if (opt == '?') {
            msg("unknown option or missing argument: %s", argv[optind - 1]);
            return -1;
        }
        if (one_option(c, opt, optarg) == -1)
            return -1;
    }
    if (optind >= argc) {
        msg("no command given (put it after --)");
        return -1;
    }
    c->cmd = argv + optind;
    if (!c->chdir)
        c->chdir = c->nrw > 0 ? c->rw[0] : "/";
    choose_identity(c);
    ssize_t n = readlink("/proc/self/exe", c->self, sizeof c->self - 1);
    if (n <= 0) {
        msg("cannot find this program's path: %s", strerror(errno));
        return -1;
    }
    c->self[n] = '\0';
    return 0;
}
