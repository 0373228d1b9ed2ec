/*
 * test_client.c: tests of shake_client against a server written in the test itself
 * (a plain listening socket), so that the client is judged alone: lines go out as they
 * are typed, replies are printed as they come, end of input half-closes the connection
 * and late replies are still printed, the server closing ends the client, no zombie.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support.h"

TestSuite(client, .init = tl_setup, .fini = tl_teardown, .timeout = 30);

static char msg[512];

/* A listening socket on 127.0.0.1, port chosen by the kernel. */
static int test_listener(char *port, size_t len)
{
    int p, fd = tl_tcp_listen(&p);
    cr_assert(fd >= 0, "test setup: cannot listen");
    snprintf(port, len, "%d", p);
    return fd;
}

/* Accept the client's connection within ms, or fail with what the client did. */
static int accept_client(int lfd, tl_proc *p, int ms)
{
    int fd = tl_accept_within(lfd, p, ms);
    if (fd < 0) {
        tl_result r = tl_wait(p);
        cr_assert_fail("the client did not connect within %d ms.\n  %s", ms, tl_explain(&r));
    }
    return fd;
}

static void write_stdin(tl_proc *p, const char *s)
{
    size_t len = strlen(s);
    cr_assert(write(tl_stdin_fd(p), s, len) == (ssize_t)len, "test setup: cannot write stdin");
}

/* A line that starts an echo server (socat) on port 7777 for the client command CMD
 * (its %s: the client's path), then runs it: how a student reruns a client test. */
static const char *with_peer(const char *cmd)
{
    static char buf[700], client[300];
    const char *dir = getenv("TD_BIN_SHOW");
    snprintf(client, sizeof client, "%s%s/shake_client", dir && *dir != '/' ? "./" : "",
             dir && *dir ? dir : ".");
    int n = snprintf(buf, sizeof buf, "(timeout 15 socat TCP-LISTEN:7777,reuseaddr EXEC:cat & "
                     "sleep 0.5; ");
    n += snprintf(buf + n, sizeof buf - (size_t)n, cmd, client);
    snprintf(buf + n, sizeof buf - (size_t)n, ")");
    return buf;
}

Test(client, interactive)
{
    char port[16];
    int lfd = test_listener(port, sizeof port);
    tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("shake_client", "127.0.0.1", port),
                                      .stdin_pipe = true, .deadline_ms = 10000 });
    int fd = accept_client(lfd, p, 3000);
    unsigned seed = tl_random_seed();
    for (int round = 0; round < 3; round++) {
        char line[64], reply[64], got[64];
        snprintf(line, sizeof line, "line %d of seed %u\n", round, seed);
        size_t len = strlen(line);
        for (size_t i = 0; i + 1 < len; i++) /* the test's own permutation: reversed */
            reply[i] = line[len - 2 - i];
        reply[len - 1] = '\n', reply[len] = '\0';
        write_stdin(p, line);
        size_t n = tl_recv_all(fd, got, len, REPLY_MS, NULL);
        if (n != len || memcmp(got, line, len)) {
            double took;
            tl_result r = tl_stop(p, 0, 300, &took, NULL);
            cr_assert_fail("a line typed on stdin must reach the server at once (before end "
                           "of input); the server got \"%.*s\".\n  %s (then type lines)",
                           (int)n, got, tl_explain(&r));
        }
        cr_assert(tl_write_within(fd, reply, len, REPLY_MS));
        if (!tl_wait_output(p, reply, REPLY_MS)) {
            double took;
            tl_result r = tl_stop(p, 0, 300, &took, NULL);
            cr_assert_fail("the server's reply \"%.*s\" must be printed on stdout as soon as "
                           "it arrives.\n  %s", (int)len - 1, reply, tl_explain(&r));
        }
    }
    close(fd), close(lfd);
    double took;
    tl_result r = tl_stop(p, 0, 1500, &took, NULL);
    tl_result_free(&r);
}

