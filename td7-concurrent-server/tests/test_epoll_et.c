/*
 * test_epoll_et.c: what -m epoll-et (the epoll loop, every descriptor registered
 * EPOLLET) must do that a level-triggered loop gets for free: an edge-triggered socket
 * is reported once when bytes or connections arrive, however many arrived, so the loop
 * must read and accept until EAGAIN. The tests make the classic bugs of §1 certain:
 *
 *   et_burst_then_wait         1 MB of lines in one burst, then the client only reads:
 *                              one read() per event leaves bytes in the socket for ever
 *   et_simultaneous_connects   100 clients connect while the server is stopped
 *                              (SIGSTOP), so that one event stands for all of them:
 *                              one accept() per event leaves 99 in the backlog, and
 *                              one batch of accepts per event leaves the rest
 *   et_no_starvation           a client floods the server (and reads its replies)
 *                              for 3 s; 5 other clients, one after the other, must be
 *                              answered before the flood ends: reading until EAGAIN
 *                              without a budget never ends while the flood lasts
 *
 * The common model tests (test_models.c, test_edges.c) and the mechanism check
 * (test_mechanism.c) run on epoll-et too.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support.h"

#define MODEL "epoll-et"
#define BURST_CLIENTS 100       /* more than a batch of accepts (ACCEPT_BATCH, 64) */
#define FLOOD_MS 3000
#define PROBES 5

static char msg[512];

static int et_connect(struct srv *s)
{
    int fd = tl_tcp_connect(s->port, 0);
    if (fd < 0 && !tl_alive(s->p)) {
        tl_result r = srv_wait(s);
        cr_assert_fail("-m " MODEL ": cannot connect: the server is gone.\n  %s",
                       tl_explain(&r));
    }
    cr_assert(fd >= 0, "cannot connect to the server on port %d.\n%s", s->port, srv_hint(s));
    return fd;
}

/* 16 lines of 60,000 to 65,000 characters (about 1 MB) written as fast as the socket
 * takes them, the replies read at the same time; once all is written the client sends
 * nothing more and waits. Bytes pile up in the server's socket faster than one read()
 * takes them (64 KiB), and the last edge stands for all that is left. */
Test(epoll_et, et_burst_then_wait, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    struct srv s;
    unsigned seed = tl_random_seed();
    size_t len;
    char *in = tl_random_lines(&seed, 16, 60000, 65000, &len), *out = malloc(len);
    cr_assert(out);
    srv_start(&s, MODEL, NULL, NULL);
    srv_peer(&s, "head -c 1000000 /dev/zero | tr '\\0' x | fold -w 62500 | "
             "socat -t 2 - " SRV_TCP " | wc -c >&2", s.port);
    int fd = et_connect(&s);
    size_t got = tl_exchange(fd, in, len, out, len, 4 * REPLY_MS, 0, 0);
    if (got != len)
        srv_fail(&s, SIGTERM, "-m " MODEL ": a client wrote %zu bytes of lines (16 lines of "
                 "60,000 to 65,000 characters, seed %u) in one burst, then only waited for "
                 "the replies: it got %zu bytes. Edge-triggered, one event stands for all the "
                 "bytes that arrived since the last one: read until read() fails with EAGAIN "
                 "(at most 64 KiB per turn, then come back to that socket by yourself), or "
                 "the rest waits in the socket for an event that never comes.", len, seed,
                 got);
    cr_assert(replies_match(in, len, out, got, false, msg, sizeof msg),
              "-m " MODEL ": %s (seed %u).\n%s", msg, seed, srv_hint(&s));
    close(fd);
    srv_finish(&s, false);
    free(in), free(out);
}

/* 100 clients connect while the server is stopped (SIGSTOP: the kernel completes their
 * connections in the listener's backlog), then it goes on (SIGCONT), and each client
 * sends one line: the listener was reported once for the 100. */
