/*
 * merge.c: gradebook.csv, summary.txt and summary.png from every OUTDIR/<id>/grade.tsv
 * (see merge.h). Works on the results of one run, of several runs, or of several
 * machines copied into one directory.
 */
#include "merge.h"
#include "gradefile.h"
#include "util.h"

#include <dirent.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

#define MAXEX 64

struct student {
    char *id;
    double ex_score[MAXEX];
    int has[MAXEX];
    double total, max;
};

struct test_stat {
    char *ex, *test;
    int passed, count;
};

/* Where an exercise's jobs spent their wall time (grade.tsv's TIMES). */
struct ex_time {
    int jobs;
    double sum[3], max[3];     /* build, tests, memcheck: wall */
    double cpu[3];             /* the same steps' CPU (sum) */
    double queued, queued_max; /* waiting for a slot */
};

struct class {
    struct student *st;
    int nst;
    char *ex[MAXEX];
    double ex_max[MAXEX];
    struct ex_time time[MAXEX];
    int nex;
    struct test_stat *tests;
    int ntests;
};

static int ex_index(struct class *c, const char *name, double max)
{
    for (int i = 0; i < c->nex; i++)
        if (strcmp(c->ex[i], name) == 0)
            return i;
    if (c->nex == MAXEX)
        return -1;
    c->ex_max[c->nex] = max;
    c->ex[c->nex] = xstrdup(name);
    return c->nex++;
}

static void count_test(struct class *c, const char *ex, const char *test, int passed)
{
    int i = 0;
    while (i < c->ntests && (strcmp(c->tests[i].ex, ex) || strcmp(c->tests[i].test, test)))
        i++;
    if (i == c->ntests) {
        c->tests = xrealloc(c->tests, (size_t)(c->ntests + 1) * sizeof *c->tests);
        c->tests[c->ntests++] = (struct test_stat){ xstrdup(ex), xstrdup(test), 0, 0 };
    }
    c->tests[i].passed += passed;
    c->tests[i].count++;
}

/* One student's grade.tsv (gradefile.h reads it) into the class. */
static int read_grade(struct class *c, const char *path)
{
    struct grade g;
    if (gradefile_read(path, &g) == -1)
        return 0;
    struct student s = { .id = xstrdup(g.id), .total = g.total, .max = g.max };
    for (int k = 0; k < g.nex; k++) {
        int i = ex_index(c, g.ex[k].name, g.ex[k].max);
        if (i >= 0) {
            s.ex_score[i] = g.ex[k].score;
            s.has[i] = 1;
            c->time[i].jobs++;
            for (int t = 0; t < 3; t++) {
                c->time[i].sum[t] += g.ex[k].secs[t];
                c->time[i].cpu[t] += g.ex[k].cpu[t];
                if (g.ex[k].secs[t] > c->time[i].max[t])
                    c->time[i].max[t] = g.ex[k].secs[t];
            }
            c->time[i].queued += g.ex[k].queued;
            if (g.ex[k].queued > c->time[i].queued_max)
                c->time[i].queued_max = g.ex[k].queued;
        }
    }
    for (int k = 0; k < g.ntests; k++)
        count_test(c, g.tests[k].ex, g.tests[k].test, strcmp(g.tests[k].status, "PASS") == 0);
    gradefile_free(&g);
    c->st = xrealloc(c->st, (size_t)(c->nst + 1) * sizeof s);
    c->st[c->nst++] = s;
    return 1;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const struct student *)a)->id, ((const struct student *)b)->id);
}

static int *ex_order(const struct class *c)
{
    int *o = xmalloc((size_t)(c->nex + 1) * sizeof *o);
    for (int i = 0; i < c->nex; i++)
        o[i] = i;
    for (int i = 1; i < c->nex; i++)
        for (int j = i; j > 0 && strcmp(c->ex[o[j - 1]], c->ex[o[j]]) > 0; j--) {
            int t = o[j];
            o[j] = o[j - 1];
            o[j - 1] = t;
        }
    return o;
}

static char *gradebook_csv(const struct class *c)
{
    struct buf b = { 0 };
    int *o = ex_order(c);
    buf_puts(&b, "id");
    for (int i = 0; i < c->nex; i++)
        buf_puts(&b, ","), csv_field(&b, c->ex[o[i]]);
    buf_puts(&b, ",total\r\n");
    for (int k = 0; k < c->nst; k++) {
        const struct student *s = &c->st[k];
        csv_field(&b, s->id);
        for (int i = 0; i < c->nex; i++)
            buf_printf(&b, ",%s", s->has[o[i]] ? fmt_points(s->ex_score[o[i]]) : "");
        buf_printf(&b, ",%s\r\n", fmt_points(s->total));
    }
    free(o);
    return b.s;
}