Test(client, end_of_input_half_closes)
{
    char port[16];
    int lfd = test_listener(port, sizeof port);
    tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("shake_client", "127.0.0.1", port),
                                      .stdin_data = "first\nsecond\n", .deadline_ms = 10000 });
    int fd = accept_client(lfd, p, 3000);
    char got[32];
    size_t n = tl_recv_all(fd, got, 13, REPLY_MS, NULL);
    bool eof = tl_wait_eof(fd, 2000);
    cr_assert(n == 13 && eof, "after its input ends the client must send what it read, then "
              "shutdown(sock, SHUT_WR) so that the server sees EOF (close() in one process is "
              "not enough: the other still holds the socket). The server %s.\n  Reproduce: %s"
              "\n  then: the line starts an echo server (socat) and the client, which must end "
              "by itself",
              n != 13 ? "did not get both lines" : "never saw EOF", with_peer("printf "
              "'first\\nsecond\\n' | timeout 5 %s 127.0.0.1 7777"));
    tl_sleep_ms(50);
    cr_assert(tl_write_within(fd, "tfisr\ndsocne\n", 13, REPLY_MS));
    close(fd), close(lfd);
    double took;
    tl_result r = tl_stop(p, 0, 2000, &took, NULL);
    cr_assert(!strcmp(r.out, "tfisr\ndsocne\n"), "replies that come after the end of input "
              "must still be printed, until the server closes; stdout was \"%s\".\n  %s",
              r.out, tl_explain(&r));
    cr_assert(tl_exited_ok(&r), "when the server closes after the end of input the client "
              "must exit 0, its child reaped: %s", tl_explain(&r));
    tl_result_free(&r);
}

Test(client, server_close_ends_client)
{
    char port[16];
    int lfd = test_listener(port, sizeof port);
    tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("shake_client", "127.0.0.1", port),
                                      .stdin_pipe = true, .deadline_ms = 10000 });
    int fd = accept_client(lfd, p, 3000);
    cr_assert(tl_write_within(fd, "eyb\n", 4, REPLY_MS));
    close(fd), close(lfd);
    double took;
    tl_result r = tl_stop(p, 0, 1500, &took, NULL);
    cr_assert(!r.timed_out && took < tl_deadline(1500), "the server closed the connection while "
              "stdin stayed open: the client must end at once (the reader sees EOF and ends the "
              "writer, which is blocked reading stdin).\n  %s", tl_explain(&r));
    cr_assert(tl_exited_ok(&r) && !strcmp(r.out, "eyb\n"), "the client must print \"eyb\" and "
              "exit 0 with its child reaped; stdout \"%s\".\n  %s", r.out, tl_explain(&r));
    tl_result_free(&r);
}

Test(client, big_input)
{
    char port[16];
    unsigned seed = tl_random_seed();
    size_t len;
    char *in = tl_random_lines(&seed, 2000, 0, 1000, &len), *out = malloc(len);
    cr_assert(out);
    int lfd = test_listener(port, sizeof port);
    tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("shake_client", "127.0.0.1", port),
                                      .stdin_data = in, .stdin_len = len, .deadline_ms = 10000 });
    int fd = accept_client(lfd, p, 3000);
    /* Echo what arrives as it arrives: the client must write and read at once. */
    size_t got = 0;
    for (bool eof = false; !eof;) {
        size_t n = tl_recv_all(fd, out + got, len - got, TL_EXCHANGE_IDLE_MS, &eof);
        if (n == 0 && !eof)
            break;
        cr_assert(tl_write_within(fd, out + got, n, REPLY_MS), "the client stopped reading replies "
                  "while it was still sending: its reader and writer must run at the same "
                  "time.\n  Reproduce: %s\n  then: the line starts an echo server (socat) and the "
                  "client, which must print all 1000000 bytes",
                  with_peer("head -c 1000000 /dev/zero | tr '\\0' x | timeout 10 %s "
                            "127.0.0.1 7777 | wc -c"));
        got += n;
    }
    close(fd), close(lfd);
    double took;
    tl_result r = tl_stop(p, 0, 3000, &took, NULL);
    cr_assert(got == len, "the server received %zu bytes of %zu sent on stdin (seed %u).\n  %s",
              got, len, seed, tl_explain(&r));
    cr_assert(r.out_len == len && replies_match(in, len, r.out, r.out_len, true, msg, sizeof msg),
              "the client printed %zu bytes of the %zu the server sent back: %s.\n  %s",
              r.out_len, len, msg, tl_explain(&r));
    cr_assert(tl_exited_ok(&r), "%s", tl_explain(&r));
    tl_result_free(&r);
    free(in), free(out);
}

