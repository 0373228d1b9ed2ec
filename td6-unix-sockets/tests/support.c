/*
 * support.c: td6's test helpers (see support.h). Runs in the Criterion worker: no
 * fork here, every wait bounded, every socket close-on-exec.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_trace.h"

#define READY_MS 3000
#define STOP_MS 2000

server start_server_argv(const char *const *argv)
{
    server s = { 0 };
    size_t n = 0;
    for (int i = 0; argv[i] && n < sizeof s.cmd; i++)
        n += (size_t)snprintf(s.cmd + n, sizeof s.cmd - n, "%s%s", i ? " " : "",
                              i ? argv[i] : tl_shown_bin(argv[0]));
    s.p = tl_start(&(tl_opts){ .argv = argv, .deadline_ms = 25000 });
    tl_trace_name(tl_pid(s.p), "server"); /* its role in the timelines of messages */
    if (!tl_wait_output(s.p, "listening on ", READY_MS)) {
        bool late;
        tl_result r = stop_server(&s, SIGKILL, &late);
        cr_assert_fail("the server never became ready (no line \"listening on %s\" within "
                       "%d ms): %s", SOCK_NAME, READY_MS, tl_explain(&r));
    }
    return s;
}

server start_server(int clients)
{
    char c[16];
    snprintf(c, sizeof c, "%d", clients);
    if (clients > 0)
        return start_server_argv(TL_ARGV("sum_server", "-p", SOCK_NAME, "-c", c));
    return start_server_argv(TL_ARGV("sum_server", "-p", SOCK_NAME));
}

tl_result stop_server(server *s, int sig, bool *late)
{
    tl_result r = tl_stop(s->p, sig, STOP_MS, NULL, late);
    s->p = NULL;
    return r;
}

/* Parse "round R: V1 + V2 ... = S" into *l; false if the line is not one. */
static bool parse_round(const char *line, round_line *l)
{
    char *end;
    if (strncmp(line, "round ", 6) != 0)
        return false;
    const char *p = line + 6;
    l->number = strtol(p, &end, 10);
    if (end == p || strncmp(end, ": ", 2) != 0)
        return false;
    p = end + 2;
    for (l->nv = 0; l->nv < MAX_VALUES;) {
        l->v[l->nv++] = strtoll(p, &end, 10);
        if (end == p)
            return false;
        if (!strncmp(end, " + ", 3))
            p = end + 3;
        else if (!strncmp(end, " = ", 3))
            break;
        else
            return false;
    }
    p = end + 3;
    l->sum = strtoll(p, &end, 10);
    return end != p && *end == '\0';
}

server_out parse_server(const char *out)
{
    server_out o = { .stopped = -1 };
    int cap = 16;
    o.rounds = malloc((size_t)cap * sizeof *o.rounds);
    char *copy = strdup(out), *save = NULL;
    int k = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save), k++) {
        char tail;
        long v;
        if (k == 0 && !strncmp(line, "listening on ", 13)) {
            o.listening = true;
            continue;
        }
        if (o.nrounds == cap)
            o.rounds = realloc(o.rounds, (size_t)(cap *= 2) * sizeof *o.rounds);
        if (parse_round(line, &o.rounds[o.nrounds]))
            o.nrounds++;
        else if (sscanf(line, "stopped after %ld rounds%c", &v, &tail) == 1)
            o.stopped = v;
        else if (o.nbad++ == 0)
            snprintf(o.bad, sizeof o.bad, "%.180s", line);
    }
    free(copy);
    return o;
}

void free_server_out(server_out *o)
{
    free(o->rounds);
    o->rounds = NULL;
}

tl_proc *start_client(long long value, int deadline_ms)
{
    char v[32];
    snprintf(v, sizeof v, "%lld", value);
    return tl_start(&(tl_opts){ .argv = TL_ARGV("sum_client", "-p", SOCK_NAME, v),
                                .deadline_ms = deadline_ms });
}

bool client_sum(const tl_result *r, long long *sum)
{
    char tail;
    return tl_one_line(r->out) && sscanf(r->out, "sum = %lld%c", sum, &tail) == 2 &&
           tail == '\n';
}

void random_values(long long *v, int n, char *note, size_t note_len)
{
    unsigned seed = tl_random_seed();
    srand(seed);
    snprintf(note, note_len, "values drawn with seed %u", seed);
    for (int i = 0; i < n; i++) {
        bool again;
        do {
            /* Mostly small values (readable), sometimes anything in the 32-bit range. */
            if (rand() % 4)
                v[i] = rand() % 2001 - 1000;
            else
                v[i] = (long long)(((unsigned)rand() << 16) ^ (unsigned)rand()) % 4294967296LL
                       - 2147483648LL;
            again = false;
            for (int j = 0; j < i; j++)
                again = again || v[j] == v[i];
        } while (again);
    }
}

void socat_client(char *cmd, size_t cap, const char *msg, size_t len, int wait_s)
{
    char data[200];
    size_t n = 0;
    bool ones = len > 40; /* a long message: all '1's (proto/bad_message_reply's) */
    for (size_t i = 0; i < len && i < 40 && n + 5 < sizeof data; i++) {
        unsigned char c = (unsigned char)msg[i];
        ones = ones && c == '1';
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            c == '-' || c == '.' || c == '+' || c == ' ')
            data[n++] = (char)c;
        else
            n += (size_t)snprintf(data + n, sizeof data - n, "\\%03o", c);
    }
    data[n] = '\0';
    char feed[240];
    if (ones)
        snprintf(feed, sizeof feed, "head -c %zu /dev/zero | tr '\\0' 1", len);
    else
        snprintf(feed, sizeof feed, "printf -- '%s'", data);
    snprintf(cmd, cap, "%s | socat -t %d - UNIX-CONNECT:%s,type=5,shut-none >&2", feed, wait_s,
             SOCK_NAME);
}

void socat_pair(char *cmd, size_t cap, const char *a, const char *b)
{
    snprintf(cmd, cap, "(%s & sleep 0.1; %s; wait)", a, b);
}
