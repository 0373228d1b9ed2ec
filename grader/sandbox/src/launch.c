/*
 * launch.c: building bubblewrap's command line and starting the run (see launch.h).
 */
#include "launch.h"
#include "init.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ARGS 1024

struct argbuf {
    char *argv[MAX_ARGS];
    int n;
    char store[16384];    /* numbers and joined strings */
    size_t used;
};

static void add(struct argbuf *a, const char *s)
{
    if (a->n < MAX_ARGS - 1)
        a->argv[a->n++] = (char *)s;
    a->argv[a->n] = NULL;
}

static void add2(struct argbuf *a, const char *s1, const char *s2)
{
    add(a, s1);
    add(a, s2);
}

static void add3(struct argbuf *a, const char *s1, const char *s2, const char *s3)
{
    add(a, s1);
    add2(a, s2, s3);
}

static const char *keep(struct argbuf *a, const char *fmt, long long v)
{
    char *s = a->store + a->used;
    int k = snprintf(s, sizeof a->store - a->used, fmt, v);
    a->used += (size_t)k + 1;
    return s;
}

/* The top-level entries of the host's / that programs need (merged /usr or not). */
static void add_system(struct argbuf *a)
{
    static const char *tops[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };
    add3(a, "--ro-bind", "/usr", "/usr");
    add3(a, "--ro-bind", "/etc", "/etc");
    for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
        static char targets[6][PATH_MAX];
        struct stat st;
        if (lstat(tops[i], &st) == -1)
            continue;
        ssize_t k = readlink(tops[i], targets[i], PATH_MAX - 1);
        if (S_ISLNK(st.st_mode) && k > 0) {
            targets[i][k] = '\0';
            add3(a, "--symlink", targets[i], tops[i]);
        } else if (S_ISDIR(st.st_mode)) {
            add3(a, "--ro-bind", tops[i], tops[i]);
        }
    }
}

/* Binds in order of depth, so that a --rw inside a --ro stays writable and the reverse. */
static int depth(const char *p)
{
    int d = 0;
    for (; *p; p++)
        d += *p == '/';
    return d;
}

static void add_binds(struct argbuf *a, const struct sb_config *c)
{
    for (int d = 0; d < 256; d++) {
        for (int i = 0; i < c->nro; i++)
            if (depth(c->ro[i]) == d)
                add3(a, "--ro-bind", c->ro[i], c->ro[i]);
        for (int i = 0; i < c->nrw; i++)
            if (depth(c->rw[i]) == d)
                add3(a, "--bind", c->rw[i], c->rw[i]);
    }
}

/* Hidden paths: an empty read-only tmpfs over a directory, /dev/null over a file. */
static void add_hidden(struct argbuf *a, const struct sb_config *c)
{
    for (int i = 0; i < c->nhide; i++) {
        struct stat st;
        if (stat(c->hide[i], &st) == -1)
            continue;
        if (S_ISDIR(st.st_mode)) {
            add3(a, "--perms", "0000", "--tmpfs");
            add(a, c->hide[i]);
            add2(a, "--remount-ro", c->hide[i]);
        } else {
            add3(a, "--ro-bind", "/dev/null", c->hide[i]);
        }
    }
}

static void build_bwrap(struct argbuf *a, const struct sb_config *c)
{
    add(a, "bwrap");
    if (geteuid() != 0 || c->drop)     /* no nested user namespaces: less kernel surface */
        add2(a, "--unshare-user", "--disable-userns");
    add2(a, "--unshare-pid", "--unshare-ipc");
    add2(a, "--unshare-net", "--unshare-uts");
    add(a, "--unshare-cgroup-try");
    add3(a, "--die-with-parent", "--new-session", "--as-pid-1");
    add2(a, "--hostname", "sandbox");
    add_system(a);
    add2(a, "--proc", "/proc");
    add2(a, "--dev", "/dev");
    const char *size = keep(a, "%lld", c->lim.tmp_size);
    add3(a, "--perms", "1777", "--size");
    add3(a, size, "--tmpfs", "/tmp");
    add3(a, "--perms", "1777", "--size");
    add3(a, size, "--tmpfs", "/dev/shm");
    add_binds(a, c);
    add_hidden(a, c);
    add3(a, "--ro-bind", c->self, INIT_PATH);
    add2(a, "--chdir", c->chdir);
    add(a, "--");
}

static void add_init(struct argbuf *a, const struct sb_config *c, const char *path,
                     int status_fd, bool subreaper)
{
    static char *argv[MAX_ARGS];
    static char store[256];
    int n = init_argv(c, path, status_fd, subreaper, argv, MAX_ARGS - a->n, store, sizeof store);
    for (int i = 0; i < n; i++)
        add(a, argv[i]);
}

