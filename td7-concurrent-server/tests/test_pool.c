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
 *   queue_keeps_every_waiting_client, sigterm_with_clients_queued,
 *   queue_full_closes_new_connections   the queue with -w 1: every waiting client served
 *           in turn; SIGTERM closes the waiting ones; the 1025th waiting one is closed
 *   sigterm_as_a_worker_goes_to_sleep   SIGTERM while the worker is between its test
 *           of the queue and its sleep: stopping set and broadcast under the mutex
 *   survives_running_out_of_descriptors   accept() failing with EMFILE is reported and
 *           costs those clients only
 * (the last five were found by mutation testing, tools/mutate)
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
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
    /* the line stops at the first client without a reply, as the test does */
    srv_peer(&s, "g=(0.01 0.065 0.02 0.08); for i in $(seq %d); do r=$(echo \"client $i\" | "
             "socat -t 1.5 - " SRV_TCP "); echo \"$r\" >&2; [ -n \"$r\" ] || break; sleep "
             "${g[i&3]}; done; kill -TERM $!", LOST_CLIENTS, s.port);
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
        snprintf(line, sizeof line, "client %d\n", i);
        snprintf(what, sizeof what, "-w 2, client %d of %d, one after the other (one "
                 "pthread_cond_wait() in 3 returns at once)", i, SPURIOUS_CLIENTS);
        int fd = tl_tcp_connect(s.port, 0);
        if (fd < 0) /* the message names the perturbation, as buggy/ Timeline-shows expects */
            srv_fail(&s, SIGTERM, "-m pool, %s: cannot connect%s.", what,
                     tl_alive(s.p) ? "" : ": the server is gone");
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

/* ---------- the queue: waiting clients, a full queue, SIGTERM ---------- */

#define QUEUED 5

/* -w 1, a silent client holds the worker; 5 clients queue a line each and half-close;
 * the silent one leaves: the worker serves each of them in turn. */
Test(pool, queue_keeps_every_waiting_client, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30)
{
    struct srv s;
    srv_start(&s, "pool", ((const char *const[]){ "-w", "1", NULL }), NULL);
    srv_peer(&s, "exec 7<>/dev/tcp/127.0.0.1/%d; echo first >&7; head -n 1 <&7 >&2; for i in "
             "$(seq %d); do echo \"queued $i\" | timeout 3 socat -t 3 - " SRV_TCP " >&2 & "
             "done; sleep 0.3; exec 7>&-; wait; kill -TERM $!", s.port, QUEUED, s.port);
    int a = connect_or_fail(&s), q[QUEUED];
    exchange_ok(&s, a, "first\n", "-w 1, the client that holds the only worker");
    char line[QUEUED][32];
    for (int k = 0; k < QUEUED; k++) {
        q[k] = connect_or_fail(&s);
        snprintf(line[k], sizeof line[k], "queued %d\n", k + 1);
        cr_assert(tl_write_within(q[k], line[k], strlen(line[k]), REPLY_MS));
        shutdown(q[k], SHUT_WR);
    }
    tl_sleep_ms(300);
    close(a);
    for (int k = 0; k < QUEUED; k++) {
        char out[64];
        bool eof = false;
        size_t len = strlen(line[k]), got = tl_recv_all(q[k], out, sizeof out, 3000, &eof);
        if (!replies_match(line[k], len, out, got, false, msg, sizeof msg) || !eof)
            srv_fail(&s, SIGTERM, "-m pool -w 1: %d clients waited in the queue (each sent "
                     "a line and half-closed) while another held the only worker; it left, "
                     "and the queued client %d got: %s%s. The worker pops every queued "
                     "connection in turn (head advances, count goes down).", QUEUED, k + 1,
                     eof ? msg : "its reply, but its connection was not closed",
                     eof ? "" : " (after EOF the worker answers and closes)");
        close(q[k]);
    }
    srv_finish(&s, false);
}

