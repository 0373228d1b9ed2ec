/*
 * test_mechanism.c: does each model really use its mechanism, seen from outside, and
 * does the fork model survive a failed fork()? A server that forks for every model
 * passes every behavioural suite (test_models.c); these tests look at the live server
 * instead: its threads (/proc/PID/task), its children (/proc), the listening sockets
 * its workers hold (/proc/net/tcp, /proc/PID/fd), and the calls the recorder saw
 * (testlib/tl_preload.c notes the first select/poll/epoll_wait of each process and
 * every setsockopt(SO_REUSEPORT); testlib/tl_trace.h reads them).
 *
 *   thread  a thread per client: more than K threads with K clients, no child process
 *   pool    WORKERS threads started once plus the main one (the acceptor), however
 *           many clients wait, no child process (how they wait: test_pool.c)
 *   select, poll, epoll   one thread, no child process, and the server itself calls
 *           select (or pselect), poll (or ppoll), epoll_wait (or epoll_pwait)
 *   epoll-et  the same as epoll, and its epoll_ctl ADDs and MODs (the listener's, the
 *           connections') all have EPOLLET (the recorder notes the first with and the
 *           first without)
 *   reuseport   WORKERS worker processes, each holding its own listener on the port,
 *           SO_REUSEPORT set on each, each running epoll_wait
 *   fork    fork() failing (EAGAIN) costs that client only
 * A failure's Reproduce line runs the same clients from bash (/dev/tcp) and prints what
 * the test saw in the live server (pgrep -P, ls /proc/PID/task | wc -l, the system call
 * in /proc/PID/syscall), so that it shows the wrong state again.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"
#include "tl_trace.h"

#define NCLIENTS 4
#define POOL_WORKERS 4
#define POOL_ARGS ((const char *const[]){ "-w", "4", NULL })
#define REUSEPORT_ARGS ((const char *const[]){ "-w", "2", NULL })

static char msg[512];

/* ---------- looking at the live server ---------- */

/* The threads of pid (entries of /proc/PID/task), -1 if it is gone. */
static int thread_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Live children of pid (zombies not counted). */
static int children_count(pid_t pid)
{
    pid_t kids[64];
    return tl_proc_children(pid, kids, 64) - tl_zombie_children(pid);
}

/* Wait up to ms (scaled) until min <= thread_count(pid) <= max; the last count. */
static int wait_threads(pid_t pid, int min, int max, int ms)
{
    double until = tl_now_ms() + tl_deadline(ms);
    int n = thread_count(pid);
    while ((n < min || n > max) && n > 0 && tl_now_ms() < until) {
        tl_sleep_ms(5);
        n = thread_count(pid);
    }
    return n;
}

static int connect_or_fail(struct srv *s)
{
    int fd = tl_tcp_connect(s->port, 0);
    if (fd < 0 && !tl_alive(s->p)) {
        tl_result r = srv_wait(s);
        cr_assert_fail("-m %s: cannot connect: the server is gone.\n  %s", s->model,
                       tl_explain(&r));
    }
    cr_assert(fd >= 0, "cannot connect to the server on port %d.\n%s", s->port, srv_hint(s));
    return fd;
}

/* Send one line, expect its reply within REPLY_MS. */
static void exchange_ok(struct srv *s, int fd, const char *line, const char *what)
{
    char out[128];
    size_t len = strlen(line);
    size_t got = tl_exchange(fd, line, len, out, len, REPLY_MS, 0, 0);
    bool ok = replies_match(line, len, out, got, false, msg, sizeof msg);
    if (!ok && !tl_alive(s->p)) {
        tl_result r = srv_wait(s);
        cr_assert_fail("-m %s, %s: %s; the server is gone.\n  %s", s->model, what, msg,
                       tl_explain(&r));
    }
    if (!ok) /* stopped and explained: its Reproduce line has any perturbation */
        srv_fail(s, SIGTERM, "-m %s, %s: %s.", s->model, what, msg);
}

