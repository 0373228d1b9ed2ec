/*
 * test_pool.c: the pool model's own contract (README.md section 2, "Limits per model"):
 * one acceptor (the main thread), WORKERS workers fed through a bounded queue under one
 * mutex, idle workers asleep on a condition variable. The behavioural suite
 * (test_models.c) and the thread count (test_mechanism.c) cannot see how the workers
 * wait; these tests look at the live server and widen the races of a condition
 * variable with the test library (testlib/tl_preload.c):
 *
 *   workers_wait_on_a_condition_variable  the recorder sees pthread_cond_wait() in a
 *           worker thread and no accept() outside the main thread
 *   queue_serves_after_busy   -w 2, both workers busy: a third client waits, and is
 *           served as soon as one of the two leaves
 *   no_busy_wait   -w 8 idle for 1 s: no CPU time, no wake-ups (polling, sleep loops)
 *   lost_wakeup    TL_PERTURB=cond_wait,mutex_lock: every pthread_cond_wait() and
 *           pthread_mutex_lock() waits 30 ms first; a queue tested or changed without
 *           the mutex loses a wake-up
 *   spurious_wakeups   TL_PERTURB=cond_spurious=3: one pthread_cond_wait() in 3 returns
 *           at once; a worker that tests with `if` pops from an empty queue
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"
#include "tl_trace.h"

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

/* Wait up to ms (scaled) until pid has n threads; the last count. */
static int wait_threads(pid_t pid, int n, int ms)
{
    double until = tl_now_ms() + tl_deadline(ms);
    int k = thread_count(pid);
    while (k != n && k > 0 && tl_now_ms() < until) {
        tl_sleep_ms(5);
        k = thread_count(pid);
    }
    return k;
}

/* CPU time of the whole process (every thread) in ms: utime + stime of /proc/PID/stat;
 * -1 if it is gone. */
static double cpu_ms(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the name may hold spaces */
    unsigned long ut, st;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
                     &st) != 2)
        return -1;
    return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* Context switches of all the threads of pid (voluntary: it slept; involuntary: it was
 * preempted while running); -1 if it is gone. A thread asleep in the kernel has none. */
static long switches(pid_t pid)
{
    char path[96], line[256];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long total = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%.20s/status", (int)pid, e->d_name);
        FILE *f = fopen(path, "r");
        long v;
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
                sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
                total += v;
        if (f)
            fclose(f);
    }
    closedir(d);
    return total;
}

static int connect_or_fail(struct srv *s)
{
    int fd = tl_tcp_connect(s->port, 0);
    if (fd < 0 && !tl_alive(s->p)) {
        tl_result r = srv_wait(s);
        cr_assert_fail("-m pool: cannot connect: the server is gone.\n  %s", tl_explain(&r));
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
        cr_assert_fail("-m pool, %s: %s; the server is gone.\n  %s", what, msg,
                       tl_explain(&r));
    }
    if (!ok) /* stopped and explained: its Reproduce line has any perturbation */
        srv_fail(s, SIGTERM, "-m pool, %s: %s.", what, msg);
}

/* ---------- the mechanism ---------- */

/* The workers sleep on a condition variable (the recorder notes the first
 * pthread_cond_wait() or pthread_cond_timedwait() made by a thread other than the
 * main one) and only the main thread accepts. */
Test(pool, workers_wait_on_a_condition_variable, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30)
{
    struct srv s;
    srv_start(&s, "pool", ((const char *const[]){ "-w", "4", NULL }), NULL);
    srv_peer(&s, "for i in 1 2 3; do echo 'who accepts me?' | socat -t 2 - " SRV_TCP
             " >&2; done; sleep 0.2; kill -TERM $!", s.port);
    for (int i = 0; i < 3; i++) { /* each worker, once it served one, pops again: waits */
        int fd = connect_or_fail(&s);
        exchange_ok(&s, fd, "who accepts me?\n", "a client");
        close(fd);
    }
    tl_sleep_ms(200);
    pid_t who[4];
    int w = tl_trace_callers(s.pid, "cond_wait", who, 4);
    int t = tl_trace_callers(s.pid, "cond_timedwait", who, 4);
    int a = tl_trace_callers(s.pid, "thread_accept", who, 4);
    if (w == 0 && t == 0)
        srv_fail(&s, SIGTERM, "-m pool -w 4: 3 clients were served and no thread other than "
                 "the main one ever called pthread_cond_wait(): an idle worker sleeps on the "
                 "queue's condition variable (while the queue is empty: "
                 "pthread_cond_wait(&not_empty, &lock)), and the acceptor wakes it with "
                 "pthread_cond_signal() after each push.");
    if (a > 0)
        srv_fail(&s, SIGTERM, "-m pool -w 4: a thread other than the main one called "
                 "accept() (first accept() in a thread, in the timeline): the main thread "
                 "is the only acceptor; it pushes each connection into the queue the "
                 "workers pop from.");
    srv_finish(&s, false);
}

