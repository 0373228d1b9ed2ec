/*
 * test_sum.c: behavioural tests of sum_server and sum_client (td6). Each test runs the
 * programs through the test support library (servers with tl_start, stopped with
 * SIGTERM/SIGINT) and checks the contract of README.md; some play a raw client or a
 * fake server themselves over SOCK_SEQPACKET. Values are random (seed in the message).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "support.h"
#include "tl.h"
#include "tl_trace.h"

#define CLIENT_MS 3000          /* deadline of a client whose round completes */

TestSuite(args, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(round, .init = tl_setup, .fini = tl_teardown, .timeout = 60);
TestSuite(proto, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(depart, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(stop, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(fd, .init = tl_setup, .fini = tl_teardown, .timeout = 60);

/* ---------- shared checks ---------- */

/* A bad-input run: exit status, exactly one stderr line with the right prefix, no stdout,
 * nothing left running. */
static void check_error_run(const tl_result *r, const char *prog, int status)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%s: ", prog);
    cr_assert(r->exited && r->status == status, "expected exit status %d, but %s", status,
              tl_explain(r));
    cr_assert(tl_one_line(r->err), "expected exactly one line on stderr, got \"%s\".\n"
              "  Reproduce: %s", r->err, r->cmd);
    cr_assert(!strncmp(r->err, prefix, strlen(prefix)) || !strncmp(r->err, "usage: ", 7),
              "the error line must start with \"%s\" or \"usage: \", got \"%s\".\n"
              "  Reproduce: %s", prefix, r->err, r->cmd);
    cr_assert(r->out_len == 0, "nothing may be printed on stdout here, got \"%.100s\".\n"
              "  Reproduce: %s", r->out, r->cmd);
    cr_assert(tl_clean(r), "%s", tl_explain(r));
}

/* Run n clients with values v; each must print "sum = <sum of v>" and exit 0. Each
 * starts once the server accepted the one before (or 300 ms later), and 10 ms after
 * that: their order is the one the Reproduce line starts them in, so the line replays
 * the same round (clients started less than 5 ms apart count as started together,
 * their order undecided, and their lines as not replayable). */
static void check_round(const server *s, const long long *v, int n, const char *note)
{
    tl_proc *p[MAX_VALUES];
    long long want = 0, got;
    pid_t spid = tl_pid(s->p);
    int base = tl_fd_count(spid);
    for (int i = 0; i < n; i++) {
        want += v[i];
        p[i] = start_client(v[i], CLIENT_MS);
        if (base >= 0 && i + 1 < n)
            tl_wait_fd_count(spid, base + i + 1, INT_MAX, 300);
        if (i + 1 < n)
            tl_sleep_ms(10);
    }
    tl_result r[MAX_VALUES];
    for (int i = 0; i < n; i++)
        r[i] = tl_wait(p[i]);
    for (int i = 0; i < n; i++) {
        cr_assert(tl_exited_ok(&r[i]), "a client of a round of %d: %s\n  (server: %s; %s)", n,
                  tl_explain(&r[i]), s->cmd, note);
        cr_assert(client_sum(&r[i], &got), "a client must print exactly one line \"sum = S\", "
                  "got \"%.100s\".\n  Reproduce: %s\n  (server: %s)", r[i].out, r[i].cmd,
                  s->cmd);
        cr_assert(got == want, "a client printed \"sum = %lld\" but the %d values of its round "
                  "add up to %lld.\n  Reproduce: %s\n  (server: %s; %s)", got, n, want, r[i].cmd,
                  s->cmd, note);
        tl_result_free(&r[i]);
    }
}

/* Stop the server with sig: it must exit 0 promptly, leave nothing, remove its socket. */
/* One of the server's optional notes of README.md §3, whole. */
static bool is_server_note(const char *line)
{
    long r, b;
    int end = -1;
    if (sscanf(line, "sum_server: a client left round %ld before its end%n", &r, &end) == 1 &&
        end >= 0 && line[end] == '\0')
        return true;
    end = -1;
    return sscanf(line, "sum_server: rejected a bad message (%ld bytes) in round %ld%n", &b, &r,
                  &end) == 2 && end >= 0 && line[end] == '\0';
}

/* The server's stderr after a stop holds only those notes (a server may print them or
 * not): the first other line (in line), or NULL. */
static const char *foreign_err_line(const char *err, char *line, size_t cap)
{
    for (const char *p = err; *p;) {
        size_t n = strcspn(p, "\n");
        snprintf(line, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
        if (!is_server_note(line))
            return line;
        p += n + (p[n] == '\n');
    }
    return NULL;
}

static server_out check_stop(server *s, int sig)
{
    bool late;
    tl_result r = stop_server(s, sig, &late);
    cr_assert(!late, "the server did not exit within 2 s of %s (it must stop on SIGINT and "
              "SIGTERM, even while waiting in poll/accept).\n  Reproduce: %s",
              sig == SIGINT ? "SIGINT" : "SIGTERM", r.cmd);
    cr_assert(tl_exited_ok(&r), "after %s the server %s", sig == SIGINT ? "SIGINT" : "SIGTERM",
              tl_explain(&r));
    const char *extra = tl_dir_extra(tl_dir(), NULL);
    cr_assert(!*extra, "after the server exited, the test directory still holds \"%s\": the "
              "server must remove its socket file.\n  Reproduce: %s\n%s", extra, r.cmd,
              tl_timeline(&r));
    server_out o = parse_server(r.out);
    cr_assert(o.listening && o.nbad == 0, "unexpected server output line \"%s\" (see the "
              "formats in README.md).\n  Reproduce: %s", o.nbad ? o.bad : "(no listening line)",
              r.cmd);
    cr_assert(o.stopped >= 0, "the server's last line must be \"stopped after N rounds\".\n"
              "  Reproduce: %s", r.cmd);
    char line[160];
    const char *bad = foreign_err_line(r.err, line, sizeof line);
    cr_assert(!bad, "after %s the server's stderr holds \"%s\": a stop is no error, and while "
              "it serves the server may only note \"sum_server: a client left round R before "
              "its end\" or \"sum_server: rejected a bad message (N bytes) in round R\" (both "
              "optional).\n  Reproduce: %s", sig == SIGINT ? "SIGINT" : "SIGTERM", bad, r.cmd);
    tl_result_free(&r);
    return o;
}

/* Make a socket file at tl_path(SOCK_NAME) that nobody listens on (a crashed server's). */
static void make_stale_socket(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", tl_path(SOCK_NAME));
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0,
              "test setup: cannot make a stale socket");
    close(fd);
}

/* ---------- args ---------- */

Test(args, server_usage_errors)
{
    char long_path[200];
    memset(long_path, 'x', 150);
    long_path[150] = '\0';
    const char *const *cases[] = {
        TL_ARGV("sum_server", "-p", SOCK_NAME, "-c", "0"),
        TL_ARGV("sum_server", "-p", SOCK_NAME, "-c", "65"),
        TL_ARGV("sum_server", "-p", SOCK_NAME, "-c", "abc"),
        TL_ARGV("sum_server", "-p", SOCK_NAME, "-c", "2x"),
        TL_ARGV("sum_server", "-p", SOCK_NAME, "-c", ""),
        TL_ARGV("sum_server", "-p", SOCK_NAME, "-x"),
        TL_ARGV("sum_server", "-p", SOCK_NAME, "extra"),
        TL_ARGV("sum_server", "-p", SOCK_NAME, "-c"),
        TL_ARGV("sum_server", "-p", ""),
        TL_ARGV("sum_server", "-p", long_path),
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tl_result r = tl_run(&(tl_opts){ .argv = cases[k], .deadline_ms = 2000 });
        check_error_run(&r, "sum_server", 2);
        const char *extra = tl_dir_extra(tl_dir(), NULL);
        cr_assert(!*extra, "bad arguments must create nothing, but \"%s\" was left.\n"
                  "  Reproduce: %s", extra, r.cmd);
        tl_result_free(&r);
    }
}

Test(args, client_usage_errors)
{
    server s = start_server(1);
    const char *const *cases[] = {
        TL_ARGV("sum_client", "-p", SOCK_NAME, "abc"),
        TL_ARGV("sum_client", "-p", SOCK_NAME, ""),
        TL_ARGV("sum_client", "-p", SOCK_NAME, "12x"),
        TL_ARGV("sum_client", "-p", SOCK_NAME, "1.5"),
        TL_ARGV("sum_client", "-p", SOCK_NAME, "0x10"),
        TL_ARGV("sum_client", "-p", SOCK_NAME, "2147483648"),
        TL_ARGV("sum_client", "-p", SOCK_NAME, "-2147483649"),
        TL_ARGV("sum_client", "-p", SOCK_NAME, "99999999999999999999"),
        TL_ARGV("sum_client", "-p", SOCK_NAME, " 7"),
        TL_ARGV("sum_client", "-p", SOCK_NAME),
        TL_ARGV("sum_client", "-p", SOCK_NAME, "1", "2"),
        TL_ARGV("sum_client", "-p", SOCK_NAME, "-x", "1"),
        TL_ARGV("sum_client", "-p", "", "1"),
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tl_result r = tl_run(&(tl_opts){ .argv = cases[k], .deadline_ms = 2000 });
        check_error_run(&r, "sum_client", 2);
        tl_result_free(&r);
    }
    /* Nothing was sent: the first round of this 1-client server is the good client's. */
    long long v[1];
    char note[64];
    random_values(v, 1, note, sizeof note);
    check_round(&s, v, 1, note);
    server_out o = check_stop(&s, SIGTERM);
    cr_assert(o.nrounds == 1 && o.rounds[0].number == 1 && o.rounds[0].nv == 1 &&
              o.rounds[0].v[0] == v[0], "after the invalid clients, the server's only round must "
              "be \"round 1: %lld = %lld\" (an invalid VALUE sends nothing), but it printed %d "
              "round(s), the first with %d value(s), first value %lld.\n  (server: %s)", v[0],
              v[0], o.nrounds, o.nrounds ? o.rounds[0].nv : 0,
              o.nrounds ? o.rounds[0].v[0] : 0LL, s.cmd);
    free_server_out(&o);
}

Test(args, client_server_down)
{
    for (int stale = 0; stale < 2; stale++) {
        if (stale)
            make_stale_socket();
        tl_result r = tl_run(&(tl_opts){ .argv = TL_ARGV("sum_client", "-p", SOCK_NAME, "5"),
                                         .deadline_ms = 2000 });
        check_error_run(&r, "sum_client", 1);
        cr_assert(strstr(r.err, "server is down"), "with %s, the error must say \"server is "
                  "down\", got \"%.*s\".\n  Reproduce: %s", stale ? "a stale socket file (no "
                  "server listening)" : "no socket file", (int)strcspn(r.err, "\n"), r.err, r.cmd);
        tl_result_free(&r);
    }
    struct stat st;
    cr_assert(lstat(tl_path(SOCK_NAME), &st) == 0, "the client must not remove the socket file");
}

/* ---------- round ---------- */

Test(round, one_round)
{
    server s = start_server(0);
    long long v[2];
    char note[64];
    random_values(v, 2, note, sizeof note);
    check_round(&s, v, 2, note);
    server_out o = check_stop(&s, SIGTERM);
    cr_assert(o.nrounds == 1 && o.rounds[0].number == 1 && o.rounds[0].nv == 2 &&
              o.rounds[0].sum == v[0] + v[1], "the server must print \"round 1: %lld + %lld = "
              "%lld\" (values in any order), found %d round line(s).\n  (server: %s; %s)", v[0],
              v[1], v[0] + v[1], o.nrounds, s.cmd, note);
    bool same = (o.rounds[0].v[0] == v[0] && o.rounds[0].v[1] == v[1]) ||
                (o.rounds[0].v[0] == v[1] && o.rounds[0].v[1] == v[0]);
    cr_assert(same, "the round line must list the two values received, %lld and %lld.\n"
              "  (server: %s)", v[0], v[1], s.cmd);
    cr_assert(o.stopped == 1, "expected \"stopped after 1 rounds\", got %ld.\n  (server: %s)",
              o.stopped, s.cmd);
    free_server_out(&o);
}

Test(round, many_rounds)
{
    server s = start_server(2);
    enum { ROUNDS = 25 };
    long long v[2 * ROUNDS];
    char note[64];
    random_values(v, 2 * ROUNDS, note, sizeof note);
    for (int k = 0; k < ROUNDS; k++)
        check_round(&s, v + 2 * k, 2, note);
    server_out o = check_stop(&s, SIGTERM);
    cr_assert(o.nrounds == ROUNDS && o.stopped == ROUNDS, "%d rounds were played, the server "
              "printed %d round lines and \"stopped after %ld rounds\".\n  (server: %s)", ROUNDS,
              o.nrounds, o.stopped, s.cmd);
    for (int k = 0; k < ROUNDS; k++)
        cr_assert(o.rounds[k].number == k + 1 && o.rounds[k].sum == v[2 * k] + v[2 * k + 1],
                  "line %d of the rounds must be \"round %d: ... = %lld\".\n  (server: %s; %s)",
                  k + 1, k + 1, v[2 * k] + v[2 * k + 1], s.cmd, note);
    free_server_out(&o);
}

Test(round, clients_option)
{
    int sizes[] = { 1, 3, 7 };
    for (int k = 0; k < 3; k++) {
        server s = start_server(sizes[k]);
        long long v[2 * 7];
        char note[64];
        random_values(v, 2 * sizes[k], note, sizeof note);
        check_round(&s, v, sizes[k], note);
        check_round(&s, v + sizes[k], sizes[k], note);
        server_out o = check_stop(&s, SIGINT);
        cr_assert(o.nrounds == 2 && o.rounds[0].nv == sizes[k] && o.rounds[1].nv == sizes[k],
                  "with -c %d every round line must list %d values (2 rounds played, %d "
                  "printed).\n  (server: %s)", sizes[k], sizes[k], o.nrounds, s.cmd);
        free_server_out(&o);
    }
    /* The largest round -c allows, 64 clients (raw ones: 64 processes would be slow). */
    server s = start_server(MAX_VALUES);
    int fd[MAX_VALUES];
    char msg[16], buf[64], want[64];
    for (int i = 0; i < MAX_VALUES; i++) {
        fd[i] = raw_connect();
        snprintf(msg, sizeof msg, "%d", i + 1);
        cr_assert(fd[i] >= 0 && raw_send(fd[i], msg, strlen(msg)), "cannot connect client %d of "
                  "a round of %d.\n  (server: %s)", i + 1, MAX_VALUES, s.cmd);
    }
    snprintf(want, sizeof want, "sum %d", MAX_VALUES * (MAX_VALUES + 1) / 2);
    for (int i = 0; i < MAX_VALUES; i++) {
        ssize_t n = tl_recv_within(fd[i], buf, sizeof buf - 1, 3000);
        buf[n > 0 ? n : 0] = '\0';
        cr_assert(n > 0 && !strcmp(buf, want), "with -c %d, %d clients sent 1 to %d: each must "
                  "get \"%s\", client %d got %s \"%s\".\n  (server: %s)", MAX_VALUES, MAX_VALUES,
                  MAX_VALUES, want, i + 1, n > 0 ? "" : "no reply", buf, s.cmd);
    }
    for (int i = 0; i < MAX_VALUES; i++)
        close(fd[i]);
    server_out o = check_stop(&s, SIGINT);
    cr_assert(o.nrounds == 1 && o.rounds[0].nv == MAX_VALUES, "with -c %d the round line must "
              "list %d values.\n  (server: %s)", MAX_VALUES, MAX_VALUES, s.cmd);
    free_server_out(&o);
}

Test(round, waits_for_all)
{
    server s = start_server(3);
    long long v[3];
    char note[64];
    random_values(v, 3, note, sizeof note);
    tl_proc *a = start_client(v[0], 5000), *b = start_client(v[1], 5000);
    tl_sleep_ms(300);
    char *out = tl_peek_output(s.p);
    bool early = strstr(out, "round ") != NULL;
    free(out);
    cr_assert(!early && tl_alive(a) && tl_alive(b), "with -c 3 and only two clients, the round "
              "must not end: the server answers when it has all 3 values (%s).\n  (server: %s)",
              early ? "it printed a round line" : "a client ended", s.cmd);
    tl_proc *c = start_client(v[2], 5000);
    tl_result r[3] = { tl_wait(a), tl_wait(b), tl_wait(c) };
    long long got;
    for (int i = 0; i < 3; i++)
        cr_assert(tl_exited_ok(&r[i]) && client_sum(&r[i], &got) && got == v[0] + v[1] + v[2],
                  "once the third client came, each client must print \"sum = %lld\": %s\n"
                  "  (server: %s; %s)", v[0] + v[1] + v[2], tl_explain(&r[i]), s.cmd, note);
    server_out o = check_stop(&s, SIGTERM);
    free_server_out(&o);
}

/* Clients of several rounds at once: each round's clients all get that round's sum,
 * every value counts in exactly one round. */
Test(round, simultaneous_clients)
{
    enum { N = 12 };
    server s = start_server(2);
    long long v[N], got[N];
    char note[64];
    random_values(v, N, note, sizeof note);
    tl_proc *p[N];
    for (int i = 0; i < N; i++)
        p[i] = start_client(v[i], 5000);
    for (int i = 0; i < N; i++) {
        tl_result r = tl_wait(p[i]);
        cr_assert(tl_exited_ok(&r) && client_sum(&r, &got[i]), "%d clients at once, -c 2: %s\n"
                  "  (server: %s; %s)", N, tl_explain(&r), s.cmd, note);
        tl_result_free(&r);
    }
    server_out o = check_stop(&s, SIGTERM);
    cr_assert(o.nrounds == N / 2, "%d clients with -c 2 make %d rounds, the server printed %d.\n"
              "  (server: %s)", N, N / 2, o.nrounds, s.cmd);
    for (int i = 0; i < N; i++) {
        int found = 0;
        long long sum = 0;
        for (int k = 0; k < o.nrounds; k++)
            for (int j = 0; j < o.rounds[k].nv; j++)
                if (o.rounds[k].v[j] == v[i]) {
                    found++;
                    sum = o.rounds[k].sum;
                }
        cr_assert(found == 1, "value %lld appears in %d round lines, expected exactly 1.\n"
                  "  (server: %s; %s)", v[i], found, s.cmd, note);
        cr_assert(sum == got[i], "the client of value %lld printed \"sum = %lld\" but its round "
                  "line says %lld.\n  (server: %s; %s)", v[i], got[i], sum, s.cmd, note);
    }
    for (int k = 0; k < o.nrounds; k++)
        cr_assert(o.rounds[k].nv == 2 && o.rounds[k].sum == o.rounds[k].v[0] + o.rounds[k].v[1],
                  "round %ld: a round of -c 2 has 2 values and their sum.\n  (server: %s)",
                  o.rounds[k].number, s.cmd);
    free_server_out(&o);
}

Test(round, extreme_values)
{
    const long long max = 2147483647LL, min = -2147483648LL;
    long long cases[][3] = { { max, max, max }, { min, min, min }, { min, max, -1 },
                             { max, 1, 0 } };
    server s = start_server(3);
    for (int k = 0; k < 4; k++)
        check_round(&s, cases[k], 3, "extreme values: the sum needs 64 bits");
    server_out o = check_stop(&s, SIGTERM);
    free_server_out(&o);
}

/* ---------- proto ---------- */

/* The server's side of the protocol, seen by raw clients: one message each way. */
Test(proto, server_messages)
{
    server s = start_server(2);
    int a = raw_connect(), b = raw_connect();
    cr_assert(a >= 0 && b >= 0, "cannot connect to the server (SOCK_SEQPACKET on %s).\n"
              "  (server: %s)", SOCK_NAME, s.cmd);
    cr_assert(raw_send(a, "-2147483648", 11) && raw_send(b, "7", 1), "cannot send");
    char buf[128];
    for (int i = 0; i < 2; i++) {
        ssize_t n = tl_recv_within(i ? b : a, buf, sizeof buf - 1, 2000);
        cr_assert(n > 0, "a client that sent \"%s\" (one message, no newline, no NUL) got %s.\n"
                  "  (server: %s)", i ? "7" : "-2147483648",
                  n == -2 ? "no reply within 2 s" : n == 0 ? "no reply (connection closed)"
                  : "an error", s.cmd);
        buf[n] = '\0';
        cr_assert(!strcmp(buf, "sum -2147483641"), "the reply must be the message \"sum "
                  "-2147483641\" (%d bytes, no newline, no NUL), got \"%s\" (%zd bytes).\n"
                  "  (server: %s)", (int)strlen("sum -2147483641"), buf, n, s.cmd);
        n = tl_recv_within(i ? b : a, buf, sizeof buf, 2000);
        cr_assert(n == 0, "after the sum, the server must close the connection.\n"
                  "  (server: %s)", s.cmd);
    }
    close(a);
    close(b);
    server_out o = check_stop(&s, SIGTERM);
    free_server_out(&o);
}

/* A bad message (msg, len bytes; its client still connected) got no error reply: a
 * client then sends 12; a server that counted the bad message as a value completes round
 * 1 with it. Stop the server and show what it printed and did, with a Reproduce line
 * whose socat clients do the same. */
static void fail_no_error_reply(server *s, const char *msg, size_t len, const char *got)
{
    char bad[200], good[160], both[380], buf[64];
    socat_client(bad, sizeof bad, msg, len, 5);
    socat_client(good, sizeof good, "12", 2, 2);
    socat_pair(both, sizeof both, bad, good);
    tl_note_peer(s->p, both);
    int fd = raw_connect();
    ssize_t n = fd >= 0 && raw_send(fd, "12", 2) ? tl_recv_within(fd, buf, sizeof buf - 1, 2000)
                                                 : -1;
    bool late;
    tl_result r = stop_server(s, SIGTERM, &late);
    if (fd >= 0)
        close(fd);
    cr_assert_fail("the bad message \"%.*s\" (%zu bytes) must get an error reply, got %s; then a "
                   "client sent 12 and %s; the server printed:\n%.300s  The server, stopped then "
                   "with SIGTERM: %s", (int)(len > 20 ? 20 : len), msg, len, got,
                   n > 0 ? "got a reply: the server counted the bad message as a value"
                   : "got no reply", r.out, tl_explain(&r));
}

Test(proto, bad_message_reply)
{
    static const struct { const char *msg; size_t len; } bad[] = {
        { "abc", 3 }, { "12x", 3 }, { "+5", 2 }, { " 7", 2 }, { "7\n", 2 }, { "1.5", 3 },
        { "2147483648", 10 }, { "-2147483649", 11 }, { "99999999999", 11 }, { "-", 1 },
        { "\x01\x02\x00", 3 }, { "5\0", 2 },
    };
    server s = start_server(2);
    char big[300], buf[128];
    memset(big, '1', sizeof big);
    for (size_t k = 0; k <= sizeof bad / sizeof *bad; k++) {
        bool last = k == sizeof bad / sizeof *bad;
        const char *msg = last ? big : bad[k].msg;
        size_t len = last ? sizeof big : bad[k].len;
        int fd = raw_connect();
        cr_assert(fd >= 0, "cannot connect to the server after %zu bad message(s): it must keep "
                  "serving.\n  (server: %s)", k, s.cmd);
        cr_assert(raw_send(fd, msg, len), "cannot send");
        ssize_t n = tl_recv_within(fd, buf, sizeof buf - 1, 2000);
        if (n <= 0)
            fail_no_error_reply(&s, msg, len, n == -2 ? "no reply within 2 s"
                                : "no reply (connection closed)");
        buf[n] = '\0';
        cr_assert(!strncmp(buf, "error: ", 7) && n > 7, "the reply to the bad message \"%.*s\" "
                  "must be \"error: REASON\", got \"%s\".\n  (server: %s)",
                  (int)(len > 20 ? 20 : len), msg, buf, s.cmd);
        n = tl_recv_within(fd, buf, sizeof buf, 2000);
        cr_assert(n == 0, "after an error reply the server must close the connection.\n"
                  "  (server: %s)", s.cmd);
        close(fd);
    }
    /* A second message on a connection is an error too. */
    int fd = raw_connect();
    cr_assert(fd >= 0 && raw_send(fd, "5", 1) && raw_send(fd, "6", 1), "cannot send");
    ssize_t n = tl_recv_within(fd, buf, sizeof buf - 1, 2000);
    cr_assert(n > 7 && !strncmp(buf, "error: ", 7), "a client that sends a second value before "
              "the end of its round must get an \"error: REASON\" reply.\n  (server: %s)", s.cmd);
    close(fd);
    long long v[2];
    char note[64];
    random_values(v, 2, note, sizeof note);
    check_round(&s, v, 2, note);
    server_out o = check_stop(&s, SIGTERM);
    cr_assert(o.nrounds == 1 && o.rounds[0].number == 1, "bad messages must not count: the only "
              "round is the one of the two good clients, \"round 1\".\n  (server: %s)", s.cmd);
    free_server_out(&o);
}

/* The client's side, seen by a fake server: the request message and the reply line. */
Test(proto, client_messages)
{
    static const char *const replies[] = { "sum 4294967294", "sum -12", "sum 0" };
    static const char *const shown[] = { "sum = 4294967294\n", "sum = -12\n", "sum = 0\n" };
    int lfd = fake_listen();
    cr_assert(lfd >= 0, "test setup: cannot listen");
    long long v[3];
    char note[64], value[32], buf[128];
    random_values(v, 3, note, sizeof note);
    /* Values 3 and 4 are written with a leading zero and as -0: the client may send them as
     * typed or re-formatted (README.md §4), both requests of §2 for the same value. */
    static const char *const typed[] = { "007", "-0" }, *const canonical[] = { "7", "0" };
    for (int k = 0; k < 5; k++) {
        if (k < 3)
            snprintf(value, sizeof value, "%lld", v[k]);
        else
            snprintf(value, sizeof value, "%s", typed[k - 3]);
        tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("sum_client", "-p", SOCK_NAME, value),
                                          .deadline_ms = 3000 });
        int fd = tl_accept_within(lfd, p, 2000);
        if (fd < 0) {
            tl_result r = tl_wait(p);
            cr_assert_fail("the client did not connect to %s: %s", SOCK_NAME, tl_explain(&r));
        }
        ssize_t n = tl_recv_within(fd, buf, sizeof buf - 1, 2000);
        cr_assert(n > 0, "the client sent no message.\n  Reproduce: %s -p %s %s",
                  tl_shown_bin("sum_client"), SOCK_NAME, value);
        buf[n] = '\0';
        const char *also = k < 3 ? value : canonical[k - 3];
        cr_assert((n == (ssize_t)strlen(value) && !strcmp(buf, value)) ||
                  (n == (ssize_t)strlen(also) && !strcmp(buf, also)), "\"sum_client %s\" must "
                  "send the message \"%s\"%s%s%s (no newline, no NUL), sent \"%s\" (%zd bytes)."
                  "\n  Reproduce: %s -p %s %s", value, value, k < 3 ? "" : " or \"",
                  k < 3 ? "" : also, k < 3 ? "" : "\"", buf, n, tl_shown_bin("sum_client"),
                  SOCK_NAME, value);
        cr_assert(raw_send(fd, replies[k % 3], strlen(replies[k % 3])), "cannot reply");
        tl_result r = tl_wait(p);
        close(fd);
        cr_assert(tl_exited_ok(&r), "after the reply \"%s\": %s", replies[k % 3],
                  tl_explain(&r));
        cr_assert(!strcmp(r.out, shown[k % 3]), "for the reply \"%s\" the client must print "
                  "\"%.*s\", printed \"%s\".\n  Reproduce: %s", replies[k % 3],
                  (int)strlen(shown[k % 3]) - 1, shown[k % 3], r.out, r.cmd);
        tl_result_free(&r);
    }
    close(lfd);
}

/* Error replies, garbage and a server that closes without a reply: exit 1, one line. */
Test(proto, client_reports_errors)
{
    static const char *const replies[] = { "error: round cancelled", "hello", NULL };
    int lfd = fake_listen();
    cr_assert(lfd >= 0, "test setup: cannot listen");
    for (int k = 0; k < 3; k++) {
        tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("sum_client", "-p", SOCK_NAME, "3"),
                                          .deadline_ms = 3000 });
        int fd = tl_accept_within(lfd, p, 2000);
        char buf[64];
        if (fd < 0 || tl_recv_within(fd, buf, sizeof buf, 2000) <= 0) {
            tl_result r = tl_wait(p);
            cr_assert_fail("the client did not connect and send its value: %s",
                           tl_explain(&r));
        }
        if (replies[k])
            cr_assert(raw_send(fd, replies[k], strlen(replies[k])), "cannot reply");
        close(fd);
        tl_result r = tl_wait(p);
        const char *what = replies[k] ? replies[k] : "(connection closed, no reply)";
        cr_assert(r.exited && r.status == 1, "after the reply \"%s\" the client must exit with "
                  "status 1, but %s", what, tl_explain(&r));
        cr_assert(tl_one_line(r.err) && !strncmp(r.err, "sum_client: ", 12) && r.out_len == 0,
                  "after the reply \"%s\" the client must print one line \"sum_client: ...\" on "
                  "stderr and nothing on stdout; stdout \"%s\", stderr \"%s\".\n  Reproduce: %s",
                  what, r.out, r.err, r.cmd);
        if (k == 0)
            cr_assert(strstr(r.err, "round cancelled"), "an \"error: REASON\" reply must be "
                      "shown with its REASON, got \"%s\".\n  Reproduce: %s", r.err, r.cmd);
        tl_result_free(&r);
    }
    close(lfd);
}

