/*
 * tl_exitprobe.c: what a program still holds at its exit (see tl_exitprobe.h).
 *
 * The exit probe runs in a process of its own: tl_run_probed() execs this very test
 * binary with TL_EXIT_PROBE set, and the constructor below takes over before Criterion's
 * main() ever runs (no Criterion code runs in the probe or in the program). The probe
 * forks, the child asks to be traced and execs the program; the probe sets
 * PTRACE_O_TRACEEXIT, passes every signal on, and at the exit stop (the process is
 * still whole: descriptors and mappings not yet released) lists /proc/PID/fd and
 * /proc/PID/maps into the report file. It also stops the program at every system
 * call (PTRACE_SYSCALL) and notes each read()/write()-like call on a file of the test
 * directory (in td3, data that should go through a mapping). Then it ends as the program
 * ended (same status, same signal), so tl_result describes the program itself.
 */
#define _GNU_SOURCE
#include "tl.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROBE_ENV "TL_EXIT_PROBE"
#define PRELOAD_ENV "TL_PROBE_PRELOAD" /* the recorder, for the program the probe runs */
#define WATCH_ENV "TL_EXIT_WATCH"

/* ---------- the probe process ---------- */

static void report_fds(FILE *out, pid_t pid)
{
    char path[64], target[512];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] == '.' || fd < 3)
            continue;
        char link[300];
        snprintf(link, sizeof link, "%s/%.200s", path, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        fprintf(out, "fd %d %s\n", fd, target);
    }
    closedir(d);
}

static void report_maps(FILE *out, pid_t pid, const char *watch)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char *file = strchr(line, '/');
        if (file && watch && *watch && !strncmp(file, watch, strlen(watch)))
            fprintf(out, "map %s", file);
    }
    fclose(f);
}

static char watch_dir[512];     /* mappings of and I/O on files under it are reported */
static char io_seen[2048];      /* "io CALL PATH" lines, each once */

/* The read()/write() family: the name, and which arguments are descriptors. */
static const char *io_call(unsigned long long nr, int *fd1, int *fd2)
{
    static const struct { long nr; const char *name; int a, b; } calls[] = {
        { SYS_read, "read", 0, -1 },          { SYS_write, "write", 0, -1 },
        { SYS_pread64, "pread", 0, -1 },      { SYS_pwrite64, "pwrite", 0, -1 },
        { SYS_readv, "readv", 0, -1 },        { SYS_writev, "writev", 0, -1 },
        { SYS_preadv, "preadv", 0, -1 },      { SYS_pwritev, "pwritev", 0, -1 },
        { SYS_sendfile, "sendfile", 0, 1 },   { SYS_copy_file_range, "copy_file_range", 0, 2 },
        { SYS_splice, "splice", 0, 2 },
    };
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++)
        if ((unsigned long long)calls[i].nr == nr) {
            *fd1 = calls[i].a;
            *fd2 = calls[i].b;
            return calls[i].name;
        }
    return NULL;
}

/* At a system-call entry: note a read/write-like call on a watched file. */
static void note_io(pid_t pid)
{
    struct __ptrace_syscall_info info;
    int a, b;
    if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info) <= 0 ||
        info.op != PTRACE_SYSCALL_INFO_ENTRY)
        return;
    const char *name = io_call(info.entry.nr, &a, &b);
    for (int k = 0; name && k < 2; k++) {
        int arg = k ? b : a;
        if (arg < 0)
            continue;
        char link[64], target[512], line[600];
        snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, (int)info.entry.args[arg]);
        ssize_t n = readlink(link, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        if (n <= 0 || strncmp(target, watch_dir, strlen(watch_dir)))
            continue;
        snprintf(line, sizeof line, "io %s %s\n", name, target);
        if (!strstr(io_seen, line) && strlen(io_seen) + strlen(line) < sizeof io_seen)
            strcat(io_seen, line);
    }
}

static void snapshot(pid_t pid, const char *report)
{
    FILE *out = fopen(report, "w");
    if (!out)
        return;
    fprintf(out, "exit\n%s", io_seen);
    report_fds(out, pid);
    report_maps(out, pid, watch_dir);
    fclose(out);
}

static void probe_fail(const char *report, const char *what)
{
    FILE *out = fopen(report, "w");
    if (out) {
        fprintf(out, "unavailable %s: %s\n", what, strerror(errno));
        fclose(out);
    }
}

/* In the forked child: be traced, stop so the probe sets its options, exec. */
static void probe_child(char **argv)
{
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == -1)
        _exit(126);
    raise(SIGSTOP);
    execv(argv[0], argv);
    dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Follow the program to its end; returns its wait status. */