Test(client, connection_refused)
{
    char port[16];
    /* A bound socket that does not listen: connecting to its port is refused. */
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    tl_test_is_peer(); /* the port it holds is part of the failure */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
              getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
    snprintf(port, sizeof port, "%d", ntohs(sa.sin_port));
    tl_result r = tl_run(&(tl_opts){ .argv = TL_ARGV("shake_client", "127.0.0.1", port),
                                     .deadline_ms = 3000 });
    cr_assert(r.exited && r.status == 1 && tl_one_line(r.err) &&
              !strncmp(r.err, "shake_client: ", 14) && r.out_len == 0 && tl_clean(&r),
              "no server on the port: exit 1 with one line \"shake_client: ...\" on stderr, "
              "nothing else.\n  %s", tl_explain(&r));
    close(fd);
    tl_result_free(&r);
}

/* Like with_peer, but the server socat starts runs SERVER_CMD (shell) for the connection. */
static const char *with_server(const char *server_cmd, const char *cmd)
{
    static char buf[700], client[300];
    const char *dir = getenv("TD_BIN_SHOW");
    snprintf(client, sizeof client, "%s%s/shake_client", dir && *dir != '/' ? "./" : "",
             dir && *dir ? dir : ".");
    int n = snprintf(buf, sizeof buf, "(timeout 15 socat TCP-LISTEN:7777,reuseaddr "
                     "SYSTEM:'%s' & sleep 0.5; ", server_cmd);
    n += snprintf(buf + n, sizeof buf - (size_t)n, cmd, client);
    snprintf(buf + n, sizeof buf - (size_t)n, ")");
    return buf;
}

Test(client, timeout_silent_server)
{
    char port[16];
    int lfd = test_listener(port, sizeof port);
    tl_test_is_peer(); /* the silent server is the test */
    tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("shake_client", "-t", "1", "127.0.0.1",
                                      port), .stdin_pipe = true, .deadline_ms = 5000 });
    /* Its Reproduce line starts a silent server too: socat accepts the client, then waits
     * for a connection to its second address that never comes. */
    tl_note_server(p, "socat TCP-LISTEN:$p,reuseaddr TCP-LISTEN:0 >&2 & until ss -ltn "
                   "\"sport = :$p\" | grep -q LISTEN; do sleep 0.05; done", atoi(port));
    int fd = accept_client(lfd, p, 3000);
    tl_result r = tl_wait(p); /* stdin stays open: the writer stays blocked on it */
    close(fd), close(lfd);
    cr_assert(!r.timed_out, "with -t 1 and a server that accepted and never wrote, the "
              "client must give up after 1 s; it was still running after 5 s (is SIGALRM "
              "caught without SA_RESTART, so that the blocked read fails with EINTR?).\n  %s",
              tl_explain(&r));
    cr_assert(r.exited && r.status == 1 && !strcmp(r.err, "shake_client: Time out!\n") &&
              r.out_len == 0, "a timeout: exactly \"shake_client: Time out!\" on stderr, "
              "nothing on stdout, exit 1.\n  %s", tl_explain(&r));
    cr_assert(r.elapsed_ms >= 950 && r.elapsed_ms <= tl_deadline(3000), "-t 1: the client "
              "must give up after 1 s of silence, not after %.0f ms.\n  %s", r.elapsed_ms,
              tl_explain(&r));
    cr_assert(tl_clean(&r), "after the timeout the writer (blocked reading stdin, which "
              "no alarm interrupts: alarm is not inherited by fork) must be ended with "
              "SIGTERM and reaped.\n  %s", tl_explain(&r));
    tl_result_free(&r);
}