/* ---------- depart ---------- */

/* Raw clients that leave mid-round (one after sending its value, one before): their
 * places go to the next clients, and their values do not count. */
Test(depart, client_leaves_before_value)
{
    server s = start_server(2);
    long long v[3];
    char note[64], value[32];
    random_values(v, 3, note, sizeof note);
    int a = raw_connect(), b = raw_connect();
    cr_assert(a >= 0 && b >= 0, "cannot connect.\n  (server: %s)", s.cmd);
    snprintf(value, sizeof value, "%lld", v[2]);
    cr_assert(raw_send(a, value, strlen(value)), "cannot send");
    close(a);
    close(b);
    check_round(&s, v, 2, "two clients left before the end of the round: one after sending "
                "its value, one before; the server must give their places to the next "
                "clients");
    server_out o = check_stop(&s, SIGTERM);
    cr_assert(o.nrounds == 1 && o.rounds[0].sum == v[0] + v[1], "the value %lld of a client "
              "that left must not count: expected one round = %lld.\n  (server: %s; %s)", v[2],
              v[0] + v[1], s.cmd, note);
    free_server_out(&o);
}

/* A real client killed while it waits for its round. */
Test(depart, client_killed_mid_round)
{
    server s = start_server(2);
    long long v[3];
    char note[64];
    random_values(v, 3, note, sizeof note);
    int base = tl_fd_count(tl_pid(s.p));
    tl_proc *a = start_client(v[2], 5000);
    /* accepted (if not, still a valid test) */
    tl_wait_fd_count(tl_pid(s.p), base + 1, INT_MAX, 2000);
    tl_sleep_ms(30);
    tl_signal(a, SIGKILL);
    tl_result ra = tl_wait(a);
    tl_result_free(&ra);
    check_round(&s, v, 2, "a client of the round was killed (SIGKILL) before the others came");
    server_out o = check_stop(&s, SIGTERM);
    cr_assert(o.nrounds == 1 && o.rounds[0].sum == v[0] + v[1], "the value %lld of the killed "
              "client must not count: expected one round = %lld.\n  (server: %s; %s)", v[2],
              v[0] + v[1], s.cmd, note);
    free_server_out(&o);
}

