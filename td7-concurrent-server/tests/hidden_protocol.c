/*
 * hidden_protocol.c: instructor-only tests of the corners of the protocol that the
 * handout specifies but the public tests do not show: an unfinished last line at end
 * of input, and a line longer than MAX_LINE, on every model. One test per model and
 * corner: a model that gets a corner wrong costs its own points, not the others'.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support.h"

TestSuite(hidden, .init = tl_setup, .fini = tl_teardown, .timeout = 30);

static char msg[512];

static void unfinished_last_line(const char *model)
{
    struct srv s;
    srv_start(&s, model, NULL, NULL);
    srv_peer(&s, "printf 'first line\\nno newline' | socat -t 2 - " SRV_TCP " >&2", s.port);
    int fd = tl_tcp_connect(s.port, 0);
    cr_assert(fd >= 0, "%s", srv_hint(&s));
    char out[64];
    cr_assert(tl_write_within(fd, "first line\nno newline", 21, REPLY_MS));
    shutdown(fd, SHUT_WR);
    bool eof;
    size_t got = tl_recv_all(fd, out, sizeof out, REPLY_MS, &eof);
    bool ok = got == 21 && replies_match("first line\n", 11, out, 11, false, msg, sizeof msg);
    /* The last reply has no newline: compare it as a line of its own. */
    char last[16];
    memcpy(last, out + 11, 10), last[10] = '\n';
    ok = ok && replies_match("no newline\n", 11, last, 11, false, msg, sizeof msg);
    if (!ok || !eof)
        srv_fail(&s, SIGTERM, "-m %s: input \"first line\\nno newline\" then EOF must be "
                 "answered by a permutation of each part (the last without a newline), then "
                 "the server closes; got %zu bytes \"%.*s\"%s.", model, got, (int)got, out,
                 eof ? "" : " and no EOF");
    close(fd);
    srv_finish(&s, false);
}

static void line_too_long(const char *model)
{
    size_t n = 65536 + 100;
    char *big = malloc(n);
    cr_assert(big);
    memset(big, 'x', n);
    struct srv s;
    srv_start(&s, model, NULL, NULL);
    int fd = tl_tcp_connect(s.port, 0);
    cr_assert(fd >= 0, "%s", srv_hint(&s));
    tl_write_within(fd, big, n, REPLY_MS);
    char out[64];
    bool eof;
    size_t got = tl_recv_all(fd, out, sizeof out, REPLY_MS, &eof);
    cr_assert(eof && got == 0, "-m %s: a line longer than 65536 bytes must make the server "
              "close that connection without a reply (got %zu bytes%s).\n%s", model, got,
              eof ? "" : ", no EOF", srv_hint(&s));
    close(fd);
    fd = tl_tcp_connect(s.port, 0);
    got = tl_exchange(fd, "next\n", 5, out, 5, REPLY_MS, 0, 0);
    cr_assert(replies_match("next\n", 5, out, got, false, msg, sizeof msg),
              "-m %s: after closing a connection for a too long line the server must "
              "go on serving others: %s.\n%s", model, msg, srv_hint(&s));
    close(fd);
    srv_finish(&s, true);
    free(big);
}

#define HIDDEN(m)                                                      \
    Test(hidden, unfinished_last_line_##m) { unfinished_last_line(#m); } \
    Test(hidden, line_too_long_##m) { line_too_long(#m); }

HIDDEN(fork)
HIDDEN(thread)
HIDDEN(pool)
HIDDEN(select)
HIDDEN(poll)
HIDDEN(epoll)
HIDDEN(reuseport)
Test(hidden, unfinished_last_line_epoll_et) { unfinished_last_line("epoll-et"); }
Test(hidden, line_too_long_epoll_et) { line_too_long("epoll-et"); }