/* -w 1: SIGTERM while one client is served (silent) and two wait in the queue. */
Test(pool, sigterm_with_clients_queued, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    struct srv s;
    srv_start(&s, "pool", ((const char *const[]){ "-w", "1", NULL }), NULL);
    srv_peer(&s, "exec 7<>/dev/tcp/127.0.0.1/%d; echo first >&7; head -n 1 <&7 >&2; "
             "exec 8<>/dev/tcp/127.0.0.1/%d 9<>/dev/tcp/127.0.0.1/%d; echo second >&8; "
             "echo third >&9; sleep 0.2; kill -TERM $!", s.port, s.port, s.port);
    int a = connect_or_fail(&s);
    exchange_ok(&s, a, "first\n", "-w 1, the client that holds the only worker");
    int b = connect_or_fail(&s), c = connect_or_fail(&s);
    cr_assert(tl_write_within(b, "second\n", 7, REPLY_MS));
    cr_assert(tl_write_within(c, "third\n", 6, REPLY_MS));
    tl_sleep_ms(200);
    double took;
    tl_result r = srv_stop(&s, 2000, &took);
    cr_assert(r.exited && r.status == 0 && took < tl_deadline(2000),
              "-m pool -w 1, SIGTERM while a client held the only worker and two waited in "
              "the queue: the server must shut the served connection down, close the queued "
              "ones, wake and join its worker and exit 0 at once (it %s after %.0f ms).\n  %s",
              tl_ending(&r), took, tl_explain(&r));
    cr_assert(srv_output_ok(&s, &r, false, msg, sizeof msg), "-m pool, SIGTERM with clients "
              "queued: %s.\n  %s", msg, tl_explain(&r));
    cr_assert(tl_clean(&r), "-m pool, SIGTERM with clients queued: %s", tl_explain(&r));
    char out[16];
    bool eb = false, ec = false;
    size_t gb = tl_recv_all(b, out, sizeof out, 1000, &eb), gc = tl_recv_all(c, out, sizeof out,
                                                                           1000, &ec);
    bool ea = tl_wait_eof(a, 1000);
    cr_assert(ea && eb && ec && gb == 0 && gc == 0, "-m pool -w 1, SIGTERM: the served client "
              "must see EOF (%s), and the two queued ones EOF without a reply (second: %s, "
              "%zu bytes; third: %s, %zu bytes).\n  %s", ea ? "yes" : "no", eb ? "EOF" : "open",
              gb, ec ? "EOF" : "open", gc, tl_explain(&r));
    close(a), close(b), close(c);
    tl_result_free(&r);
}

#define QUEUE_MAX 1024
#define FULL_LINE "shake_server: queue full: connection closed\n"

/* -w 1, a client holds the worker, 1024 more fill the queue: the next one is closed at
 * once, and the server says so on stderr. */