/* Clients that send and leave at once, queued while the round is full: when the server
 * accepts them they are already gone (their message is still readable). Their values
 * must not count, and the failed error reply (EPIPE) must not stop the server. */
Test(depart, gone_before_reply)
{
    server s = start_server(2);
    pid_t pid = tl_pid(s.p);
    int base = tl_fd_count(pid);
    int p1 = raw_connect(), p2 = raw_connect();
    cr_assert(p1 >= 0 && p2 >= 0, "cannot connect.\n  (server: %s)", s.cmd);
    bool full = tl_wait_fd_count(pid, base + 2, INT_MAX, 2000) >= base + 2;
    static const char *const msgs[] = { "abc", "5", "-7" };
    for (int k = 0; k < 3; k++) {
        int fd = raw_connect();
        cr_assert(fd >= 0 && raw_send(fd, msgs[k], strlen(msgs[k])), "cannot connect/send");
        close(fd);
    }
    close(p1);
    close(p2);
    long long v[2];
    char note[64];
    random_values(v, 2, note, sizeof note);
    check_round(&s, v, 2, "three clients had sent a message (\"abc\", \"5\", \"-7\") and "
                "left while the round was full; the server must drop them and keep serving");
    server_out o = check_stop(&s, SIGTERM);
    cr_assert(o.nrounds == 1 && o.rounds[0].sum == v[0] + v[1], "the values of clients that "
              "left must not count: expected one round = %lld%s.\n  (server: %s; %s)",
              v[0] + v[1], full ? "" : " (the first two clients were not accepted in time)",
              s.cmd, note);
    free_server_out(&o);
}