void print_bwrap_argv(const struct sb_config *c, FILE *f)
{
    static struct argbuf a;
    a.n = 0;
    a.used = 0;
    build_bwrap(&a, c);
    add_init(&a, c, INIT_PATH, 3, false);
    for (int i = 0; i < a.n; i++)
        fprintf(f, "%s%s", i ? " " : "", a.argv[i]);
    fputc('\n', f);
}

/* The command's environment: clean (PATH, HOME, TMPDIR, LC_ALL) plus --setenv. */
static char **build_env(const struct sb_config *c, const char *tmpdir)
{
    extern char **environ;
    static char *env[MAX_ENV + 8];
    static char home[PATH_MAX + 8], tmp[PATH_MAX + 8];
    int n = 0;
    if (c->keep_env)
        return environ;
    env[n++] = "PATH=/usr/local/bin:/usr/bin:/bin";
    env[n++] = "LC_ALL=C";
    snprintf(home, sizeof home, "HOME=%s", c->chdir);
    env[n++] = home;
    snprintf(tmp, sizeof tmp, "TMPDIR=%s", tmpdir ? tmpdir : "/tmp");
    env[n++] = tmp;
    for (int i = 0; i < c->nenv; i++)
        env[n++] = (char *)c->env[i];
    env[n] = NULL;
    return env;
}

static int drop_privileges(const struct sb_config *c)
{
    if (!c->drop)
        return 0;
    if (setgroups(0, NULL) == -1 || setresgid(c->gid, c->gid, c->gid) == -1 ||
        setresuid(c->uid, c->uid, c->uid) == -1)
        return -1;
    return getuid() == c->uid && geteuid() == c->uid ? 0 : -1;
}

/* Descriptors: 0 /dev/null, 1 and 2 the pipes, the status pipe and --pass-fd kept. */
static int wire_fds(const struct sb_config *c, const struct launch_fds *fds)
{
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) == -1 || dup2(fds->out, 1) == -1 || dup2(fds->err, 2) == -1)
        return -1;
    int keepfds[MAX_FDS + 1];
    int n = 0;
    keepfds[n++] = fds->status;
    for (int i = 0; i < c->npass; i++)
        keepfds[n++] = c->pass_fd[i];
    close_fds_except(keepfds, n);
    for (int i = 0; i < n; i++)
        if (fcntl(keepfds[i], F_SETFD, 0) == -1)
            return -1;
    return 0;
}

/* In the child: never returns. Reports failures on stderr (the capture pipe). */
static void child(const struct sb_config *c, const struct cgroups *cg, const struct launch_fds *fds,
                  bool isolate, const char *tmpdir, pid_t parent)
{
    static struct argbuf a;
    if (cg && cg->ndirs > 0 && cg_enter(cg, getpid()) == -1) {
        dprintf(2, PROG ": cannot enter the cgroup: %s\n", strerror(errno));
        _exit(125);
    }
    if (!isolate)
        setsid();
    if (wire_fds(c, fds) == -1 || drop_privileges(c) == -1) {
        dprintf(2, PROG ": cannot set up the run: %s\n", strerror(errno));
        _exit(125);
    }
    /* After the uid change, which clears it: die with the sandbox. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(125);
    if (getenv("SANDBOX_SIMULATE_USERNS_DENIED") && isolate) {
        dprintf(2, "bwrap: setting up uid map: Permission denied\n");
        _exit(1);
    }
    if (isolate) {
        build_bwrap(&a, c);
        add_init(&a, c, INIT_PATH, fds->status, false);
        execve("/usr/bin/bwrap", a.argv, build_env(c, NULL));
        execvpe("bwrap", a.argv, build_env(c, NULL));
    } else {
        if (chdir(c->chdir) == -1)
            dprintf(2, PROG ": cannot enter %s: %s\n", c->chdir, strerror(errno));
        add_init(&a, c, c->self, fds->status, true);
        execve(c->self, a.argv, build_env(c, tmpdir));
    }
    dprintf(2, PROG ": cannot run %s: %s\n", isolate ? "bwrap" : c->self, strerror(errno));
    _exit(125);
}

pid_t launch(const struct sb_config *c, const struct cgroups *cg, const struct launch_fds *fds,
             bool isolate, const char *tmpdir, char *err, size_t errlen)
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == -1) {
        snprintf(err, errlen, "cannot fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0)
        child(c, cg, fds, isolate, tmpdir, parent);
    return pid;
}
