/*
 * session.c: the line protocol of one connection (PROVIDED, DO NOT CHANGE).
 *
 * A line is the bytes up to and including '\n'. Its reply is the same bytes with the
 * characters before the line ending in a random order (Fisher-Yates); the ending
 * ("\n", or "\r\n" for telnet-style clients) stays at the end, so an empty line gets
 * an empty line back. With echo on (-e) the reply is the line itself.
 *
 * Speed matters for the benchmark, so lines are transformed in place in the buffer
 * read() filled and replied to with one writev(): only an unfinished line (the tail of
 * a read) is copied, into s->pend, where the next read completes it.
 */
#include "shake.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void session_init(struct session *s, bool echo)
{
    /* Seed per connection from the clock, the pid and the session's address: the
     * sessions of one process (threads, event loop) shuffle independently, lock-free. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    *s = (struct session){ .echo = echo };
    s->rng = ((unsigned long long)ts.tv_nsec << 20) ^ (unsigned long long)ts.tv_sec ^
             ((unsigned long long)getpid() << 40) ^ (unsigned long long)(size_t)s;
    s->rng |= 1;
}

void session_free(struct session *s)
{
    free(s->pend);
    free(s->spare);
    s->pend = s->spare = NULL;
    s->npend = s->cap = s->spare_cap = 0;
}

static unsigned long long next_random(struct session *s)
{
    /* xorshift64*: fast and plenty for shuffling text. */
    unsigned long long x = s->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->rng = x;
    return x * 2685821657736338717ULL;
}

/* Shuffle the characters of one line (len bytes, ending with '\n') but its ending. */
static void shuffle_line(struct session *s, char *line, size_t len)
{
    size_t n = len - 1;
    if (n > 0 && line[n - 1] == '\r')
        n--;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(next_random(s) % i);
        char c = line[i - 1];
        line[i - 1] = line[j];
        line[j] = c;
    }
}

/* Transform every complete line of buf[0..n) in place; returns the length covered by
 * complete lines (the rest is an unfinished line), or -1 if a line is too long. */
static long transform_lines(struct session *s, char *buf, size_t n)
{
    size_t start = 0;
    for (;;) {
        char *nl = memchr(buf + start, '\n', n - start);
        if (!nl)
            break;
        size_t len = (size_t)(nl - (buf + start)) + 1;
        if (len - 1 > MAX_LINE)
            return -1;
        if (!s->echo)
            shuffle_line(s, buf + start, len);
        start += len;
    }
    return n - start > MAX_LINE ? -1 : (long)start;
}

static int keep_pending(struct session *s, const char *buf, size_t n)
{
    if (s->npend + n > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->npend + n)
            cap *= 2;
        char *p = realloc(s->pend, cap);
        if (!p)
            return -1;
        s->pend = p;
        s->cap = cap;
    }
    memcpy(s->pend + s->npend, buf, n);
    s->npend += n;
    return 0;
}

int session_feed(struct session *s, char *buf, size_t n, struct iovec iov[2])
{
    int k = 0;
    if (s->npend > 0) {
        /* Complete the pending line with the head of buf, then reply to it from pend. */
        char *nl = memchr(buf, '\n', n);
        size_t head = nl ? (size_t)(nl - buf) + 1 : n;
        if (s->npend + head - (nl ? 1 : 0) > MAX_LINE || keep_pending(s, buf, head) == -1)
            return -1;
        buf += head;
        n -= head;
        if (!nl)
            return 0;
        if (!s->echo)
            shuffle_line(s, s->pend, s->npend);
        /* The reply must outlive this call while the tail of buf becomes the new
         * pending line: swap the two buffers instead of copying. */
        char *p = s->pend;
        size_t cap = s->cap;
        s->pend = s->spare;
        s->cap = s->spare_cap;
        s->spare = p;
        s->spare_cap = cap;
        iov[k++] = (struct iovec){ s->spare, s->npend };
        s->npend = 0;
    }
    long done = transform_lines(s, buf, n);
    if (done < 0)
        return -1;
    if (done > 0)
        iov[k++] = (struct iovec){ buf, (size_t)done };
    if ((size_t)done < n && keep_pending(s, buf + done, n - (size_t)done) == -1)
        return -1;
    return k;
}

int session_finish(struct session *s, struct iovec iov[1])
{
    if (s->npend == 0)
        return 0;
    /* The last line has no newline: shuffle all of it (no ending to keep). */
    if (!s->echo)
        for (size_t i = s->npend; i > 1; i--) {
            size_t j = (size_t)(next_random(s) % i);
            char c = s->pend[i - 1];
            s->pend[i - 1] = s->pend[j];
            s->pend[j] = c;
        }
    iov[0] = (struct iovec){ s->pend, s->npend };
    s->npend = 0;
    return 1;
}

int session_serve_blocking(int fd, bool echo)
{
    char buf[READ_CHUNK]; /* on the stack: only the pages read() fills are touched */
    struct session s;
    struct iovec iov[2];
    int rc = 0;
    session_init(&s, echo);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -1 : 0;
            break;
        }
        int k = session_feed(&s, buf, (size_t)n, iov);
        if (k < 0 || writev_all(fd, iov, k) == -1) {
            rc = -1;
            break;
        }
    }
    if (rc == 0) {
        int k = session_finish(&s, iov);
        rc = writev_all(fd, iov, k);
    }
    int e = errno;
    session_free(&s);
    errno = e;
    return rc;
}