/* -c 3: raw clients A and B send their values, then A (the first of the round, not the
 * last) leaves: B must keep its place and its value, and two real clients C and D
 * complete the round with it. Each waits until the server accepted the one before (or
 * 2 s), so the round line lists B, C, D; it is compared as a set all the same. */
Test(depart, first_of_three_leaves)
{
    server s = start_server(3);
    pid_t pid = tl_pid(s.p);
    long long v[4]; /* A, B, C, D */
    char note[64], value[32], buf[64];
    random_values(v, 4, note, sizeof note);
    int base = tl_fd_count(pid), fd[2];
    for (int i = 0; i < 2; i++) {
        fd[i] = raw_connect();
        snprintf(value, sizeof value, "%lld", v[i]);
        cr_assert(fd[i] >= 0 && raw_send(fd[i], value, strlen(value)), "cannot connect/send."
                  "\n  (server: %s)", s.cmd);
        tl_wait_fd_count(pid, base + i + 1, INT_MAX, 2000);
    }
    close(fd[0]);
    tl_wait_fd_count(pid, base, base + 1, 2000); /* A dropped (if not, still valid) */
    tl_proc *c = start_client(v[2], 5000);
    tl_wait_fd_count(pid, base + 2, INT_MAX, 2000);
    tl_proc *d = start_client(v[3], 5000);
    long long want = v[1] + v[2] + v[3], got;
    char why[256];
    snprintf(why, sizeof why, "round 1 of -c 3: client A sent %lld and left (the first of the "
             "round), B sent %lld and stays, then C and D came; %s", v[0], v[1], note);
    tl_result r[2] = { tl_wait(c), tl_wait(d) };
    for (int i = 0; i < 2; i++) {
        cr_assert(tl_exited_ok(&r[i]) && client_sum(&r[i], &got) && got == want, "%s: a client "
                  "must print \"sum = %lld\" (B + C + D): %s\n  (server: %s)", why, want,
                  tl_explain(&r[i]), s.cmd);
        tl_result_free(&r[i]);
    }
    ssize_t n = tl_recv_within(fd[1], buf, sizeof buf - 1, 2000);
    buf[n > 0 ? n : 0] = '\0';
    char expect[64];
    snprintf(expect, sizeof expect, "sum %lld", want);
    cr_assert(!strcmp(buf, expect), "%s: client B must receive \"%s\", got %s\"%s\".\n"
              "  (server: %s)", why, expect, n == -2 ? "nothing within 2 s " : "", buf, s.cmd);
    close(fd[1]);
    server_out o = check_stop(&s, SIGTERM);
    bool same = o.nrounds == 1 && o.rounds[0].nv == 3 && o.rounds[0].sum == want;
    for (int i = 1; same && i < 4; i++) {
        bool found = false;
        for (int k = 0; k < 3; k++)
            found = found || o.rounds[0].v[k] == v[i];
        same = found;
    }
    cr_assert(same, "%s: expected one round line \"round 1: %lld + %lld + %lld = %lld\" "
              "(%d round(s) printed).\n  (server: %s)", why, v[1], v[2], v[3], want, o.nrounds,
              s.cmd);
    free_server_out(&o);
}

