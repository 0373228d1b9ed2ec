/*
 * tl_text.c: parsing what a program printed, beyond tl.c's line counts (declared in
 * tl.h, "Text helpers").
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
        if (n == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[n++] = (int)x;
        p = nl + 1;
    }
    *values = v;
    return (long)n;
}