/* ---------- at most WORKERS at a time, the others wait in the queue ---------- */

Test(pool, queue_serves_after_busy, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    struct srv s;
    srv_start(&s, "pool", ((const char *const[]){ "-w", "2", NULL }), NULL);
    srv_peer(&s, "exec 7<>/dev/tcp/127.0.0.1/%d 8<>/dev/tcp/127.0.0.1/%d; echo one >&7; "
             "echo two >&8; sleep 0.1; echo 'the third waits' | timeout 3 socat -t 3 - "
             SRV_TCP " >&2 & sleep 0.5; exec 7>&-; wait; kill -TERM $!", s.port, s.port,
             s.port);
    int a = connect_or_fail(&s), b = connect_or_fail(&s);
    exchange_ok(&s, a, "one\n", "the first of two clients (-w 2)");
    exchange_ok(&s, b, "two\n", "the second of two clients (-w 2)");
    int c = connect_or_fail(&s);
    const char *line = "the third waits\n";
    size_t len = strlen(line);
    cr_assert(tl_write_within(c, line, len, REPLY_MS));
    char out[64];
    ssize_t early = tl_recv_within(c, out, sizeof out, 500);
    if (early > 0)
        srv_fail(&s, SIGTERM, "-m pool -w 2: two clients hold both workers, and a third one "
                 "was answered at once: at most WORKERS clients are served at a time, the "
                 "others wait in the queue until a worker is free.");
    if (early == 0 || early == -1)
        srv_fail(&s, SIGTERM, "-m pool -w 2: two clients hold both workers, and the "
                 "connection of a third one was closed: it must wait in the queue (1024 "
                 "places) until a worker is free.");
    close(a);
    size_t got = tl_recv_all(c, out, len, 2000, NULL);
    if (!replies_match(line, len, out, got, false, msg, sizeof msg))
        srv_fail(&s, SIGTERM, "-m pool -w 2: two clients held both workers while a third "
                 "waited in the queue; the first one left, and within 2 s the third one "
                 "got: %s. The freed worker pops the next queued connection.", msg);
    close(b), close(c);
    srv_finish(&s, false);
}

/* ---------- idle workers sleep ---------- */

#define IDLE_WORKERS 8
#define IDLE_MS 1000
#define MAX_CPU_MS 50
#define MAX_SWITCHES 4

Test(pool, no_busy_wait, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    struct srv s;
    srv_start(&s, "pool", ((const char *const[]){ "-w", "8", NULL }), NULL);
    srv_peer(&s, "sleep 1.5; ps -L -o tid,stat,time,wchan:20 -p $! >&2; kill -TERM $!");
    int n = wait_threads(s.pid, IDLE_WORKERS + 1, 2000);
    tl_sleep_ms(200); /* the workers have started and gone to sleep */
    double c0 = cpu_ms(s.pid);
    long w0 = switches(s.pid);
    tl_sleep_ms(IDLE_MS); /* not scaled: what is measured is the server's, per second */
    double c1 = cpu_ms(s.pid);
    long w1 = switches(s.pid);
    if (c0 < 0 || c1 < 0 || w0 < 0 || w1 < 0) {
        tl_result r = srv_wait(&s);
        cr_assert_fail("-m pool -w 8: the server ended while idle.\n  %s", tl_explain(&r));
    }
    if (c1 - c0 >= MAX_CPU_MS)
        srv_fail(&s, SIGTERM, "-m pool -w 8 (%d threads), no client for 1 s: the server "
                 "used %.0f ms of CPU time (/proc/%d/stat, utime + stime; at most %d): idle "
                 "workers must sleep on the condition variable (pthread_cond_wait), not "
                 "test the queue in a loop.", n, c1 - c0, (int)s.pid, MAX_CPU_MS);
    if (w1 - w0 > MAX_SWITCHES)
        srv_fail(&s, SIGTERM, "-m pool -w 8 (%d threads), no client for 1 s: its threads "
                 "woke up %ld times (context switches, /proc/%d/task/*/status; at most %d): "
                 "idle workers must sleep on the condition variable until the acceptor "
                 "signals it, not wake up to look at the queue (a usleep() or timed loop).",
                 n, w1 - w0, (int)s.pid, MAX_SWITCHES);
    srv_finish(&s, false);
}