/* Ten bins of the total as a percentage of its maximum (100% goes in the last). */
static void histogram(const struct class *c, int bins[10])
{
    memset(bins, 0, 10 * sizeof *bins);
    for (int k = 0; k < c->nst; k++) {
        double pct = c->st[k].max > 0 ? 100 * c->st[k].total / c->st[k].max : 0;
        int b = (int)(pct / 10);
        bins[b < 0 ? 0 : b > 9 ? 9 : b]++;
    }
}

static int by_score(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summary_stats(struct buf *b, const struct class *c)
{
    double *t = xmalloc((size_t)c->nst * sizeof *t), sum = 0, max = 0;
    for (int k = 0; k < c->nst; k++) {
        t[k] = c->st[k].total;
        sum += t[k];
        max = c->st[k].max > max ? c->st[k].max : max;
    }
    qsort(t, (size_t)c->nst, sizeof *t, by_score);
    double median = c->nst % 2 ? t[c->nst / 2] : (t[c->nst / 2 - 1] + t[c->nst / 2]) / 2;
    buf_printf(b, "%d student(s); total out of %s: mean %.1f, median %.1f, min %s, max %s\n\n",
               c->nst, fmt_points(max), sum / c->nst, median, fmt_points(t[0]), fmt_points(t[c->nst - 1]));
    free(t);
}

static void bar(struct buf *b, double frac, int width)
{
    int n = (int)(frac * width + 0.5);
    for (int i = 0; i < width; i++)
        buf_add(b, i < n ? "#" : " ", 1);
}

/* "Where the time went": per exercise, the mean and longest wall seconds of each step
 * and of the wait for a slot, and each step's mean CPU seconds: a step whose CPU is far
 * below its wall time was waiting (tests' deadlines, sleeping programs). The test run and
 * the memory check may overlap (the memory check runs beside the tests unless it
 * requires some of them). */
static void timings(struct buf *b, const struct class *c)
{
    static const char *const steps[] = { "build", "tests", "memcheck" };
    double all = 0, cpu = 0, queued = 0;
    buf_puts(b, "Where the time went (seconds per job: wall mean / longest, and mean CPU)\n");
    buf_printf(b, "  %-24s %5s  %13s", "exercise", "jobs", "slot wait");
    for (int t = 0; t < 3; t++)
        buf_printf(b, "  %20s", steps[t]);
    buf_puts(b, "\n");
    for (int i = 0; i < c->nex; i++) {
        const struct ex_time *e = &c->time[i];
        double n = e->jobs ? e->jobs : 1;
        char cell[48];
        snprintf(cell, sizeof cell, "%.1f / %.1f", e->queued / n, e->queued_max);
        buf_printf(b, "  %-24s %5d  %13s", c->ex[i], e->jobs, cell);
        for (int t = 0; t < 3; t++) {
            snprintf(cell, sizeof cell, "%.1f / %.1f cpu %.1f", e->sum[t] / n, e->max[t],
                     e->cpu[t] / n);
            buf_printf(b, "  %20s", cell);
            all += e->sum[t], cpu += e->cpu[t];
        }
        queued += e->queued;
        buf_puts(b, "\n");
    }
    buf_printf(b, "  total of every step of every job: %.0f s wall, %.0f s CPU (%.0f%%); "
               "waiting for a slot: %.0f s\n", all, cpu, all > 0 ? 100 * cpu / all : 0, queued);
}

static char *summary_txt(const struct class *c)
{
    struct buf b = { 0 };
    int bins[10], most = 1;
    buf_puts(&b, "Class summary\n\n");
    summary_stats(&b, c);
    histogram(c, bins);
    for (int i = 0; i < 10; i++)
        most = bins[i] > most ? bins[i] : most;
    buf_puts(&b, "Total score (% of the maximum)   students\n");
    for (int i = 0; i < 10; i++) {
        buf_printf(&b, "  %3d-%3d%% |", i * 10, i == 9 ? 100 : i * 10 + 9);
        bar(&b, (double)bins[i] / most, 40);
        buf_printf(&b, "| %d\n", bins[i]);
    }
    buf_puts(&b, "\nPass rate per test (hidden tests included)\n");
    for (int i = 0; i < c->ntests; i++) {
        const struct test_stat *t = &c->tests[i];
        double r = t->count ? (double)t->passed / t->count : 0;
        char name[256];
        snprintf(name, sizeof name, "%s %s", t->ex, t->test);
        buf_printf(&b, "  %-50.50s %3.0f%% |", name, 100 * r);
        bar(&b, r, 30);
        buf_printf(&b, "| %d/%d\n", t->passed, t->count);
    }
    buf_puts(&b, "\n");
    timings(&b, c);
    return b.s;
}

/* gnuplot's input: the histogram and the pass rates as data files, and a script. */
static char *plot_script(const struct class *c, const char *dir, char *err)
{
    struct buf hist = { 0 }, tests = { 0 }, gp = { 0 };
    int bins[10];
    histogram(c, bins);
    for (int i = 0; i < 10; i++)
        buf_printf(&hist, "\"%d-%d%%\" %d\n", i * 10, i == 9 ? 100 : i * 10 + 9, bins[i]);
    for (int i = 0; i < c->ntests; i++)
        buf_printf(&tests, "\"%s %s\" %.1f\n", c->tests[i].ex, c->tests[i].test,
                   c->tests[i].count ? 100.0 * c->tests[i].passed / c->tests[i].count : 0);
    int width = c->ntests * 16 + 200 > 1000 ? c->ntests * 16 + 200 : 1000, most = 0;
    for (int i = 0; i < 10; i++)
        most = bins[i] > most ? bins[i] : most;
    buf_printf(&gp, "set terminal png size %d,1200\nset output '%s/summary.png'\n"
               "set termoption noenhanced\nset style fill solid 0.8\nset boxwidth 0.8\n"
               "set grid ytics\nset multiplot\nset size 1,0.38\nset origin 0,0.62\n"
               "set title 'Total score (%% of the maximum): %d students'\n"
               "set ylabel 'students'\nset yrange [0:%d]\nset ytics %d\n"
               "plot '%s/summary-hist.dat' using 2:xtic(1) with boxes notitle\n"
               "set size 1,0.62\nset origin 0,0\nset ytics 20\n"
               "set title 'Pass rate per test'\nset ylabel '%% passed'\nset yrange [0:100]\n"
               "set xtics rotate by 90 right font ',8'\nset bmargin 24\n"
               "plot '%s/summary-tests.dat' using 2:xtic(1) with boxes notitle\n"
               "unset multiplot\n", width, dir, c->nst, most + 1, most > 10 ? most / 10 + 1 : 1,
               dir, dir);
    char *p1 = xasprintf("%s/summary-hist.dat", dir), *p2 = xasprintf("%s/summary-tests.dat", dir);
    char *p3 = xasprintf("%s/summary.gp", dir);
    int rc = write_text(p1, hist.s, hist.len, err) | write_text(p2, tests.s ? tests.s : "", tests.len, err) |
             write_text(p3, gp.s, gp.len, err);
    buf_free(&hist), buf_free(&tests), buf_free(&gp), free(p1), free(p2);
    if (rc) {
        free(p3);
        return NULL;
    }
    return p3;
}

/* Run gnuplot on the script; a missing gnuplot is a warning, not an error. */
static void plot(const struct class *c, const char *outdir)
{
    char err[ERRLEN];
    char *dir = xasprintf("%s/.grader", outdir);
    char *script = mkdir_p(dir, err) == 0 ? plot_script(c, dir, err) : NULL;
    pid_t pid;
    int st = -1;
    char *argv[] = { "gnuplot", script, NULL };
    if (script && posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ) == 0)
        waitpid(pid, &st, 0);
    if (st != 0)
        fprintf(stderr, "grader: warning: no summary.png (gnuplot %s)\n",
                script ? "failed or is not installed" : err);
    char *from = xasprintf("%s/summary.png", dir), *to = xasprintf("%s/summary.png", outdir);
    if (st == 0)
        rename(from, to);
    free(from), free(to), free(dir), free(script);
}

