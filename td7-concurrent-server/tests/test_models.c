/*
 * test_models.c: the behavioural tests every concurrency model of shake_server must
 * pass, one suite per model (fork is the graded core, the others graded extensions),
 * plus the checks only the fork model needs (zombies, the sockets each side closes,
 * SIGCHLD during accept). The tests talk to the server with plain sockets and check
 * that every reply is a permutation of its line; seeds are random. Every test also
 * checks what the server printed (srv_finish): the contract's ready line, no chatter.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support.h"

/* Delays after fork and in handlers: a race in the fork model then fails every time. */
#define FORK_PERTURB "fork_child=0-2000,fork_parent=0-2000,handler=0-500"

static char msg[512];

/* Options each model is started with: the pool gets enough threads for the 40 clients
 * of many_clients_at_once; reuseport gets 2 workers (one per core here). */
static const char *const *model_args(const char *m, bool echo)
{
    static const char *args[4];
    int n = 0;
    if (!strcmp(m, "pool"))
        args[n++] = "-w", args[n++] = "48";
    else if (!strcmp(m, "reuseport"))
        args[n++] = "-w", args[n++] = "2";
    if (echo)
        args[n++] = "-e";
    args[n] = NULL;
    return args;
}

static void start(struct srv *s, const char *m, bool echo, const char *perturb)
{
    srv_start(s, m, model_args(m, echo), perturb);
}

static int connect_or_fail(struct srv *s, int rcvbuf)
{
    int fd = tl_tcp_connect(s->port, rcvbuf);
    if (fd < 0 && !tl_alive(s->p)) {
        tl_result r = srv_wait(s);
        cr_assert_fail("cannot connect: the server is gone.\n  %s", tl_explain(&r));
    }
    cr_assert(fd >= 0, "cannot connect to the server on port %d.\n%s", s->port, srv_hint(s));
    return fd;
}

/* Send in, expect its replies (within REPLY_MS), check them. */
static void exchange_ok(struct srv *s, int fd, const char *in, size_t len, bool exact,
                        const char *what)
{
    char *out = malloc(len + 1);
    cr_assert(out);
    size_t got = tl_exchange(fd, in, len, out, len, REPLY_MS, 0, 0);
    bool ok = replies_match(in, len, out, got, exact, msg, sizeof msg);
    if (!ok && !tl_alive(s->p)) {
        tl_result r = srv_wait(s);
        cr_assert_fail("%s: %s; the server is gone.\n  %s", what, msg, tl_explain(&r));
    }
    cr_assert(ok, "%s: %s.\n%s", what, msg, srv_hint(s));
    free(out);
}

static void expect_alive(struct srv *s, const char *after)
{
    if (tl_alive(s->p))
        return;
    tl_result r = srv_wait(s);
    cr_assert_fail("the server ended %s: it must keep serving.\n  %s", after, tl_explain(&r));
}

/* ---------- the behaviours ---------- */