/* ---------- what the Reproduce line shows ---------- */

/* The line's clients do what the test's do: n connections its shell holds (bash's
 * /dev/tcp, descriptors 10 and up), each served a line (serve_clients) or not. */
#define LINE_SERVED "for i in $(seq %d); do exec {c}<>/dev/tcp/127.0.0.1/%d; echo 'which " \
                    "mechanism serves me?' >&$c; read -t 3 -r l <&$c; done"
#define LINE_CONNECTED "for i in $(seq %d); do exec {c}<>/dev/tcp/127.0.0.1/%d; done"

/* The test saw text looking at the live server as shell does (on $!): the Reproduce
 * line runs shell there and prints the same (testlib's tl_note_seen), so that it shows
 * the wrong state again and the Reproduce check can tell. */
static void show_seen(struct srv *s, const char *shell, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void show_seen(struct srv *s, const char *shell, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    tl_note_seen(s->p, shell, text);
}

/* Its children, one pid a line, as `pgrep -P $!` prints them. */
static void show_children(struct srv *s)
{
    pid_t kids[64];
    char text[256];
    int n = tl_proc_children(s->pid, kids, 64), len = 0;
    text[0] = '\0';
    for (int i = 0; i < n && len < (int)sizeof text - 12; i++)
        len += snprintf(text + len, sizeof text - (size_t)len, "%d\n", (int)kids[i]);
    show_seen(s, "pgrep -P $!", "%s", text);
}

/* Its threads, as `ls /proc/$!/task | wc -l` counts them. */
static void show_threads(struct srv *s, int n)
{
    show_seen(s, "ls /proc/$!/task | wc -l", "%d\n", n);
}

/* The system call it waits in, as `cut -d' ' -f1 /proc/$!/syscall` prints it (its
 * number; "running" while it runs: give it a moment to block again). Nothing shown
 * when /proc does not say. */
static void show_syscall(struct srv *s)
{
    char path[64], word[32] = "";
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)s->pid);
    double until = tl_now_ms() + tl_deadline(1000);
    for (;;) {
        FILE *f = fopen(path, "r");
        int k = f ? fscanf(f, "%31s", word) : 0;
        if (f)
            fclose(f);
        if (k != 1 || strcmp(word, "running") || tl_now_ms() >= until)
            break;
        tl_sleep_ms(10);
    }
    if (word[0] >= '0' && word[0] <= '9')
        show_seen(s, "cut -d' ' -f1 /proc/$!/syscall", "%s\n", word);
}

/* Connect n clients and have each one served a line (they stay connected). */
static void serve_clients(struct srv *s, int *fds, int n)
{
    srv_peer(s, LINE_SERVED, n, s->port);
    for (int i = 0; i < n; i++) {
        fds[i] = connect_or_fail(s);
        exchange_ok(s, fds[i], "which mechanism serves me?\n", "a client among several");
    }
}

