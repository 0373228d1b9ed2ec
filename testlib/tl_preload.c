/*
 * tl_preload.c: LD_PRELOAD shim loaded into every program the tests run.
 *
 * Two jobs, both driven by the environment the test support library sets:
 *
 *  1. Record (TL_TRACE=FILE): one line per event of the run (process, signal, wait,
 *     IPC descriptor, mapping and System V events) appended to FILE, so that a test
 *     knows exactly what this run created and did, even with other tests running in
 *     parallel, and can show a student a timeline of the run. The line format and its
 *     one reader are testlib/tl_trace.h / tl_trace.c: this file only writes.
 *     Each line is written with one write() on a descriptor opened for that line
 *     (O_APPEND, O_CLOEXEC, closed at once): lines of several processes never mix, the
 *     program never sees a descriptor of ours (tests count descriptors), and it is
 *     async-signal-safe, so handler entry and return are recorded from the trampoline
 *     that calls the program's handler.
 *     Bounded: the first TL_HEAD events go to FILE; later ones go in turn to FILE.tail0
 *     and FILE.tail1, TL_SEG events each, the older one truncated when reused, so the
 *     last TL_SEG to 2 * TL_SEG events are kept; every line carries its sequence number,
 *     from a counter shared by the processes of the run, so the reader knows how many
 *     were dropped. The events tests rely on (fork, System V creations, exec) always go
 *     to FILE.
 *     TL_TIMELINE=0 records only those (the recorder as it was before timelines, for
 *     measuring the recorder's cost).
 *     An event loop waits thousands of times: of select, pselect, poll, ppoll,
 *     epoll_wait and epoll_pwait only the first call of each per process is recorded
 *     (before it blocks), which is what a test needs to know which mechanism a server
 *     uses; those lines, and setsockopt(SO_REUSEPORT), always go to FILE too. Likewise
 *     of epoll_ctl only the first EPOLL_CTL_ADD/MOD with EPOLLET (epoll_ctl_et) and the
 *     first without (epoll_ctl_lt) of each process: edge- or level-triggered.
 *     The same for threads (td7's pool): the first pthread_cond_wait() ("cond_wait")
 *     and the first pthread_cond_timedwait() ("cond_timedwait") of each process made by
 *     a thread other than its main one, and the first accept()/accept4() made by such
 *     a thread ("thread_accept"), each with that thread's id.
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
 *        sigsuspend   before sigsuspend() installs its mask: harmless when the signal
 *                     it waits for is blocked until then (it stays pending), a lost
 *                     wake-up when it is not (its handler runs after the flag was
 *                     tested, and sigsuspend() sleeps forever)
 *        cond_wait    before pthread_cond_wait() goes to sleep (the mutex still held):
 *                     widens the window between a waiter's test of its condition and
 *                     its sleep, so that a signal sent by a thread that changed the
 *                     condition without taking the mutex is lost every time (a correct
 *                     program, which changes it under the mutex, only waits longer)
 *        mutex_lock   before pthread_mutex_lock() takes the mutex: widens the window
 *                     between a test made without the mutex and the lock taken to act
 *                     on it (a waiter that saw its condition false, then locks and
 *                     waits, misses a change and signal made meanwhile)
 *     Example: TL_PERTURB=fork_child=20000,handler=0-500
 *     One more item is not a delay: fork_fail=N makes the Nth fork() of each process
 *     fail with EAGAIN (a child counts its own forks from 0), as when the process
 *     limit is reached: the way to test a program's fork-failure path as root, whom
 *     RLIMIT_NPROC does not limit. Example: TL_PERTURB=fork_fail=3. After any failed
 *     fork() (this one or a real limit) the process's kill(-1, SIG) fails with EPERM
 *     instead of signalling every process (a program that kept the failed fork's -1 as
 *     a child's pid). kill(1, SIG) always fails with EPERM, perturbed or not: a program
 *     under test never has a reason to signal init, and one that does (a pid slot set
 *     to 1 instead of 0) would, as root, signal the machine's init (in a container or
 *     a VM, the process that runs everything). Recorded as refused, so a test sees it.
 *     shmget_fail=N and shmat_fail=N do the same for the Nth shmget() (ENOSPC: the
 *     system's segment limit) and shmat() (ENOMEM) of each process.
 *     wait_eintr=N makes the Nth blocking wait()/waitpid() of each process fail with
 *     EINTR, as a signal arriving while it waits does, but only in a process that has
 *     a handler installed without SA_RESTART (otherwise no signal can interrupt the
 *     call: the kernel restarts it, and nothing is injected). The test that uses it
 *     sends such signals: the injection only makes the unlucky timing certain.
 *     accept_fail=N makes the Nth accept()/accept4() of each process fail, without
 *     taking a connection, with errno accept_errno=E (a number; default EMFILE): how a
 *     test reaches a server's other accept() errors (ENFILE, the system's file table
 *     full; EBADF, an unexpected one). Example: TL_PERTURB=accept_fail=2,accept_errno=23.
 *     cond_spurious=K makes every Kth pthread_cond_wait() of each process return 0 at
 *     once, without a signal, the mutex released and taken again (a spurious wake-up,
 *     which POSIX allows: pthread_cond_timedwait() with a deadline already passed):
 *     a waiter that tests its condition with `if` instead of `while` goes on with it
 *     false. Example: TL_PERTURB=cond_spurious=3.
 *
 *  3. Guard: a shared file mapping whose address the kernel chooses (mmap(NULL, LEN, ...,
 *     MAP_SHARED, FD, ...)) is placed right before a page that is reserved and
 *     inaccessible (PROT_NONE), so that a store or load one int past its end faults at
 *     once (SIGSEGV) instead of landing silently in whatever mapping the kernel placed
 *     next (it places them side by side). The classic off-by-one `i <= count` over a
 *     file of exactly N pages then fails every run. munmap() of the whole mapping
 *     releases the guard too.
 *
 * Everything here that can run in a signal handler is async-signal-safe: raw
 * open()/write()/close(), clock_gettime(), nanosleep(), a lock-free PRNG, our own
 * number formatting (no printf).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ipc.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/ptrace.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { P_FORK_CHILD, P_FORK_PARENT, P_KILL, P_HANDLER, P_PAUSE, P_SIGSUSPEND, P_COND_WAIT,
       P_MUTEX_LOCK, P_COUNT };
static const char *point_names[P_COUNT] = { "fork_child", "fork_parent", "kill", "handler",
                                            "pause", "sigsuspend", "cond_wait", "mutex_lock" };
static long delay_min[P_COUNT], delay_max[P_COUNT];
static long fork_fail_at, fork_calls;   /* fork_fail=N; this process's forks so far */
static long shmget_fail_at, shmget_calls, shmat_fail_at, shmat_calls; /* the same for them */
static long accept_fail_at, accept_calls, accept_errno = EMFILE; /* accept_fail=N, accept_errno=E */
static bool fork_failed;                /* a fork() of this process returned -1 */
static long wait_eintr_at, wait_calls;  /* wait_eintr=N; this process's blocking waits */
static bool interruptible;              /* a handler installed without SA_RESTART */
static long cond_spurious_every, cond_calls; /* cond_spurious=K; pthread_cond_wait()s so far */
/* The event-loop waits this process has already recorded (the first of each kind), and
 * the calls of its threads other than the main one. */
