/*
 * sandbox.c: run one command (a grading job: build and test one exercise of one
 * submission) in a bubblewrap sandbox with limits, and say what happened.
 *
 *   sandbox [options] -- COMMAND [ARGS...]        (see usage() in options.c)
 *
 * Order of a run: sweep cgroups left by a dead sandbox; give the --rw directories to the
 * slot's uid; create the run's cgroups with their limits; fork a child that joins them,
 * drops to the slot's uid and execs bubblewrap, whose first process is this same binary
 * as init (init.c); watch the run (monitor.c); kill what is left, remove the cgroups,
 * write the verdict (verdict.c). If bubblewrap cannot create namespaces, say how to
 * allow them and, with --allow-no-isolation, run again without them.
 */
#include "cgroup.h"
#include "config.h"
#include "init.h"
#include "launch.h"
#include "monitor.h"
#include "scrub.h"
#include "util.h"
#include "verdict.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static uid_t chown_uid;
static gid_t chown_gid;

/* Never follow a symlink (lchown) and never give away a file with other hard links: a
 * previous run could have planted either, pointing at a file it must not own. */
static int chown_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)flag;
    (void)ftw;
    if (!S_ISDIR(sb->st_mode) && sb->st_nlink > 1)
        return 0;
    if ((sb->st_uid != chown_uid || sb->st_gid != chown_gid) &&
        lchown(path, chown_uid, chown_gid) == -1)
        return -1;
    return 0;
}