Test(epoll_et, et_simultaneous_connects, .init = tl_setup, .fini = tl_teardown,
     .timeout = 30)
{
    struct srv s;
    int fds[BURST_CLIENTS];
    const char line[] = "one of a hundred at once\n";
    size_t len = sizeof line - 1;
    srv_start(&s, MODEL, NULL, NULL);
    /* In a subshell: its wait is for the clients, and $! stays the server's. */
    srv_peer(&s, "(for i in $(seq %d); do (sleep 1; echo 'one of a hundred at once') | "
             "socat -t 2 - " SRV_TCP " >&2 & done; wait)", BURST_CLIENTS, s.port);
    kill(s.pid, SIGSTOP);
    /* Stopped for real ('T') before the first connect: else it may accept a batch first. */
    double stop_by = tl_now_ms() + tl_deadline(2000);
    while (tl_proc_state(s.pid) != 'T' && tl_now_ms() < stop_by)
        tl_sleep_ms(1);
    int n = 0;
    while (n < BURST_CLIENTS && (fds[n] = tl_tcp_connect(s.port, 0)) >= 0)
        n++;
    kill(s.pid, SIGCONT);
    cr_assert(n == BURST_CLIENTS, "test setup: only %d connections of %d.\n%s", n,
              BURST_CLIENTS, srv_hint(&s));
    for (int i = 0; i < n; i++)
        cr_assert(tl_write_within(fds[i], line, len, REPLY_MS), "client %d could not send "
                  "its line.\n%s", i + 1, srv_hint(&s));
    double until = tl_now_ms() + tl_deadline(REPLY_MS);
    int served = 0, first_missing = -1;
    for (int i = 0; i < n; i++) {
        char out[64];
        double left = until - tl_now_ms();
        size_t got = tl_recv_all(fds[i], out, len, left > 1 ? (int)left : 1, NULL);
        if (replies_match(line, len, out, got, false, msg, sizeof msg))
            served++;
        else if (first_missing < 0)
            first_missing = i;
    }
    if (served != n)
        srv_fail(&s, SIGTERM, "-m " MODEL ": %d clients connected at once (while the server "
                 "was stopped with SIGSTOP, then SIGCONT), then each sent one line: %d got "
                 "their reply (client %d did not). Edge-triggered, the listener is reported "
                 "once for all the connections that arrived together: accept until accept() "
                 "fails with EAGAIN (a batch per turn, then come back to the listener by "
                 "yourself), or the others wait in the backlog until yet another client "
                 "connects.", n, served, first_missing + 1);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    srv_finish(&s, false);
}

/* The flooder: lines of "y" as fast as the server takes them, its replies read and
 * dropped as they come (a client that did not read would be held back by the server's
 * back-pressure, not served without end), until *until (ms, tl_now_ms()). */
struct flood {
    int fd;
    double until;
    double ended;               /* when it stopped sending */
};

static void *flood_run(void *arg)
{
    struct flood *f = arg;
    static char out[65536], in[1 << 20];
    for (size_t i = 0; i < sizeof out; i += 2)
        out[i] = 'y', out[i + 1] = '\n';
    while (tl_now_ms() < f->until) {
        struct pollfd pfd = { f->fd, POLLIN | POLLOUT, 0 };
        if (poll(&pfd, 1, 10) < 0 && errno != EINTR)
            break;
        if (pfd.revents & POLLOUT)
            (void)send(f->fd, out, sizeof out, MSG_NOSIGNAL);
        if (pfd.revents & POLLIN)
            while (read(f->fd, in, sizeof in) > 0)
                ;
        if (pfd.revents & (POLLERR | POLLHUP))
            break;
    }
    f->ended = tl_now_ms();
    return NULL;
}

/* One client floods for FLOOD_MS; meanwhile 5 clients, one after the other, each send a
 * line: each must get its reply before the flood ends. */
Test(epoll_et, et_no_starvation, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    struct srv s;
    const char line[] = "am I starved?\n";
    size_t len = sizeof line - 1;
    srv_start(&s, MODEL, NULL, NULL);
    /* In a subshell that waits for its flooder: no process left, and $! stays the
     * server's. */
    srv_peer(&s, "(yes | timeout %d socat -b 65536 - " SRV_TCP " > /dev/null & sleep 0.3; "
             "for i in $(seq %d); do echo 'am I starved?' | socat -t 1 - " SRV_TCP " >&2; done; "
             "wait)", FLOOD_MS / 1000, s.port, PROBES, s.port);
    struct flood f = { et_connect(&s), 0, 0 };
    f.until = tl_now_ms() + tl_deadline(FLOOD_MS);
    pthread_t t;
    cr_assert(pthread_create(&t, NULL, flood_run, &f) == 0, "test setup: pthread_create");
    tl_sleep_ms(200); /* the flood is on */
    int answered = 0;
    double answer_ms[PROBES];
    for (int i = 0; i < PROBES; i++) {
        int fd = tl_tcp_connect(s.port, 0);
        char out[32];
        double start = tl_now_ms(), left = f.until - start;
        size_t got = fd < 0 ? 0 : tl_exchange(fd, line, len, out, len, left > 1 ? (int)left : 1,
                                              0, 0);
        answer_ms[i] = tl_now_ms() - start;
        if (fd >= 0)
            close(fd);
        if (got != len || !replies_match(line, len, out, got, false, msg, sizeof msg))
            break;
        answered++;
    }
    double last = tl_now_ms();
    pthread_join(t, NULL);
    close(f.fd);
    if (answered < PROBES || last > f.ended)
        srv_fail(&s, SIGTERM, "-m " MODEL ": while one client sent lines without pause (and "
                 "read its replies) for %d ms, %d other clients, one after the other, each sent "
                 "one line: %d got their reply before the flood ended (the last one waited %.0f "
                 "ms). Reading one client until EAGAIN never ends while it sends faster than "
                 "you read: read at most 64 KiB from a connection per turn, then serve the "
                 "others, and come back to it by yourself.", FLOOD_MS, PROBES,
                 answered, answered < PROBES ? answer_ms[answered] : answer_ms[PROBES - 1]);
    srv_finish(&s, false);
}
