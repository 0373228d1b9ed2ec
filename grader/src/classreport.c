/*
 * classreport.c: OUTDIR/index.html and OUTDIR/<id>/feedback.html (see classreport.h).
 */
#include "classreport.h"
#include "gradefile.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIR_ROWS 300   /* similar pairs in the page's table (the CSV has them all) */

/* The page's style: plain, readable on screen and on paper (no colour carries meaning
 * alone: states are written out). */
static const char css[] =
    "body{font:15px/1.45 'DejaVu Sans',sans-serif;max-width:78em;margin:1.5em auto;"
    "padding:0 1em;color:#111}"
    "h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #999;margin-top:1.8em}"
    "h3{font-size:1.05em}"
    "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #bbb;padding:.2em .5em;"
    "text-align:left;vertical-align:top}th{background:#eee}td.n{text-align:right;white-space:nowrap}"
    "table.sortable th{cursor:pointer}table.sortable th:after{content:' \\2195';color:#888}"
    ".bad{background:#fde2e2}.warn{background:#fff4cc}.note{border-left:4px solid #c60;"
    "padding:.3em .8em;background:#fff8ee}"
    ".bar{display:inline-block;height:.8em;background:#4a7;vertical-align:middle}"
    ".barbg{display:inline-block;width:8em;background:#ddd;vertical-align:middle}"
    "td.rate{white-space:nowrap}"
    "pre{font:12px/1.3 'DejaVu Sans Mono',monospace;background:#f6f6f6;padding:.5em;"
    "overflow-x:auto;white-space:pre}img{max-width:100%}"
    "details{margin:.4em 0}summary{cursor:pointer}"
    "@media print{body{max-width:none;font-size:11px}table.sortable th:after{content:''}"
    "h2{page-break-after:avoid}tr,pre{page-break-inside:avoid}pre{white-space:pre-wrap}}";

/* Sort the gradebook by the column clicked (numbers as numbers); open every pair's
 * listing before printing. */
static const char script[] =
    "document.querySelectorAll('table.sortable th').forEach(function(th,col){"
    "th.addEventListener('click',function(){var tb=th.closest('table').tBodies[0];"
    "var rows=Array.prototype.slice.call(tb.rows),asc=th.dataset.dir!=='asc';"
    "th.dataset.dir=asc?'asc':'desc';rows.sort(function(a,b){"
    "var x=a.cells[col].dataset.v||a.cells[col].textContent,"
    "y=b.cells[col].dataset.v||b.cells[col].textContent,nx=parseFloat(x),ny=parseFloat(y);"
    "var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return asc?c:-c;});"
    "rows.forEach(function(r){tb.appendChild(r);});});});"
    "window.addEventListener('beforeprint',function(){"
    "document.querySelectorAll('details').forEach(function(d){d.open=true;});});";

static void esc(struct buf *b, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '&': buf_puts(b, "&amp;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        default: buf_add(b, s, 1);
        }
}

static void base64(struct buf *b, const unsigned char *s, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        char q[4] = { t[v >> 18 & 63], t[v >> 12 & 63], i + 1 < n ? t[v >> 6 & 63] : '=',
                      i + 2 < n ? t[v & 63] : '=' };
        buf_add(b, q, 4);
    }
}

static const char *hint_of(const struct exercise *ex, int nex, const char *exn, const char *test)
{
    for (int i = 0; i < nex; i++)
        for (int k = 0; strcmp(ex[i].name, exn) == 0 && k < ex[i].nrubric; k++)
            if (strcmp(ex[i].rubric[k].test, test) == 0)
                return ex[i].rubric[k].hint;
    return "";
}

/* Start pandoc on OUTDIR/<id>/feedback.md -> feedback.html, the page's style embedded,
 * unless feedback.html is already newer. Raw HTML is off: text from the submission
 * (file names, messages) reaches feedback.md and must stay text in a page the
 * instructor opens. Its pid, 0 (up to date), or -1 (no feedback.md, cannot fork). */
