/*
 * tl_preload.c: LD_PRELOAD shim loaded into every program the tests run.
 *
 * Two jobs, both driven by the environment the test support library sets:
 *
 *  1. Trace (TL_TRACE=FILE): append one line per System V object created
 *     ("shm ID", "sem ID", "msg ID") and per fork ("fork PARENT CHILD"), so a test
 *     knows exactly what this run created, even with other tests running in parallel.
 *
 *  2. Perturb (TL_PERTURB=SPEC, TL_SEED=N): add random delays at the points where
 *     IPC programs race, so that a timing bug fails every time instead of once in a
 *     while (the idea of the CS:APP shell lab driver). SPEC is a comma-separated list
 *     of POINT=MAX_US or POINT=MIN_US-MAX_US with POINT among:
 *        fork_child   in the child, right after fork() returns
 *        fork_parent  in the parent, right after fork() returns
 *        kill         before kill() sends its signal
 *        handler      on entry to every handler installed with sigaction()/signal()
 *        pause        before pause() blocks: a signal meant to wake it arrives first, so
 *                     "check a flag, then pause()" sleeps forever (the lost wake-up that
 *                     sigsuspend() exists to prevent)
 *     Example: TL_PERTURB=fork_child=20000,handler=0-500
 *
 * Everything here that can run in a signal handler is async-signal-safe: raw
 * write(), nanosleep(), a lock-free PRNG.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

enum { P_FORK_CHILD, P_FORK_PARENT, P_KILL, P_HANDLER, P_PAUSE, P_COUNT };
static const char *point_names[P_COUNT] = { "fork_child", "fork_parent", "kill", "handler",
                                            "pause" };
static long delay_min[P_COUNT], delay_max[P_COUNT];
static bool perturbing;
static uint64_t rng;
static char trace_path[512];

static pid_t (*real_fork)(void);
static int (*real_kill)(pid_t, int);
static int (*real_pause)(void);
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static int (*real_shmget)(key_t, size_t, int);
static int (*real_semget)(key_t, int, int);
static int (*real_msgget)(key_t, int);

/* The handlers the program asked for, called by our trampolines. */
static struct sigaction user_act[NSIG];

static void trace(const char *kind, long a, long b)
{
    if (!trace_path[0])
        return;
    char line[96];
    int n = b >= 0 ? snprintf(line, sizeof line, "%s %ld %ld\n", kind, a, b)
                   : snprintf(line, sizeof line, "%s %ld\n", kind, a);
    int saved = errno, fd = open(trace_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        if (write(fd, line, (size_t)n) < 0)
            n = 0;
        close(fd);
    }
    errno = saved;
}

static uint64_t next_random(void)
{
    /* xorshift64*: good enough for delays, no locks. */
    uint64_t x = rng ? rng : 88172645463325252ULL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng = x;
    return x * 2685821657736338717ULL;
}

static void delay(int point)
{
    if (!perturbing || delay_max[point] <= 0)
        return;
    int saved = errno;
    long span = delay_max[point] - delay_min[point] + 1;
    long us = delay_min[point] + (long)(next_random() % (uint64_t)span);
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
    errno = saved;
}

static void parse_spec(const char *spec)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            continue;
        *eq = '\0';
        for (int i = 0; i < P_COUNT; i++) {
            if (strcmp(tok, point_names[i]))
                continue;
            char *dash = strchr(eq + 1, '-');
            delay_min[i] = dash ? atol(eq + 1) : 0;
            delay_max[i] = atol(dash ? dash + 1 : eq + 1);
            perturbing = true;
        }
    }
}