static void t_replies(const char *m)
{
    struct srv s;
    unsigned seed = tl_random_seed();
    size_t len;
    char *lines = tl_random_lines(&seed, 40, 0, 70, &len);
    const char *extra = "\n\r\nab\r\n\n"
                        "abcdefghijklmnopqrstuvwxyz0123\nabcdefghijklmnopqrstuvwxyz0123\n"
                        "abcdefghijklmnopqrstuvwxyz0123\nabcdefghijklmnopqrstuvwxyz0123\n";
    size_t elen = strlen(extra);
    char *in = malloc(len + elen + 1), *out = malloc(len + elen + 1);
    cr_assert(in && out);
    memcpy(in, lines, len);
    memcpy(in + len, extra, elen + 1);
    for (int echo = 0; echo <= 1; echo++) {
        start(&s, m, echo, NULL);
        /* the line's client sends a few such lines (the random ones do not fit in it) */
        srv_peer(&s, "printf 'a line\\n\\r\\nab\\r\\n\\nabcdefghijklmnopqrstuvwxyz0123\\n' | "
                 "socat -t 2 - " SRV_TCP " >&2", s.port);
        int fd = connect_or_fail(&s, 0);
        size_t got = tl_exchange(fd, in, len + elen, out, len + elen, REPLY_MS, 0, 0);
        bool ok = replies_match(in, len + elen, out, got, echo, msg, sizeof msg);
        cr_assert(ok, "%s (seed %u: random lines, then an empty line, \"\\r\\n\", \"ab\\r\\n\", "
                  "four lines of 30 distinct characters).\n%s", msg, seed, srv_hint(&s));
        if (!echo)
            cr_assert(memcmp(out + len + 8, extra + 8, elen - 8) != 0,
                      "four lines of 30 distinct characters came back unchanged: the server "
                      "must shuffle each line (only -e echoes).\n%s", srv_hint(&s));
        close(fd);
        srv_finish(&s, false);
    }
    free(lines), free(in), free(out);
}

static void t_long_lines(const char *m)
{
    struct srv s;
    unsigned seed = tl_random_seed();
    size_t len, got = 0;
    char *in = tl_random_lines(&seed, 6, 1000, 60000, &len), *out = malloc(len);
    cr_assert(out);
    start(&s, m, false, NULL);
    int fd = connect_or_fail(&s, 0);
    /* Random pieces of 1..3000 bytes, with pauses: lines arrive split across reads, and
     * a read may end in the middle of a line or hold the end of one and more. */
    for (size_t sent = 0; sent < len;) {
        size_t piece = 1 + (size_t)rand_r(&seed) % 3000;
        piece = piece < len - sent ? piece : len - sent;
        cr_assert(tl_write_within(fd, in + sent, piece, REPLY_MS),
                  "the server stopped reading.\n%s", srv_hint(&s));
        sent += piece;
        if (rand_r(&seed) % 4 == 0)
            tl_sleep_ms(1);
        got += tl_recv_all(fd, out + got, len - got, 0, NULL);
    }
    got += tl_recv_all(fd, out + got, len - got, REPLY_MS, NULL);
    cr_assert(replies_match(in, len, out, got, false, msg, sizeof msg),
              "6 lines of 1000 to 60000 characters sent in small pieces (seed %u): %s.\n%s",
              seed, msg, srv_hint(&s));
    close(fd);
    srv_finish(&s, false);
    free(in), free(out);
}

#define NCLIENTS 40
#define ROUNDS 3

static void t_many_clients(const char *m)
{
    struct srv s;
    int fds[NCLIENTS];
    unsigned seed = tl_random_seed();
    start(&s, m, false, NULL);
    for (int i = 0; i < NCLIENTS; i++)
        fds[i] = connect_or_fail(&s, 0);
    /* Every client speaks in every round before any reply is read: all are served at
     * the same time, not one after the other. */
    for (int round = 0; round < ROUNDS; round++) {
        char *in[NCLIENTS];
        size_t len[NCLIENTS];
        for (int i = 0; i < NCLIENTS; i++) {
            in[i] = tl_random_lines(&seed, 2, 1, 200, &len[i]);
            cr_assert(tl_write_within(fds[i], in[i], len[i], REPLY_MS),
                      "client %d could not send.\n%s", i + 1, srv_hint(&s));
        }
        for (int i = 0; i < NCLIENTS; i++) {
            char out[512];
            size_t got = tl_recv_all(fds[i], out, len[i], REPLY_MS, NULL);
            cr_assert(replies_match(in[i], len[i], out, got, false, msg, sizeof msg),
                      "%d clients connected at once, round %d, client %d: %s (seed %u).\n%s",
                      NCLIENTS, round + 1, i + 1, msg, seed, srv_hint(&s));
            free(in[i]);
        }
    }
    for (int i = 0; i < NCLIENTS; i++)
        close(fds[i]);
    srv_finish(&s, false);
}

