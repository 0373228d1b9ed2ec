/*
 * test_edges.c: points of td7's contract that the model suites (test_models.c) did not
 * reach, found by mutation testing (tools/mutate, issue 13): an event loop must keep
 * writing the replies a client waits for while it sends nothing more; select refuses a
 * descriptor >= FD_SETSIZE by closing it; the fork model keeps accepting while a child
 * ends and others are served, and ends a child that SIGTERM finds just forked; the
 * thread model survives running out of descriptors; a reuseport server whose worker
 * died exits 1 and signals nothing but its own processes.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support.h"
#include "tl_trace.h"

static char msg[512];

static int edge_connect(struct srv *s, int rcvbuf)
{
    int fd = tl_tcp_connect(s->port, rcvbuf);
    if (fd < 0 && !tl_alive(s->p)) {
        tl_result r = tl_wait(s->p);
        cr_assert_fail("-m %s: cannot connect: the server is gone.\n  %s", s->model,
                       tl_explain(&r));
    }
    cr_assert(fd >= 0, "cannot connect to the server on port %d.\n%s", s->port, srv_hint(s));
    return fd;
}

/* Send one line on fd and expect its reply within REPLY_MS. */
static void edge_exchange(struct srv *s, int fd, const char *line, const char *what)
{
    char out[128];
    size_t len = strlen(line);
    size_t got = tl_exchange(fd, line, len, out, len, REPLY_MS, 0, 0);
    bool ok = replies_match(line, len, out, got, false, msg, sizeof msg);
    if (!ok && !tl_alive(s->p)) {
        tl_result r = tl_wait(s->p);
        cr_assert_fail("-m %s, %s: %s; the server is gone.\n  %s", s->model, what, msg,
                       tl_explain(&r));
    }
    cr_assert(ok, "-m %s, %s: %s.\n%s", s->model, what, msg, srv_hint(s));
}

/* ---------- event loops: replies owed to a client that sends nothing more ---------- */

/* Send in while reading the replies slowly: at most 8 KiB per read, 0.5 ms apart (about
 * 16 MB/s at best), so the server's socket stays full and replies wait in its output
 * buffer. Returns the bytes received; stops at EOF, after ms, or 2 s without progress. */
static size_t slow_exchange(int fd, const char *in, size_t len, char *out, int ms)
{
    double now = tl_now_ms(), until = now + tl_deadline(ms), progress = now;
    size_t sent = 0, got = 0;
    while (got < len && now < until && now - progress < tl_deadline(2000)) {
        struct pollfd pfd = { fd, (short)((sent < len ? POLLOUT : 0) | POLLIN), 0 };
        if (poll(&pfd, 1, 20) < 0 && errno != EINTR)
            break;
        now = tl_now_ms();
        if (pfd.revents & POLLOUT) {
            ssize_t n = send(fd, in + sent, len - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n, progress = now;
            else if (n < 0 && errno != EAGAIN && errno != EINTR)
                break;
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(fd, out + got, len - got < 8192 ? len - got : 8192);
            if (n > 0)
                got += (size_t)n, progress = now;
            else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                break;
            tl_sleep_us(500);
        }
    }
    return got;
}

/* A non-blocking client socket with a fixed 8 KiB receive buffer whose SYN announces a
 * 1000-byte MSS: the server's socket then sizes its send buffer from small segments
 * (tens of KiB, not MiB), so its writes come back short as soon as the client reads
 * slowly, and replies wait in its output buffer. */
static int small_mss_connect(struct srv *s)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), mss = 1000, one = 1, rcv = 8192;
    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv); /* no autotuning */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    tl_test_is_peer();
    cr_assert(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "cannot connect to the "
              "server on port %d: %s.\n%s", s->port, strerror(errno), srv_hint(s));
    cr_assert(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
    return fd;
}

/* 1.5 MB of lines sent without closing the sending side, the replies read slowly: the
 * server's socket is full when its last line is in, and replies wait in its output
 * buffer. From then on the client sends nothing: the server must still write the rest
 * whenever the socket is writable (act on writability even while it also watches for
 * reading). */