enum { W_SELECT, W_PSELECT, W_POLL, W_PPOLL, W_EPOLL_WAIT, W_EPOLL_PWAIT, W_COND_WAIT,
       W_COND_TIMEDWAIT, W_THREAD_ACCEPT, W_COUNT };
static int waits_noted[W_COUNT];
/* The epoll_ctl registrations noted: [0] the first with EPOLLET, [1] without. */
static int ctls_noted[2];
static bool perturbing;
static uint64_t rng;

#define TL_HEAD 10000   /* events kept from the start of the run */
#define TL_SEG 5000     /* events per tail file: the last 5000 to 10000 are kept */
static char trace_path[512], tail_path[2][520];
static bool recording;  /* the whole timeline (not TL_TIMELINE=0) */
/* The run's event counter: one page shared by the processes forked from the first one. */
static unsigned long *shared_seq, local_seq;

static pid_t (*real_fork)(void);
static int (*real_kill)(pid_t, int);
static int (*real_pause)(void);
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static int (*real_sigprocmask)(int, const sigset_t *, sigset_t *);
static int (*real_sigsuspend)(const sigset_t *);
static int (*real_sigwait)(const sigset_t *, int *);
static pid_t (*real_wait)(int *);
static pid_t (*real_waitpid)(pid_t, int *, int);
static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execv)(const char *, char *const[]);
static int (*real_execvp)(const char *, char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static void (*real_exit)(int) __attribute__((noreturn));
static void (*real__exit)(int) __attribute__((noreturn));
static int (*real_pipe)(int[2]);
static int (*real_pipe2)(int[2], int);
static int (*real_close)(int);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_mkfifo)(const char *, mode_t);
static int (*real_open)(const char *, int, ...);
static int (*real_socket)(int, int, int);
static int (*real_socketpair)(int, int, int, int[2]);
static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_listen)(int, int);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_shutdown)(int, int);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static int (*real_shmget)(key_t, size_t, int);
static int (*real_semget)(key_t, int, int);
static int (*real_msgget)(key_t, int);
static void *(*real_shmat)(int, const void *, int);
static int (*real_shmdt)(const void *);
static int (*real_shmctl)(int, int, struct shmid_ds *);
static int (*real_semctl)(int, int, int, ...);
static int (*real_msgctl)(int, int, struct msqid_ds *);
static long (*real_ptrace)(enum __ptrace_request, pid_t, void *, void *);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
static int (*real_pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *,
                           const sigset_t *);