static void close_all(int *fds, int n)
{
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

/* The server forked no process at all (the recorder saw no fork() call in it). */
static void expect_no_fork(struct srv *s, const char *why)
{
    pid_t who[4];
    int n = tl_trace_callers(s->pid, "fork", who, 4);
    if (n > 0)
        srv_fail(s, SIGTERM, "-m %s: the server called fork() (process %d): %s", s->model,
                 (int)who[0], why);
}

/* Stop the server (nothing but the ready line printed) after the checks. */
static void finish(struct srv *s, bool client_errors)
{
    srv_finish(s, client_errors);
}

/* ---------- thread, pool: threads, not processes ---------- */

Test(thread, really_uses_threads, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    struct srv s;
    int fds[NCLIENTS];
    srv_start(&s, "thread", NULL, NULL);
    serve_clients(&s, fds, NCLIENTS);
    int kids = children_count(s.pid);
    if (kids > 0) {
        show_children(&s);
        srv_fail(&s, SIGTERM, "-m thread: with %d clients connected the server has %d child "
                 "process(es): the thread model serves each client in a thread "
                 "(pthread_create), never in a process (the Reproduce line lists them).",
                 NCLIENTS, kids);
    }
    int n = wait_threads(s.pid, NCLIENTS + 1, 1 << 20, 1000);
    if (n < NCLIENTS + 1) {
        show_threads(&s, n);
        srv_fail(&s, SIGTERM, "-m thread: with %d clients connected (each served a line) "
                 "the server has %d thread(s) (/proc/%d/task): expected a thread per client "
                 "besides the one that accepts, at least %d.", NCLIENTS, n, (int)s.pid,
                 NCLIENTS + 1);
    }
    expect_no_fork(&s, "the thread model uses threads only.");
    close_all(fds, NCLIENTS);
    finish(&s, false);
}

/* WORKERS threads serve WORKERS clients at a time; more clients wait in the queue and
 * make no new thread: WORKERS threads plus the main one (the acceptor), from the start. */
Test(pool, really_uses_a_pool_of_threads, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30)
{
    struct srv s;
    int fds[2 * POOL_WORKERS];
    srv_start(&s, "pool", POOL_ARGS, NULL);
    int n = wait_threads(s.pid, POOL_WORKERS + 1, POOL_WORKERS + 1, 1000);
    if (n != POOL_WORKERS + 1) {
        if (tl_alive(s.p)) /* a server that is gone has no /proc/PID/task to show */
            show_threads(&s, n);
        srv_fail(&s, SIGTERM, "-m pool -w %d: once started, before any client, the server "
                 "has %d thread(s) (/proc/%d/task): a pool starts its %d worker threads at "
                 "once, besides the main thread that accepts (%d in all).", POOL_WORKERS, n,
                 (int)s.pid, POOL_WORKERS, POOL_WORKERS + 1);
    }
    serve_clients(&s, fds, POOL_WORKERS);
    srv_peer(&s, LINE_CONNECTED, POOL_WORKERS, s.port);
    for (int i = POOL_WORKERS; i < 2 * POOL_WORKERS; i++)
        fds[i] = connect_or_fail(&s);
    tl_sleep_ms(200); /* time to make a thread per client, if it does */
    int kids = children_count(s.pid);
    if (kids > 0) {
        show_children(&s);
        srv_fail(&s, SIGTERM, "-m pool -w %d: with %d clients connected the server has %d "
                 "child process(es): the pool's workers are threads, never processes.",
                 POOL_WORKERS, 2 * POOL_WORKERS, kids);
    }
    n = wait_threads(s.pid, POOL_WORKERS + 1, POOL_WORKERS + 1, 1000);
    if (n != POOL_WORKERS + 1) {
        show_threads(&s, n);
        srv_fail(&s, SIGTERM, "-m pool -w %d: with %d clients connected (%d of them served "
                 "a line) the server has %d thread(s) (/proc/%d/task): a pool starts its %d "
                 "worker threads once and makes no thread per client (%d threads in all: "
                 "the workers and the main thread, which accepts).", POOL_WORKERS,
                 2 * POOL_WORKERS, POOL_WORKERS, n, (int)s.pid, POOL_WORKERS,
                 POOL_WORKERS + 1);
    }
    expect_no_fork(&s, "the pool's workers are threads.");
    close_all(fds, 2 * POOL_WORKERS);
    finish(&s, false);
}

/* ---------- select, poll, epoll, epoll-et: one thread, its own system call ---------- */

/* -m epoll-et: the server registered sockets with EPOLLET, and never without. */
static void expect_edge_triggered(struct srv *s)
{
    pid_t et[4], lt[4];
    int a = tl_trace_callers(s->pid, "epoll_ctl_et", et, 4);
    int b = tl_trace_callers(s->pid, "epoll_ctl_lt", lt, 4);
    bool edge = false, level = false;
    for (int i = 0; i < a; i++)
        edge |= et[i] == s->pid;
    for (int i = 0; i < b; i++)
        level |= lt[i] == s->pid;
    if (a >= 0 && !edge)
        srv_fail(s, SIGTERM, "-m epoll-et: the server served %d clients without ever "
                 "registering a socket with EPOLLET (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) with "
                 "ev.events = EPOLLIN | EPOLLET): the epoll-et loop is edge-triggered.",
                 NCLIENTS);
    if (level)
        srv_fail(s, SIGTERM, "-m epoll-et: the server registered a socket level-triggered "
                 "(an EPOLL_CTL_ADD or MOD without EPOLLET: the timeline shows the first): "
                 "every descriptor of the epoll-et loop, the listener and each connection, "
                 "has EPOLLET in every ADD and MOD.");
}

static void t_event(const char *m, const char *call, const char *other)
{
    struct srv s;
    int fds[NCLIENTS];
    srv_start(&s, m, NULL, NULL);
    serve_clients(&s, fds, NCLIENTS);
    int kids = children_count(s.pid), n = thread_count(s.pid);
    if (kids > 0) {
        show_children(&s);
        srv_fail(&s, SIGTERM, "-m %s: with %d clients connected the server has %d child "
                 "process(es): an event loop serves every client in one process.", m,
                 NCLIENTS, kids);
    }
    if (n != 1) {
        show_threads(&s, n);
        srv_fail(&s, SIGTERM, "-m %s: with %d clients connected the server has %d threads "
                 "(/proc/%d/task): an event loop serves every client from one thread.", m,
                 NCLIENTS, n, (int)s.pid);
    }
    pid_t who[8];
    int a = tl_trace_callers(s.pid, call, who, 8), b = tl_trace_callers(s.pid, other, who + 4, 4);
    bool self = false;
    for (int i = 0; i < (a > 0 ? a : 0); i++)
        self |= who[i] == s.pid;
    for (int i = 0; i < (b > 0 ? b : 0); i++)
        self |= who[4 + i] == s.pid;
    if (a >= 0 && !self) {
        show_syscall(&s);
        srv_fail(&s, SIGTERM, "-m %s: the server served %d clients without ever calling "
                 "%s() (or %s()): the %s model waits for its sockets with %s. (The "
                 "Reproduce line prints the number of the system call it waits in, from "
                 "/proc/PID/syscall; on x86-64 23 is select, 270 pselect6, 7 poll, 271 "
                 "ppoll, 232 epoll_wait, 281 epoll_pwait.)", m, NCLIENTS, call, other, m,
                 call);
    }
    expect_no_fork(&s, "an event loop serves every client in one process.");
    if (!strcmp(m, "epoll-et"))
        expect_edge_triggered(&s);
    close_all(fds, NCLIENTS);
    finish(&s, false);
}

Test(select, really_uses_select, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{ t_event("select", "select", "pselect"); }
Test(poll, really_uses_poll, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{ t_event("poll", "poll", "ppoll"); }
Test(epoll, really_uses_epoll, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{ t_event("epoll", "epoll_wait", "epoll_pwait"); }
Test(epoll_et, really_uses_epoll_et, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{ t_event("epoll-et", "epoll_wait", "epoll_pwait"); }

/* ---------- reuseport: a listener per worker process ---------- */

/* The inodes of the sockets listening on TCP port (IPv4 and IPv6), at most max. */
static int listeners_on(int port, unsigned long *inodes, int max)
{
    static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
    int n = 0;
    for (int f = 0; f < 2; f++) {
        FILE *in = fopen(files[f], "r");
        char line[512];
        while (in && fgets(line, sizeof line, in) && n < max) {
            char local[64];
            unsigned st, lport;
            unsigned long ino;
            if (sscanf(line, " %*d: %63s %*s %x %*s %*s %*s %*s %*s %lu", local, &st, &ino) != 3)
                continue;
            const char *colon = strrchr(local, ':');
            if (colon && sscanf(colon + 1, "%x", &lport) == 1 && (int)lport == port &&
                st == 0x0A && ino != 0)
                inodes[n++] = ino;
        }
        if (in)
            fclose(in);
    }
    return n;
}

static bool among(unsigned long v, const unsigned long *set, int n)
{
    for (int i = 0; i < n; i++)
        if (set[i] == v)
            return true;
    return false;
}

static bool pid_among(pid_t v, const pid_t *set, int n)
{
    for (int i = 0; i < n; i++)
        if (set[i] == v)
            return true;
    return false;
}

Test(reuseport, really_uses_reuseport_workers, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30)
{
    struct srv s;
    pid_t workers[8];
    unsigned long lis[16], reuse[16];
    pid_t setter[16], epollers[16];
    srv_start(&s, "reuseport", REUSEPORT_ARGS, NULL);
    int nw = 0, nl = 0;
    double until = tl_now_ms() + tl_deadline(3000);
    do { /* the workers start after the ready line: wait for them and their listeners */
        tl_sleep_ms(5);
        nw = tl_proc_children(s.pid, workers, 8);
        nl = listeners_on(s.port, lis, 16);
    } while ((nw < 2 || nl < 2) && tl_now_ms() < until);
    if (nw != 2)
        srv_fail(&s, SIGTERM, "-m reuseport -w 2: the server has %d child process(es), "
                 "expected its 2 worker processes.", nw);
    /* A worker closes the listeners it inherited at fork() (the others') a moment after
     * it starts: judge what each holds once that moment has passed (2 s at most). */
    int held[2] = { -1, -1 }, k[2];
    double settle = tl_now_ms() + tl_deadline(2000);
    for (;;) {
        for (int w = 0; w < 2; w++) {
            k[w] = 0;
            for (int i = 0; i < nl; i++)
                if (tl_holds_socket(workers[w], lis[i]))
                    held[w] = i, k[w]++;
        }
        if ((k[0] == 1 && k[1] == 1) || tl_now_ms() >= settle)
            break;
        tl_sleep_ms(10);
        nl = listeners_on(s.port, lis, 16);
    }
    for (int w = 0; w < 2; w++)
        if (k[w] != 1)
            srv_fail(&s, SIGTERM, "-m reuseport -w 2: worker %d holds %d of the %d sockets "
                     "listening on port %d: each worker process has its own listener (its "
                     "own accept queue), and only that one.", (int)workers[w], k[w], nl,
                     s.port);
    if (held[0] == held[1])
        srv_fail(&s, SIGTERM, "-m reuseport -w 2: both workers (%d and %d) hold the same "
                 "listening socket (inode %lu): each worker opens its own listener with "
                 "SO_REUSEPORT on the same port, so that the kernel spreads connections "
                 "over their accept queues.", (int)workers[0], (int)workers[1], lis[held[0]]);
    int nr = tl_trace_reuseport(s.pid, reuse, setter, 16);
    for (int w = 0; w < 2 && nr >= 0; w++)
        if (!among(lis[held[w]], reuse, nr))
            srv_fail(&s, SIGTERM, "-m reuseport -w 2: the listener of worker %d (inode %lu) "
                     "never had SO_REUSEPORT set (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, "
                     "&one, sizeof one) before bind: tcp_listen(addr, port, true)).",
                     (int)workers[w], lis[held[w]]);
    int fds[NCLIENTS];
    serve_clients(&s, fds, NCLIENTS);
    int ne = tl_trace_callers(s.pid, "epoll_wait", epollers, 8);
    int np = tl_trace_callers(s.pid, "epoll_pwait", epollers + 8, 8);
    for (int w = 0; w < 2 && ne >= 0; w++)
        if (!pid_among(workers[w], epollers, ne) && !pid_among(workers[w], epollers + 8, np))
            srv_fail(&s, SIGTERM, "-m reuseport -w 2: worker %d never called epoll_wait(): "
                     "each worker runs the epoll loop on its own listener.", (int)workers[w]);
    close_all(fds, NCLIENTS);
    finish(&s, false);
}

/* ---------- fork: fork() fails ---------- */

/* TL_PERTURB=fork_fail=2: the server's second fork() fails with EAGAIN (as at a process
 * limit). That client's connection is closed without a reply, the failure reported on
 * stderr, and the next client served as usual. */
Test(fork, fork_failure_costs_one_client, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30)
{
    struct srv s;
    srv_start(&s, "fork", NULL, "fork_fail=2");
    /* the line's clients: the first served, the second closed without a reply */
    srv_peer(&s, "exec 7<>/dev/tcp/127.0.0.1/%d; echo 'first client' >&7; read -t 3 -r l <&7; "
             "exec 7<&-; exec 8<>/dev/tcp/127.0.0.1/%d; timeout 2 cat <&8 >&2; exec 8<&-",
             s.port, s.port);
    int a = connect_or_fail(&s);
    exchange_ok(&s, a, "first client\n", "the first client (its fork succeeds)");
    close(a);
    int b = connect_or_fail(&s);
    char buf[64];
    bool eof = false;
    size_t got = tl_recv_all(b, buf, sizeof buf, 2000, &eof);
    if (!eof || got > 0) {
        if (!tl_alive(s.p)) {
            tl_result r = srv_wait(&s);
            cr_assert_fail("-m fork: the server's second fork() failed (EAGAIN, as at a "
                           "process limit) and the server ended: a failed fork costs that "
                           "client only. Close its connection, report \"shake_server: fork: "
                           "REASON\" on stderr, go back to accept().\n  %s", tl_explain(&r));
        }
        srv_fail(&s, SIGTERM, "-m fork: the server's second fork() failed (EAGAIN): that "
                 "client's connection must be closed at once, without a reply (the client "
                 "%s).", eof ? "got bytes first" : "waited 2 s and it was still open");
    }
    close(b);
    tl_sleep_ms(100); /* a server that gives up on a failed fork() is gone by now */
    if (!tl_alive(s.p)) {
        tl_result r = srv_wait(&s);
        cr_assert_fail("-m fork: the server's second fork() failed (EAGAIN, as at a process "
                       "limit) and the server ended: a failed fork costs that client only. "
                       "Close its connection, report \"shake_server: fork: REASON\" on "
                       "stderr, go back to accept().\n  %s", tl_explain(&r));
    }
    srv_peer(&s, "echo 'third client' | socat -t 2 - " SRV_TCP " >&2", s.port);
    int c = connect_or_fail(&s);
    exchange_ok(&s, c, "third client\n", "the client after a failed fork() (the server must "
                "go back to accept() and fork for it as usual)");
    close(c);
    double took;
    tl_result r = srv_stop(&s, 2000, &took);
    cr_assert(r.exited && r.status == 0, "-m fork, SIGTERM after a failed fork(): the server "
              "must exit with status 0, it %s.\n  %s", tl_ending(&r), tl_explain(&r));
    cr_assert(srv_output_ok(&s, &r, true, msg, sizeof msg), "-m fork: %s.\n  %s", msg,
              tl_explain(&r));
    cr_assert(strstr(r.err, "shake_server: fork: ") == r.err ||
              strstr(r.err, "\nshake_server: fork: "),
              "-m fork: fork() failed (EAGAIN): the server must report it on stderr as "
              "\"shake_server: fork: REASON\" (strerror(errno)); stderr was \"%s\".\n  %s",
              tl_shown_text(r.err, r.err_len, 300), tl_explain(&r));
    cr_assert(tl_clean(&r), "-m fork, after a failed fork(): %s", tl_explain(&r));
    tl_result_free(&r);
}
