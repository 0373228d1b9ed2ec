/*
 * gradefile.c: writing and reading grade.tsv (see gradefile.h).
 */
#include "gradefile.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char *const flag_names[] = { "noiso", "limit", "forged" };

void grade_add_ex(struct grade *g, const struct grade_ex *e)
{
    g->ex = xrealloc(g->ex, (size_t)(g->nex + 1) * sizeof *g->ex);
    struct grade_ex *d = &g->ex[g->nex++];
    *d = *e;
    d->name = xstrdup(e->name);
    d->state = xstrdup(e->state);
    d->note = xstrdup(e->note ? e->note : "");
}

void grade_add_test(struct grade *g, const struct grade_test *t)
{
    g->tests = xrealloc(g->tests, (size_t)(g->ntests + 1) * sizeof *g->tests);
    struct grade_test *d = &g->tests[g->ntests++];
    *d = *t;
    d->ex = xstrdup(t->ex);
    d->test = xstrdup(t->test);
    d->status = xstrdup(t->status);
}

static void put_text(struct buf *b, const char *s)
{
    if (!*s) {
        buf_puts(b, "-");
        return;
    }
    for (; *s; s++) {
        if (*s == '\\' || *s == '\n' || *s == '\t') {
            char e[2] = { '\\', *s == '\n' ? 'n' : *s == '\t' ? 't' : '\\' };
            buf_add(b, e, 2);
        } else
            buf_add(b, s, 1);
    }
}

static void put_flags(struct buf *b, int flags)
{
    int any = 0;
    for (int i = 0; i < 3; i++)
        if (flags & (1 << i)) {
            buf_printf(b, "%s%s", any ? "," : "", flag_names[i]);
            any = 1;
        }
    if (!any)
        buf_puts(b, "-");
}

char *gradefile_format(const struct grade *g)
{
    struct buf b = { 0 };
    buf_printf(&b, "# grade.tsv: written by the grader, read by grader --merge (gradefile.h)\n"
               "id\t%s\n", g->id);
    for (int i = 0; i < g->nex; i++) {
        const struct grade_ex *e = &g->ex[i];
        buf_printf(&b, "exercise\t%s\t%s\t%s\t%s\t%d\t", e->name, fmt_points(e->score),
                   fmt_points(e->max), e->state, e->warnings);
        put_flags(&b, e->flags);
        buf_printf(&b, "\t%.2f/%.2f/%.2f/%.2f/%.2f/%.2f/%.2f\t", e->secs[0], e->secs[1],
                   e->secs[2], e->queued, e->cpu[0], e->cpu[1], e->cpu[2]);
        put_text(&b, e->note ? e->note : "");
        buf_puts(&b, "\n");
        for (int k = 0; k < g->ntests; k++) {
            const struct grade_test *t = &g->tests[k];
            if (strcmp(t->ex, e->name) == 0)
                buf_printf(&b, "test\t%s\t%s\t%s\t%s\t%s\n", t->ex, t->test,
                           fmt_points(t->points), fmt_points(t->max), t->status);
        }
    }
    buf_printf(&b, "total\t%s\t%s\n", fmt_points(g->total), fmt_points(g->max));
    return b.s;
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

static int parse_flags(const char *s)
{
    int flags = 0;
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(flag_names[i]);
        for (const char *p = strstr(s, flag_names[i]); p; p = strstr(p + 1, flag_names[i]))
            if ((p == s || p[-1] == ',') && (p[n] == ',' || !p[n]))
                flags |= 1 << i;
    }
    return flags;
}

/* One line, its tab-separated fields in F[0..n). */
static void read_line(struct grade *g, char **f, int n)
{
    if (n >= 2 && strcmp(f[0], "id") == 0) {
        free(g->id);
        g->id = xstrdup(f[1]);
    } else if (n >= 6 && strcmp(f[0], "exercise") == 0) {
        char none[] = "", *note = n >= 9 && strcmp(f[8], "-") != 0 ? f[8] : none;
        unescape(note);
        struct grade_ex e = { .name = f[1], .score = atof(f[2]), .max = atof(f[3]),
                              .state = f[4], .warnings = atoi(f[5]),
                              .flags = n >= 7 ? parse_flags(f[6]) : 0, .note = note };
        if (n >= 8)
            sscanf(f[7], "%lf/%lf/%lf/%lf/%lf/%lf/%lf", &e.secs[0], &e.secs[1], &e.secs[2],
                   &e.queued, &e.cpu[0], &e.cpu[1], &e.cpu[2]);
        grade_add_ex(g, &e);
    } else if (n >= 6 && strcmp(f[0], "test") == 0) {
        struct grade_test t = { .ex = f[1], .test = f[2], .points = atof(f[3]),
                                .max = atof(f[4]), .status = f[5] };
        grade_add_test(g, &t);
    } else if (n >= 3 && strcmp(f[0], "total") == 0) {
        g->total = atof(f[1]);
        g->max = atof(f[2]);
    }
}

int gradefile_read(const char *path, struct grade *g)
{
    memset(g, 0, sizeof *g);
    char *text = read_text(path, 8 << 20, NULL), *save = NULL;
    if (!text)
        return -1;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (*l == '#')
            continue;
        char *f[10];
        int n = 0;
        for (char *p = l; p && n < 10; n++) {
            f[n] = p;
            if ((p = strchr(p, '\t')))
                *p++ = '\0';
        }
        read_line(g, f, n);
    }
    free(text);
    return g->id ? 0 : -1;
}

void gradefile_free(struct grade *g)
{
    for (int i = 0; i < g->nex; i++)
        free(g->ex[i].name), free(g->ex[i].state), free(g->ex[i].note);
    for (int i = 0; i < g->ntests; i++)
        free(g->tests[i].ex), free(g->tests[i].test), free(g->tests[i].status);
    free(g->ex), free(g->tests), free(g->id);
    memset(g, 0, sizeof *g);
}