/* Tests grouped by exercise, in rubric order within one (a stable sort). */
static void sort_tests(struct class *c)
{
    for (int i = 1; i < c->ntests; i++)
        for (int k = i; k > 0 && strcmp(c->tests[k - 1].ex, c->tests[k].ex) > 0; k--) {
            struct test_stat t = c->tests[k];
            c->tests[k] = c->tests[k - 1];
            c->tests[k - 1] = t;
        }
}

static int put(const char *outdir, const char *name, char *text, char *err)
{
    char *path = xasprintf("%s/%s", outdir, name);
    int rc = write_text(path, text, strlen(text), err);
    free(path);
    free(text);
    return rc;
}

int merge_outputs(const char *outdir, int print_timings, char *err)
{
    struct class c = { 0 };
    struct dirent **ents;
    int n = scandir(outdir, &ents, NULL, alphasort);
    if (n < 0) {
        snprintf(err, ERRLEN, "cannot read %s", outdir);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char *p = xasprintf("%s/%s/grade.tsv", outdir, ents[i]->d_name);
        if (ents[i]->d_name[0] != '.')
            read_grade(&c, p);
        free(p);
        free(ents[i]);
    }
    free(ents);
    if (c.nst == 0) {
        snprintf(err, ERRLEN, "no graded submission (*/grade.tsv) in %s", outdir);
        return -1;
    }
    qsort(c.st, (size_t)c.nst, sizeof *c.st, by_id);
    sort_tests(&c);
    if (put(outdir, "gradebook.csv", gradebook_csv(&c), err) == -1 ||
        put(outdir, "summary.txt", summary_txt(&c), err) == -1)
        return -1;
    plot(&c, outdir);
    if (print_timings) {
        struct buf b = { 0 };
        timings(&b, &c);
        fputs(b.s, stderr);
        buf_free(&b);
    }
    return c.nst;
}