static void t_pipelined(const char *m)
{
    struct srv s;
    unsigned seed = tl_random_seed();
    size_t len;
    char *in = tl_random_lines(&seed, 1500, 200, 1800, &len), *out = malloc(len);
    cr_assert(out);
    srv_start(&s, m, NULL, NULL);
    int fd = small_mss_connect(&s);
    size_t got = slow_exchange(fd, in, len, out, 20000);
    cr_assert(got == len, "-m %s: a client sent %zu bytes of lines (its sending side left "
              "open) and read the replies slowly: it got %zu bytes of replies (seed %u). "
              "Replies the socket could not take at once must be written when it becomes "
              "writable again, also once the client sends nothing more.\n%s",
              m, len, got, seed, srv_hint(&s));
    cr_assert(replies_match(in, len, out, got, false, msg, sizeof msg), "-m %s: %s.\n%s", m,
              msg, srv_hint(&s));
    close(fd);
    srv_finish(&s, false);
    free(in), free(out);
}

Test(select, replies_owed_to_a_silent_client, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30) { t_pipelined("select"); }
Test(poll, replies_owed_to_a_silent_client, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30) { t_pipelined("poll"); }
Test(epoll, replies_owed_to_a_silent_client, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30) { t_pipelined("epoll"); }
Test(epoll_et, replies_owed_to_a_silent_client, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30) { t_pipelined("epoll-et"); }

/* ---------- select: descriptors >= FD_SETSIZE ---------- */

/* bash opens 3..1021 before the server starts: its listener is 1022, the first client
 * 1023 (the last select can watch), the next one 1024, which select must refuse. */
#define FILL_FDS "ulimit -n 1100 && i=3 && while [ $i -lt 1022 ]; do eval \"exec $i</dev/null\"; " \
                 "i=$((i + 1)); done"

Test(select, refuses_descriptors_over_fd_setsize, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 1100) {
        /* The grader's sandbox: the server cannot get a descriptor >= 1024 there. */
        cr_log_info("RLIMIT_NOFILE hard limit %ld: a descriptor >= 1024 cannot exist here, "
                    "nothing to check", (long)rl.rlim_max);
        return;
    }
    struct srv s;
    srv_start_sh(&s, "select", NULL, NULL, FILL_FDS);
    int a = edge_connect(&s, 0);
    edge_exchange(&s, a, "descriptor 1023 is served\n", "a client on descriptor 1023");
    int b = edge_connect(&s, 0);
    bool eof = tl_wait_eof(b, 1000);
    cr_assert(eof, "-m select, server started with descriptors 3..1021 open: the second "
              "client is descriptor 1024 in the server, which select() cannot watch "
              "(FD_SETSIZE): the server must close it at once (the client then sees EOF), "
              "not keep it open unanswered.\n%s", srv_hint(&s));
    edge_exchange(&s, a, "and still served after that\n", "the client on descriptor 1023");
    close(a), close(b);
    int c = -1;
    /* The first client's descriptor (1023) is free again once the server has seen it
     * leave: a new client gets it and is served. */
    for (int i = 0; i < 50 && c < 0; i++) {
        tl_sleep_ms(20);
        c = edge_connect(&s, 0);
        if (!tl_wait_eof(c, 50))
            break;
        close(c), c = -1;
    }
    cr_assert(c >= 0, "-m select: after the client on descriptor 1023 left, new clients were "
              "still refused: close a refused descriptor and each ended connection.\n%s",
              srv_hint(&s));
    edge_exchange(&s, c, "1023 again\n", "a new client once 1023 was free");
    close(c);
    srv_finish(&s, true);
}

/* ---------- fork ---------- */

static int children_of(struct srv *s)
{
    pid_t kids[64];
    return tl_proc_children(s->pid, kids, 64) - tl_zombie_children(s->pid);
}

/* A child ends while another client is still being served: the parent reaps it and goes
 * back to accept() (a SIGCHLD handler that waits for every child, WNOHANG forgotten,
 * would block there until the other client leaves). */
Test(fork, accepts_while_a_child_ends, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    struct srv s;
    srv_start(&s, "fork", NULL, NULL);
    int stay = edge_connect(&s, 0);
    edge_exchange(&s, stay, "I stay connected\n", "a client that stays");
    for (int round = 0; round < 3; round++) {
        int leave = edge_connect(&s, 0);
        edge_exchange(&s, leave, "I leave\n", "a client that leaves");
        close(leave);
        double until = tl_now_ms() + tl_deadline(2000);
        while (children_of(&s) > 1 && tl_now_ms() < until)
            tl_sleep_ms(5);
        tl_sleep_ms(20);
        int next = edge_connect(&s, 0);
        edge_exchange(&s, next, "served after a child ended\n",
                      "a new client right after a child ended while another client stayed "
                      "connected (the SIGCHLD handler must not wait for the children still "
                      "running: waitpid(-1, NULL, WNOHANG))");
        close(next);
    }
    close(stay);
    srv_finish(&s, false);
}

