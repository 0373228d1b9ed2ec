/*
 * verdict_file.c: writing and reading the verdict file (see verdict_file.h).
 */
#include "verdict_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* S as a JSON string (quotes, backslashes and control characters escaped). */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

int verdict_file_write(const char *path, const struct verdict_record *r)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!f) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    fputs("{\"status\":", f);
    json_string(f, r->status);
    fputs(",\"limit\":", f);
    json_string(f, r->limit);
    fprintf(f, ",\"exit_code\":%d,\"signal\":%d,\"wall_ms\":%lld,\"cpu_ms\":%lld,"
               "\"mem_peak_bytes\":%lld,\"pids_peak\":%lld,\"output_bytes\":%lld,"
               "\"disk_bytes\":%lld,\"limit_at_ms\":%lld,\"leftovers\":%d,\"isolation\":",
            r->exit_code, r->signal, r->wall_ms, r->cpu_ms, r->mem_peak, r->pids_peak,
            r->out_bytes, r->disk_bytes, r->limit_at_ms, r->leftovers);
    json_string(f, r->isolated ? "full" : "NO ISOLATION");
    fputs(",\"message\":", f);
    json_string(f, r->message);
    fputs(",\"warning\":", f);
    json_string(f, r->warning);
    fputs("}\n", f);
    return fclose(f) == 0 ? 0 : -1;
}

/* A JSON string at *P (just past its opening quote) into OUT (at most N-1 bytes kept);
 * *P ends past the closing quote. -1 if unterminated. */
static int read_string(const char **p, char *out, size_t n)
{
    size_t o = 0;
    for (const char *s = *p; *s; s++) {
        char ch = *s;
        if (ch == '"') {
            out[o] = '\0';
            *p = s + 1;
            return 0;
        }
        if (ch == '\\' && s[1] == 'u' && strlen(s) >= 6) {
            char hex[5] = { s[2], s[3], s[4], s[5], 0 };
            ch = (char)strtol(hex, NULL, 16);
            s += 5;
        } else if (ch == '\\' && s[1]) {
            ch = *++s;
        }
        if (o + 1 < n)
            out[o++] = ch;
    }
    return -1;
}

/* Store VALUE (a string, or a number in NUM) under KEY. */
static void store(struct verdict_record *r, const char *key, const char *str, long long num)
{
    struct { const char *key; char *s; size_t n; } strs[] = {
        { "status", r->status, sizeof r->status }, { "limit", r->limit, sizeof r->limit },
        { "message", r->message, sizeof r->message }, { "warning", r->warning, sizeof r->warning } };
    struct { const char *key; long long *v; } nums[] = {
        { "wall_ms", &r->wall_ms }, { "cpu_ms", &r->cpu_ms }, { "mem_peak_bytes", &r->mem_peak },
        { "pids_peak", &r->pids_peak }, { "output_bytes", &r->out_bytes },
        { "disk_bytes", &r->disk_bytes }, { "limit_at_ms", &r->limit_at_ms } };
    for (size_t i = 0; str && i < sizeof strs / sizeof strs[0]; i++)
        if (strcmp(key, strs[i].key) == 0)
            snprintf(strs[i].s, strs[i].n, "%s", str);
    if (str && strcmp(key, "isolation") == 0)
        r->isolated = strcmp(str, "full") == 0;
    for (size_t i = 0; !str && i < sizeof nums / sizeof nums[0]; i++)
        if (strcmp(key, nums[i].key) == 0)
            *nums[i].v = num;
    if (!str && strcmp(key, "exit_code") == 0)
        r->exit_code = (int)num;
    if (!str && strcmp(key, "signal") == 0)
        r->signal = (int)num;
    if (!str && strcmp(key, "leftovers") == 0)
        r->leftovers = (int)num;
}

static int parse(const char *line, struct verdict_record *r)
{
    const char *p = line;
    static char value[1024];
    if (*p++ != '{')
        return -1;
    while (*p == '"') {
        char key[32];
        p++;
        if (read_string(&p, key, sizeof key) == -1 || *p++ != ':')
            return -1;
        if (*p == '"') {
            p++;
            if (read_string(&p, value, sizeof value) == -1)
                return -1;
            store(r, key, value, 0);
        } else {
            char *end;
            long long v = strtoll(p, &end, 10);
            if (end == p)
                return -1;
            store(r, key, NULL, v);
            p = end;
        }
        if (*p == ',')
            p++;
    }
    return *p == '}' ? 0 : -1;
}

int verdict_file_read(const char *path, struct verdict_record *r)
{
    memset(r, 0, sizeof *r);
    r->exit_code = r->signal = r->leftovers = -1;
    r->wall_ms = r->cpu_ms = r->mem_peak = r->pids_peak = r->out_bytes = r->disk_bytes = -1;
    FILE *f = fopen(path, "re");
    static char line[4096];
    int ok = f && fgets(line, sizeof line, f) && parse(line, r) == 0 && r->status[0];
    int saved = errno;
    if (f)
        fclose(f);
    if (!ok) {
        snprintf(r->status, sizeof r->status, "error");
        snprintf(r->message, sizeof r->message, "no verdict in %.200s (%s)", path,
                 f ? "not a verdict line" : strerror(saved));
        return -1;
    }
    return 0;
}
