/*
 * tl_score.c: rubric + test records -> points (see tl_score.h).
 */
#define _GNU_SOURCE
#include "tl_score.h"
#include "tl_results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

static char *dup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        perror("tl_score");
        abort();
    }
    return d;
}

/* One "TEST <TAB> POINTS <TAB> VISIBILITY <TAB> HINT" line into L; -1 if malformed. */
static int parse_line(char *line, struct tl_rubric_line *l)
{
    char *f[4] = { 0 };
    int n = 0;
    for (char *p = line; n < 4; n++) {
        f[n] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p++ = '\0';
    }
    if (!f[1] || !*trim(f[0]))
        return -1;
    char *end;
    l->points = strtod(f[1], &end);
    if (end == f[1] || l->points < 0)
        return -1;
    l->test = dup(trim(f[0]));
    l->hidden = f[2] && strcmp(trim(f[2]), "hidden") == 0;
    l->memcheck = strncmp(l->test, "memcheck/", 9) == 0;
    l->hint = dup(f[3] ? trim(f[3]) : "");
    return 0;
}

int tl_rubric_read(const char *path, struct tl_rubric *r, char *err, unsigned errlen)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "cannot read %s", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (rc == 0 && getline(&line, &cap, f) != -1) {
        lineno++;
        char *l = trim(line);
        if (*l == '#' || !*l)
            continue;
        struct tl_rubric_line one = { 0 };
        if (parse_line(line, &one) == -1) {
            snprintf(err, errlen, "%s: line %d is not TEST<TAB>POINTS<TAB>...", path, lineno);
            rc = -1;
            break;
        }
        struct tl_rubric_line *grown = realloc(r->line, (size_t)(r->n + 1) * sizeof *grown);
        if (!grown) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        r->line = grown;
        r->line[r->n++] = one;
        r->max += one.points;
        r->has_memcheck |= one.memcheck;
    }
    free(line);
    fclose(f);
    if (rc == -1)
        tl_rubric_free(r);
    return rc;
}

void tl_rubric_free(struct tl_rubric *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->line[i].test), free(r->line[i].hint);
    free(r->line);
    memset(r, 0, sizeof *r);
}

struct scoring {
    const struct tl_rubric *rubric;
    struct tl_scored *out;
    char **unknown;
    int nunknown;
};

static int index_of(const struct tl_rubric *r, const char *test)
{
    for (int i = 0; i < r->n; i++)
        if (!r->line[i].memcheck && strcmp(r->line[i].test, test) == 0)
            return i;
    return -1;
}

static void note_unknown(struct scoring *s, const char *test)
{
    for (int i = 0; i < s->nunknown; i++)
        if (strcmp(s->unknown[i], test) == 0)
            return;
    char **grown = realloc(s->unknown, (size_t)(s->nunknown + 1) * sizeof *grown);
    if (grown) {
        s->unknown = grown;
        s->unknown[s->nunknown++] = dup(test);
    }
}

static void apply(const struct tl_record *rec, void *arg)
{
    struct scoring *s = arg;
    int i = index_of(s->rubric, rec->test);
    if (i < 0) {
        if (strcmp(rec->status, "START") != 0 && strcmp(rec->status, "END") != 0)
            note_unknown(s, rec->test);
        return;
    }
    struct tl_scored *t = &s->out[i];
    if (strcmp(rec->status, "START") == 0 || strcmp(rec->status, "END") == 0) {
        *(rec->status[0] == 'S' ? &t->start_ms : &t->end_ms) = rec->ms;
        return;
    }
    if (t->records++ > 0)
        return;      /* judged below: several records fail the test */
    snprintf(t->status, sizeof t->status, "%s", rec->status);
    t->passed = strcmp(rec->status, "PASS") == 0;
    free(t->message);
    t->message = dup(rec->message);
}

double tl_score(const struct tl_rubric *rubric, const char *results, struct tl_scored **out,
                int *unknown)
{
    struct scoring s = { rubric, calloc((size_t)rubric->n + 1, sizeof *s.out), NULL, 0 };
    if (!s.out) {
        perror("tl_score");
        abort();
    }
    for (int i = 0; i < rubric->n; i++) {
        snprintf(s.out[i].status, sizeof s.out[i].status, "%s",
                 rubric->line[i].memcheck ? "NOTRUN" : "MISSING");
        s.out[i].message = dup(rubric->line[i].memcheck ? "" :
            "this test produced no result: the test run crashed or was stopped before it "
            "finished (counted as failed)");
    }
    if (results)
        tl_results_read(results, apply, &s);
    double points = 0;
    for (int i = 0; i < rubric->n; i++) {
        struct tl_scored *t = &s.out[i];
        if (t->records > 1) {
            t->passed = 0;
            snprintf(t->status, sizeof t->status, "CONFLICT");
            free(t->message);
            if (asprintf(&t->message, "%d results were recorded for this test, which runs "
                         "once: the results channel was tampered with (counted as failed)",
                         t->records) == -1)
                t->message = dup("several results were recorded for this test");
        }
        points += t->passed ? rubric->line[i].points : 0;
    }
    for (int i = 0; i < s.nunknown; i++)
        free(s.unknown[i]);
    free(s.unknown);
    if (unknown)
        *unknown = s.nunknown;
    *out = s.out;
    return points;
}

void tl_scored_free(struct tl_scored *s, int n)
{
    for (int i = 0; s && i < n; i++)
        free(s[i].message);
    free(s);
}