static pid_t start_render(const char *outdir, const char *id, const char *header)
{
    char *md = xasprintf("%s/%s/feedback.md", outdir, id);
    char *html = xasprintf("%s/%s/feedback.html", outdir, id);
    char *title = xasprintf("pagetitle=Grading report: %s", id);
    struct stat a, b;
    pid_t pid = 0;
    if (stat(md, &a) == -1)
        pid = -1;
    else if (stat(html, &b) == -1 || b.st_mtim.tv_sec < a.st_mtim.tv_sec ||
             (b.st_mtim.tv_sec == a.st_mtim.tv_sec && b.st_mtim.tv_nsec <= a.st_mtim.tv_nsec)) {
        char *argv[] = { "pandoc", "-s", "-f", "markdown-smart-raw_html", "-t", "html5", "-M",
                         title, "-H", (char *)header, "-o", html, md, NULL };
        fflush(NULL);
        if ((pid = fork()) == 0) {
            int fd = open("/dev/null", O_WRONLY);
            if (fd >= 0)
                dup2(fd, 1), dup2(fd, 2);
            execvp("pandoc", argv);
            _exit(127);
        }
    }
    free(md), free(html), free(title);
    return pid;
}

/* 0 if pandoc PID succeeded (or there was nothing to do), else -1. */
static int finish_render(pid_t pid)
{
    int st = -1;
    if (pid == 0)
        return 0;
    while (pid > 0 && waitpid(pid, &st, 0) == -1 && errno == EINTR)
        ;
    return pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Every feedback.html, one pandoc per CPU at a time (0.3 s of CPU each: serially, a
 * class of 40 waited 14 s for them). Returns how many could not be rendered. */
static int render_all(const char *outdir, const struct grade *g, int n)
{
    char *header = xasprintf("%s/.grader/feedback-style.html", outdir);
    char *style = xasprintf("<style>%s</style>\n", css), err[ERRLEN];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int width = cpus > 1 ? (int)cpus : 1, failed = 0;
    pid_t *running = calloc((size_t)width, sizeof *running);
    if (write_text(header, style, strlen(style), err) == -1)
        failed = n;
    for (int i = 0; i < n && !failed; i++) {
        failed += finish_render(running[i % width]) == -1;
        running[i % width] = start_render(outdir, g[i].id, header);
    }
    for (int k = 0; k < width; k++)
        failed += finish_render(running[k]) == -1;
    if (failed)
        fprintf(stderr, "grader: warning: %d feedback.html not written (pandoc missing or "
                "failed)\n", failed);
    free(header), free(style), free(running);
    return failed;
}

/* The class as the report shows it: every OUTDIR/<id>/grade.tsv, by id. */
struct test_stat {
    const char *ex, *test;
    int passed, count;
};

struct class_data {
    struct grade *g;
    int n;
    char **ex;                 /* exercise names, sorted */
    int nex;
    struct test_stat *t;
    int nt;
};

static void add_name(struct class_data *c, const char *name)
{
    int i = 0;
    while (i < c->nex && strcmp(c->ex[i], name) < 0)
        i++;
    if (i < c->nex && strcmp(c->ex[i], name) == 0)
        return;
    c->ex = xrealloc(c->ex, (size_t)(c->nex + 1) * sizeof *c->ex);
    memmove(c->ex + i + 1, c->ex + i, (size_t)(c->nex - i) * sizeof *c->ex);
    c->ex[i] = (char *)name;
    c->nex++;
}

static void add_test(struct class_data *c, const struct grade_test *t)
{
    int i = 0;
    while (i < c->nt && (strcmp(c->t[i].ex, t->ex) || strcmp(c->t[i].test, t->test)))
        i++;
    if (i == c->nt) {
        c->t = xrealloc(c->t, (size_t)(c->nt + 1) * sizeof *c->t);
        c->t[c->nt++] = (struct test_stat){ t->ex, t->test, 0, 0 };
    }
    c->t[i].passed += strcmp(t->status, "PASS") == 0;
    c->t[i].count++;
}

static void load_class(const char *outdir, struct class_data *c)
{
    struct dirent **ents;
    int n = scandir(outdir, &ents, NULL, alphasort);
    *c = (struct class_data){ 0 };
    c->g = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *c->g);
    for (int i = 0; i < n; i++) {
        char *p = xasprintf("%s/%s/grade.tsv", outdir, ents[i]->d_name);
        if (ents[i]->d_name[0] != '.' && gradefile_read(p, &c->g[c->n]) == 0)
            c->n++;
        free(p), free(ents[i]);
    }
    if (n > 0)
        free(ents);
    for (int i = 0; i < c->n; i++) {
        for (int k = 0; k < c->g[i].nex; k++)
            add_name(c, c->g[i].ex[k].name);
        for (int k = 0; k < c->g[i].ntests; k++)
            add_test(c, &c->g[i].tests[k]);
    }
}