/* ---------- the races of a condition variable ---------- */

#define LOST_CLIENTS 30
/* Every pthread_cond_wait() waits 30 ms before it sleeps (the mutex held), and every
 * pthread_mutex_lock() 30 ms before it locks. With -w 1, the worker takes the mutex twice
 * after a client leaves (to close it, to pop) before it tests the queue, then waits:
 *  - a worker that tests the queue before it locks, then locks and waits, misses a push
 *    made (after the acceptor's own 30 ms) between its test and its lock: a client that
 *    connects 0-30 ms after the previous one left;
 *  - an acceptor that pushes and signals without the mutex signals nobody while the
 *    worker is in its cond_wait delay: a client that connects 60-90 ms after.
 * The gaps between clients cycle through both windows (the lines show them); a correct
 * pool only answers later. */
#define LOST_PERTURB "cond_wait=30000-30000,mutex_lock=30000-30000"
static const int lost_gap_ms[4] = { 10, 65, 20, 80 };

Test(pool, lost_wakeup, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    struct srv s;
    srv_start(&s, "pool", ((const char *const[]){ "-w", "1", NULL }), LOST_PERTURB);
    srv_peer(&s, "g=(0.01 0.065 0.02 0.08); for i in $(seq %d); do echo \"client $i\" | "
             "socat -t 3 - " SRV_TCP " >&2; sleep ${g[i %% 4]}; done; kill -TERM $!",
             LOST_CLIENTS, s.port);
    char line[64], what[160];
    for (int i = 1; i <= LOST_CLIENTS; i++) {
        int fd = connect_or_fail(&s);
        snprintf(line, sizeof line, "client %d\n", i);
        snprintf(what, sizeof what, "-w 1, client %d of %d, one after the other (each "
                 "pthread_mutex_lock() and pthread_cond_wait() delayed by 30 ms)", i,
                 LOST_CLIENTS);
        exchange_ok(&s, fd, line, what);
        close(fd);
        /* the next one comes while the worker is between its test and its sleep */
        tl_sleep_ms(lost_gap_ms[i % 4]);
    }
    srv_finish(&s, false);
}

#define SPURIOUS_CLIENTS 40

Test(pool, spurious_wakeups, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    struct srv s;
    srv_start(&s, "pool", ((const char *const[]){ "-w", "2", NULL }), "cond_spurious=3");
    srv_peer(&s, "for i in $(seq %d); do echo \"client $i\" | socat -t 3 - " SRV_TCP
             " >&2; done; kill -TERM $!", SPURIOUS_CLIENTS, s.port);
    char line[64], what[160];
    for (int i = 1; i <= SPURIOUS_CLIENTS; i++) {
        int fd = connect_or_fail(&s);
        snprintf(line, sizeof line, "client %d\n", i);
        snprintf(what, sizeof what, "-w 2, client %d of %d, one after the other (one "
                 "pthread_cond_wait() in 3 returns at once)", i, SPURIOUS_CLIENTS);
        exchange_ok(&s, fd, line, what);
        close(fd);
    }
    double took;
    tl_result r = srv_stop(&s, 2000, &took);
    cr_assert(r.exited && r.status == 0 && took < tl_deadline(2000),
              "-m pool -w 2, one pthread_cond_wait() in 3 returning at once (a spurious "
              "wake-up, which POSIX allows): after %d clients, SIGTERM: the server must exit "
              "with status 0 at once (it %s after %.0f ms). Test the queue again after "
              "every wake-up: while, not if.\n  %s", SPURIOUS_CLIENTS, tl_ending(&r), took,
              tl_explain(&r));
    cr_assert(srv_output_ok(&s, &r, false, msg, sizeof msg), "-m pool -w 2, spurious "
              "wake-ups: %s. Test the queue again after every wake-up: while, not if.\n  %s",
              msg, tl_explain(&r));
    cr_assert(tl_clean(&r), "-m pool, spurious wake-ups: %s", tl_explain(&r));
    tl_result_free(&r);
}