static int probe_follow(pid_t pid, const char *report)
{
    int st;
    if (waitpid(pid, &st, 0) == -1 || !WIFSTOPPED(st)) {
        probe_fail(report, "ptrace(PTRACE_TRACEME)");
        return st;
    }
    ptrace(PTRACE_SETOPTIONS, pid, NULL,
           (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL |
                          PTRACE_O_TRACESYSGOOD));
    ptrace(PTRACE_SYSCALL, pid, NULL, NULL);
    for (;;) {
        if (waitpid(pid, &st, 0) == -1) {
            if (errno == EINTR)
                continue;
            return 127 << 8;
        }
        if (WIFEXITED(st) || WIFSIGNALED(st))
            return st;
        int event = st >> 16, sig = WSTOPSIG(st);
        if (event == PTRACE_EVENT_EXIT)
            snapshot(pid, report);
        else if (sig == (SIGTRAP | 0x80))
            note_io(pid);
        bool pass = !event && sig != (SIGTRAP | 0x80) && sig != SIGTRAP;
        ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)(pass ? sig : 0));
    }
}

/* glibc passes (argc, argv, envp) to the executable's constructors. */
__attribute__((constructor)) static void probe_main(int argc, char **argv)
{
    const char *env = getenv(PROBE_ENV);
    if (!env || argc < 2)
        return;
    char report[512];
    snprintf(report, sizeof report, "%s", env);
    snprintf(watch_dir, sizeof watch_dir, "%s", getenv(WATCH_ENV) ? getenv(WATCH_ENV) : "/");
    unsetenv(PROBE_ENV);
    unsetenv(WATCH_ENV);
    /* The recorder dropped itself from LD_PRELOAD when it loaded into this probe: give it
     * back to the program, whose run the test's timeline tells. */
    const char *lib = getenv(PRELOAD_ENV);
    if (lib && *lib)
        setenv("LD_PRELOAD", lib, 1);
    unsetenv(PRELOAD_ENV);
    pid_t pid = fork();
    if (pid == 0)
        probe_child(argv + 1);
    int st = pid == -1 ? 127 << 8 : probe_follow(pid, report);
    if (WIFSIGNALED(st)) {
        signal(WTERMSIG(st), SIG_DFL);
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, NULL);
        raise(WTERMSIG(st));
    }
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 127);
}

/* ---------- the test side ---------- */

static void parse_report(const char *path, tl_held *h)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    size_t nf = 0, nm = 0, ni = 0;
    snprintf(h->why, sizeof h->why, "the program never reached exit");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!strncmp(line, "unavailable ", 12))
            snprintf(h->why, sizeof h->why, "the exit probe needs ptrace: %.120s", line + 12);
        else if (!strcmp(line, "exit"))
            h->probed = true;
        else if (!strncmp(line, "fd ", 3) && nf < sizeof h->fds) {
            char *sp = strchr(line + 3, ' ');
            if (sp)
                *sp = '\0';
            h->n_fd++;
            nf += snprintf(h->fds + nf, sizeof h->fds - nf, "%s%s -> %s", nf ? "; " : "",
                           line + 3, sp ? sp + 1 : "?");
        } else if (!strncmp(line, "io ", 3) && ni < sizeof h->io) {
            char *sp = strchr(line + 3, ' ');
            if (sp)
                *sp = '\0';
            h->n_io++;
            ni += snprintf(h->io + ni, sizeof h->io - ni, "%s%s() on %s", ni ? "; " : "",
                           line + 3, sp ? sp + 1 : "?");
        } else if (!strncmp(line, "map ", 4) && nm < sizeof h->maps) {
            h->n_map++;
            nm += snprintf(h->maps + nm, sizeof h->maps - nm, "%s%s", nm ? "; " : "",
                           line + 4);
        }
    }
    fclose(f);
}

tl_result tl_run_probed(const tl_opts *o, tl_held *held)
{
    static char report[600], watch[600], probe_env[700], preload_env[700];
    const char *argv[64], *env[64];
    int n = 0, k = 0;
    snprintf(report, sizeof report, "%s/../probe-%u", tl_dir(), tl_random_seed());
    snprintf(probe_env, sizeof probe_env, PROBE_ENV "=%s", report);
    snprintf(watch, sizeof watch, WATCH_ENV "=%s/", tl_dir());
    argv[n++] = tl_self_exe();
    argv[n++] = strchr(o->argv[0], '/') ? o->argv[0] : tl_bin(o->argv[0]);
    for (int i = 1; o->argv[i] && n < 63; i++)
        argv[n++] = o->argv[i];
    argv[n] = NULL;
    env[k++] = probe_env;
    env[k++] = watch;
    const char *so = getenv("TL_PRELOAD");
    if (so && *so) {
        snprintf(preload_env, sizeof preload_env, PRELOAD_ENV "=%s", so);
        env[k++] = preload_env;
    }
    for (int i = 0; o->env && o->env[i] && k < 63; i++)
        env[k++] = o->env[i];
    env[k] = NULL;
    tl_opts p = *o;
    p.argv = argv;
    p.show_argv = o->argv; /* the student runs the program itself */
    p.show_env = o->env;
    p.env = env;
    tl_result r = tl_run(&p);
    *held = (tl_held){ 0 };
    parse_report(report, held);
    return r;
}