static void t_idle_client(const char *m)
{
    struct srv s;
    start(&s, m, false, NULL);
    /* The line's idle and half clients are connections its shell holds (bash's /dev/tcp):
     * no process of theirs outlives the line. */
    srv_peer(&s, "exec 7<>/dev/tcp/127.0.0.1/%d 8<>/dev/tcp/127.0.0.1/%d; printf 'half a li' >&8; "
             "sleep 0.02; echo 'an eager client gets its reply now' | timeout 3 socat -t 2 - "
             SRV_TCP " >&2", s.port, s.port, s.port);
    int idle = connect_or_fail(&s, 0), half = connect_or_fail(&s, 0);
    cr_assert(tl_write_within(half, "half a li", 9, REPLY_MS));
    tl_sleep_ms(20);
    int busy = connect_or_fail(&s, 0);
    const char *line = "an eager client gets its reply now\n";
    char out[64];
    size_t got = tl_exchange(busy, line, strlen(line), out, strlen(line), REPLY_MS, 0, 0);
    if (!replies_match(line, strlen(line), out, got, false, msg, sizeof msg))
        srv_fail(&s, SIGTERM, "a client that connected first and sends nothing (and one that "
                 "sent half a line) must not hold up a third one: %s. Serve each client "
                 "concurrently.", msg);
    got = tl_exchange(half, "ne\n", 3, out, 12, REPLY_MS, 0, 0);
    cr_assert(replies_match("half a line\n", 12, out, got, false, msg, sizeof msg),
              "a line sent in two parts 20 ms apart: %s.\n%s", msg, srv_hint(&s));
    close(idle), close(half), close(busy);
    srv_finish(&s, false);
}

