/*
 * support.c: td5 test helpers (see support.h). Everything here runs in the Criterion
 * worker: no fork, no blocking call without a deadline (the FIFO's read end is
 * non-blocking, driven with poll()).
 */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ---------- the value stream ---------- */

static void keep_raw(struct stream *s, const char *buf, size_t n)
{
    if (s->raw_len + n > s->raw_cap) {
        s->raw_cap = (s->raw_len + n) * 2;
        s->raw = realloc(s->raw, s->raw_cap);
        if (!s->raw)
            abort();
    }
    memcpy(s->raw + s->raw_len, buf, n);
    s->raw_len += n;
}

/* A whole line is in s->cur: count it, or remember it as the first bad line. */
static void end_line(struct stream *s)
{
    size_t len = s->cur_len < sizeof s->cur ? s->cur_len : sizeof s->cur - 1;
    s->cur[len] = '\0';
    if (s->cur_len >= 1 && s->cur_len <= 3 && strspn(s->cur, "0123456789") == s->cur_len) {
        s->count++;
        s->sum += atoi(s->cur);
    } else if (!s->bad_line) {
        s->bad_line = s->line;
        snprintf(s->bad, sizeof s->bad, "%s", s->cur);
    }
    s->line++;
    s->cur_len = 0;
}

void stream_feed(struct stream *s, const char *buf, size_t n)
{
    if (s->keep_raw)
        keep_raw(s, buf, n);
    if (s->line == 0)
        s->line = 1;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n')
            end_line(s);
        else if (s->cur_len++ < sizeof s->cur - 1)
            s->cur[s->cur_len - 1] = buf[i];
    }
}

void stream_end(struct stream *s)
{
    if (s->line == 0)
        s->line = 1;
    if (s->cur_len > 0 && !s->bad_line) {
        s->bad_line = s->line;
        snprintf(s->bad, sizeof s->bad, "%.*s (no newline at the end)",
                 (int)(s->cur_len < 12 ? s->cur_len : 12), s->cur);
    }
}

void stream_free(struct stream *s)
{
    free(s->raw);
    s->raw = NULL;
}

/* ---------- reading while the writers run ---------- */

static bool all_ended(tl_proc **w, int nw)
{
    for (int i = 0; i < nw; i++)
        if (tl_alive(w[i]))
            return false;
    return true;
}

/* Wait (up to 30 ms) until the pipe is full, so that the writers contend for room. */
static void wait_full(int rfd, tl_proc **w, int nw)
{
    int cap = fcntl(rfd, F_GETPIPE_SZ), queued = 0;
    double until = tl_now_ms() + 30;
    while (cap > 0 && tl_now_ms() < until && !all_ended(w, nw)) {
        if (ioctl(rfd, FIONREAD, &queued) == 0 && queued >= cap)
            return;
        tl_sleep_us(200);
    }
}

bool collect(int rfd, int *keep, tl_proc **w, int nw, struct stream *s, size_t chunk,
             long pace, int ms)
{
    static char buf[65536];
    double until = tl_now_ms() + tl_deadline(ms);
    if (chunk == 0 || chunk > sizeof buf)
        chunk = sizeof buf;
    wait_full(rfd, w, nw);
    for (;;) {
        ssize_t n = read(rfd, buf, chunk);
        if (n > 0) {
            stream_feed(s, buf, (size_t)n);
            if (pace > 0)
                tl_sleep_us(pace);         /* let every blocked writer queue for room */
            continue;
        }
        if (n == 0)
            break;                              /* EOF: every write end closed */
        if (errno != EAGAIN && errno != EINTR)
            return false;
        if (tl_now_ms() > until)
            return false;
        if (*keep >= 0 && all_ended(w, nw)) {
            close(*keep);                       /* now EOF can come */
            *keep = -1;
            continue;
        }
        struct pollfd pfd = { rfd, POLLIN, 0 };
        poll(&pfd, 1, 5);
    }
    stream_end(s);
    return true;
}

/* ---------- report lines ---------- */

bool parse_sent(const char *out, long long *count, long long *sum)
{
    int end = -1;
    if (sscanf(out, "sent %lld values, sum %lld\n%n", count, sum, &end) != 2 || end < 0)
        return false;
    return out[end] == '\0' && out[end - 1] == '\n';
}

bool parse_average(const char *out, long long *count, double *avg)
{
    int end = -1, digits = 0;
    *count = -1;
    if (!strcmp(out, "0 values, no average\n")) {
        *count = 0;
        return true;
    }
    if (sscanf(out, "%lld values, average %n", count, &end) != 1 || end < 0 || *count <= 0) {
        *count = -1;
        return false;
    }
    const char *a = out + end, *p = a;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p == a || *p++ != '.') {
        *count = -1;
        return false;
    }
    while (p[digits] >= '0' && p[digits] <= '9')
        digits++;
    if (digits != 3 || strcmp(p + 3, "\n")) {
        *count = -1;
        return false;
    }
    *avg = strtod(a, NULL);
    return true;
}

bool average_ok(double avg, long long sum, long long count)
{
    double exact = (double)sum / (double)count, d = avg - exact;
    return d <= 0.0005 + 1e-9 && d >= -0.0005 - 1e-9;
}

/* ---------- the test as a writer ---------- */

static unsigned next_rand(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return (*state >> 8) & 0xffffff;
}

char *make_values(unsigned seed, int n, size_t *len, long long *sum)
{
    int *v = malloc(sizeof *v * (size_t)n);
    char *text = malloc((size_t)n * 4 + 1);
    unsigned st = seed;
    if (!v || !text)
        abort();
    *sum = 0;
    for (int i = 0; i < n; i++) {
        v[i] = (int)(next_rand(&st) % (VALUE_MAX + 1));
        *sum += v[i];
    }
    if (n > 1 && *sum % n == 0) {               /* make sum / n a non-integer */
        int d = v[n - 1] == VALUE_MAX ? -1 : 1;
        v[n - 1] += d;
        *sum += d;
    }
    *len = 0;
    for (int i = 0; i < n; i++)
        *len += (size_t)sprintf(text + *len, "%d\n", v[i]);
    free(v);
    return text;
}