/* SIGTERM while a client waits: the server still stops at once and cleans up; the
 * waiting client is told (exit 1), not left hanging. */
Test(depart, sigterm_mid_round)
{
    server s = start_server(2);
    int base = tl_fd_count(tl_pid(s.p));
    tl_proc *a = start_client(11, 4000);
    bool accepted = tl_wait_fd_count(tl_pid(s.p), base + 1, INT_MAX, 2000) >= base + 1;
    tl_sleep_ms(30);
    server_out o = check_stop(&s, SIGTERM);
    free_server_out(&o);
    tl_result r = tl_wait(a);
    if (accepted)
        cr_assert(r.exited && r.status == 1 && !r.timed_out, "a client waiting for its round "
                  "when the server stops must exit with status 1 (connection closed without a "
                  "reply): %s", tl_explain(&r));
    cr_assert(tl_one_line(r.err) && !strncmp(r.err, "sum_client: ", 12), "expected one line "
              "\"sum_client: ...\" on stderr, got \"%s\".\n  Reproduce: %s", r.err, r.cmd);
    tl_result_free(&r);
}

/* ---------- stop ---------- */

Test(stop, signal_removes_socket)
{
    int sigs[] = { SIGTERM, SIGINT };
    for (int k = 0; k < 2; k++) {
        server s = start_server(2);
        struct stat st;
        cr_assert(lstat(tl_path(SOCK_NAME), &st) == 0 && S_ISSOCK(st.st_mode), "after "
                  "\"listening on\" the socket file %s must exist.\n  (server: %s)", SOCK_NAME,
                  s.cmd);
        if (k == 1) {
            long long v[2];
            char note[64];
            random_values(v, 2, note, sizeof note);
            check_round(&s, v, 2, note);
        }
        server_out o = check_stop(&s, sigs[k]);
        cr_assert(o.stopped == k, "expected \"stopped after %d rounds\", got %ld.\n"
                  "  (server: %s)", k, o.stopped, s.cmd);
        free_server_out(&o);
    }
}