Test(client, timeout_restarts_on_data)
{
    char port[16];
    int lfd = test_listener(port, sizeof port);
    tl_test_is_peer(); /* the slow server is the test */
    tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("shake_client", "-t", "1", "127.0.0.1",
                                      port), .stdin_pipe = true, .deadline_ms = 10000 });
    int fd = accept_client(lfd, p, 3000);
    const char *line = "slow line", *reply = "enil wols\n"; /* 10 bytes, 400 ms apart */
    write_stdin(p, "slow line\n");
    char got[16];
    size_t n = tl_recv_all(fd, got, 10, REPLY_MS, NULL);
    cr_assert(n == 10 && !memcmp(got, "slow line\n", 10), "the line \"%s\" typed on stdin "
              "never reached the server.\n  %s", line, tl_proc_cmd(p));
    bool sent = true;
    for (int i = 0; i < 10 && sent; i++) {
        if (i > 0)
            tl_sleep_ms(400);
        sent = tl_write_within(fd, reply + i, 1, REPLY_MS);
    }
    close(fd), close(lfd);
    tl_result r = tl_wait(p);
    const char *again = with_server("read l; for c in e n i l \" \" w o l s; do printf "
                                    "%s \"$c\"; sleep 0.4; done; echo",
                                    "(echo slow line; sleep 6) | %s -t 1 127.0.0.1 7777");
    cr_assert(sent && tl_exited_ok(&r) && !strcmp(r.out, reply) && r.err_len == 0, "-t 1 and "
              "a server that sends its reply one byte every 400 ms: each byte restarts the "
              "count (alarm(SECONDS) again after each read), so the client must print the "
              "whole reply \"enil wols\" and exit 0 when the server closes; stdout was "
              "\"%s\".\n  %s\n  Reproduce: %s", r.out, tl_explain(&r), again);
    tl_result_free(&r);
}

/* ---------- the writer learns first that the server has gone ---------- */

/* The writer child (its pid), once the client has forked it; 0 if it did not within ms. */
static pid_t writer_of(tl_proc *p, int ms)
{
    pid_t kids[4];
    double until = tl_now_ms() + tl_deadline(ms);
    while (tl_proc_children(tl_pid(p), kids, 4) != 1 && tl_now_ms() < until)
        tl_sleep_ms(5);
    return tl_proc_children(tl_pid(p), kids, 4) == 1 ? kids[0] : 0;
}

/* The parent is slow to run (the test stops it with SIGSTOP) while the server goes:
 * with reset, an abortive close (SO_LINGER 0: RST), else a reply then close() (FIN).
 * Lines keep coming on stdin, so the writer's write is the call that finds the
 * connection gone (EPIPE after the FIN, ECONNRESET after the RST: the error is reported
 * once, to whichever call comes first). Then the parent runs again and reads the end.
 * The client must end as when the parent is the first to know: exit 0 saying nothing,
 * or exit 1 with its one line "shake_client: ..." (never a silent exit 1), its child
 * reaped. */
