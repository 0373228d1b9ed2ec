/*
 * support.c: td7 test helpers (see support.h). Runs in the Criterion worker: no fork
 * here; every wait has a deadline.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- the server ---------- */

void srv_start(struct srv *s, const char *model, const char *const *extra, const char *perturb)
{
    srv_start_sh(s, model, extra, perturb, NULL);
}

void srv_start_sh(struct srv *s, const char *model, const char *const *extra,
                  const char *perturb, const char *sh)
{
    static char script[512], path[PATH_MAX], shown[PATH_MAX];
    const char *argv[28], *show[28];
    int n = 0;
    if (sh) {
        /* bash: redirections of descriptors above 9 (dash has only 0..9). The server
         * replaces the shell (exec): tl_pid() is the server's pid. */
        const char *dir = getenv("TD_BIN_SHOW");
        snprintf(script, sizeof script, "%s; exec \"$0\" \"$@\"", sh);
        if (!realpath(tl_bin("shake_server"), path))
            snprintf(path, sizeof path, "%s", tl_bin("shake_server"));
        snprintf(shown, sizeof shown, "%s%s/shake_server", dir && *dir != '/' ? "./" : "",
                 dir && *dir ? dir : ".");
        argv[n++] = "/bin/bash", argv[n++] = "-c", argv[n++] = script, argv[n++] = path;
    } else {
        argv[n++] = "shake_server";
    }
    const char *opts[] = { "-p", "0", "-m", model };
    for (int i = 0; i < 4; i++)
        argv[n++] = opts[i];
    for (int i = 0; extra && extra[i] && n < 26; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    for (int i = 0; i <= n; i++)
        show[i] = sh && i == 0 ? "/bin/bash" : sh && i == 3 ? shown : argv[i];
    memset(s, 0, sizeof *s);
    snprintf(s->model, sizeof s->model, "%s", model);
    s->p = tl_start(&(tl_opts){ .argv = argv, .deadline_ms = SRV_DEADLINE_MS,
                                .perturb = perturb, .show_argv = sh ? show : NULL });
    s->pid = tl_pid(s->p);
    snprintf(s->cmd, sizeof s->cmd, "%s", tl_proc_cmd(s->p));
    bool ready = tl_wait_output(s->p, "\n", 3000);
    char *out = tl_peek_output(s->p);
    int k = sscanf(out, "listening on port %d", &s->port);
    free(out);
    if (!ready || k != 1 || s->port <= 0) {
        tl_result r = tl_wait(s->p);
        cr_assert_fail("the server must print \"listening on port N\" (and flush it) as soon as it "
                 "listens; stdout was \"%.80s\".\n  %s", r.out, tl_explain(&r));
    }
}

const char *srv_hint(const struct srv *s)
{
    static char buf[1400];
    const char *dir = getenv("TD_BIN_SHOW");
    snprintf(buf, sizeof buf, "  Reproduce: %s\n  then: in another terminal, talk to it with "
             "%s%s/shake_client 127.0.0.1 PORT (or nc 127.0.0.1 PORT), PORT being the one "
             "it prints", s->cmd, dir && *dir != '/' ? "./" : "", dir && *dir ? dir : ".");
    return buf;
}

/* "-p 0" in the Reproduce line becomes "-p PORT": the line's clients connect to it. */
static void show_port(const struct srv *s, tl_result *r)
{
    char port[16];
    const char *p = strstr(r->cmd_argv, " -p 0 ");
    snprintf(port, sizeof port, "%d", s->port);
    if (s->port > 0 && p && strchr(r->cmd_argv, '0') == p + 4) /* tl_show_arg: the first "0" */
        tl_show_arg(r, "0", port);
}

tl_result srv_stop(struct srv *s, int ms, double *took_ms)
{
    tl_result r = tl_stop(s->p, SIGTERM, ms, took_ms, NULL);
    show_port(s, &r);
    return r;
}

tl_result srv_wait(struct srv *s)
{
    tl_result r = tl_wait(s->p);
    show_port(s, &r);
    return r;
}

void srv_fail(struct srv *s, int sig, const char *fmt, ...)
{
    char why[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    tl_result r = tl_stop(s->p, sig, 2000, NULL, NULL);
    show_port(s, &r);
    cr_assert_fail("%s\n  %s", why, tl_explain(&r));
}

void srv_peer(struct srv *s, const char *fmt, ...)
{
    char shell[400];
    int n = 0;
    if (!s->peered)
        n = snprintf(shell, sizeof shell, "until ss -ltn 'sport = :%d' | grep -q LISTEN; do "
                     "sleep 0.05; done; ", s->port);
    s->peered = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(shell + n, sizeof shell - (size_t)n, fmt, ap);
    va_end(ap);
    /* a longer one would be left out of the line */
    cr_assert(strlen(shell) < sizeof ((tl_result *)0)->acts[0], "test setup: client part of "
              "%zu characters: %s", strlen(shell), shell);
    tl_note_peer(s->p, shell);
}

bool srv_output_ok(const struct srv *s, const tl_result *r, bool client_errors, char *msg,
                   size_t msglen)
{
    char ready[64];
    int n = snprintf(ready, sizeof ready, "listening on port %d\n", s->port);
    if (r->out_len != (size_t)n || memcmp(r->out, ready, (size_t)n) != 0) {
        snprintf(msg, msglen, "stdout must be exactly one line, \"listening on port %d\" "
                 "(tests and the benchmark read it), and nothing else, ever; it was \"%s\"",
                 s->port, tl_shown_text(r->out, r->out_len, 300));
        return false;
    }
    if (r->err_len == 0 || (client_errors && tl_all_lines_start(r->err, r->err_len, "shake_server: ")))
        return true;
    snprintf(msg, msglen, "stderr is for errors only (\"shake_server: WHAT: REASON\"%s), and "
             "this run had none to report, not even when it stopped; it was \"%s\"",
             client_errors ? ", for example about a client" : "",
             tl_shown_text(r->err, r->err_len, 300));
    return false;
}

void srv_finish(struct srv *s, bool client_errors)
{
    char why[900];
    tl_result r = srv_stop(s, 2000, NULL);
    bool ok = srv_output_ok(s, &r, client_errors, why, sizeof why);
    cr_assert(ok, "-m %s: %s.\n  %s", s->model, why, tl_explain(&r));
    tl_result_free(&r);
}

/* ---------- replies ---------- */

/* Check one reply against its line (both without the '\n'). */
static bool reply_ok(const char *l, size_t ln, const char *r, size_t rn, bool exact)
{
    if (ln != rn)
        return false;
    if (exact)
        return memcmp(l, r, ln) == 0;
    bool cr = ln > 0 && l[ln - 1] == '\r';
    if (cr && r[rn - 1] != '\r')
        return false;
    return tl_same_multiset(l, r, ln - cr);
}

bool replies_match(const char *in, size_t inlen, const char *out, size_t outlen, bool exact,
                   char *msg, size_t msglen)
{
    size_t i = 0, o = 0;
    for (int line = 1; i < inlen; line++) {
        const char *nl = memchr(in + i, '\n', inlen - i), *rl = memchr(out + o, '\n', outlen - o);
        size_t ln = nl ? (size_t)(nl - in - i) : inlen - i;
        if (!rl) {
            snprintf(msg, msglen, "line %d (%zu characters) got no complete reply: %zu bytes "
                     "received in all, %zu expected", line, ln, outlen, inlen);
            return false;
        }
        size_t rn = (size_t)(rl - out - o);
        if (!reply_ok(in + i, ln, out + o, rn, exact)) {
            snprintf(msg, msglen, "line %d: \"%.40s%s\" (%zu characters) was answered by "
                     "\"%.40s%s\" (%zu characters), which is not %s", line, in + i,
                     ln > 40 ? "..." : "", ln, out + o, rn > 40 ? "..." : "", rn,
                     exact ? "the same line (-e echoes)" : "a permutation of its characters "
                     "followed by the same line ending");
            for (char *p = msg; *p; p++)
                if (*p == '\n' || *p == '\r')
                    *p = ' ';
            return false;
        }
        i += ln + 1;
        o += rn + 1;
    }
    if (o != outlen) {
        snprintf(msg, msglen, "%zu unexpected bytes after the last reply", outlen - o);
        return false;
    }
    return true;
}