Test(stop, stale_socket_replaced)
{
    make_stale_socket();
    server s = start_server(2);
    long long v[2];
    char note[64];
    random_values(v, 2, note, sizeof note);
    check_round(&s, v, 2, "a stale socket file was at the path when the server started");
    server_out o = check_stop(&s, SIGTERM);
    free_server_out(&o);
}

Test(stop, live_server_kept)
{
    server s = start_server(2);
    tl_result r = tl_run(&(tl_opts){ .argv = TL_ARGV("sum_server", "-p", SOCK_NAME),
                                     .deadline_ms = 2000 });
    check_error_run(&r, "sum_server", 1);
    tl_result_free(&r);
    long long v[2];
    char note[64];
    random_values(v, 2, note, sizeof note);
    check_round(&s, v, 2, "a second server was started on the same path and must have "
                "refused, leaving the first one serving");
    server_out o = check_stop(&s, SIGTERM);
    cr_assert(o.nrounds == 1, "the first server must still serve the round after a second "
              "server tried its path.\n  (server: %s)", s.cmd);
    free_server_out(&o);
}

Test(stop, bind_errors)
{
    static const char content[] = "precious data\n";
    server s = start_server(2); /* a server that cannot start at all fails here */
    server_out o = check_stop(&s, SIGTERM);
    free_server_out(&o);
    int fd = open(tl_path(SOCK_NAME), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert(fd >= 0 && write(fd, content, sizeof content - 1) == sizeof content - 1,
              "test setup");
    close(fd);
    tl_result r = tl_run(&(tl_opts){ .argv = TL_ARGV("sum_server", "-p", SOCK_NAME),
                                     .deadline_ms = 2000 });
    check_error_run(&r, "sum_server", 1);
    struct stat st;
    cr_assert(lstat(tl_path(SOCK_NAME), &st) == 0 && S_ISREG(st.st_mode) &&
              st.st_size == sizeof content - 1, "a regular file at the socket path must be left "
              "alone (it is not a stale socket).\n  Reproduce: %s", r.cmd);
    tl_result_free(&r);
    r = tl_run(&(tl_opts){ .argv = TL_ARGV("sum_server", "-p", "no/such/dir/s.sock"),
                           .deadline_ms = 2000 });
    check_error_run(&r, "sum_server", 1);
    tl_result_free(&r);
}

/* A server started with its standard input closed: socket() then returns descriptor 0,
 * a valid one (only -1 is an error). Run through sh to close it ("<&-"), as the
 * Reproduce line shows. */
Test(stop, stdin_closed)
{
    const char *script = "exec \"$0\" \"$@\" <&-";
    const char *argv[] = { "/bin/sh", "-c", script, tl_bin("sum_server"), "-p", SOCK_NAME,
                           "-c", "2", NULL };
    const char *show[] = { "/bin/sh", "-c", script, tl_shown_bin("sum_server"), "-p",
                           SOCK_NAME, "-c", "2", NULL };
    server s = { 0 };
    snprintf(s.cmd, sizeof s.cmd, "/bin/sh -c '%s' %s -p %s -c 2", script,
             tl_shown_bin("sum_server"), SOCK_NAME);
    s.p = tl_start(&(tl_opts){ .argv = argv, .show_argv = show, .deadline_ms = 25000 });
    tl_trace_name(tl_pid(s.p), "server");
    if (!tl_wait_output(s.p, "listening on ", 3000)) {
        bool late;
        tl_result r = stop_server(&s, SIGKILL, &late);
        cr_assert_fail("a server started with its standard input closed (socket() may then "
                       "return descriptor 0, a valid one: only -1 is an error) never became "
                       "ready: %s", tl_explain(&r));
    }
    long long v[2];
    char note[64];
    random_values(v, 2, note, sizeof note);
    check_round(&s, v, 2, "the server was started with its standard input closed (<&-)");
    server_out o = check_stop(&s, SIGTERM);
    cr_assert(o.nrounds == 1, "a server started with its standard input closed must serve "
              "round 1.\n  (server: %s)", s.cmd);
    free_server_out(&o);
}

/* A stale socket file the server may not remove (its directory is not writable for it):
 * one error line, exit 1, and the file is still there. As root, permission bits do not
 * apply: the server then runs as an unprivileged user (the directory is root's, 0755;
 * the socket file 0777 so that its probe connect() gets ECONNREFUSED, not EACCES). */
Test(stop, stale_socket_not_removable)
{
    server s = start_server(2); /* a server that cannot start at all fails here */
    server_out o = check_stop(&s, SIGTERM);
    free_server_out(&o);
    cr_assert(mkdir(tl_path("ro"), 0755) == 0, "test setup: mkdir");
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", tl_path("ro/" SOCK_NAME));
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0,
              "test setup: cannot make a stale socket");
    close(fd);
    cr_assert(chmod(sa.sun_path, 0777) == 0 &&
              chmod(tl_path("ro"), geteuid() == 0 ? 0755 : 0555) == 0, "test setup: chmod");
    const char *how;
    tl_result r;
    bool ran = tl_run_unprivileged(&(tl_opts){ .argv = TL_ARGV("sum_server", "-p",
                                                               "ro/" SOCK_NAME),
                                               .deadline_ms = 2000 }, &r, &how);
    chmod(tl_path("ro"), 0755); /* the teardown removes the directory */
    cr_assert(ran, "test setup: the tests run as root and cannot run a program as an "
              "unprivileged user: /usr/bin/setpriv (util-linux) is needed");
    struct stat st;
    bool kept = lstat(sa.sun_path, &st) == 0 && S_ISSOCK(st.st_mode);
    cr_assert(r.exited && r.status == 1 && tl_one_line(r.err) &&
              !strncmp(r.err, "sum_server: ", 12), "a stale socket file the server may not "
              "remove (its directory ro/ is not writable, run %s): expected exit 1 and exactly "
              "one stderr line \"sum_server: ...\", got stderr \"%s\": %s", how, r.err,
              tl_explain(&r));
    cr_assert(r.out_len == 0 && kept, "the server could not start: %s.\n  Reproduce: %s",
              kept ? "nothing may be printed on stdout" : "the stale socket file must stay",
              r.cmd);
    tl_result_free(&r);
}