__attribute__((constructor)) static void init(void)
{
    real_fork = (pid_t(*)(void))dlsym(RTLD_NEXT, "fork");
    real_kill = (int (*)(pid_t, int))dlsym(RTLD_NEXT, "kill");
    real_pause = (int (*)(void))dlsym(RTLD_NEXT, "pause");
    real_sigaction = (int (*)(int, const struct sigaction *, struct sigaction *))
        dlsym(RTLD_NEXT, "sigaction");
    real_shmget = (int (*)(key_t, size_t, int))dlsym(RTLD_NEXT, "shmget");
    real_semget = (int (*)(key_t, int, int))dlsym(RTLD_NEXT, "semget");
    real_msgget = (int (*)(key_t, int))dlsym(RTLD_NEXT, "msgget");
    const char *t = getenv("TL_TRACE"), *spec = getenv("TL_PERTURB"), *seed = getenv("TL_SEED");
    if (t)
        snprintf(trace_path, sizeof trace_path, "%s", t);
    /* With TL_TRACE_ALL (the Reproduce check, testlib/tl_replay.c) the library stays in
     * every process the program execs, to trace every fork (the pids its output may
     * show), but only the first process given TL_PERTURB perturbs (and its forks), as
     * when the library is dropped at exec. */
    bool trace_all = getenv("TL_TRACE_ALL") != NULL;
    if (trace_all && trace_path[0]) { /* "exec PID NAME": which process runs what */
        char line[128];
        int n = snprintf(line, sizeof line, "exec %d %.60s\n", (int)getpid(),
                         program_invocation_short_name);
        int fd = open(trace_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0 && (n <= 0 || write(fd, line, (size_t)n) < 0))
            n = 0;
        if (fd >= 0)
            close(fd);
    }
    if (spec && !getenv("TL_PERTURB_DONE")) {
        parse_spec(spec);
        if (trace_all)
            setenv("TL_PERTURB_DONE", "1", 1);
    }
    rng = (seed ? strtoull(seed, NULL, 10) : 1) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid();
    /* Programs the program execs (sh, cat...) need neither: do not pass them on. */
    if (!trace_all)
        unsetenv("LD_PRELOAD");
}

pid_t fork(void)
{
    pid_t parent = getpid(), pid = real_fork();
    if (pid == 0) {
        rng ^= (uint64_t)getpid() << 17;
        delay(P_FORK_CHILD);
    } else if (pid > 0) {
        trace("fork", parent, pid);
        delay(P_FORK_PARENT);
    }
    return pid;
}

int kill(pid_t pid, int sig)
{
    delay(P_KILL);
    return real_kill(pid, sig);
}

int pause(void)
{
    delay(P_PAUSE);
    return real_pause();
}

static void trampoline(int sig, siginfo_t *info, void *ctx)
{
    delay(P_HANDLER);
    struct sigaction *a = &user_act[sig];
    if (a->sa_flags & SA_SIGINFO)
        a->sa_sigaction(sig, info, ctx);
    else if (a->sa_handler != SIG_IGN && a->sa_handler != SIG_DFL)
        a->sa_handler(sig);
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    bool hooked = perturbing && delay_max[P_HANDLER] > 0 && sig > 0 && sig < NSIG;
    if (!hooked)
        return real_sigaction(sig, act, old);
    struct sigaction prev_user = user_act[sig], mine;
    int rc;
    if (act && ((act->sa_flags & SA_SIGINFO) ||
                (act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN))) {
        mine = *act;
        mine.sa_flags |= SA_SIGINFO;
        mine.sa_sigaction = trampoline;
        user_act[sig] = *act;
        rc = real_sigaction(sig, &mine, old);
    } else {
        rc = real_sigaction(sig, act, old);
    }
    if (rc == 0 && old && (old->sa_flags & SA_SIGINFO) && old->sa_sigaction == trampoline)
        *old = prev_user;
    return rc;
}

sighandler_t signal(int sig, sighandler_t handler)
{
    struct sigaction act = { .sa_handler = handler, .sa_flags = SA_RESTART }, old;
    sigemptyset(&act.sa_mask);
    if (sigaction(sig, &act, &old) == -1)
        return SIG_ERR;
    return old.sa_handler;
}

int shmget(key_t key, size_t size, int flags)
{
    int id = real_shmget(key, size, flags);
    if (id >= 0 && (key == IPC_PRIVATE || (flags & IPC_CREAT)))
        trace("shm", id, -1);
    return id;
}

int semget(key_t key, int n, int flags)
{
    int id = real_semget(key, n, flags);
    if (id >= 0 && (key == IPC_PRIVATE || (flags & IPC_CREAT)))
        trace("sem", id, -1);
    return id;
}

int msgget(key_t key, int flags)
{
    int id = real_msgget(key, flags);
    if (id >= 0 && (key == IPC_PRIVATE || (flags & IPC_CREAT)))
        trace("msg", id, -1);
    return id;
}
