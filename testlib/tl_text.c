/*
 * tl_text.c: parsing what a program printed, showing it in messages, and making text
 * for a program to read, beyond tl.c's line counts (declared in tl.h, "Text helpers").
 */
#define _GNU_SOURCE
#include "tl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long tl_parse_ints(const char *out, int **values, char *bad, size_t badcap)
{
    size_t cap = 1024, n = 0;
    int *v = malloc(cap * sizeof *v);
    if (!v)
        abort(); /* the test process is out of memory: nothing to judge */
    for (const char *p = out; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *end;
        errno = 0;
        long x = strtol(p, &end, 10);
        bool ok = nl && len > 0 && end == p + len && !errno && x >= -2147483648L &&
                  x <= 2147483647L && (p[0] == '-' || (p[0] >= '0' && p[0] <= '9'));
        if (!ok) {
            snprintf(bad, badcap, "\"%.*s\"%s", (int)(len > 60 ? 60 : len), p,
                     nl ? "" : " (no newline at the end)");
            free(v);
            *values = NULL;
            return -1;
        }
        if (n == cap) {
            int *w = realloc(v, (cap *= 2) * sizeof *v);
            if (!w)
                abort();
            v = w;
        }
        v[n++] = (int)x;
        p = nl + 1;
    }
    *values = v;
    return (long)n;
}

const char *tl_shown_text(const char *text, size_t len, size_t max)
{
    static char buf[2][400];
    static int turn;
    char *b = buf[turn ^= 1];
    size_t k = 0, i;
    /* room left for the widest character (4) and "..." with its NUL (4) */
    for (i = 0; i < len && i < max && k + 8 < sizeof buf[0]; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n')
            b[k++] = '\\', b[k++] = 'n';
        else if (c < 32 || c == 127)
            k += (size_t)snprintf(b + k, 5, "\\x%02x", c);
        else
            b[k++] = (char)c;
    }
    memcpy(b + k, i < len ? "..." : "", i < len ? 4 : 1);   /* cut: say so */
    return b;
}

bool tl_all_lines_start(const char *text, size_t len, const char *prefix)
{
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - text - i) + 1 : len - i;
        if (n < plen + 2 || strncmp(text + i, prefix, plen) != 0)
            return false;
        i += n;
    }
    return true;
}

bool tl_same_multiset(const char *a, const char *b, size_t n)
{
    size_t count[256] = { 0 };
    for (size_t i = 0; i < n; i++)
        count[(unsigned char)a[i]]++;
    for (size_t i = 0; i < n; i++)
        if (count[(unsigned char)b[i]]-- == 0)
            return false;
    return true;
}

char *tl_random_lines(unsigned *seed, int n, size_t minlen, size_t maxlen, size_t *len)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789 .,;:!?-_()[]{}'\"/\\\t";
    size_t cap = (size_t)n * (maxlen + 1) + 1, k = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (int i = 0; i < n; i++) {
        size_t l = minlen + (maxlen > minlen ? (size_t)rand_r(seed) % (maxlen - minlen + 1) : 0);
        for (size_t j = 0; j < l; j++)
            buf[k++] = alphabet[(size_t)rand_r(seed) % (sizeof alphabet - 1)];
        buf[k++] = '\n';
    }
    buf[k] = '\0';
    *len = k;
    return buf;
}
