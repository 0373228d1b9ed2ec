/*
 * support.h: test helpers of td7 on top of testlib/tl.h: start a shake_server and
 * read its port, stop it, and check that replies are permutations of their lines.
 * The tests talk to it through testlib's tl_net.h and look at it through tl_procfs.h.
 */
#ifndef TD7_SUPPORT_H
#define TD7_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tl.h"

#define SRV_DEADLINE_MS 20000   /* a server's life in a test; suites time out at 30 s */
#define REPLY_MS 3000           /* how long a reply may take before the test gives up */

struct srv {
    tl_proc *p;
    int port;
    pid_t pid;
    char model[16];
    char cmd[1024];             /* how to start it by hand (its Reproduce line) */
    bool peered;                /* its Reproduce line has a client part (srv_peer) */
};

/* Start "shake_server -p 0 -m MODEL [extra...]" and read its ready line. On failure the
 * test fails with the reason. extra: NULL-terminated, or NULL. */
void srv_start(struct srv *s, const char *model, const char *const *extra, const char *perturb);
/* The same, started by bash after the shell commands sh (a limit, open descriptors...):
 * bash -c 'SH; exec "$0" "$@"' SERVER -p 0 -m MODEL [extra...]. */
void srv_start_sh(struct srv *s, const char *model, const char *const *extra,
                  const char *perturb, const char *sh);
/* SIGTERM, wait up to ms for the end (then the tree is killed), collect. */
tl_result srv_stop(struct srv *s, int ms, double *took_ms);
/* Collect a server that ended by itself (or at its deadline). Like srv_stop, its
 * Reproduce line shows the port it got instead of "-p 0", for the client commands the
 * line runs (srv_peer). */
tl_result srv_wait(struct srv *s);
/* The test, as the server's client, did what the shell command fmt (printf-style)
 * does: its Reproduce line runs it. Clients are socat commands on SRV_TCP (%d: the
 * port), their output on stderr (stdout is the server's). The first part waits until
 * the server listens (a loaded machine may take longer than the line's first sleep). */
void srv_peer(struct srv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define SRV_TCP "TCP:127.0.0.1:%d"
/* Stop the server with sig (SIGTERM; SIGKILL to leave its zombies in view), then fail
 * the test: why (fmt), how the server ended, its Reproduce line and its timeline. */
void srv_fail(struct srv *s, int sig, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Did the run print only what the contract allows? stdout: exactly the ready line;
 * stderr: nothing, or with client_errors (a test whose clients misbehave) only
 * "shake_server: WHAT: REASON" lines. If not, why in msg. */
bool srv_output_ok(const struct srv *s, const tl_result *r, bool client_errors, char *msg,
                   size_t msglen);
/* srv_stop, then fail the test if the output broke the contract (srv_output_ok). */
void srv_finish(struct srv *s, bool client_errors);
/* "Reproduce: ..." text for messages about a live server. */
const char *srv_hint(const struct srv *s);

/* Are the lines of out permutations of those of in, in order, endings in place (or,
 * with exact, equal)? On failure, why in msg. */
bool replies_match(const char *in, size_t inlen, const char *out, size_t outlen, bool exact,
                   char *msg, size_t msglen);

#endif