static void free_class(struct class_data *c)
{
    for (int i = 0; i < c->n; i++)
        gradefile_free(&c->g[i]);
    free(c->g), free(c->ex), free(c->t);
}

/* Why an exercise was not graded fully, or NULL: a state other than graded or not
 * submitted, or a flag (no isolation, a sandbox limit, forged records). */
static char *not_fully(const struct grade_ex *e)
{
    int state = strcmp(e->state, "graded") && strcmp(e->state, "not submitted");
    if (!state && !e->flags)
        return NULL;
    struct buf b = { 0 };
    buf_add(&b, "", 0);
    if (state)
        buf_puts(&b, e->state);
    if (e->flags & GF_NOISO)
        buf_printf(&b, "%sNO ISOLATION", b.len ? "; " : "");
    if (e->flags & GF_LIMIT)
        buf_printf(&b, "%sa sandbox limit fired", b.len ? "; " : "");
    if (e->flags & GF_FORGED)
        buf_printf(&b, "%sforged test records", b.len ? "; " : "");
    if (e->note && *e->note && strcmp(e->note, "-"))
        buf_printf(&b, ": %s", e->note);
    return b.s;
}

static void link_id(struct buf *b, const char *id)
{
    buf_puts(b, "<a href=\"");
    esc(b, id);   /* ids hold only A-Za-z0-9._@~- (discover.c): nothing to encode */
    buf_puts(b, "/feedback.html\">");
    esc(b, id);
    buf_puts(b, "</a>");
}

static void section_attention(struct buf *b, const struct class_data *c)
{
    struct buf rows = { 0 };
    int n = 0;
    for (int i = 0; i < c->n; i++)
        for (int k = 0; k < c->g[i].nex; k++) {
            char *why = not_fully(&c->g[i].ex[k]);
            if (!why)
                continue;
            buf_puts(&rows, "<tr><td>");
            link_id(&rows, c->g[i].id);
            buf_puts(&rows, "</td><td>");
            esc(&rows, c->g[i].ex[k].name);
            buf_puts(&rows, "</td><td>");
            esc(&rows, why);
            buf_puts(&rows, "</td></tr>\n");
            free(why);
            n++;
        }
    buf_printf(b, "<h2 id=\"attention\">Not graded fully (%d)</h2>\n", n);
    if (n == 0)
        buf_puts(b, "<p>Every exercise submitted was built and tested in the sandbox.</p>\n");
    else
        buf_printf(b, "<p>Missing files, build failures, sandbox limits, runs without isolation, "
                   "forged records: read these first.</p>\n<table><thead><tr><th>Student</th>"
                   "<th>Exercise</th><th>Reason</th></tr></thead><tbody>\n%s</tbody></table>\n",
                   rows.s);
    buf_free(&rows);
}

static const struct grade_ex *find_ex(const struct grade *g, const char *name)
{
    for (int k = 0; k < g->nex; k++)
        if (strcmp(g->ex[k].name, name) == 0)
            return &g->ex[k];
    return NULL;
}

static void section_gradebook(struct buf *b, const struct class_data *c)
{
    buf_puts(b, "<h2 id=\"gradebook\">Gradebook</h2>\n<p>Click a column's title to sort by it; "
             "each id opens that student's feedback.</p>\n<table class=\"sortable\"><thead><tr>"
             "<th>Student</th>");
    for (int i = 0; i < c->nex; i++) {
        buf_puts(b, "<th>");
        esc(b, c->ex[i]);
        buf_puts(b, "</th>");
    }
    buf_puts(b, "<th>Total</th><th>%</th></tr></thead><tbody>\n");
    for (int i = 0; i < c->n; i++) {
        const struct grade *g = &c->g[i];
        buf_puts(b, "<tr><td>");
        link_id(b, g->id);
        buf_puts(b, "</td>");
        for (int k = 0; k < c->nex; k++) {
            const struct grade_ex *e = find_ex(g, c->ex[k]);
            char *why = e ? not_fully(e) : NULL;
            if (!e)
                buf_puts(b, "<td class=\"n\" data-v=\"-1\"></td>");
            else {
                buf_printf(b, "<td class=\"n%s\" data-v=\"%g\"", why ? " bad" : "", e->score);
                if (why) {
                    buf_puts(b, " title=\"");
                    esc(b, why);
                    buf_puts(b, "\"");
                }
                buf_printf(b, ">%s%s</td>", fmt_points(e->score), why ? " !" : "");
            }
            free(why);
        }
        buf_printf(b, "<td class=\"n\">%s / %s</td><td class=\"n\">%.0f</td></tr>\n",
                   fmt_points(g->total), fmt_points(g->max), g->max > 0 ? 100 * g->total / g->max : 0);
    }
    buf_puts(b, "</tbody></table>\n<p>! : not graded fully (see above; the reason shows "
             "when the pointer rests on the score).</p>\n");
}

