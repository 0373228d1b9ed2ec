/*
 * tl_results.c: writing and reading test records (see tl_results.h).
 */
#include "tl_results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t tl_results_escape(char *out, size_t n, size_t cap, const char *s)
{
    for (; s && *s && n + 3 < cap; s++) {
        if (*s == '\\' || *s == '\t' || *s == '\n') {
            out[n++] = '\\';
            out[n++] = *s == '\\' ? '\\' : *s == '\t' ? 't' : 'n';
        } else {
            out[n++] = *s;
        }
    }
    if (n < cap)
        out[n] = '\0';
    return n;
}

size_t tl_results_head(char *out, size_t cap, const char *test, const char *status)
{
    int n = snprintf(out, cap, "%s\t%s\t", test, status);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t tl_results_time(char *out, size_t cap, const char *test, const char *what, long long ms)
{
    int n = snprintf(out, cap, "%s\t%s\t%lld\n", test, what, ms);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static void unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *o++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
        } else
            *o++ = *s;
    }
    *o = '\0';
}

int tl_results_read(const char *path, void (*fn)(const struct tl_record *r, void *arg),
                    void *arg)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) != -1) {
        if (len > 0 && line[len - 1] == '\n')
            line[len - 1] = '\0';
        char *status = strchr(line, '\t');
        if (!status)
            continue;
        *status++ = '\0';
        char *msg = strchr(status, '\t');
        if (msg)
            *msg++ = '\0';
        else
            msg = status + strlen(status);
        struct tl_record r = { line, status, msg, 0 };
        if (strcmp(status, "START") == 0 || strcmp(status, "END") == 0)
            r.ms = atoll(msg);
        else
            unescape(msg);
        fn(&r, arg);
    }
    free(line);
    fclose(f);
    return 0;
}