static int (*real_poll)(struct pollfd *, nfds_t, int);
static int (*real_ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
static int (*real___poll_chk)(struct pollfd *, nfds_t, int, size_t);
static int (*real___ppoll_chk)(struct pollfd *, nfds_t, const struct timespec *,
                               const sigset_t *, size_t);
static int (*real_epoll_wait)(int, struct epoll_event *, int, int);
static int (*real_epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
static int (*real_pthread_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static int (*real_pthread_mutex_lock)(pthread_mutex_t *);
static int (*real_pthread_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *,
                                          const struct timespec *);
static int (*real_epoll_ctl)(int, int, int, struct epoll_event *);
/* This process traces another (a test's probe, a debugger): its waits return the
 * tracee's stops, not the program's story. */
static bool tracer;

/* The handlers the program asked for, called by our trampolines. */
static struct sigaction user_act[NSIG];

/* Every wrapper first makes sure it knows the real functions: a library initialised
 * before ours (in a program that links more than libc) may call them first. */
static void find_real(void);
#define READY() do { if (!resolved) find_real(); } while (0)
static bool resolved;

/* ---------- one event line, built without printf ---------- */

typedef struct {
    char b[640];
    size_t n;
    unsigned long seq;
    bool essential;
} ev_line;

static void put_s(ev_line *l, const char *s)
{
    while (s && *s && l->n < sizeof l->b - 2)
        l->b[l->n++] = *s++;
}

/* A word of a path: spaces and control characters would split the line. */
static void put_word(ev_line *l, const char *s)
{
    if (!s || !*s)
        put_s(l, "-");
    for (; s && *s && l->n < sizeof l->b - 2; s++)
        l->b[l->n++] = (unsigned char)*s <= ' ' ? '?' : *s;
}

static void put_u(ev_line *l, unsigned long v, int width)
{
    char d[24];
    int k = 0;
    do
        d[k++] = (char)('0' + v % 10);
    while ((v /= 10) > 0 && k < 24);
    while (k < width && k < 24)
        d[k++] = '0';
    while (k > 0 && l->n < sizeof l->b - 2)
        l->b[l->n++] = d[--k];
}

static void put_l(ev_line *l, long v)
{
    put_s(l, " ");
    if (v < 0) {
        put_s(l, "-");
        put_u(l, (unsigned long)-(v + 1) + 1, 0);
    } else {
        put_u(l, (unsigned long)v, 0);
    }
}

static void put_x(ev_line *l, unsigned long v)
{
    char d[20];
    int k = 0;
    do
        d[k++] = "0123456789abcdef"[v & 15];
    while ((v >>= 4) > 0 && k < 20);
    put_s(l, " ");
    while (k > 0 && l->n < sizeof l->b - 2)
        l->b[l->n++] = d[--k];
}

/* Start a line: "SEC.USEC SEQ PID KIND". The time and the sequence number are taken
 * now, before the call the event is about (a handler it triggers comes after it). */
static bool ev_begin(ev_line *l, const char *kind, bool essential)
{
    if (!trace_path[0] || (!essential && !recording))
        return false;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    l->n = 0;
    l->essential = essential;
    l->seq = shared_seq ? __atomic_fetch_add(shared_seq, 1, __ATOMIC_RELAXED) : local_seq++;
    put_u(l, (unsigned long)ts.tv_sec, 0);
    put_s(l, ".");
    put_u(l, (unsigned long)ts.tv_nsec / 1000, 6);
    put_l(l, (long)l->seq);
    put_l(l, (long)getpid());
    put_s(l, " ");
    put_s(l, kind);
    return true;
}

static void ev_end(ev_line *l)
{
    int saved = errno, flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC;
    const char *path = trace_path;
    if (!l->essential && l->seq >= TL_HEAD) {
        unsigned long k = (l->seq - TL_HEAD) / TL_SEG;
        path = tail_path[k % 2];
        if ((l->seq - TL_HEAD) % TL_SEG == 0)
            flags |= O_TRUNC; /* the older tail: its turn again */
    }
    l->b[l->n++] = '\n';
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, flags, 0600);
    if (fd >= 0) {
        if (write(fd, l->b, l->n) < 0)
            l->n = 0;
        syscall(SYS_close, fd);
    }
    errno = saved;
}

/* A descriptor as events name it: "p:INODE:MODE" (a pipe or FIFO), "s:INODE:MODE" (a
 * socket), MODE r, w or + (read-write), into tok; false (and "-") for anything else. */
static bool fd_token(int fd, char tok[48])
{
    struct stat st;
    int saved = errno;
    bool ipc = fd >= 0 && fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
    ev_line t = { .n = 0 };
    if (ipc) {
        int fl = fcntl(fd, F_GETFL);
        int acc = fl < 0 ? O_RDWR : fl & O_ACCMODE;
        put_s(&t, S_ISFIFO(st.st_mode) ? "p:" : "s:");
        put_u(&t, (unsigned long)st.st_ino, 0);
        put_s(&t, acc == O_RDONLY ? ":r" : acc == O_WRONLY ? ":w" : ":+");
    } else {
        put_s(&t, "-");
    }
    memcpy(tok, t.b, t.n);
    tok[t.n] = '\0';
    errno = saved;
    return ipc;
}

static void put_fd(ev_line *l, int fd)
{
    char tok[48];
    fd_token(fd, tok);
    put_s(l, " ");
    put_s(l, tok);
}

/* The first 64 signals of a set, as a hexadecimal mask (bit N-1 for signal N). */
static void put_set(ev_line *l, const sigset_t *set)
{
    unsigned long m = 0;
    for (int s = 1; s <= 64 && s < NSIG; s++)
        if (set && sigismember(set, s) == 1)
            m |= 1UL << (s - 1);
    put_x(l, m);
}

static void put_addr(ev_line *l, const struct sockaddr *a, socklen_t len)
{
    put_s(l, " ");
    if (!a || len < sizeof a->sa_family) {
        put_s(l, "-");
    } else if (a->sa_family == AF_UNIX) {
        const struct sockaddr_un *u = (const struct sockaddr_un *)a;
        char path[sizeof u->sun_path + 1];
        size_t n = len > offsetof(struct sockaddr_un, sun_path)
                       ? len - offsetof(struct sockaddr_un, sun_path) : 0;
        if (n > sizeof u->sun_path)
            n = sizeof u->sun_path;
        memcpy(path, u->sun_path, n);
        path[n] = '\0';
        if (n && !path[0]) {
            path[0] = '@'; /* abstract */
            put_word(l, path);
        } else {
            put_word(l, n ? path : "unnamed");
        }
    } else if (a->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)a;
        const unsigned char *ip = (const unsigned char *)&in->sin_addr;
        for (int i = 0; i < 4; i++) {
            put_u(l, ip[i], 0);
            put_s(l, i < 3 ? "." : ":");
        }
        put_u(l, ntohs(in->sin_port), 0);
    } else if (a->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        put_s(l, "[ipv6]:");
        put_u(l, ntohs(((const struct sockaddr_in6 *)a)->sin6_port), 0);
    } else {
        put_s(l, "family");
        put_u(l, a->sa_family, 0);
    }
}

/* "RC ERRNO" of a call, errno left as the call set it. */
static void put_rc(ev_line *l, long rc, int err)
{
    put_l(l, rc);
    put_l(l, rc < 0 ? err : 0);
}

/* The IPC descriptors a process keeps across exec (not close-on-exec): "FD=TOKEN"...,
 * read from /proc/self/fd with raw system calls (exec may follow a signal). */
static void put_kept_fds(ev_line *l)
{
    int dir = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY |
                           O_CLOEXEC);
    char buf[2048];
    long n;
    int shown = 0;
    while (dir >= 0 && (n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            unsigned short reclen = *(unsigned short *)(buf + off + 16);
            const char *name = buf + off + 19;
            off += reclen;
            if (name[0] < '0' || name[0] > '9')
                continue;
            int fd = atoi(name), fl = fcntl(fd, F_GETFD);
            if (fd == dir || fl < 0 || (fl & FD_CLOEXEC) || shown >= 24)
                continue;
            char tok[48];
            if (!fd_token(fd, tok))
                continue;
            put_l(l, fd);
            put_s(l, "=");
            put_s(l, tok);
            shown++;
        }
    }
    if (dir >= 0)
        syscall(SYS_close, dir);
}

/* ---------- perturbation ---------- */

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
    /* a fixed delay draws nothing: threads may call this at once (cond_wait) */
    long us = delay_min[point] + (span > 1 ? (long)(next_random() % (uint64_t)span) : 0);
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
        if (!strcmp(tok, "fork_fail"))
            fork_fail_at = atol(eq + 1);
        if (!strcmp(tok, "shmget_fail"))
            shmget_fail_at = atol(eq + 1);
        if (!strcmp(tok, "shmat_fail"))
            shmat_fail_at = atol(eq + 1);
        if (!strcmp(tok, "wait_eintr"))
            wait_eintr_at = atol(eq + 1);
        if (!strcmp(tok, "accept_fail"))
            accept_fail_at = atol(eq + 1);
        if (!strcmp(tok, "accept_errno"))
            accept_errno = atol(eq + 1);
        if (!strcmp(tok, "cond_spurious"))
            cond_spurious_every = atol(eq + 1);
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

/* ---------- start ---------- */

#define REAL(name) real_##name = dlsym(RTLD_NEXT, #name)