/* The child sleeps 300 ms right after fork(), before it resets its signal actions: a
 * SIGTERM that the parent forwards then must still end it (SIGTERM stays blocked from
 * before fork() until the child has put back SIG_DFL), else the child serves on and the
 * parent waits for it forever. */
Test(fork, sigterm_as_a_child_starts, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    struct srv s;
    srv_start(&s, "fork", NULL, "fork_child=300000-300000");
    int fd = edge_connect(&s, 0);
    double until = tl_now_ms() + tl_deadline(3000);
    while (children_of(&s) < 1 && tl_now_ms() < until)
        tl_sleep_ms(2);
    double took;
    tl_result r = srv_stop(&s, 2000, &took);
    cr_assert(r.exited && r.status == 0 && took < tl_deadline(2000),
              "-m fork, SIGTERM while the child of a new connection was just forked (delayed "
              "300 ms before it resets its signal actions): the server must exit with status 0 "
              "at once (it %s after %.0f ms). Keep SIGTERM blocked from before fork() until the "
              "child has put back SIG_DFL, so that the parent's SIGTERM ends it.\n  %s",
              tl_ending(&r), took, tl_explain(&r));
    cr_assert(tl_clean(&r), "-m fork, SIGTERM as a child starts: %s", tl_explain(&r));
    cr_assert(tl_wait_eof(fd, 1000), "-m fork, SIGTERM as a child starts: the client's "
              "connection must be closed.\n  %s", tl_explain(&r));
    close(fd);
    tl_result_free(&r);
}

/* ---------- thread: out of descriptors ---------- */

/* RLIMIT_NOFILE 40 (soft and hard: the server cannot raise it): 60 clients at once run
 * it out of descriptors; accept() fails with EMFILE, which costs those clients only.
 * Once they leave, the server serves again. */
Test(thread, survives_running_out_of_descriptors, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30)
{
    struct srv s;
    int fds[60];
    srv_start_sh(&s, "thread", NULL, NULL, "ulimit -n 40");
    for (int i = 0; i < 60; i++)
        fds[i] = edge_connect(&s, 0);
    tl_sleep_ms(200);
    for (int i = 0; i < 60; i++)
        close(fds[i]);
    int fd = -1;
    double until = tl_now_ms() + tl_deadline(3000);
    while (tl_now_ms() < until) {
        if (!tl_alive(s.p)) {
            tl_result r = tl_wait(s.p);
            cr_assert_fail("-m thread, 60 clients at once with RLIMIT_NOFILE 40: the server "
                           "ended. accept() failing with EMFILE is about those clients only: "
                           "report it, wait a little, accept again.\n  %s", tl_explain(&r));
        }
        fd = edge_connect(&s, 0);
        char out[32];
        size_t got = tl_exchange(fd, "back\n", 5, out, 5, 300, 0, 0);
        if (got == 5 && replies_match("back\n", 5, out, got, false, msg, sizeof msg))
            break;
        close(fd), fd = -1;
    }
    cr_assert(fd >= 0, "-m thread: 60 clients ran the server out of descriptors (RLIMIT_NOFILE "
              "40), then left; 3 s later a new client was still not served.\n%s", srv_hint(&s));
    close(fd);
    srv_finish(&s, true);
}

/* ---------- reuseport: a worker that dies ---------- */

/* The server runs in a shell, as in a pipeline: bash -c 'SERVER ...; echo ...'. A
 * worker killed by SIGKILL makes the server stop its other workers and exit 1 with one
 * line on stderr; it signals its own processes only (kill(pid) of each worker it
 * started, never kill(0, ...): the shell is in its process group too). */