static void server_gone_while_writing(bool reset)
{
    const char *how = reset ? "reset the connection (RST)" : "replied, then closed (FIN)";
    char port[16];
    int lfd = test_listener(port, sizeof port);
    tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("shake_client", "127.0.0.1", port),
                                      .stdin_pipe = true, .deadline_ms = 10000 });
    int fd = accept_client(lfd, p, 3000);
    write_stdin(p, "first\n");
    char got[8];
    size_t n = tl_recv_all(fd, got, 6, REPLY_MS, NULL);
    pid_t writer = writer_of(p, 2000);
    if (n != 6 || !writer) {
        tl_result r = tl_stop(p, 0, 300, NULL, NULL);
        cr_assert_fail("the line \"first\" typed on stdin must reach the server, sent by the "
                       "client's one child (the server got %zu bytes).\n  %s", n,
                       tl_explain(&r));
    }
    kill(tl_pid(p), SIGSTOP);
    double until = tl_now_ms() + tl_deadline(2000);
    while (tl_proc_state(tl_pid(p)) != 'T' && tl_now_ms() < until)
        tl_sleep_ms(2);
    if (reset) {
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };
        cr_assert(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    } else {
        cr_assert(tl_write_within(fd, "tsrif\n", 6, REPLY_MS));
    }
    close(fd), close(lfd);
    /* Keep typing until the writer ends (or 1 s: it may also wait for the parent). */
    until = tl_now_ms() + tl_deadline(1000);
    for (char st; (st = tl_proc_state(writer)) != 'Z' && st != '?' && tl_now_ms() < until;) {
        ssize_t w = write(tl_stdin_fd(p), "more\n", 5); /* EPIPE once the writer is gone */
        (void)w;
        tl_sleep_ms(10);
    }
    kill(tl_pid(p), SIGCONT);
    tl_result r = tl_wait(p);
    bool silent_ok = r.exited && r.status == 0 && r.err_len == 0;
    bool said_ok = r.exited && r.status == 1 && tl_one_line(r.err) &&
                   !strncmp(r.err, "shake_client: ", 14);
    cr_assert(silent_ok || said_ok, "the server %s while the client's reader was not running "
              "(stopped) and its writer went on sending lines: the writer's write failed "
              "first (%s). The client must then end as when the reader sees it first: exit 0 "
              "saying nothing, or exit 1 with one line \"shake_client: ...\" on stderr; it %s "
              "with stderr \"%s\" (a writer that exits 1 on EPIPE/ECONNRESET without a word "
              "makes a silent failure: the server going is the reader's to report).\n  %s",
              how, reset ? "ECONNRESET" : "EPIPE", tl_ending(&r),
              tl_shown_text(r.err, r.err_len, 200), tl_explain(&r));
    cr_assert(reset || !strcmp(r.out, "tsrif\n"), "the server replied \"tsrif\" before it "
              "closed: the client must print it; stdout was \"%s\".\n  %s",
              tl_shown_text(r.out, r.out_len, 200), tl_explain(&r));
    cr_assert(tl_clean(&r), "the server %s: %s", how, tl_explain(&r));
    tl_result_free(&r);
}

Test(client, server_closes_while_writer_writes)
{
    server_gone_while_writing(false);
}

Test(client, server_resets_while_writer_writes)
{
    server_gone_while_writing(true);
}

/* ---------- the client's stdout is a pipe: slow, or closed early ---------- */

/* Start the client in a bash pipeline, script (with "$0" the client, $1 the port), so
 * that its stdout is a pipe that the script reads late or closes. */
static tl_proc *start_in_pipeline(const char *script, const char *port, bool stdin_pipe)
{
    static char path[PATH_MAX], shown[PATH_MAX + 8];
    const char *dir = getenv("TD_BIN_SHOW");
    if (!realpath(tl_bin("shake_client"), path))
        snprintf(path, sizeof path, "%s", tl_bin("shake_client"));
    snprintf(shown, sizeof shown, "%s%s/shake_client", dir && *dir != '/' ? "./" : "",
             dir && *dir ? dir : ".");
    const char *argv[] = { "/bin/bash", "-c", script, path, port, NULL };
    const char *show[] = { "/bin/bash", "-c", script, shown, port, NULL };
    return tl_start(&(tl_opts){ .argv = argv, .show_argv = show, .stdin_pipe = stdin_pipe,
                                .deadline_ms = 10000 });
}