static void section_distribution(struct buf *b, const char *outdir, const struct class_data *c)
{
    double sum = 0;
    for (int i = 0; i < c->n; i++)
        sum += c->g[i].max > 0 ? 100 * c->g[i].total / c->g[i].max : 0;
    buf_printf(b, "<h2 id=\"distribution\">Score distribution</h2>\n<p>%d student(s), mean "
               "%.1f%% of the maximum. summary.txt has the same figures as text.</p>\n", c->n,
               c->n ? sum / c->n : 0);
    char *png = xasprintf("%s/summary.png", outdir);
    size_t len = 0;
    char *data = read_text(png, 16 << 20, &len);
    if (data) {
        buf_puts(b, "<img alt=\"Score distribution and pass rate per test\" src=\"data:image/png;base64,");
        base64(b, (const unsigned char *)data, len);
        buf_puts(b, "\">\n");
    } else
        buf_puts(b, "<p>(no summary.png: gnuplot is not installed or failed)</p>\n");
    free(png), free(data);
}

static int by_rate(const void *x, const void *y)
{
    const struct test_stat *a = x, *b = y;
    int c = strcmp(a->ex, b->ex);
    if (c)
        return c;
    double ra = a->count ? (double)a->passed / a->count : 0, rb = b->count ? (double)b->passed / b->count : 0;
    return (ra > rb) - (ra < rb);
}

static void section_tests(struct buf *b, struct class_data *c, const struct exercise *ex, int nex)
{
    qsort(c->t, (size_t)c->nt, sizeof *c->t, by_rate);
    buf_puts(b, "<h2 id=\"tests\">Pass rate per test</h2>\n<p>By exercise, the tests the class "
             "failed most first: the concept missed is in the hint.</p>\n");
    for (int i = 0; i < c->nt; i++) {
        const struct test_stat *t = &c->t[i];
        if (i == 0 || strcmp(t->ex, c->t[i - 1].ex)) {
            buf_puts(b, i ? "</tbody></table>\n" : "");
            buf_puts(b, "<h3>");
            esc(b, t->ex);
            buf_puts(b, "</h3>\n<table><thead><tr><th>Test</th><th>Passed</th><th></th>"
                     "<th>Hint</th></tr></thead><tbody>\n");
        }
        double r = t->count ? 100.0 * t->passed / t->count : 0;
        buf_puts(b, "<tr><td>");
        esc(b, t->test);
        buf_printf(b, "</td><td class=\"n\">%d/%d</td><td class=\"rate\"><span class=\"barbg\"><span class=\"bar\" "
                   "style=\"width:%.0f%%\"></span></span> %.0f%%</td><td>", t->passed, t->count, r, r);
        esc(b, hint_of(ex, nex, t->ex, t->test));
        buf_puts(b, "</td></tr>\n");
    }
    if (c->nt)
        buf_puts(b, "</tbody></table>\n");
}