Test(pool, queue_full_closes_new_connections, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30)
{
    struct rlimit rl;
    cr_assert(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_cur < QUEUE_MAX + 64 && rl.rlim_max >= QUEUE_MAX + 64) {
        rl.rlim_cur = QUEUE_MAX + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    cr_assert(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= QUEUE_MAX + 64,
              "test setup: this test needs %d descriptors (RLIMIT_NOFILE is %lu, hard %lu)",
              QUEUE_MAX + 64, (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
    static int q[QUEUE_MAX];
    struct srv s;
    srv_start(&s, "pool", ((const char *const[]){ "-w", "1", NULL }), NULL);
    srv_peer(&s, "exec 7<>/dev/tcp/127.0.0.1/%d; echo first >&7; head -n 1 <&7 >&2; for i in "
             "$(seq %d); do exec {c}<>/dev/tcp/127.0.0.1/%d; done; timeout 2 socat -u "
             SRV_TCP " - >&2; kill -TERM $!", s.port, QUEUE_MAX, s.port, s.port);
    int a = connect_or_fail(&s);
    exchange_ok(&s, a, "first\n", "-w 1, the client that holds the only worker");
    for (int k = 0; k < QUEUE_MAX; k++)
        q[k] = connect_or_fail(&s);
    int x = connect_or_fail(&s);
    char out[16];
    bool eof = false;
    size_t got = tl_recv_all(x, out, sizeof out, 2000, &eof);
    if (!eof || got > 0)
        srv_fail(&s, SIGTERM, "-m pool -w 1: one client held the only worker and %d more "
                 "waited in the queue (full: %d places); the connection of one more must be "
                 "closed at once (the client %s).", QUEUE_MAX, QUEUE_MAX,
                 eof ? "got bytes first" : "waited 2 s and it was still open");
    close(x);
    tl_result r = srv_stop(&s, 2000, NULL);
    for (int k = 0; k < QUEUE_MAX; k++)
        close(q[k]);
    close(a);
    cr_assert(r.exited && r.status == 0, "-m pool, SIGTERM after a full queue: exit 0, it "
              "%s.\n  %s", tl_ending(&r), tl_explain(&r));
    cr_assert(srv_output_ok(&s, &r, true, msg, sizeof msg), "-m pool, full queue: %s.\n  %s",
              msg, tl_explain(&r));
    const char *line = strstr(r.err, FULL_LINE);
    cr_assert(line && (line == r.err || line[-1] == '\n') &&
              !strstr(line + strlen(FULL_LINE), FULL_LINE),
              "-m pool: one connection came when the queue was full: stderr must have the "
              "line \"shake_server: queue full: connection closed\" once; it was \"%s\".\n  %s",
              tl_shown_text(r.err, r.err_len, 300), tl_explain(&r));
    tl_result_free(&r);
}

/* ---------- SIGTERM as a worker goes to sleep, running out of descriptors ---------- */

/* -w 1, every pthread_cond_wait() delayed by 30 ms before it sleeps (the mutex held):
 * SIGTERM 10 ms after a client left finds the worker in that delay, on its way to sleep.
 * The acceptor must take the mutex to set stopping and broadcast (it then waits until
 * the worker sleeps, and wakes it); without it the broadcast comes first, wakes nobody,
 * and the worker sleeps for ever. */
Test(pool, sigterm_as_a_worker_goes_to_sleep, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30)
{
    for (int round = 0; round < 3; round++) {
        struct srv s;
        srv_start(&s, "pool", ((const char *const[]){ "-w", "1", NULL }),
                  "cond_wait=30000-30000");
        srv_peer(&s, "echo bye | socat -t 2 - " SRV_TCP " >&2; sleep 0.01; kill -TERM $!",
                 s.port);
        int fd = connect_or_fail(&s);
        exchange_ok(&s, fd, "bye\n", "-w 1, a client (every pthread_cond_wait() delayed by 30 "
                    "ms)");
        close(fd);
        tl_sleep_ms(10);
        double took;
        tl_result r = srv_stop(&s, 2000, &took);
        cr_assert(r.exited && r.status == 0 && took < tl_deadline(2000),
                  "-m pool -w 1, SIGTERM 10 ms after a client left, while the worker was on "
                  "its way to sleep (every pthread_cond_wait() delayed by 30 ms, the mutex "
                  "held): the server must exit 0 at once (it %s after %.0f ms). Set stopping "
                  "and broadcast with the mutex held, so that a worker between its test of "
                  "the queue and its sleep cannot miss the broadcast.\n  %s", tl_ending(&r),
                  took, tl_explain(&r));
        cr_assert(srv_output_ok(&s, &r, false, msg, sizeof msg), "-m pool, SIGTERM as a "
                  "worker goes to sleep: %s.\n  %s", msg, tl_explain(&r));
        cr_assert(tl_clean(&r), "-m pool, SIGTERM as a worker goes to sleep: %s",
                  tl_explain(&r));
        tl_result_free(&r);
    }
}

/* RLIMIT_NOFILE 40 (soft and hard: the server cannot raise it): 60 clients at once run
 * it out of descriptors; accept() fails with EMFILE, which is reported and costs those
 * clients only. Once they leave, the server serves again. */
Test(pool, survives_running_out_of_descriptors, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30)
{
    struct srv s;
    int fds[60];
    srv_start_sh(&s, "pool", ((const char *const[]){ "-w", "4", NULL }), NULL, "ulimit -n 40");
    srv_peer(&s, "(for i in $(seq 60); do exec {c}<>/dev/tcp/127.0.0.1/%d; done; sleep 0.2); "
             "sleep 0.5; echo back | socat -t 2 - " SRV_TCP " >&2; kill -TERM $!", s.port,
             s.port);
    for (int i = 0; i < 60; i++)
        fds[i] = connect_or_fail(&s);
    tl_sleep_ms(200);
    for (int i = 0; i < 60; i++)
        close(fds[i]);
    int fd = -1;
    double until = tl_now_ms() + tl_deadline(3000);
    while (tl_now_ms() < until) {
        if (!tl_alive(s.p)) {
            tl_result r = srv_wait(&s);
            cr_assert_fail("-m pool, 60 clients at once with RLIMIT_NOFILE 40: the server "
                           "ended. accept() failing with EMFILE is about those clients only: "
                           "report it, wait a little, accept again.\n  %s", tl_explain(&r));
        }
        fd = connect_or_fail(&s);
        char out[32];
        size_t got = tl_exchange(fd, "back\n", 5, out, 5, 300, 0, 0);
        if (got == 5 && replies_match("back\n", 5, out, got, false, msg, sizeof msg))
            break;
        close(fd), fd = -1;
    }
    if (fd < 0)
        srv_fail(&s, SIGTERM, "-m pool: 60 clients ran the server out of descriptors "
                 "(RLIMIT_NOFILE 40), then left; 3 s later a new client was still not "
                 "served.");
    close(fd);
    tl_result r = srv_stop(&s, 2000, NULL);
    cr_assert(r.exited && r.status == 0, "-m pool, SIGTERM after running out of descriptors: "
              "exit 0, it %s.\n  %s", tl_ending(&r), tl_explain(&r));
    cr_assert(srv_output_ok(&s, &r, true, msg, sizeof msg), "-m pool: %s.\n  %s", msg,
              tl_explain(&r));
    cr_assert(strstr(r.err, "shake_server: accept: ") != NULL, "-m pool: accept() failed "
              "with EMFILE (60 clients, RLIMIT_NOFILE 40): the server must report it on "
              "stderr, \"shake_server: accept: REASON\" (then wait a little and accept "
              "again); stderr was \"%s\".\n  %s", tl_shown_text(r.err, r.err_len, 300),
              tl_explain(&r));
    tl_result_free(&r);
}