/* Bytes the test server sends: lines of 'x', far more than a pipe holds (64 KiB). */
#define PIPE_TEST_LEN (512 * 1024)
static char *pipe_test_data(void)
{
    char *d = malloc(PIPE_TEST_LEN);
    cr_assert(d);
    for (size_t i = 0; i < PIPE_TEST_LEN; i++)
        d[i] = i % 100 == 99 ? '\n' : 'x';
    return d;
}

/* -t 1 and a stdout nobody reads for 2.5 s while the server sends 512 KiB: the reader is
 * blocked writing stdout when the alarm comes (its write fails with EINTR and write_all
 * retries it, leaving errno EINTR). The server was not silent: once stdout is read, the
 * client must print everything and exit 0 at the server's close (a "Time out!" only if
 * the test's own writes stalled for a second); never hang. A reader that takes "errno ==
 * EINTR" without "read() < 0" for an interrupted read loops forever on the final EOF. */
Test(client, timeout_with_a_slow_stdout)
{
    char port[16];
    int lfd = test_listener(port, sizeof port);
    tl_test_is_peer();
    tl_proc *p = start_in_pipeline("\"$0\" -t 1 127.0.0.1 \"$1\" | { sleep 2.5; cat; }; "
                                   "echo \"client exited ${PIPESTATUS[0]}\"", port, true);
    int fd = accept_client(lfd, p, 3000);
    char *data = pipe_test_data();
    bool sent = tl_write_within(fd, data, PIPE_TEST_LEN, 8000);
    close(fd), close(lfd);
    tl_result r = tl_wait(p);
    const char *tail = r.out_len >= PIPE_TEST_LEN ? r.out + PIPE_TEST_LEN : "";
    bool all = sent && r.out_len >= PIPE_TEST_LEN && !memcmp(r.out, data, PIPE_TEST_LEN) &&
               !strcmp(tail, "client exited 0\n") && r.err_len == 0;
    /* a machine so loaded that the test's writes stalled for a second: a real timeout */
    bool said = strstr(r.out, "client exited 1\n") && !strcmp(r.err, "shake_client: Time out!\n");
    free(data);
    cr_assert(!r.timed_out && r.exited && (all || said), "shake_client -t 1 | { sleep 2.5; cat; }: "
              "the server sent 512 KiB at once, then closed; the client's stdout was not read "
              "for 2.5 s, so its reader was blocked writing it when the alarm came (the write "
              "failed with EINTR; write_all retries it, and errno stays EINTR). The server was "
              "not silent: the client must print all 512 KiB and exit 0 when the server closes "
              "(test errno == EINTR only after a read() that returned -1: read() returning 0 "
              "leaves errno as it was). The shell %s; it printed %zu bytes, then \"%s\".\n  %s",
              tl_ending(&r), r.out_len, tl_shown_text(tail, strlen(tail), 80), tl_explain(&r));
    cr_assert(tl_clean(&r), "shake_client -t 1 with a slow stdout: %s", tl_explain(&r));
    tl_result_free(&r);
}

/* shake_client ... | head -c 100: the reader's write to stdout fails with EPIPE (main()
 * ignores SIGPIPE) once head has gone; the client says so ("shake_client: write to
 * stdout: Broken pipe"), ends its writer (blocked reading stdin) and exits 1. */
Test(client, stdout_closed_early)
{
    char port[16];
    int lfd = test_listener(port, sizeof port);
    tl_test_is_peer();
    tl_proc *p = start_in_pipeline("\"$0\" 127.0.0.1 \"$1\" | head -c 100 >/dev/null; "
                                   "echo \"client exited ${PIPESTATUS[0]}\"", port, true);
    int fd = accept_client(lfd, p, 3000);
    char *data = pipe_test_data();
    (void)tl_write_within(fd, data, PIPE_TEST_LEN, 3000); /* fails once the client is gone */
    free(data);
    tl_result r = tl_wait(p);
    close(fd), close(lfd);
    cr_assert(!r.timed_out && !strcmp(r.out, "client exited 1\n") && tl_one_line(r.err) &&
              !strncmp(r.err, "shake_client: write to stdout: ", 31), "shake_client | head -c "
              "100: once head has gone, the reader's write to stdout fails with EPIPE (SIGPIPE "
              "is ignored by main()): the client must print \"shake_client: write to stdout: "
              "Broken pipe\", end its writer and exit 1. The shell said \"%s\", stderr was "
              "\"%s\".\n  %s", tl_shown_text(r.out, r.out_len, 100),
              tl_shown_text(r.err, r.err_len, 200), tl_explain(&r));
    cr_assert(tl_clean(&r), "shake_client | head -c 100: %s", tl_explain(&r));
    tl_result_free(&r);
}