static void t_vanishing(const char *m)
{
    struct srv s;
    unsigned seed = tl_random_seed();
    size_t len;
    char *big = tl_random_lines(&seed, 400, 100, 400, &len);
    start(&s, m, false, NULL);
    /* 1: half a line, then close. 2: lots of lines, then a reset without reading the
     * replies (writes to it fail: EPIPE/ECONNRESET, and SIGPIPE unless ignored).
     * 3: connects and resets at once. */
    int a = connect_or_fail(&s, 0), b = connect_or_fail(&s, 0), c = connect_or_fail(&s, 0);
    cr_assert(tl_write_within(a, "a line that never e", 19, REPLY_MS));
    close(a);
    tl_write_within(b, big, len, 500);
    tl_sleep_ms(20);
    struct linger lg = { 1, 0 };
    setsockopt(b, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(b), close(c);
    tl_sleep_ms(100);
    expect_alive(&s, "after clients vanished (closed mid-line, reset with replies unread)");
    int d = connect_or_fail(&s, 0);
    exchange_ok(&s, d, "still there?\n", 13, false, "a new client after three vanished");
    close(d);
    srv_finish(&s, true);
    free(big);
}

static void t_slow_reader(const char *m)
{
    struct srv s;
    unsigned seed = tl_random_seed();
    size_t len;
    char *in = tl_random_lines(&seed, 5000, 200, 1800, &len), *out = malloc(len);
    cr_assert(out);
    start(&s, m, false, NULL);
    /* the line's client: 5 MB of lines, a small window, reading from 300 ms on; wc -c
     * counts what came back */
    srv_peer(&s, "base64 -w 999 /dev/urandom | head -c %zu | socat -t 5 - " SRV_TCP
             ",rcvbuf=4096 | (sleep 0.3; wc -c) >&2", len, s.port);
    /* 5 MB of lines, a small receive window and nothing read for 300 ms: the replies
     * exceed what the server's socket can hold (tcp_wmem max 4 MiB), so its writes come
     * back short or fail with EAGAIN before the client reads. */
    int fd = connect_or_fail(&s, 4096), big = 65536;
    /* The window scale was fixed small at connect: a larger buffer now only speeds up
     * the reads once they start. */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    size_t got = tl_exchange(fd, in, len, out, len, 15000, 300, 0);
    if (got != len)
        srv_fail(&s, SIGTERM, "a client that reads slowly got %zu bytes of replies instead of "
                 "%zu (seed %u): every byte of every reply must reach it (partial writes: "
                 "write the rest later, never drop it).", got, len, seed);
    cr_assert(replies_match(in, len, out, got, false, msg, sizeof msg), "slow reader: %s.\n%s",
              msg, srv_hint(&s));
    close(fd);
    srv_finish(&s, false);
    free(in), free(out);
}

/* Descriptors of the server and of its children (reuseport: the workers hold them). */
static int tree_fds(pid_t pid)
{
    pid_t kids[256];
    int n = tl_proc_children(pid, kids, 256), total = tl_fd_count(pid);
    for (int i = 0; i < n; i++) {
        int k = tl_fd_count(kids[i]);
        total += k > 0 ? k : 0;
    }
    return total;
}

static int wait_tree_fds(pid_t pid, int want, int ms)
{
    double until = tl_now_ms() + tl_deadline(ms);
    int n;
    while ((n = tree_fds(pid)) > want && tl_now_ms() < until)
        tl_sleep_ms(5);
    return n;
}

/* The descriptor count once it has not moved for 100 ms (a connection that just ended
 * may still be open for a moment; a worker may still be starting). */
static int stable_fds(pid_t pid, bool tree)
{
    int last = -2, same = 0;
    for (int i = 0; i < 200 && same < 10; i++) {
        int n = tree ? tree_fds(pid) : tl_fd_count(pid);
        same = n == last ? same + 1 : 0;
        last = n;
        tl_sleep_ms(10);
    }
    return last;
}

/* count connections one after the other: connect, one line, close. */
static void sequential_clients(struct srv *s, int count)
{
    for (int i = 0; i < count; i++) {
        int fd = connect_or_fail(s, 0);
        exchange_ok(s, fd, "one more client\n", 16, false, "sequential clients");
        close(fd);
    }
}

/* Wait until every child of the server has ended (reaped or zombie), then until no
 * zombie is left; returns the zombies still there. Waiting for the ends first matters:
 * a child still running is not a zombie yet, and must not make a leak look fixed. */
static int wait_children_reaped(struct srv *s, int ms)
{
    double until = tl_now_ms() + tl_deadline(ms);
    pid_t kids[4096];
    for (;;) {
        int n = tl_proc_children(s->pid, kids, 4096), z = tl_zombie_children(s->pid);
        if (z == 0 && n == 0)
            return 0;
        if ((n == z && tl_now_ms() > until - tl_deadline(ms) / 2) || tl_now_ms() > until)
            return z;
        tl_sleep_ms(5);
    }
}

/* Zombie children, polled until there is none or ms have passed. */
static int zombies_after(struct srv *s, int ms)
{
    double until = tl_now_ms() + tl_deadline(ms);
    int z;
    while ((z = tl_zombie_children(s->pid)) > 0 && tl_now_ms() < until)
        tl_sleep_ms(5);
    return z;
}

static void t_hundreds(const char *m)
{
    struct srv s;
    start(&s, m, false, NULL);
    sequential_clients(&s, 1); /* warm-up: whatever the model opens once is open now */
    int base = stable_fds(s.pid, true);
    sequential_clients(&s, 200);
    int after = wait_tree_fds(s.pid, base, 2000);
    cr_assert(after <= base, "the server had %d descriptors open after one client and %d after "
              "200 more had come and gone: close each connection when it ends.\n%s", base,
              after, srv_hint(&s));
    int z = zombies_after(&s, 2000);
    cr_assert(z == 0, "%d zombie children after 200 connections.\n%s", z, srv_hint(&s));
    srv_finish(&s, false);
}

static void t_sigterm(const char *m)
{
    struct srv s;
    start(&s, m, false, strcmp(m, "fork") ? NULL : FORK_PERTURB);
    srv_peer(&s, "exec 7<>/dev/tcp/127.0.0.1/%d 8<>/dev/tcp/127.0.0.1/%d 9<>/dev/tcp/127.0.0.1/%d; "
             "echo 'served before SIGTERM' >&7; timeout 2 head -n 1 <&7 >&2; printf 'half a li' "
             ">&8", s.port, s.port, s.port);
    int a = connect_or_fail(&s, 0), b = connect_or_fail(&s, 0), c = connect_or_fail(&s, 0);
    exchange_ok(&s, a, "served before SIGTERM\n", 22, false, "first client");
    cr_assert(tl_write_within(b, "half a li", 9, REPLY_MS));
    tl_sleep_ms(20);
    double took;
    tl_result r = srv_stop(&s, 2000, &took);
    cr_assert(r.exited && r.status == 0 && took < tl_deadline(2000),
              "on SIGTERM the server must close its connections, end what it started and "
              "exit with status 0 at once (it %s after %.0f ms).\n  %s", tl_ending(&r), took,
              tl_explain(&r));
    cr_assert(tl_clean(&r), "after SIGTERM: %s", tl_explain(&r));
    cr_assert(srv_output_ok(&s, &r, false, msg, sizeof msg), "after SIGTERM: %s.\n  %s", msg,
              tl_explain(&r));
    bool ea = tl_wait_eof(a, 1000), eb = tl_wait_eof(b, 1000), ec = tl_wait_eof(c, 1000);
    cr_assert(ea && eb && ec, "after SIGTERM every connection must be closed: the clients "
              "(served / mid-line / never spoke) saw EOF: %s/%s/%s.\n  %s", ea ? "yes" : "no",
              eb ? "yes" : "no", ec ? "yes" : "no", tl_explain(&r));
    close(a), close(b), close(c);
    tl_result_free(&r);
}

/* SIGTERM from the states a server can be in. The fork model runs with longer delays
 * after fork() in the parent, so that a signal sent during a burst of connections finds
 * it outside accept() (the next accept() then fails with EINVAL, not EINTR). */
#define STOP_PERTURB "fork_child=0-2000,fork_parent=1000-3000,handler=0-500"

/* SIGTERM now: exit 0 within 2 s, nothing printed but the ready line, nothing left. */
static void stop_ok(struct srv *s, const char *state)
{
    double took;
    tl_result r = srv_stop(s, 2000, &took);
    cr_assert(r.exited && r.status == 0 && took < tl_deadline(2000),
              "-m %s, SIGTERM %s: the server must exit with status 0 at once, whatever it "
              "was doing (it %s after %.0f ms).\n  %s", s->model, state, tl_ending(&r), took,
              tl_explain(&r));
    cr_assert(srv_output_ok(s, &r, false, msg, sizeof msg), "-m %s, SIGTERM %s: %s.\n  %s",
              s->model, state, msg, tl_explain(&r));
    cr_assert(tl_clean(&r), "-m %s, SIGTERM %s: %s", s->model, state, tl_explain(&r));
    tl_result_free(&r);
}

#define BURST 60 /* the connections of state 2 (its message says 60) */
#define BURST_LINE 30000 /* the line each of them sends: work enough to keep the server busy */

static void t_sigterm_states(const char *m)
{
    const char *perturb = strcmp(m, "fork") ? NULL : STOP_PERTURB;
    struct srv s;
    int fds[BURST];
    /* 1. Idle, blocked in accept() (or in its wait for events). */
    start(&s, m, false, perturb);
    tl_sleep_ms(50);
    stop_ok(&s, "while idle");
    /* 2. While it takes a burst of connections (fork: while it forks). */
    start(&s, m, false, perturb);
    /* the line's clients: connections its shell opens as fast (bash's /dev/tcp), then
     * SIGTERM at once, as the test does */
    srv_peer(&s, "for i in $(seq %d); do exec {c}<>/dev/tcp/127.0.0.1/%d; printf '%%0%dd\\n' $i "
             ">&$c; done; kill -TERM $!", BURST, s.port, BURST_LINE);
    static char line[BURST_LINE + 2];
    for (int i = 0; i < BURST; i++) {
        fds[i] = connect_or_fail(&s, 0);
        int n = snprintf(line, sizeof line, "%0*d\n", BURST_LINE, i + 1);
        (void)tl_write_within(fds[i], line, (size_t)n, REPLY_MS);
    }
    stop_ok(&s, "while 60 clients had just connected at once (each sent a line of 30000 "
            "characters and read nothing)");
    for (int i = 0; i < BURST; i++)
        close(fds[i]);
    /* 3. While serving: a client sent 2 MB of lines and reads none of the replies. */
    unsigned seed = tl_random_seed();
    size_t len;
    char *big = tl_random_lines(&seed, 2000, 500, 1500, &len);
    start(&s, m, false, perturb);
    srv_peer(&s, "exec 7<>/dev/tcp/127.0.0.1/%d; base64 -w 999 /dev/urandom | head -c %zu | "
             "timeout 0.2 cat >&7", s.port, len);
    int fd = connect_or_fail(&s, 0);
    (void)tl_write_within(fd, big, len, 200);
    stop_ok(&s, "while serving a client that sent 2 MB of lines and read no reply");
    close(fd);
    free(big);
    /* 4. Right after a client left (fork: as its child ends and SIGCHLD comes). */
    start(&s, m, false, perturb);
    srv_peer(&s, "echo bye | socat -t 2 - " SRV_TCP " >&2; kill -TERM $!", s.port);
    fd = connect_or_fail(&s, 0);
    exchange_ok(&s, fd, "bye\n", 4, false, "a client");
    close(fd);
    stop_ok(&s, "right after a client left");
    /* 5. While 30 clients leave at the same moment (fork: a burst of SIGCHLD). */
    start(&s, m, false, perturb);
    /* 30 clients whose input (one pipe) ends at the same moment */
    srv_peer(&s, "sleep 1 | { for i in $(seq 30); do socat - " SRV_TCP " >&2 & done; wait; }; "
             "kill -TERM $!", s.port);
    for (int i = 0; i < 30; i++) {
        fds[i] = connect_or_fail(&s, 0);
        exchange_ok(&s, fds[i], "all at once\n", 12, false, "a client of the burst");
    }
    for (int i = 0; i < 30; i++)
        close(fds[i]);
    tl_sleep_ms(1);
    stop_ok(&s, "while 30 clients were leaving at the same moment");
}

/* ---------- fork only ---------- */

/* The line's part of each step: clients, then a second later what ps says of the
 * server's children (stat Z: zombies). */
#define PS_KIDS "sleep 0.5; ps -o pid,stat,comm --ppid $! >&2"
/* count sequential clients in bash (%d count, %d port): one connection at a time (its
 * /dev/tcp), one line, its reply, close. */
#define SEQ_CLIENTS "for i in $(seq %d); do exec 7<>/dev/tcp/127.0.0.1/%d; echo 'one more client' " \
                    ">&7; read -t 2 -r l <&7; exec 7<&-; done"

/* Zombies left: the test kills the server with SIGKILL, which leaves them in view (a
 * correct shutdown would reap them), and fails. */
static void zombies_fail(struct srv *s, int z, const char *fmt, int n)
{
    char why[400];
    snprintf(why, sizeof why, fmt, n, z);
    srv_fail(s, SIGKILL, "%s", why);
}

static void t_fork_zombies(void)
{
    struct srv s;
    srv_start(&s, "fork", NULL, FORK_PERTURB);
    /* A handler that never reaps: every child of the first 5 is still a zombie. (A few
     * may be left by chance in a correct-looking server: the strict checks follow.) */
    srv_peer(&s, SEQ_CLIENTS "; " PS_KIDS, 5, s.port);
    sequential_clients(&s, 5);
    int z = wait_children_reaped(&s, 2000);
    if (z == 5)
        zombies_fail(&s, z, "after %d connections none of the children was reaped: %d "
                     "zombies: reap them in a SIGCHLD handler (waitpid(-1, NULL, WNOHANG) in a "
                     "loop until it returns 0 or -1).", 5);
    /* A burst: 30 children end at the same moment, their SIGCHLDs merge into a few. */
    srv_peer(&s, "for i in $(seq 30); do exec {c}<>/dev/tcp/127.0.0.1/%d; echo 'all at once' "
             ">&$c; read -t 2 -r l <&$c; f=\"$f $c\"; done; for c in $f; do exec {c}<&-; done; "
             PS_KIDS, s.port);
    int fds[30];
    for (int i = 0; i < 30; i++) {
        fds[i] = connect_or_fail(&s, 0);
        exchange_ok(&s, fds[i], "all at once\n", 12, false, "a client of the burst");
    }
    for (int i = 0; i < 30; i++)
        close(fds[i]);
    z = wait_children_reaped(&s, 2000);
    if (z)
        zombies_fail(&s, z, "%d clients left at the same moment and %d children are still "
                     "zombies a second later: one SIGCHLD may stand for several ended "
                     "children, so the handler must call waitpid(-1, NULL, WNOHANG) in a loop "
                     "until it returns 0.", 30);
    srv_peer(&s, SEQ_CLIENTS "; " PS_KIDS, 200, s.port);
    for (int round = 0; round < 2; round++) {
        sequential_clients(&s, 100);
        z = wait_children_reaped(&s, 2000);
        if (z)
            zombies_fail(&s, z, "after %d more connections the server still has %d zombie "
                         "children a second later: reap them in a SIGCHLD handler "
                         "(waitpid(-1, NULL, WNOHANG) in a loop: one signal may stand for "
                         "several ended children).", 100 * (round + 1));
    }
    srv_finish(&s, false);
}

static void t_fork_parent_closes(void)
{
    struct srv s;
    srv_start(&s, "fork", NULL, NULL);
    /* the line's clients, then the parent's descriptors */
    srv_peer(&s, SEQ_CLIENTS "; sleep 0.5; ls -l /proc/$!/fd >&2", 201, s.port);
    sequential_clients(&s, 1);
    int base = stable_fds(s.pid, false);
    sequential_clients(&s, 200);
    int after = tl_wait_fd_count(s.pid, -1, base, 2000);
    if (after > base)
        srv_fail(&s, SIGTERM, "the parent had %d descriptors open, and %d after 200 clients: "
                 "the parent must close() each accepted socket once the child has it (else "
                 "the client never sees EOF and the parent runs out of descriptors).", base,
                 after);
    srv_finish(&s, false);
}

static void t_fork_child_listener(void)
{
    struct srv s;
    srv_start(&s, "fork", NULL, NULL);
    /* the line's clients: connections its shell holds (bash's /dev/tcp); then ss lists
     * every process that holds the listening socket */
    srv_peer(&s, "exec 7<>/dev/tcp/127.0.0.1/%d 8<>/dev/tcp/127.0.0.1/%d 9<>/dev/tcp/127.0.0.1/%d; "
             "sleep 0.3; ss -ltnp 'sport = :%d' >&2", s.port, s.port, s.port, s.port);
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = connect_or_fail(&s, 0);
        exchange_ok(&s, fds[i], "who serves me?\n", 15, false, "a client");
    }
    unsigned long ino = tl_tcp_listener_inode(s.port);
    pid_t kids[64];
    int n = tl_proc_children(s.pid, kids, 64);
    cr_assert(ino != 0, "no listening socket on port %d.\n%s", s.port, srv_hint(&s));
    cr_assert(n >= 3, "3 clients are connected but the server has %d children: fork one child "
              "per connection.\n%s", n, srv_hint(&s));
    for (int i = 0; i < n; i++)
        if (tl_holds_socket(kids[i], ino))
            srv_fail(&s, SIGTERM, "a child (pid %d) still holds the listening socket: the "
                     "child must close() it (it would keep the port busy after the server is "
                     "gone).", (int)kids[i]);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    srv_finish(&s, false);
}

