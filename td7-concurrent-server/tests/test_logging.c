/*
 * test_logging.c: shake_server -v, the fork model's log of who connected (README §2):
 * after each accept, one line "shake_server: accepted HOST:PORT" on stderr, HOST the
 * client's numeric address, PORT its port, in the order of the accepts; stdout keeps
 * its one ready line. The test knows each client's address from its own side of the
 * connection (getsockname on its socket), so it checks the server's text exactly.
 * IPv6 ("[::1]:PORT") is not tested: the provided listener is IPv4 only.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support.h"

#define LOG_CLIENTS 20
#define LOG_LINE "who am I?\n"

static char msg[900];

/* The port of the test's own end of fd (the client's port the server sees), or -1. */
static int local_port(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) == -1 || sa.sin_family != AF_INET)
        return -1;
    return ntohs(sa.sin_port);
}

/* Connect, be served one line (so the server has accepted this client before the next
 * one connects), close; the client's port, or the test fails. */
static int one_client(struct srv *s, int i)
{
    int fd = tl_tcp_connect(s->port, 0);
    int port = fd >= 0 ? local_port(fd) : -1;
    char out[64];
    size_t got = fd >= 0 && port > 0 ? tl_exchange(fd, LOG_LINE, strlen(LOG_LINE), out,
                                                   strlen(LOG_LINE), REPLY_MS, 0, 0) : 0;
    bool ok = got == strlen(LOG_LINE) &&
              replies_match(LOG_LINE, strlen(LOG_LINE), out, got, false, msg, sizeof msg);
    if (fd >= 0)
        close(fd);
    if (!ok && !tl_alive(s->p)) {
        tl_result r = srv_wait(s);
        cr_assert_fail("-m fork -v, client %d of %d (one after the other): the server is "
                       "gone.\n  %s", i + 1, LOG_CLIENTS, tl_explain(&r));
    }
    if (!ok)
        srv_fail(s, SIGTERM, "-m fork -v, client %d of %d (one after the other): %s.", i + 1,
                 LOG_CLIENTS, fd < 0 ? "cannot connect" : port <= 0 ? "test setup: no local "
                 "port" : got < strlen(LOG_LINE) ? "no reply to its line" : msg);
    return port;
}

/* The first line where the server's stderr and the expected log differ, in msg. */
static void first_difference(const char *got, const char *want)
{
    int line = 1;
    const char *g = got, *w = want; /* the start of the line being compared */
    for (size_t i = 0; got[i] && got[i] == want[i]; i++)
        if (got[i] == '\n')
            line++, g = got + i + 1, w = want + i + 1;
    int gl = (int)strcspn(g, "\n"), wl = (int)strcspn(w, "\n");
    const char *none = "nothing (one line per client, and none at SIGTERM)";
    snprintf(msg, sizeof msg, "line %d of stderr is %s%.*s%s, expected %s%.*s%s", line,
             *g ? "\"" : "", *g ? (gl > 120 ? 120 : gl) : 10, *g ? g : "nothing",
             *g ? "\"" : "", *w ? "\"" : "", *w ? (wl > 120 ? 120 : wl) : 60, *w ? w : none,
             *w ? "\"" : "");
}

/* -v, LOG_CLIENTS clients one after the other: stderr is exactly their lines, in order,
 * with each client's own port; stdout the ready line; nothing more at SIGTERM. */
Test(fork, logs_client_address, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    struct srv s;
    static char want[LOG_CLIENTS * 64 + 1];
    size_t n = 0;
    srv_start(&s, "fork", (const char *const[]){ "-v", NULL }, NULL);
    srv_peer(&s, "for i in $(seq %d); do echo 'who am I?' | socat - " SRV_TCP " >&2; done",
             LOG_CLIENTS, s.port);
    for (int i = 0; i < LOG_CLIENTS; i++) {
        int port = one_client(&s, i);
        n += (size_t)snprintf(want + n, sizeof want - n, "shake_server: accepted "
                              "127.0.0.1:%d\n", port);
    }
    double took;
    tl_result r = srv_stop(&s, 2000, &took);
    cr_assert(r.exited && r.status == 0, "-m fork -v: after SIGTERM the server must exit with "
              "status 0, it %s.\n  %s", tl_ending(&r), tl_explain(&r));
    bool out_ok = srv_output_ok(&s, &r, true, msg, sizeof msg);
    cr_assert(out_ok, "-m fork -v: %s. The log goes to stderr.\n  %s", msg, tl_explain(&r));
    if (r.err_len != n || memcmp(r.err, want, n) != 0) {
        first_difference(r.err, want);
        cr_assert_fail("-m fork -v: after each accept the server writes one line on stderr, "
                       "\"shake_server: accepted HOST:PORT\", the client's numeric address "
                       "(getnameinfo with NI_NUMERICHOST | NI_NUMERICSERV) and its port, in "
                       "the order of the accepts. %d clients connected one after the other; "
                       "%s.\n  %s", LOG_CLIENTS, msg, tl_explain(&r));
    }
    cr_assert(tl_clean(&r), "-m fork -v: %s", tl_explain(&r));
    tl_result_free(&r);
}