/* ---------- fd ---------- */

/* Play one round of -c 2 with raw clients; with wait_close, also wait until the server
 * closed both connections. false (and *why) on failure. */
static bool raw_round(long long x, long long y, bool wait_close, const char **why)
{
    char a[32], b[32], buf[64];
    int fa = raw_connect(), fb = raw_connect();
    bool ok = fa >= 0 && fb >= 0;
    *why = "cannot connect";
    snprintf(a, sizeof a, "%lld", x);
    snprintf(b, sizeof b, "%lld", y);
    if (ok && !(raw_send(fa, a, strlen(a)) && raw_send(fb, b, strlen(b)))) {
        ok = false;
        *why = "cannot send";
    }
    for (int i = 0; ok && i < 2; i++) {
        ssize_t n = tl_recv_within(i ? fb : fa, buf, sizeof buf - 1, 2000);
        char want[64];
        snprintf(want, sizeof want, "sum %lld", x + y);
        if (n <= 0 || (buf[n] = '\0', strcmp(buf, want))) {
            ok = false;
            *why = n == -2 ? "no reply within 2 s" : "no reply or a wrong sum";
        } else if (wait_close && tl_recv_within(i ? fb : fa, buf, sizeof buf, 1000) != 0) {
            ok = false;
            *why = "the connection was not closed after the reply";
        }
    }
    if (fa >= 0)
        close(fa);
    if (fb >= 0)
        close(fb);
    return ok;
}