static void section_similarity(struct buf *b, const struct sim_result *sim)
{
    buf_puts(b, "<h2 id=\"similarity\">Similar code</h2>\n<p class=\"note\">Similarity is "
             "evidence for a person to read, never a verdict: students are given the same "
             "skeleton, follow the same handout and may have worked together as allowed. "
             "Read the matched code below before concluding anything.</p>\n");
    if (!sim) {
        buf_puts(b, "<p>Not checked (sim_c, from the similarity-tester package, is not "
                 "installed or failed; the grader printed why).</p>\n");
        return;
    }
    buf_printf(b, "<p>sim_c (similarity-tester) compared %d pair(s) of submissions, exercise by "
               "exercise, on the student files with the skeleton's code removed; %d pair(s) "
               "share at least %d%% of one side's own code (also in similarity.csv). A%% is the "
               "share of A's code found in B, B%% the other way; tokens: the matched length. "
               "Took %.1f s.</p>\n", sim->compared, sim->npairs, sim->threshold, sim->secs);
    if (sim->npairs == 0)
        return;
    int rows = sim->npairs < MAX_PAIR_ROWS ? sim->npairs : MAX_PAIR_ROWS;
    if (rows < sim->npairs || sim->npairs > SIM_LISTINGS)
        buf_printf(b, "<p>Below: the first %d pairs, the matched code of the first %d; "
                   "similarity.csv lists all %d.</p>\n", rows,
                   sim->npairs < SIM_LISTINGS ? sim->npairs : SIM_LISTINGS, sim->npairs);
    buf_puts(b, "<table><thead><tr><th>#</th><th>Exercise</th><th>A</th><th>B</th><th>A%</th>"
             "<th>B%</th><th>Tokens</th></tr></thead><tbody>\n");
    for (int i = 0; i < rows; i++) {
        const struct sim_pair *p = &sim->pairs[i];
        if (p->runs)
            buf_printf(b, "<tr><td><a href=\"#pair-%d\">%d</a></td><td>", i + 1, i + 1);
        else
            buf_printf(b, "<tr><td>%d</td><td>", i + 1);
        esc(b, p->ex);
        buf_puts(b, "</td><td>");
        esc(b, p->a);
        buf_puts(b, "</td><td>");
        esc(b, p->b);
        buf_printf(b, "</td><td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%d</td></tr>\n",
                   p->pa, p->pb, p->tokens);
    }
    buf_puts(b, "</tbody></table>\n");
    for (int i = 0; i < sim->npairs && sim->pairs[i].runs; i++) {
        const struct sim_pair *p = &sim->pairs[i];
        buf_printf(b, "<details id=\"pair-%d\"><summary>%d. ", i + 1, i + 1);
        esc(b, p->ex);
        buf_puts(b, ": ");
        esc(b, p->a);
        buf_puts(b, " and ");
        esc(b, p->b);
        buf_printf(b, " (%d%% / %d%%, %d tokens): the matched runs as sim_c lists them, "
                   "A on the left</summary>\n<pre>", p->pa, p->pb, p->tokens);
        esc(b, p->runs);
        buf_puts(b, "</pre></details>\n");
    }
}

static char *index_html(const char *outdir, struct class_data *c, const struct exercise *ex,
                        int nex, const struct sim_result *sim)
{
    struct buf b = { 0 };
    time_t now = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
               "<title>Class report</title>\n<style>%s</style></head><body>\n"
               "<h1>Class report</h1>\n<p>%d student(s), written %s by the grader. Contents: "
               "<a href=\"#attention\">not graded fully</a>, <a href=\"#gradebook\">gradebook"
               "</a>, <a href=\"#distribution\">distribution</a>, <a href=\"#tests\">pass rate "
               "per test</a>, <a href=\"#similarity\">similar code</a>.</p>\n", css, c->n, when);
    section_attention(&b, c);
    section_gradebook(&b, c);
    section_distribution(&b, outdir, c);
    section_tests(&b, c, ex, nex);
    section_similarity(&b, sim);
    buf_printf(&b, "<script>%s</script>\n</body></html>\n", script);
    return b.s;
}

int class_report(const char *outdir, const struct exercise *ex, int nex,
                 const struct sim_result *sim, char *err)
{
    struct class_data c;
    load_class(outdir, &c);
    char *dir = xasprintf("%s/.grader", outdir);
    int rc = mkdir_p(dir, err);
    free(dir);
    if (rc == 0)
        render_all(outdir, c.g, c.n);
    char *html = index_html(outdir, &c, ex, nex, sim), *path = xasprintf("%s/index.html", outdir);
    if (rc == 0)
        rc = write_text(path, html, strlen(html), err);
    free(html), free(path);
    free_class(&c);
    return rc;
}