static void t_fork_sigchld_accept(void)
{
    struct srv s;
    srv_start(&s, "fork", NULL, NULL);
    srv_peer(&s, "for i in $(seq 15); do echo 'and end' | socat -t 2 - " SRV_TCP " >&2 || "
             "break; sleep 0.1; done; kill -TERM $!", s.port);
    /* Each child ends while the parent has nothing else to do than wait in accept():
     * no new client comes until the child is gone, so SIGCHLD interrupts accept(). */
    for (int i = 0; i < 15; i++) {
        int fd = connect_or_fail(&s, 0);
        exchange_ok(&s, fd, "and end\n", 8, false, "a client");
        close(fd);
        (void)wait_children_reaped(&s, 2000);
        tl_sleep_ms(5);
        expect_alive(&s, "when a child ended while it waited in accept() (SIGCHLD)");
    }
    srv_finish(&s, false);
}

/* ---------- suites ---------- */

#define MODEL_SUITE(m)                                                                   \
    TestSuite(m, .init = tl_setup, .fini = tl_teardown, .timeout = 30);                  \
    Test(m, replies_are_permutations) { t_replies(#m); }                                 \
    Test(m, lines_split_across_segments) { t_long_lines(#m); }                           \
    Test(m, many_clients_at_once) { t_many_clients(#m); }                                \
    Test(m, idle_client_does_not_block_others) { t_idle_client(#m); }                    \
    Test(m, clients_vanishing_mid_line) { t_vanishing(#m); }                             \
    Test(m, slow_reader_gets_every_byte) { t_slow_reader(#m); }                          \
    Test(m, sigterm_shuts_down_cleanly) { t_sigterm(#m); }                               \
    Test(m, sigterm_in_any_state) { t_sigterm_states(#m); }

MODEL_SUITE(fork)
Test(fork, no_zombies_after_hundreds) { t_fork_zombies(); }
Test(fork, parent_closes_each_connection) { t_fork_parent_closes(); }
Test(fork, child_closes_listener) { t_fork_child_listener(); }
Test(fork, sigchld_does_not_stop_accept) { t_fork_sigchld_accept(); }

#define OTHER_MODEL(m) \
    MODEL_SUITE(m)     \
    Test(m, hundreds_of_connections) { t_hundreds(#m); }

OTHER_MODEL(thread)
OTHER_MODEL(pool)
OTHER_MODEL(select)
OTHER_MODEL(poll)
OTHER_MODEL(epoll)
OTHER_MODEL(reuseport)

/* -m epoll-et: the same tests (a suite's name cannot hold the '-'). */
TestSuite(epoll_et, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
Test(epoll_et, replies_are_permutations) { t_replies("epoll-et"); }
Test(epoll_et, lines_split_across_segments) { t_long_lines("epoll-et"); }
Test(epoll_et, many_clients_at_once) { t_many_clients("epoll-et"); }
Test(epoll_et, idle_client_does_not_block_others) { t_idle_client("epoll-et"); }
Test(epoll_et, clients_vanishing_mid_line) { t_vanishing("epoll-et"); }
Test(epoll_et, slow_reader_gets_every_byte) { t_slow_reader("epoll-et"); }
Test(epoll_et, sigterm_shuts_down_cleanly) { t_sigterm("epoll-et"); }
Test(epoll_et, sigterm_in_any_state) { t_sigterm_states("epoll-et"); }
Test(epoll_et, hundreds_of_connections) { t_hundreds("epoll-et"); }