Test(reuseport, worker_death_ends_server, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    char path[PATH_MAX], shown[PATH_MAX + 200];
    const char *dir = getenv("TD_BIN_SHOW");
    if (!realpath(tl_bin("shake_server"), path))
        snprintf(path, sizeof path, "%s", tl_bin("shake_server"));
    snprintf(shown, sizeof shown, "%s%s/shake_server", dir && *dir != '/' ? "./" : "",
             dir && *dir ? dir : ".");
    const char *script = "\"$0\" -p 0 -m reuseport -w 2; echo \"shell: server exited $?\"";
    const char *argv[] = { "/bin/bash", "-c", script, path, NULL };
    const char *show[] = { "/bin/bash", "-c", script, shown, NULL };
    tl_proc *p = tl_start(&(tl_opts){ .argv = argv, .show_argv = show, .deadline_ms = 8000 });
    pid_t server[4], workers[8];
    bool ready = tl_wait_output(p, "\n", 3000);
    int ns = tl_proc_children(tl_pid(p), server, 4), nw = 0;
    double until = tl_now_ms() + tl_deadline(2000);
    while (ns == 1 && (nw = tl_proc_children(server[0], workers, 8)) < 2 && tl_now_ms() < until)
        tl_sleep_ms(5);
    if (!ready || ns != 1 || nw != 2) {
        tl_result r = tl_stop(p, SIGKILL, 1000, NULL, NULL);
        cr_assert_fail("-m reuseport -w 2 under bash: expected the ready line, then one server "
                       "with 2 worker processes (found %d server(s), %d worker(s)).\n  %s",
                       ns, nw, tl_explain(&r));
    }
    kill(workers[0], SIGKILL);
    tl_note_action(p, "sleep 0.5; pkill -KILL -P $(pgrep -P $! shake_server) -n");
    tl_result r = tl_wait(p);
    char want[64];
    int port = 0;
    sscanf(r.out, "listening on port %d", &port);
    snprintf(want, sizeof want, "listening on port %d\nshell: server exited 1\n", port);
    cr_assert(r.exited && r.status == 0 && strcmp(r.out, want) == 0,
              "-m reuseport, run as bash -c 'SERVER; echo ...', one worker killed (SIGKILL): "
              "the server must end its other worker and exit 1, and signal nothing else (not "
              "its process group: the shell it runs in is part of it). The shell %s; its "
              "stdout was \"%s\", expected \"listening on port N\" then \"shell: server exited "
              "1\".\n  %s", tl_ending(&r), tl_shown_text(r.out, r.out_len, 200),
              tl_explain(&r));
    cr_assert(r.err_len > 0 && tl_all_lines_start(r.err, r.err_len, "shake_server: "),
              "-m reuseport, a worker died: the server must say so on stderr, one line "
              "\"shake_server: ...\"; stderr was \"%s\".\n  %s",
              tl_shown_text(r.err, r.err_len, 200), tl_explain(&r));
    cr_assert(tl_clean(&r), "-m reuseport, a worker died: %s", tl_explain(&r));
    pid_t stray[4];
    int nstray = tl_trace_stray_kills(r.pid, stray, 4);
    cr_assert(nstray <= 0, "-m reuseport, a worker died: the server then sent a signal to "
              "process %d, which is none of its workers (pid 1 is init: the test library "
              "refused that one). Signal only the workers still running: a dead worker's "
              "slot must hold no pid (0), and the loop must skip it.\n  %s",
              nstray > 0 ? (int)stray[0] : 0, tl_explain(&r));
    tl_result_free(&r);
}

/* ---------- reuseport: SIGTERM just before the parent waits ---------- */

/* The parent waits for SIGTERM or a worker's death. TL_PERTURB=sigsuspend=...,pause=...
 * makes it linger 300 ms right before sigsuspend() (or pause()) blocks, and SIGTERM
 * comes then: a parent that keeps SIGTERM and SIGCHLD blocked until sigsuspend() swaps
 * its mask in gets the signal there and stops; one that tested stop_requested with the
 * signals unblocked ran the handler already, and sleeps forever (the lost wake-up). */
#define WAIT_PERTURB "sigsuspend=300000,pause=300000"

Test(reuseport, sigterm_as_parent_waits, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    struct srv s;
    srv_start(&s, "reuseport", (const char *const[]){ "-w", "2", NULL }, WAIT_PERTURB);
    pid_t kids[4], who[8];
    double until = tl_now_ms() + tl_deadline(2000);
    while (tl_proc_children(s.pid, kids, 4) < 2 && tl_now_ms() < until)
        tl_sleep_ms(2);
    /* With the recorder on, wait until the parent is in its delay (the sigsuspend or
     * pause event comes before it); else, or for a parent that waits otherwise, 50 ms. */
    bool waiting = false;
    until = tl_now_ms() + tl_deadline(1000);
    while (!waiting && tl_now_ms() < until) {
        int n = tl_trace_callers(s.pid, "sigsuspend", who, 8);
        int m = n < 0 ? -1 : tl_trace_callers(s.pid, "pause", who + n, 8 - n);
        if (n < 0 || m < 0)
            break;
        for (int i = 0; i < n + m; i++)
            waiting = waiting || who[i] == s.pid;
        if (!waiting)
            tl_sleep_ms(2);
    }
    tl_sleep_ms(waiting ? 20 : 50);
    double took;
    tl_result r = srv_stop(&s, 2000, &took);
    cr_assert(r.exited && r.status == 0 && took < tl_deadline(2000), "-m reuseport -w 2, "
              "SIGTERM as the parent was about to wait (delayed 300 ms before sigsuspend() "
              "or pause()): it must stop within 2 s, exit 0; it %s after %.0f ms. Block "
              "SIGTERM/SIGINT/SIGCHLD before testing stop_requested and wait with "
              "sigsuspend(old mask): a signal that comes between the test and the wait then "
              "stays pending until sigsuspend() unblocks it.\n  %s", tl_ending(&r), took,
              tl_explain(&r));
    cr_assert(srv_output_ok(&s, &r, false, msg, sizeof msg), "-m reuseport, SIGTERM as the "
              "parent was about to wait: %s.\n  %s", msg, tl_explain(&r));
    cr_assert(tl_clean(&r), "-m reuseport, SIGTERM as the parent was about to wait: %s",
              tl_explain(&r));
    tl_result_free(&r);
}