/* The first round of fd/thousand_rounds failed (why): stop the server and show its run,
 * with a Reproduce line whose two socat clients do what the test's raw clients did. */
static void fail_first_round(server *s, const char *why)
{
    char a[160], b[160], both[340];
    socat_client(a, sizeof a, "1", 1, 2);
    socat_client(b, sizeof b, "2", 1, 2);
    socat_pair(both, sizeof both, a, b);
    tl_note_peer(s->p, both);
    bool late;
    tl_result r = stop_server(s, SIGTERM, &late);
    if (!strcmp(why, "the connection was not closed after the reply"))
        tl_set_look(&r, "each socat waits 2 s (-t 2) for the server to close its connection; "
                    "meanwhile `ls -l /proc/$(pgrep -n sum_server)/fd` lists the sockets the "
                    "server still holds");
    cr_assert_fail("round 1 (two clients sent 1 and 2; each must get \"sum 3\", then see its "
                   "connection closed): %s.\n  The server, stopped then with SIGTERM: %s", why,
                   tl_explain(&r));
}

/* A thousand rounds, with bad messages and departures mixed in: the server's number of
 * open descriptors must not grow. */
Test(fd, thousand_rounds)
{
    enum { ROUNDS = 1000 };
    server s = start_server(2);
    pid_t pid = tl_pid(s.p);
    const char *why;
    char buf[64];
    if (!raw_round(1, 2, true, &why))
        fail_first_round(&s, why);
    int before = tl_fd_count(pid);
    for (int k = 2; k < ROUNDS; k++) {
        if (k % 50 == 0) {
            int bad = raw_connect(), gone = raw_connect();
            cr_assert(bad >= 0 && gone >= 0 && raw_send(bad, "x", 1), "cannot connect");
            close(gone);
            cr_assert(tl_recv_within(bad, buf, sizeof buf, 2000) > 0, "no error reply to a bad "
                      "message.\n  (server: %s)", s.cmd);
            close(bad);
        }
        cr_assert(raw_round(k, -3 * k, false, &why), "round %d of %d: %s.\n  (server: %s)", k,
                  ROUNDS, why, s.cmd);
    }
    cr_assert(raw_round(7, 8, true, &why), "round %d: %s.\n  (server: %s)", ROUNDS, why, s.cmd);
    int after = tl_fd_count(pid);
    cr_assert(after == before, "the server had %d open descriptors after round 1 and %d after "
              "round %d: close every accepted connection once its round is over (and when its "
              "client leaves or is rejected).\n  (server: %s)", before, after, ROUNDS, s.cmd);
    server_out o = check_stop(&s, SIGTERM);
    cr_assert(o.stopped == ROUNDS, "expected \"stopped after %d rounds\", got %ld.\n"
              "  (server: %s)", ROUNDS, o.stopped, s.cmd);
    free_server_out(&o);
}