static void find_real(void)
{
    resolved = true;
    REAL(fork); REAL(kill); REAL(pause); REAL(sigaction); REAL(sigprocmask);
    REAL(sigsuspend); REAL(sigwait); REAL(wait); REAL(waitpid); REAL(execve); REAL(execv);
    REAL(execvp); REAL(execvpe); REAL(exit); REAL(_exit); REAL(pipe); REAL(pipe2);
    REAL(close); REAL(dup); REAL(dup2); REAL(dup3); REAL(mkfifo); REAL(open);
    REAL(socket); REAL(socketpair); REAL(bind); REAL(listen); REAL(accept); REAL(accept4);
    REAL(connect); REAL(shutdown); REAL(mmap); REAL(munmap); REAL(shmget); REAL(semget);
    REAL(msgget); REAL(shmat); REAL(shmdt); REAL(shmctl); REAL(semctl); REAL(msgctl);
    REAL(ptrace); REAL(setsockopt); REAL(select); REAL(pselect); REAL(poll); REAL(ppoll);
    REAL(__poll_chk); REAL(__ppoll_chk); REAL(epoll_wait); REAL(epoll_pwait);
    /* dlsym() would give the old GLIBC_2.2.5 versions, which take another cond layout */
    real_pthread_cond_wait = dlvsym(RTLD_NEXT, "pthread_cond_wait", "GLIBC_2.3.2");
    real_pthread_cond_timedwait = dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.3.2");
    REAL(pthread_mutex_lock);
    REAL(epoll_ctl);
}