/* ---------- the reader takes a reset; a timeout while connecting ---------- */

/* The server resets the connection (SO_LINGER 0) while the writer waits for stdin: the
 * reader's read() fails with ECONNRESET, a run-time error: "shake_client: read from
 * server: Connection reset by peer", the writer ended and reaped, exit 1. */
Test(client, reader_sees_a_reset)
{
    char port[16];
    int lfd = test_listener(port, sizeof port);
    tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("shake_client", "127.0.0.1", port),
                                      .stdin_pipe = true, .deadline_ms = 10000 });
    int fd = accept_client(lfd, p, 3000);
    write_stdin(p, "ping\n");
    char got[8];
    size_t n = tl_recv_all(fd, got, 5, REPLY_MS, NULL);
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    cr_assert(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    close(fd), close(lfd);
    tl_result r = tl_wait(p);
    cr_assert(n == 5 && r.exited && r.status == 1 && tl_one_line(r.err) &&
              !strncmp(r.err, "shake_client: read from server: ", 32), "the server reset the "
              "connection (RST) while the client waited: its reader's read() fails with "
              "ECONNRESET, a run-time error: one line \"shake_client: read from server: "
              "Connection reset by peer\" and exit 1; it %s with stderr \"%s\".\n  %s",
              tl_ending(&r), tl_shown_text(r.err, r.err_len, 200), tl_explain(&r));
    cr_assert(tl_clean(&r), "the server reset the connection: %s", tl_explain(&r));
    tl_result_free(&r);
}

/* -t 1 and a server whose accept queue is full (listen backlog 0, one connection already
 * waiting): the kernel drops the client's SYN and connect() blocks until the alarm
 * interrupts it (EINTR: SIGALRM caught without SA_RESTART); the provided main then
 * prints "shake_client: Time out!"; exit 1 after about 1 s. */
Test(client, timeout_while_connecting)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    tl_test_is_peer(); /* the full server is the test */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(lfd >= 0 && bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
              listen(lfd, 0) == 0 && getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0,
              "test setup: cannot listen");
    int port = ntohs(sa.sin_port), filler = tl_tcp_connect(port, 0);
    cr_assert(filler >= 0, "test setup: cannot fill the accept queue");
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    tl_result r = tl_run(&(tl_opts){ .argv = TL_ARGV("shake_client", "-t", "1", "127.0.0.1",
                                     ports), .stdin_pipe = true, .deadline_ms = 5000 });
    close(filler), close(lfd);
    cr_assert(!r.timed_out && r.exited && r.status == 1 &&
              !strcmp(r.err, "shake_client: Time out!\n") && r.out_len == 0, "-t 1 and a server "
              "that never completes the connection (its accept queue full): connect() must "
              "be interrupted by the alarm after 1 s (SIGALRM caught without SA_RESTART; "
              "start_timeout is called before connecting) and the client print \"shake_client: "
              "Time out!\", exit 1; it %s after %.0f ms, stderr \"%s\".\n  %s", tl_ending(&r),
              r.elapsed_ms, tl_shown_text(r.err, r.err_len, 200), tl_explain(&r));
    cr_assert(r.elapsed_ms >= 950, "-t 1: the client gave up after %.0f ms, before its 1 s.\n  %s",
              r.elapsed_ms, tl_explain(&r));
    tl_result_free(&r);
}
