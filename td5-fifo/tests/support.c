/*
 * support.c: td5 test helpers (see support.h). Everything here runs in the Criterion
 * worker: no fork, no blocking call without a deadline (FIFO ends are opened with
 * O_NONBLOCK and driven with poll()).
 */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void pause_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

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

/* ---------- FIFO ends ---------- */

bool is_fifo(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISFIFO(st.st_mode);
}

bool path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

bool wait_fifo(const char *path, tl_proc *p, int ms)
{
    double until = ms_now() + tl_deadline(ms);
    while (!is_fifo(path)) {
        if (ms_now() > until || (p && !tl_alive(p)))
            return is_fifo(path);
        pause_us(500);
    }
    return true;
}

int open_read_end(const char *path)
{
    tl_test_is_peer();
    return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

int open_write_end(const char *path, tl_proc *p, int ms)
{
    double until = ms_now() + tl_deadline(ms);
    tl_test_is_peer();
    for (;;) {
        int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0)
            return fd;
        if ((errno != ENXIO && errno != ENOENT) || ms_now() > until || (p && !tl_alive(p)))
            return -1;
        pause_us(300);
    }
}

bool write_within(int fd, const char *buf, size_t len, int ms)
{
    double until = ms_now() + tl_deadline(ms);
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        int left = (int)(until - ms_now());
        if (left <= 0)
            return false;
        struct pollfd pfd = { fd, POLLOUT, 0 };
        poll(&pfd, 1, left < 20 ? left : 20);
    }
    return true;
}

bool wait_drained(int fd, int ms)
{
    double until = ms_now() + tl_deadline(ms);
    for (;;) {
        int queued = 0;
        if (ioctl(fd, FIONREAD, &queued) == -1)
            return false;
        if (queued == 0)
            return true;
        if (ms_now() > until)
            return false;
        pause_us(50);
    }
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
    double until = ms_now() + 30;
    while (cap > 0 && ms_now() < until && !all_ended(w, nw)) {
        if (ioctl(rfd, FIONREAD, &queued) == 0 && queued >= cap)
            return;
        pause_us(200);
    }
}

bool collect(int rfd, int *keep, tl_proc **w, int nw, struct stream *s, size_t chunk,
             long pace, int ms)
{
    static char buf[65536];
    double until = ms_now() + tl_deadline(ms);
    if (chunk == 0 || chunk > sizeof buf)
        chunk = sizeof buf;
    wait_full(rfd, w, nw);
    for (;;) {
        ssize_t n = read(rfd, buf, chunk);
        if (n > 0) {
            stream_feed(s, buf, (size_t)n);
            if (pace > 0)
                pause_us(pace);         /* let every blocked writer queue for room */
            continue;
        }
        if (n == 0)
            break;                              /* EOF: every write end closed */
        if (errno != EAGAIN && errno != EINTR)
            return false;
        if (ms_now() > until)
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

tl_result kill_and_wait(tl_proc *p)
{
    tl_signal(p, SIGKILL);
    return tl_wait(p);
}

void wait_pair(tl_proc *w, tl_proc *r, int grace_ms, tl_result *rw, tl_result *rr)
{
    double ended = 0;
    bool w_alive = true, r_alive = true;
    while (w_alive && r_alive) {
        w_alive = tl_alive(w);
        r_alive = tl_alive(r);
        if (w_alive && r_alive)
            pause_us(1000);
    }
    /* One has ended: the other must follow soon (EOF, EPIPE) or never will. */
    tl_proc *other = w_alive ? w : r;
    ended = ms_now();
    while (tl_alive(other) && ms_now() - ended < tl_deadline(grace_ms))
        pause_us(1000);
    if (tl_alive(other))
        tl_signal(other, SIGKILL);
    *rw = tl_wait(w);
    *rr = tl_wait(r);
}