__attribute__((constructor)) static void init(void)
{
    find_real();
    const char *t = getenv("TL_TRACE"), *spec = getenv("TL_PERTURB"), *seed = getenv("TL_SEED");
    const char *timeline = getenv("TL_TIMELINE");
    if (t && strlen(t) < sizeof trace_path) {
        snprintf(trace_path, sizeof trace_path, "%s", t);
        snprintf(tail_path[0], sizeof tail_path[0], "%s.tail0", t);
        snprintf(tail_path[1], sizeof tail_path[1], "%s.tail1", t);
    }
    recording = trace_path[0] && !(timeline && !strcmp(timeline, "0"));
    if (recording) {
        void *page = real_mmap(NULL, sizeof *shared_seq, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        shared_seq = page == MAP_FAILED ? NULL : page;
    }
    /* With TL_TRACE_ALL (the Reproduce check, testlib/tl_replay.c) the library stays in
     * every process the program execs, to trace every fork (the pids its output may
     * show), but only the first process given TL_PERTURB perturbs (and its forks), as
     * when the library is dropped at exec. */
    bool trace_all = getenv("TL_TRACE_ALL") != NULL;
    ev_line l;
    if ((trace_all || recording) && ev_begin(&l, "exec", true)) { /* which process runs what */
        put_s(&l, " ");
        put_word(&l, program_invocation_short_name);
        ev_end(&l);
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

/* ---------- processes ---------- */

pid_t fork(void)
{
    READY();
    /* Timed before the call: the child's first events come after its fork. */
    ev_line l;
    bool on = ev_begin(&l, "fork", true);
    if (fork_fail_at > 0 && ++fork_calls == fork_fail_at) { /* TL_PERTURB=fork_fail=N */
        if (on) {
            put_l(&l, -1);
            put_l(&l, EAGAIN);
            ev_end(&l);
        }
        errno = EAGAIN;
        fork_failed = true;
        return -1;
    }
    pid_t pid = real_fork();
    int e = errno;
    if (pid < 0)
        fork_failed = true;
    if (pid == 0) {
        fork_calls = shmget_calls = shmat_calls = wait_calls = accept_calls = cond_calls = 0;
        memset(waits_noted, 0, sizeof waits_noted); /* a new process: its own first waits */
        memset(ctls_noted, 0, sizeof ctls_noted);
        rng ^= (uint64_t)getpid() << 17;
        delay(P_FORK_CHILD);
        return 0;
    }
    if (on) {
        put_l(&l, pid);
        put_l(&l, pid < 0 ? e : 0);
        ev_end(&l);
    }
    if (pid > 0)
        delay(P_FORK_PARENT);
    errno = e;
    return pid;
}

/* "execve PATH KEPT..." before the call (the new program has no recorder), then
 * "exec-failed ERRNO" if it returns. */
static void note_exec(const char *path)
{
    ev_line l;
    if (ev_begin(&l, "execve", false)) {
        put_s(&l, " ");
        put_word(&l, path);
        put_kept_fds(&l);
        ev_end(&l);
    }
}

static int exec_failed(int rc)
{
    int e = errno;
    ev_line l;
    if (ev_begin(&l, "exec-failed", false)) {
        put_l(&l, e);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
    READY();
    note_exec(path);
    return exec_failed(real_execve(path, argv, envp));
}

int execv(const char *path, char *const argv[])
{
    READY();
    note_exec(path);
    return exec_failed(real_execv(path, argv));
}

int execvp(const char *file, char *const argv[])
{
    READY();
    note_exec(file);
    return exec_failed(real_execvp(file, argv));
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
    READY();
    note_exec(file);
    return exec_failed(real_execvpe(file, argv, envp));
}

/* execl, execlp, execle: their arguments as an array, then the v form. */
#define MAX_EXEC_ARGS 256
static int exec_list(const char *path, const char *arg0, va_list ap, int kind)
{
    char *argv[MAX_EXEC_ARGS + 1];
    int n = 0;
    argv[n++] = (char *)arg0;
    while (arg0 && n < MAX_EXEC_ARGS && (argv[n] = va_arg(ap, char *)))
        n++;
    argv[n] = NULL;
    if (kind == 2) {
        char *const *envp = va_arg(ap, char *const *);
        return execve(path, argv, envp);
    }
    return kind == 1 ? execvp(path, argv) : execv(path, argv);
}

int execl(const char *path, const char *arg, ...)
{
    READY();
    va_list ap;
    va_start(ap, arg);
    int rc = exec_list(path, arg, ap, 0);
    va_end(ap);
    return rc;
}

int execlp(const char *file, const char *arg, ...)
{
    READY();
    va_list ap;
    va_start(ap, arg);
    int rc = exec_list(file, arg, ap, 1);
    va_end(ap);
    return rc;
}

int execle(const char *path, const char *arg, ...)
{
    READY();
    va_list ap;
    va_start(ap, arg);
    int rc = exec_list(path, arg, ap, 2);
    va_end(ap);
    return rc;
}

static void note_exit(int status)
{
    ev_line l;
    if (ev_begin(&l, "exit", false)) {
        put_l(&l, status);
        ev_end(&l);
    }
}

void exit(int status)
{
    READY();
    note_exit(status);
    real_exit(status);
}

void _exit(int status)
{
    READY();
    note_exit(status);
    real__exit(status);
}

void _Exit(int status)
{
    note_exit(status);
    real__exit(status);
}

/* ---------- signals ---------- */

int kill(pid_t pid, int sig)
{
    READY();
    delay(P_KILL);
    ev_line l;
    bool on = ev_begin(&l, "kill", false);
    int rc, e;
    if (pid == -1 && fork_failed) {
        /* After a failed fork() (fork_fail=N, or a real process limit) a program that does
         * not check fork()'s -1 keeps it as a child's pid, and its kill(-1, sig) would
         * signal every process the user may signal (as root: the whole machine; it
         * happened). Refused, and recorded as refused. */
        rc = -1, e = EPERM;
    } else if (pid == 1) {
        rc = -1, e = EPERM; /* init: see the top of this file */
    } else {
        rc = real_kill(pid, sig), e = errno;
    }
    if (on) {
        put_l(&l, pid);
        put_l(&l, sig);
        put_rc(&l, rc, e);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

int pause(void)
{
    READY();
    delay(P_PAUSE);
    ev_line l;
    if (ev_begin(&l, "pause", false))
        ev_end(&l);
    int rc = real_pause(), e = errno;
    if (ev_begin(&l, "pause-end", false))
        ev_end(&l);
    errno = e;
    return rc;
}

int sigsuspend(const sigset_t *mask)
{
    READY();
    ev_line l;
    if (ev_begin(&l, "sigsuspend", false)) {
        put_set(&l, mask);
        ev_end(&l);
    }
    delay(P_SIGSUSPEND);
    int rc = real_sigsuspend(mask), e = errno;
    if (ev_begin(&l, "sigsuspend-end", false))
        ev_end(&l);
    errno = e;
    return rc;
}

int sigwait(const sigset_t *set, int *sig)
{
    READY();
    ev_line l;
    if (ev_begin(&l, "sigwait", false)) {
        put_set(&l, set);
        ev_end(&l);
    }
    int rc = real_sigwait(set, sig);
    if (ev_begin(&l, "sigwait-end", false)) {
        put_l(&l, rc == 0 ? *sig : 0);
        put_l(&l, rc);
        ev_end(&l);
    }
    return rc;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    READY();
    ev_line l;
    bool on = set && ev_begin(&l, "mask", false);
    int rc = real_sigprocmask(how, set, old), e = errno;
    if (on) {
        put_s(&l, how == SIG_BLOCK ? " block" : how == SIG_UNBLOCK ? " unblock" : " set");
        put_set(&l, set);
        put_rc(&l, rc, e);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

/* "handler SIG SENDER_PID" on entry, "handler-end SIG" on return. */
static void trampoline(int sig, siginfo_t *info, void *ctx)
{
    ev_line l;
    if (ev_begin(&l, "handler", false)) {
        put_l(&l, sig);
        put_l(&l, info && info->si_code <= 0 ? info->si_pid : 0); /* kill()/raise() */
        ev_end(&l);
    }
    delay(P_HANDLER);
    struct sigaction *a = &user_act[sig];
    if (a->sa_flags & SA_SIGINFO)
        a->sa_sigaction(sig, info, ctx);
    else if (a->sa_handler != SIG_IGN && a->sa_handler != SIG_DFL)
        a->sa_handler(sig);
    if (ev_begin(&l, "handler-end", false)) {
        put_l(&l, sig);
        ev_end(&l);
    }
}

/* "sigaction SIG h|i|d FLAGS RC ERRNO" (handler, ignore, default) for an install. */
static void note_sigaction(int sig, const struct sigaction *act, int rc, int e)
{
    ev_line l;
    if (!act || !ev_begin(&l, "sigaction", false))
        return;
    put_l(&l, sig);
    put_s(&l, act->sa_flags & SA_SIGINFO ? " h"
              : act->sa_handler == SIG_IGN ? " i" : act->sa_handler == SIG_DFL ? " d" : " h");
    put_x(&l, (unsigned long)(unsigned)act->sa_flags);
    put_rc(&l, rc, e);
    ev_end(&l);
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    READY();
    if (act && !(act->sa_flags & SA_RESTART) && ((act->sa_flags & SA_SIGINFO) ||
        (act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN)))
        interruptible = true; /* wait_eintr=N may now inject (see the top) */
    bool hooked = (recording || (perturbing && delay_max[P_HANDLER] > 0)) && sig > 0 &&
                  sig < NSIG;
    int rc, e;
    if (!hooked) {
        rc = real_sigaction(sig, act, old), e = errno;
        note_sigaction(sig, act, rc, e);
        errno = e;
        return rc;
    }
    struct sigaction prev_user = user_act[sig], mine;
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
    e = errno;
    if (rc == 0 && old && (old->sa_flags & SA_SIGINFO) && old->sa_sigaction == trampoline)
        *old = prev_user;
    note_sigaction(sig, act, rc, e);
    errno = e;
    return rc;
}

sighandler_t signal(int sig, sighandler_t handler)
{
    READY();
    struct sigaction act = { .sa_handler = handler, .sa_flags = SA_RESTART }, old;
    sigemptyset(&act.sa_mask);
    if (sigaction(sig, &act, &old) == -1)
        return SIG_ERR;
    return old.sa_handler;
}

/* ---------- waits ---------- */

/* "wait PID OPTIONS" when it may block, then "waited PID RESULT STATUS ERRNO". */
static pid_t traced_wait(pid_t pid, int *status, int options)
{
    int st = 0;
    ev_line l;
    if (tracer)
        return real_waitpid(pid, status, options);
    if (!(options & WNOHANG) && ev_begin(&l, "wait", false)) {
        put_l(&l, pid);
        put_l(&l, options);
        ev_end(&l);
    }
    pid_t rc;
    if (!(options & WNOHANG) && wait_eintr_at > 0 && interruptible &&
        ++wait_calls == wait_eintr_at) { /* TL_PERTURB=wait_eintr=N */
        rc = -1;
        errno = EINTR;
    } else {
        rc = real_waitpid(pid, &st, options);
    }
    int e = errno;
    if (status)
        *status = st;
    if ((rc != 0 || !(options & WNOHANG)) && ev_begin(&l, "waited", false)) {
        put_l(&l, pid);
        put_l(&l, rc);
        put_l(&l, rc > 0 ? st : 0);
        put_l(&l, rc < 0 ? e : 0);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

pid_t wait(int *status)
{
    READY();
    return traced_wait(-1, status, 0);
}

pid_t waitpid(pid_t pid, int *status, int options)
{
    READY();
    return traced_wait(pid, status, options);
}

/* ---------- IPC descriptors ---------- */

static int note_pipe(int rc, int e, int fds[2], int flags)
{
    ev_line l;
    if (rc == 0 && ev_begin(&l, "pipe", false)) {
        put_l(&l, fds[0]);
        put_l(&l, fds[1]);
        put_fd(&l, fds[0]);
        put_x(&l, (unsigned long)(unsigned)flags);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

int pipe(int fds[2])
{
    READY();
    int rc = real_pipe(fds);
    return note_pipe(rc, errno, fds, 0);
}

int pipe2(int fds[2], int flags)
{
    READY();
    int rc = real_pipe2(fds, flags);
    return note_pipe(rc, errno, fds, flags);
}

/* "close FD TOKEN RC ERRNO", for IPC descriptors only. */
int close(int fd)
{
    READY();
    ev_line l;
    char tok[48];
    /* the sequence number is taken only for an event that will be written */
    bool on = recording && fd_token(fd, tok) && ev_begin(&l, "close", false);
    if (on) {
        put_l(&l, fd);
        put_s(&l, " ");
        put_s(&l, tok);
    }
    int rc = real_close(fd), e = errno;
    if (on) {
        put_rc(&l, rc, e);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

/* "dup2 OLD NEW OLD_TOKEN NEW_TOKEN_BEFORE RC ERRNO", when either is an IPC descriptor. */
static int traced_dup(const char *kind, int old, int new, int flags, int mode)
{
    ev_line l;
    char a[48], b[48] = "-";
    bool on = recording && (fd_token(old, a) | (new >= 0 && new != old && fd_token(new, b))) &&
              ev_begin(&l, kind, false);
    if (on) {
        put_l(&l, old);
        put_l(&l, new);
        put_s(&l, " ");
        put_s(&l, a);
        put_s(&l, " ");
        put_s(&l, b);
    }
    int rc = mode == 0 ? real_dup(old) : mode == 2 ? real_dup2(old, new)
                                                   : real_dup3(old, new, flags);
    int e = errno;
    if (on) {
        put_rc(&l, rc, e);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

int dup(int old)
{
    READY();
    return traced_dup("dup", old, -1, 0, 0);
}

int dup2(int old, int new)
{
    READY();
    return traced_dup("dup2", old, new, 0, 2);
}

int dup3(int old, int new, int flags)
{
    READY();
    return traced_dup("dup2", old, new, flags, 3);
}

int mkfifo(const char *path, mode_t mode)
{
    READY();
    int rc = real_mkfifo(path, mode), e = errno;
    ev_line l;
    if (ev_begin(&l, "mkfifo", false)) {
        put_rc(&l, rc, e);
        put_s(&l, " ");
        put_word(&l, path);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

/* "open FD TOKEN PATH", for FIFOs only (the open of a FIFO is where it blocks). */
static int traced_open(const char *path, int flags, mode_t mode)
{
    int fd = real_open(path, flags, mode), e = errno;
    ev_line l;
    char tok[48];
    if (fd >= 0 && recording && fd_token(fd, tok) && ev_begin(&l, "open", false)) {
        put_l(&l, fd);
        put_s(&l, " ");
        put_s(&l, tok);
        put_s(&l, " ");
        put_word(&l, path);
        ev_end(&l);
    }
    errno = e;
    return fd;
}

int open(const char *path, int flags, ...)
{
    READY();
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    return traced_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    READY();
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    return traced_open(path, flags | O_LARGEFILE, mode);
}

/* ---------- sockets ---------- */

int socket(int domain, int type, int proto)
{
    READY();
    int fd = real_socket(domain, type, proto), e = errno;
    ev_line l;
    if (ev_begin(&l, "socket", false)) {
        put_l(&l, fd);
        put_fd(&l, fd);
        put_l(&l, domain);
        put_l(&l, type);
        put_l(&l, fd < 0 ? e : 0);
        ev_end(&l);
    }
    errno = e;
    return fd;
}

int socketpair(int domain, int type, int proto, int sv[2])
{
    READY();
    int rc = real_socketpair(domain, type, proto, sv), e = errno;
    ev_line l;
    if (rc == 0 && ev_begin(&l, "socketpair", false)) {
        put_l(&l, sv[0]);
        put_l(&l, sv[1]);
        put_fd(&l, sv[0]);
        put_fd(&l, sv[1]);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

int bind(int fd, const struct sockaddr *a, socklen_t len)
{
    READY();
    int rc = real_bind(fd, a, len), e = errno;
    ev_line l;
    if (ev_begin(&l, "bind", false)) {
        put_l(&l, fd);
        put_rc(&l, rc, e);
        put_addr(&l, a, len);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

int listen(int fd, int backlog)
{
    READY();
    int rc = real_listen(fd, backlog), e = errno;
    ev_line l;
    if (ev_begin(&l, "listen", false)) {
        put_l(&l, fd);
        put_rc(&l, rc, e);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

static void note_wait(int kind, long n);
static long other_thread(void);

/* "accept LISTEN_FD NEW_FD TOKEN ERRNO PEER" on return. */
static int traced_accept(int fd, struct sockaddr *a, socklen_t *len, int flags, bool four)
{
    long tid = other_thread();
    if (tid)
        note_wait(W_THREAD_ACCEPT, tid);
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int rc, e;
    if (accept_fail_at > 0 && ++accept_calls == accept_fail_at) { /* accept_fail=N */
        rc = -1, e = (int)accept_errno;
    } else {
        rc = four ? real_accept4(fd, (struct sockaddr *)&peer, &plen, flags)
                  : real_accept(fd, (struct sockaddr *)&peer, &plen);
        e = errno;
    }
    if (rc >= 0 && a && len) {
        memcpy(a, &peer, *len < plen ? *len : plen);
        *len = plen;
    }
    ev_line l;
    if (ev_begin(&l, "accept", false)) {
        put_l(&l, fd);
        put_l(&l, rc);
        put_fd(&l, rc);
        put_l(&l, rc < 0 ? e : 0);
        put_addr(&l, rc >= 0 ? (struct sockaddr *)&peer : NULL, rc >= 0 ? plen : 0);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

int accept(int fd, struct sockaddr *a, socklen_t *len)
{
    READY();
    return traced_accept(fd, a, len, 0, false);
}

int accept4(int fd, struct sockaddr *a, socklen_t *len, int flags)
{
    READY();
    return traced_accept(fd, a, len, flags, true);
}

int connect(int fd, const struct sockaddr *a, socklen_t len)
{
    READY();
    int rc = real_connect(fd, a, len), e = errno;
    ev_line l;
    if (ev_begin(&l, "connect", false)) {
        put_l(&l, fd);
        put_fd(&l, fd);
        put_rc(&l, rc, e);
        put_addr(&l, a, len);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

int shutdown(int fd, int how)
{
    READY();
    ev_line l;
    bool on = ev_begin(&l, "shutdown", false);
    if (on) {
        put_l(&l, fd);
        put_fd(&l, fd);
        put_l(&l, how);
    }
    int rc = real_shutdown(fd, how), e = errno;
    if (on) {
        put_rc(&l, rc, e);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

/* "setsockopt FD TOKEN OPT VALUE RC ERRNO", for SO_REUSEPORT only (which sockets share
 * a port: td7's reuseport model). */
int setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
    READY();
    int rc = real_setsockopt(fd, level, opt, val, len), e = errno;
    ev_line l;
    if (level == SOL_SOCKET && opt == SO_REUSEPORT && ev_begin(&l, "setsockopt", true)) {
        put_l(&l, fd);
        put_fd(&l, fd);
        put_l(&l, opt);
        put_l(&l, val && len >= sizeof(int) ? *(const int *)val : 0);
        put_rc(&l, rc, e);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

/* ---------- event loops: the first wait of each kind in each process ---------- */

static const char *const wait_names[W_COUNT] = { "select", "pselect", "poll", "ppoll",
                                                 "epoll_wait", "epoll_pwait",
                                                 "cond_wait", "cond_timedwait",
                                                 "thread_accept" };

/* "KIND N" (N: nfds, or epoll's maxevents) before the first call of this kind in this
 * process blocks: a test looks at a server while it waits. Later calls: nothing (a loop
 * makes thousands). */
static void note_wait(int kind, long n)
{
    ev_line l;
    if (__atomic_exchange_n(&waits_noted[kind], 1, __ATOMIC_RELAXED))
        return;
    if (ev_begin(&l, wait_names[kind], true)) {
        put_l(&l, n);
        ev_end(&l);
    }
}

int select(int n, fd_set *r, fd_set *w, fd_set *x, struct timeval *t)
{
    READY();
    note_wait(W_SELECT, n);
    return real_select(n, r, w, x, t);
}

int pselect(int n, fd_set *r, fd_set *w, fd_set *x, const struct timespec *t,
            const sigset_t *mask)
{
    READY();
    note_wait(W_PSELECT, n);
    return real_pselect(n, r, w, x, t, mask);
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    READY();
    note_wait(W_POLL, (long)n);
    return real_poll(fds, n, timeout);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *mask)
{
    READY();
    note_wait(W_PPOLL, (long)n);
    return real_ppoll(fds, n, t, mask);
}

/* What poll() and ppoll() become when a program is built with _FORTIFY_SOURCE. */
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
    READY();
    note_wait(W_POLL, (long)n);
    return real___poll_chk(fds, n, timeout, fdslen);
}

int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *mask,
                size_t fdslen)
{
    READY();
    note_wait(W_PPOLL, (long)n);
    return real___ppoll_chk(fds, n, t, mask, fdslen);
}

int epoll_wait(int ep, struct epoll_event *ev, int max, int timeout)
{
    READY();
    note_wait(W_EPOLL_WAIT, max);
    return real_epoll_wait(ep, ev, max, timeout);
}

int epoll_pwait(int ep, struct epoll_event *ev, int max, int timeout, const sigset_t *mask)
{
    READY();
    note_wait(W_EPOLL_PWAIT, max);
    return real_epoll_pwait(ep, ev, max, timeout, mask);
}

/* ---------- threads: condition variables ---------- */

/* The calling thread's id if it is not the process's main thread, else 0. */
static long other_thread(void)
{
    long tid = syscall(SYS_gettid);
    return tid == (long)getpid() ? 0 : tid;
}

/* "cond_wait TID" the first time a thread other than the main one waits; the
 * cond_wait delay; cond_spurious=K: every Kth call returns at once (see the top). */
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    READY();
    long tid = other_thread();
    if (tid)
        note_wait(W_COND_WAIT, tid);
    delay(P_COND_WAIT);
    if (cond_spurious_every > 0 &&
        __atomic_add_fetch(&cond_calls, 1, __ATOMIC_RELAXED) % cond_spurious_every == 0) {
        /* a deadline long passed: the mutex is released and taken again, no sleep */
        struct timespec past = { 1, 0 };
        int rc = real_pthread_cond_timedwait(c, m, &past);
        return rc == ETIMEDOUT ? 0 : rc;
    }
    return real_pthread_cond_wait(c, m);
}

/* Only the mutex_lock delay: the program's own locks, not libc's (internal calls). */
int pthread_mutex_lock(pthread_mutex_t *m)
{
    READY();
    delay(P_MUTEX_LOCK);
    return real_pthread_mutex_lock(m);
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
    READY();
    long tid = other_thread();
    if (tid)
        note_wait(W_COND_TIMEDWAIT, tid);
    return real_pthread_cond_timedwait(c, m, t);
}

/* "epoll_ctl_et OP FD EVENTS RC ERRNO" for the first EPOLL_CTL_ADD or MOD of this
 * process with EPOLLET, "epoll_ctl_lt ..." for the first without (EVENTS hex): whether
 * a server registers its sockets edge- or level-triggered. Later calls: nothing. */
int epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
    READY();
    int rc = real_epoll_ctl(ep, op, fd, ev), e = errno;
    ev_line l;
    if ((op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && ev) {
        bool et = ev->events & EPOLLET;
        if (!__atomic_exchange_n(&ctls_noted[et ? 0 : 1], 1, __ATOMIC_RELAXED) &&
            ev_begin(&l, et ? "epoll_ctl_et" : "epoll_ctl_lt", true)) {
            put_l(&l, op);
            put_l(&l, fd);
            put_x(&l, ev->events);
            put_rc(&l, rc, e);
            ev_end(&l);
        }
    }
    errno = e;
    return rc;
}

/* ---------- mappings and System V objects ---------- */

/* Guarded mappings (job 3 above): where each one's guard page is, so that munmap()
 * releases it with the mapping. Slots are claimed with an atomic exchange: a program's
 * threads may map at the same time. A full table only means unguarded mappings. */
#define GUARDS 64
static struct { void *start; size_t span; } guards[GUARDS];

static size_t page_round(size_t len)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (len + pg - 1) / pg * pg;
}

/* mmap(NULL, len, ...) for a shared file mapping, followed by a PROT_NONE page. */
static void *guarded_mmap(size_t len, int prot, int flags, int fd, off_t off)
{
    size_t span = page_round(len), pg = (size_t)sysconf(_SC_PAGESIZE);
    int slot = -1;
    for (int i = 0; i < GUARDS && slot < 0; i++) {
        void *none = NULL;
        if (__atomic_compare_exchange_n(&guards[i].start, &none, (void *)1, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            slot = i;
    }
    void *base = slot < 0 || len == 0 ? MAP_FAILED
        : real_mmap(NULL, span + pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                    -1, 0);
    if (base == MAP_FAILED) { /* no guard: the program's call as it was */
        if (slot >= 0)
            __atomic_store_n(&guards[slot].start, NULL, __ATOMIC_RELEASE);
        return real_mmap(NULL, len, prot, flags, fd, off);
    }
    void *p = real_mmap(base, len, prot, flags | MAP_FIXED, fd, off);
    if (p == MAP_FAILED) {
        int e = errno;
        real_munmap(base, span + pg);
        __atomic_store_n(&guards[slot].start, NULL, __ATOMIC_RELEASE);
        errno = e;
        return p;
    }
    guards[slot].span = span;
    __atomic_store_n(&guards[slot].start, p, __ATOMIC_RELEASE);
    return p;
}

/* After a successful munmap(addr, len): release the guard of a whole guarded mapping. */
static void release_guard(void *addr, size_t len)
{
    for (int i = 0; i < GUARDS; i++)
        if (__atomic_load_n(&guards[i].start, __ATOMIC_ACQUIRE) == addr && addr != NULL &&
            page_round(len) == guards[i].span) {
            real_munmap((char *)addr + guards[i].span, (size_t)sysconf(_SC_PAGESIZE));
            __atomic_store_n(&guards[i].start, NULL, __ATOMIC_RELEASE);
            return;
        }
}

/* "mmap ADDR LEN PROT FLAGS FD PATH" for shared or file mappings (not plain memory). */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    READY();
    void *p = addr == NULL && fd >= 0 && (flags & MAP_SHARED) && !(flags & MAP_FIXED)
        ? guarded_mmap(len, prot, flags, fd, off)
        : real_mmap(addr, len, prot, flags, fd, off);
    int e = errno;
    ev_line l;
    if (p != MAP_FAILED && (fd >= 0 || (flags & MAP_SHARED)) && ev_begin(&l, "mmap", false)) {
        char link[40], path[256];
        put_x(&l, (unsigned long)p);
        put_l(&l, (long)len);
        put_l(&l, prot);
        put_x(&l, (unsigned long)(unsigned)flags);
        put_l(&l, fd);
        ev_line name = { .n = 0 };
        put_s(&name, "/proc/self/fd/");
        put_u(&name, (unsigned long)(fd < 0 ? 0 : fd), 0);
        memcpy(link, name.b, name.n);
        link[name.n] = '\0';
        ssize_t k = fd >= 0 ? readlink(link, path, sizeof path - 1) : -1;
        path[k > 0 ? k : 0] = '\0';
        put_s(&l, " ");
        put_word(&l, k > 0 ? path : "anonymous");
        ev_end(&l);
    }
    errno = e;
    return p;
}

int munmap(void *addr, size_t len)
{
    READY();
    int rc = real_munmap(addr, len), e = errno;
    if (rc == 0)
        release_guard(addr, len);
    ev_line l;
    if (ev_begin(&l, "munmap", false)) {
        put_x(&l, (unsigned long)addr);
        put_l(&l, (long)len);
        put_rc(&l, rc, e);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

/* "shm ID" / "sem ID" / "msg ID": an object this run created (tests remove leaks). */
static void note_created(const char *kind, int id, key_t key, int flags)
{
    ev_line l;
    if (id >= 0 && (key == IPC_PRIVATE || (flags & IPC_CREAT)) && ev_begin(&l, kind, true)) {
        put_l(&l, id);
        ev_end(&l);
    }
}

int shmget(key_t key, size_t size, int flags)
{
    READY();
    if (shmget_fail_at > 0 && ++shmget_calls == shmget_fail_at) { /* shmget_fail=N */
        errno = ENOSPC;
        return -1;
    }
    int id = real_shmget(key, size, flags), e = errno;
    note_created("shm", id, key, flags);
    errno = e;
    return id;
}

int semget(key_t key, int n, int flags)
{
    READY();
    int id = real_semget(key, n, flags), e = errno;
    note_created("sem", id, key, flags);
    errno = e;
    return id;
}

int msgget(key_t key, int flags)
{
    READY();
    int id = real_msgget(key, flags), e = errno;
    note_created("msg", id, key, flags);
    errno = e;
    return id;
}

void *shmat(int id, const void *addr, int flags)
{
    READY();
    bool fail = shmat_fail_at > 0 && ++shmat_calls == shmat_fail_at; /* shmat_fail=N */
    void *p = fail ? (void *)-1 : real_shmat(id, addr, flags);
    int e = fail ? ENOMEM : errno;
    ev_line l;
    if (ev_begin(&l, "shmat", false)) {
        put_l(&l, id);
        put_x(&l, (unsigned long)p);
        put_l(&l, p == (void *)-1 ? e : 0);
        ev_end(&l);
    }
    errno = e;
    return p;
}

int shmdt(const void *addr)
{
    READY();
    int rc = real_shmdt(addr), e = errno;
    ev_line l;
    if (ev_begin(&l, "shmdt", false)) {
        put_x(&l, (unsigned long)addr);
        put_rc(&l, rc, e);
        ev_end(&l);
    }
    errno = e;
    return rc;
}

/* "rmid KIND ID RC ERRNO" for IPC_RMID. */
static void note_rmid(const char *kind, int id, int rc, int e)
{
    ev_line l;
    if (ev_begin(&l, "rmid", false)) {
        put_s(&l, " ");
        put_s(&l, kind);
        put_l(&l, id);
        put_rc(&l, rc, e);
        ev_end(&l);
    }
    errno = e;
}

int shmctl(int id, int cmd, struct shmid_ds *buf)
{
    READY();
    int rc = real_shmctl(id, cmd, buf), e = errno;
    if (cmd == IPC_RMID)
        note_rmid("shm", id, rc, e);
    errno = e;
    return rc;
}

int semctl(int id, int num, int cmd, ...)
{
    READY();
    va_list ap;
    va_start(ap, cmd);
    unsigned long arg = va_arg(ap, unsigned long); /* union semun: one word */
    va_end(ap);
    int rc = real_semctl(id, num, cmd, arg), e = errno;
    if (cmd == IPC_RMID)
        note_rmid("sem", id, rc, e);
    errno = e;
    return rc;
}

int msgctl(int id, int cmd, struct msqid_ds *buf)
{
    READY();
    int rc = real_msgctl(id, cmd, buf), e = errno;
    if (cmd == IPC_RMID)
        note_rmid("msg", id, rc, e);
    errno = e;
    return rc;
}

/* ---------- tracers ---------- */

long ptrace(enum __ptrace_request request, ...)
{
    READY();
    va_list ap;
    va_start(ap, request);
    pid_t pid = va_arg(ap, pid_t);
    void *addr = va_arg(ap, void *), *data = va_arg(ap, void *);
    va_end(ap);
    if (request != PTRACE_TRACEME)
        tracer = true;
    return real_ptrace(request, pid, addr, data);
}