/* Give every --rw directory (not following symlinks) to the slot's uid. */
static int give_dirs(const struct sb_config *c)
{
    if (!c->drop || c->no_chown)
        return 0;
    chown_uid = c->uid;
    chown_gid = c->gid;
    for (int i = 0; i < c->nrw; i++)
        if (nftw(c->rw[i], chown_entry, 32, FTW_PHYS | FTW_MOUNT) != 0) {
            msg("cannot give %s to uid %d: %s", c->rw[i], (int)c->uid, strerror(errno));
            return -1;
        }
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Descriptors of one attempt: capture pipes and the status pipe. */
struct pipes {
    int out[2], err[2], status[2];
};

static int open_pipes(struct pipes *p, bool shared)
{
    p->out[0] = p->out[1] = p->err[0] = p->err[1] = p->status[0] = p->status[1] = -1;
    if (pipe2(p->out, O_CLOEXEC) == -1 || pipe2(p->status, O_CLOEXEC) == -1)
        return -1;
    if (!shared && pipe2(p->err, O_CLOEXEC) == -1)
        return -1;
    return 0;
}

/* Close end E (0 read, 1 write) of every pipe. */
static void close_ends(struct pipes *p, int e)
{
    int *fds[] = { &p->out[e], &p->err[e], &p->status[e] };
    for (int i = 0; i < 3; i++)
        if (*fds[i] >= 0)
            close(*fds[i]), *fds[i] = -1;
}

/* One attempt at running the command: launch, watch, clean up. */
static int run_once(const struct sb_config *c, const struct cgroups *cg, bool isolate, int log_fd,
                    const char *tmpdir, struct run_result *r, char *err, size_t errlen)
{
    struct pipes p;
    memset(r, 0, sizeof *r);
    if (log_fd >= 0 && (ftruncate(log_fd, 0) == -1 || lseek(log_fd, 0, SEEK_SET) == -1))
        return snprintf(err, errlen, "cannot truncate the log: %s", strerror(errno)), -1;
    if (open_pipes(&p, log_fd >= 0) == -1) {
        snprintf(err, errlen, "cannot create pipes: %s", strerror(errno));
        close_ends(&p, 0), close_ends(&p, 1);
        return -1;
    }
    struct launch_fds fds = { p.out[1], log_fd >= 0 ? p.out[1] : p.err[1], p.status[1] };
    pid_t pid = launch(c, cg, &fds, isolate, tmpdir, err, errlen);
    close_ends(&p, 1);
    if (pid != -1) {
        struct run_io io = { p.out[0], p.err[0], log_fd >= 0 ? log_fd : 1,
                             log_fd >= 0 ? log_fd : 2, p.status[0] };
        monitor(c, cg, pid, isolate, &io, r);
    }
    close_ends(&p, 0);
    return pid == -1 ? -1 : 0;
}

/* Did bubblewrap fail to create the namespaces (before our init ran)? Its messages:
 * Ubuntu's AppArmor "setting up uid map: Permission denied"; Debian's sysctl "No
 * permissions to creating new namespace"; user.max_user_namespaces=0 "Creating new
 * namespace failed"; some containers "loopback: Failed RTM_NEWADDR"; or no bwrap at all. */
static bool namespaces_failed(const struct run_result *r)
{
    static const char *signs[] = { "uid map", "No permissions to creat",
                                   "Creating new namespace failed", "loopback: Failed",
                                   PROG ": cannot run bwrap" };
    if (r->started)
        return false;
    for (size_t i = 0; i < sizeof signs / sizeof signs[0]; i++)
        if (strstr(r->errhead, signs[i]))
            return true;
    return false;
}

static long sysctl_value(const char *path)
{
    long long v = read_number(path, NULL);
    return (long)v;
}

/* Exactly how to allow bubblewrap's namespaces on this machine. */
static void explain_namespaces(const struct run_result *r)
{
    const char *first = r->errhead_len ? r->errhead : "(no message)";
    fprintf(stderr, PROG ": bubblewrap cannot create the sandbox's namespaces: %.*s\n",
            (int)strcspn(first, "\n"), first);
    if (strstr(first, "cannot run bwrap"))
        fprintf(stderr, PROG ": install it: apt-get install bubblewrap\n");
    if (sysctl_value("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1 ||
        getenv("SANDBOX_SIMULATE_USERNS_DENIED"))
        fprintf(stderr,
            PROG ": AppArmor restricts unprivileged user namespaces (Ubuntu >= 23.10). Either\n"
            PROG ":   sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0\n"
            PROG ":   (to keep it: echo kernel.apparmor_restrict_unprivileged_userns=0 |\n"
            PROG ":    sudo tee /etc/sysctl.d/60-bwrap-userns.conf)\n"
            PROG ": or, narrower, allow them for bwrap only: /etc/apparmor.d/bwrap containing\n"
            PROG ":   abi <abi/4.0>,\n"
            PROG ":   include <tunables/global>\n"
            PROG ":   profile bwrap /usr/bin/bwrap flags=(unconfined) { userns, }\n"
            PROG ":   then: sudo apparmor_parser -r /etc/apparmor.d/bwrap\n");
    if (sysctl_value("/proc/sys/kernel/unprivileged_userns_clone") == 0)
        fprintf(stderr, PROG ": user namespaces are off: sudo sysctl kernel.unprivileged_userns_clone=1\n");
    if (sysctl_value("/proc/sys/user/max_user_namespaces") == 0)
        fprintf(stderr, PROG ": user namespaces are off: sudo sysctl user.max_user_namespaces=15000\n");
    fprintf(stderr, PROG ": or run the grader as root. To run WITHOUT isolation (trusted code\n"
                    PROG ": only, one job at a time), pass --allow-no-isolation.\n");
}

/* The private TMPDIR of a run without namespaces. */
static char *make_tmpdir(const struct sb_config *c, char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/sandbox-%s-XXXXXX", c->name);
    if (!mkdtemp(buf))
        return NULL;
    if (c->drop && chown(buf, c->uid, c->gid) == -1)
        return NULL;
    return buf;
}

static struct cgroups *setup_cgroups(struct sb_config *c, struct cgroups *cg,
                                     struct verdict *v)
{
    char name[128], err[256];
    if (geteuid() != 0) {
        verdict_warn(v, "not root: no cgroups; memory limited per process (RLIMIT_AS), "
                        "process count not limited");
        c->lim.as = c->lim.mem;
        return NULL;
    }
    cg_sweep_stale("sandbox-");
    snprintf(name, sizeof name, "sandbox-%s-s%d-%d", c->name, c->slot < 0 ? 0 : c->slot,
             (int)getpid());
    if (cg_create(cg, name, &c->lim, err, sizeof err) == -1) {
        verdict_warn(v, err);
        if (c->drop)
            c->lim.nproc = c->lim.pids;
        c->lim.as = c->lim.mem;
        return NULL;
    }
    if (cg->pids < 0 && c->drop)      /* the slot's uid is ours alone: count its processes */
        c->lim.nproc = c->lim.pids;
    if (cg->mem < 0)                  /* per process only: weaker, but a bound */
        c->lim.as = c->lim.mem;
    if (cg->missing[0]) {
        char w[400];
        snprintf(w, sizeof w, "no cgroup limit for: %s (fallback: RLIMIT_AS / RLIMIT_NPROC "
                 "per process)", cg->missing);
        verdict_warn(v, w);
    }
    return cg;
}

static int finish(const struct sb_config *c, struct verdict *v)
{
    if (c->verdict && verdict_write(v, c->verdict) == -1)
        msg("cannot write the verdict to %s: %s", c->verdict, strerror(errno));
    if (!c->quiet && strcmp(v->status, "ok") != 0)
        msg("%s", v->message);
    if (!c->quiet && v->warning[0])
        msg("warning: %s", v->warning);
    return verdict_exit_status(v);
}

/* Without namespaces the slot's uid is the only boundary: count its processes with
 * RLIMIT_NPROC (it works for a non-root uid, and the uid is this slot's alone), a little
 * above a pids cgroup's limit so that the cgroup, where there is one, fires first and
 * names the limit; and bound each process's memory where no memory cgroup does. */
static void degrade_limits(struct sb_config *c, const struct cgroups *cg)
{
    if (!c->drop)
        return;
    bool pids_cg = cg && cg->pids >= 0, mem_cg = cg && cg->mem >= 0;
    c->lim.nproc = pids_cg ? c->lim.pids + 16 : c->lim.pids;
    if (!mem_cg)
        c->lim.as = c->lim.mem;
}

/* Run (and, if namespaces are refused and allowed to, run again without them). */
static void run(struct sb_config *c, struct cgroups *cg, int log_fd, struct verdict *v)
{
    struct run_result r;
    char err[256], tmpbuf[256];
    bool isolate = !c->no_isolation;
    const char *tmpdir = NULL;
    if (!isolate) {
        verdict_warn(v, "NO ISOLATION: asked to run without namespaces");
        degrade_limits(c, cg);
    }
    for (;;) {
        if (!isolate && !tmpdir && !(tmpdir = make_tmpdir(c, tmpbuf, sizeof tmpbuf))) {
            verdict_error(v, "cannot create a temporary directory");
            return;
        }
        if (run_once(c, cg, isolate, log_fd, tmpdir, &r, err, sizeof err) == -1) {
            verdict_error(v, err);
            break;
        }
        if (isolate && namespaces_failed(&r)) {
            explain_namespaces(&r);
            if (c->allow_no_isolation && !c->drop) {
                /* Without namespaces, a separate uid is what keeps the command away
                 * from the grader's files: as ourselves it could read them all. */
                verdict_error(v, "bubblewrap cannot create namespaces, and without them the "
                                 "sandbox needs root to run the command as the slot's own uid "
                                 "(run the grader as root)");
                break;
            }
            if (c->allow_no_isolation) {
                verdict_warn(v, "NO ISOLATION: bubblewrap could not create namespaces; the "
                                "command ran as the slot's uid with rlimits, a deadline and "
                                "cleanup, but without namespaces (see the sandbox's messages)");
                isolate = false;
                degrade_limits(c, cg);
                continue;
            }
            verdict_error(v, "bubblewrap cannot create namespaces on this machine "
                             "(see the sandbox's messages; --allow-no-isolation runs anyway)");
            break;
        }
        struct cg_stats st = { -1, -1, 0, -1, 0 };
        if (cg)
            cg_stats(cg, &st);
        verdict_decide(c, &r, &st, isolate, v);
        if (!r.started && strstr(r.errhead, "source path") && strstr(r.errhead, "denied")) {
            char w[160];
            snprintf(w, sizeof w, "uid %d cannot reach a --rw/--ro directory: every parent "
                     "needs o+x", (int)c->uid);
            verdict_warn(v, w);
        }
        break;
    }
    if (!isolate && c->drop && kill_uid(c->uid) > 0)
        verdict_warn(v, "killed processes of the slot's uid left outside the run's tree");
    if (!isolate && c->drop && scrub_uid(c->uid) > 0)
        verdict_warn(v, "removed System V objects or files the run left on the host");
    if (tmpdir)
        nftw(tmpdir, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void on_stop_signal(int sig)
{
    monitor_interrupt = sig;
}

/* SIGTERM, SIGINT, SIGHUP: stop the run, clean up, write the verdict, then exit. */
static void catch_stop_signals(void)
{
    struct sigaction sa = { .sa_handler = on_stop_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* Descriptors 0, 1 and 2 must be open, or our pipes could take their numbers. */
static void ensure_std_fds(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) == -1 && open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
            _exit(125);
}

int main(int argc, char **argv)
{
    if (is_init_call(argc, argv))
        return init_main(argc, argv);
    ensure_std_fds();
    struct sb_config c;
    if (parse_options(argc, argv, &c) == -1) {
        usage(stderr);
        return 2;
    }
    if (c.dry_run) {
        print_bwrap_argv(&c, stdout);
        return 0;
    }
    struct verdict v;
    memset(&v, 0, sizeof v);
    verdict_error(&v, "the sandbox failed before the run");
    signal(SIGPIPE, SIG_IGN);
    catch_stop_signals();
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int log_fd = -1;
    if (c.log && (log_fd = open(c.log, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1) {
        msg("cannot open the log %s: %s", c.log, strerror(errno));
        return finish(&c, &v);
    }
    if (give_dirs(&c) == -1)
        return finish(&c, &v);
    struct cgroups cgs;
    struct cgroups *cg = setup_cgroups(&c, &cgs, &v);
    run(&c, cg, log_fd, &v);
    if (cg && cg_remove(cg) == -1)
        verdict_warn(&v, "a cgroup could not be removed");
    return finish(&c, &v);
}
