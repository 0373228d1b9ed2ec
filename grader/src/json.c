/*
 * json.c: the grader's JSON escaper (see json.h). Test messages hold anything a
 * student's program printed, so every byte is checked.
 */
#include "json.h"

#include <math.h>
#include <string.h>

/* Length of a valid UTF-8 sequence at S, or 0. */
static int utf8_len(const unsigned char *s)
{
    int n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (s[0] >= 0xF5)
        return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
        return 0;   /* overlong forms, surrogates, beyond U+10FFFF */
    return n;
}

static void escape_byte(struct buf *b, unsigned char c)
{
    const char *named = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                      : c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == '\b' ? "\\b"
                      : c == '\f' ? "\\f" : NULL;
    if (named)
        buf_puts(b, named);
    else if (c < 0x20 || c == 0x7F)
        buf_printf(b, "\\u%04x", c);
    else
        buf_add(b, (const char *)&c, 1);
}

void json_string(struct buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    buf_add(b, "\"", 1);
    while (*p) {
        if (*p < 0x80) {
            escape_byte(b, *p++);
            continue;
        }
        int n = utf8_len(p);
        if (n)
            buf_add(b, (const char *)p, (size_t)n);
        else
            buf_puts(b, "\\ufffd");
        p += n ? n : 1;
    }
    buf_add(b, "\"", 1);
}

void json_number(struct buf *b, double v)
{
    if (!isfinite(v))
        v = 0;
    if (v == (double)(long long)v)
        buf_printf(b, "%lld", (long long)v);
    else
        buf_printf(b, "%.4g", v);
}

void json_kv_str(struct buf *b, int first, const char *key, const char *value)
{
    if (!first)
        buf_puts(b, ", ");
    json_string(b, key);
    buf_puts(b, ": ");
    json_string(b, value);
}

void json_kv_num(struct buf *b, int first, const char *key, double value)
{
    if (!first)
        buf_puts(b, ", ");
    json_string(b, key);
    buf_puts(b, ": ");
    json_number(b, value);
}