/* ---------- fork, thread: accept() errors other than EINTR ---------- */

/* TL_PERTURB=accept_fail=N,accept_errno=E (tl_preload.c) makes the server's Nth accept()
 * fail with E. ENFILE (the system's file table full: "accept out of descriptors") costs
 * nothing but a line: the server reports it and keeps serving. EBADF, an accept() error
 * the server cannot expect, ends it: one line "shake_server: WHAT: REASON", exit 1, its
 * children or threads ended. */
static void t_accept_errors(const char *m)
{
    struct srv s;
    char perturb[64];
    snprintf(perturb, sizeof perturb, "accept_fail=2,accept_errno=%d", ENFILE);
    srv_start(&s, m, NULL, perturb);
    int a = edge_connect(&s, 0);
    edge_exchange(&s, a, "first client\n", "the first client (the next accept() fails with "
                  "ENFILE: the system's file table is full)");
    int b = edge_connect(&s, 0);
    edge_exchange(&s, b, "served after ENFILE\n", "a client after accept() failed with ENFILE "
                  "(report it on stderr and keep accepting, as for EMFILE)");
    close(a), close(b);
    double took;
    tl_result r = srv_stop(&s, 2000, &took);
    cr_assert(r.exited && r.status == 0 && r.err_len > 0 && srv_output_ok(&s, &r, true, msg,
              sizeof msg), "-m %s, accept() failed once with ENFILE: the server must report it "
              "(\"shake_server: accept: REASON\"), keep serving, then exit 0 at SIGTERM; it %s, "
              "stderr \"%s\"%s%s.\n  %s", m, tl_ending(&r), tl_shown_text(r.err, r.err_len, 200),
              r.err_len > 0 ? "; " : "", r.err_len > 0 ? msg : "", tl_explain(&r));
    tl_result_free(&r);

    snprintf(perturb, sizeof perturb, "accept_fail=1,accept_errno=%d", EBADF);
    srv_start(&s, m, NULL, perturb);
    /* a client, for a server that calls accept() only once one is waiting; one that
     * calls it at once has already failed (and the connection is refused) */
    int c = tl_tcp_connect(s.port, 0);
    double until = tl_now_ms() + tl_deadline(2000);
    while (tl_alive(s.p) && tl_now_ms() < until)
        tl_sleep_ms(5);
    if (c >= 0)
        close(c);
    if (tl_alive(s.p))
        srv_fail(&s, SIGTERM, "-m %s, its first accept() failed with EBADF, an error the "
                 "server cannot expect: it must report it and exit 1 at once; it was still "
                 "running 2 s later (only EINTR, ECONNABORTED and running out of descriptors "
                 "or memory are retried)", m);
    r = srv_wait(&s);
    cr_assert(r.exited && r.status == 1 && tl_one_line(r.err) &&
              !strncmp(r.err, "shake_server: ", 14) && srv_output_ok(&s, &r, true, msg,
              sizeof msg), "-m %s, its first accept() failed with EBADF: the server must print "
              "one line \"shake_server: accept: REASON\" and exit 1; it %s, stderr \"%s\".\n  %s",
              m, tl_ending(&r), tl_shown_text(r.err, r.err_len, 200), tl_explain(&r));
    cr_assert(tl_clean(&r), "-m %s, accept() failed with EBADF: %s", m, tl_explain(&r));
    tl_result_free(&r);
}

Test(fork, accept_errors, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    t_accept_errors("fork");
}

Test(thread, accept_errors, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    t_accept_errors("thread");
}
