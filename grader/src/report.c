/*
 * report.c: feedback.md, results.json, grade.tsv and answers of one submission
 * (see report.h).
 */
#include "report.h"
#include "gradefile.h"
#include "json.h"
#include "tl_cause.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const state_names[] = { "graded", "not submitted", "missing files",
                                           "build failed", "grader error", "not graded" };

double total_score(const struct ex_result *r, int nex, double *max)
{
    double got = 0, m = 0;
    for (int i = 0; i < nex; i++) {
        got += r[i].score;
        m += r[i].ex->max;
    }
    if (max)
        *max = m;
    return got;
}

/* Text on one table line: newlines become spaces, '|' is escaped. */
static void md_inline(struct buf *b, const char *s)
{
    for (; *s; s++)
        if (*s == '|')
            buf_puts(b, "\\|");
        else
            buf_add(b, *s == '\n' || *s == '\r' ? " " : s, 1);
}

/* How much of a failure message the feedback shows: the message, its Reproduce lines and
 * the run's timeline. */
#define MESSAGE_LINES 48
#define MESSAGE_CHARS 5000

/* A fenced block whose fence is longer than any backtick run in TEXT. */
static void md_block(struct buf *b, const char *text)
{
    int run = 0, longest = 0;
    for (const char *p = text; *p; p++)
        longest = (run = *p == '`' ? run + 1 : 0) > longest ? run : longest;
    char fence[64];
    int n = longest + 1 > 3 ? (longest + 1 < 60 ? longest + 1 : 60) : 3;
    memset(fence, '`', (size_t)n);
    fence[n] = '\0';
    buf_printf(b, "%s text\n%s%s%s\n\n", fence, text,
               *text && text[strlen(text) - 1] == '\n' ? "" : "\n", fence);
}

/* The "Reproduce: CMD" line of a test message, or NULL (a new string). */
static char *reproduce_cmd(const char *msg)
{
    const char *p = strstr(msg, "Reproduce: ");
    if (!p)
        return NULL;
    p += 11;
    size_t n = strcspn(p, "\n");
    char *cmd = xmalloc(n + 1);
    memcpy(cmd, p, n);
    cmd[n] = '\0';
    return cmd;
}

/* A failure whose cause others share (testlib/tl_cause.h): the first says how many, the
 * others point to it. Returns 1 when T is shown by its leader's detail. */
static int md_same_cause(struct buf *b, const struct ex_result *r, const struct test_result *t)
{
    if (t->leader < 0 || t->count < 2)
        return 0;
    const char *why = tl_cause_text((enum tl_cause)t->cause);
    if (&r->tests[t->leader] != t) {
        buf_printf(b, "Same reason as %s: %s.\n\n", r->tests[t->leader].r->test, why);
        return 1;
    }
    buf_printf(b, "**%d tests failed for the same reason: %s.** This one is shown whole; fix "
                  "it first.\n\n", t->count, why);
    return 0;
}

static void md_hint(struct buf *b, const struct test_result *t)
{
    if (*t->r->hint && t->hint_fits) {
        buf_puts(b, "Hint: ");
        md_inline(b, t->r->hint);
        buf_puts(b, "\n\n");
    }
}

static void md_test_detail(struct buf *b, const struct ex_result *r, const struct test_result *t)
{
    buf_printf(b, "#### FAIL %s (0 / %s)%s\n\n", t->r->test, fmt_points(t->r->points),
               t->r->hidden ? " (hidden test)" : "");
    if (md_same_cause(b, r, t))
        return;
    /* The hint leads for a failure of the test's own contract; after a generic cause the
     * message's own advice leads and the hint follows, when it speaks of that cause. */
    int hint_first = t->cause == TL_CAUSE_NONE;
    if (hint_first)
        md_hint(b, t);
    if (t->r->memcheck)
        buf_printf(b, "valgrind found problems (run `make -C %s memcheck`):\n\n", r->ex->name);
    else
        buf_printf(b, "What went wrong (%s):\n\n", t->status);
    /* Room for the message and its timeline ("What your program did", at most ~25 lines:
     * testlib/tl_trace.c trims it) */
    char *ex = excerpt(t->message, MESSAGE_LINES, MESSAGE_CHARS);
    md_block(b, *trim(ex) ? ex : "(no message)");
    free(ex);
    if (!hint_first)
        md_hint(b, t);
    char *cmd = t->r->memcheck ? NULL : reproduce_cmd(t->message);
    if (cmd) {
        buf_printf(b, "Reproduce it from %s/ (after `make`):\n\n", r->ex->name);
        md_block(b, cmd);
    }
    free(cmd);
}

static void md_tests(struct buf *b, const struct ex_result *r)
{
    buf_puts(b, "| Result | Test | Points |\n|---|---|---|\n");
    for (int i = 0; i < r->ex->nrubric; i++) {
        const struct test_result *t = &r->tests[i];
        buf_printf(b, "| %s | %s%s | %s / %s |\n", t->passed ? "PASS" : "FAIL", t->r->test,
                   t->r->hidden ? " (hidden)" : "", fmt_points(t->passed ? t->r->points : 0),
                   fmt_points(t->r->points));
    }
    buf_puts(b, "\n");
    for (int i = 0; r->state == EX_GRADED && i < r->ex->nrubric; i++)
        if (!r->tests[i].passed)
            md_test_detail(b, r, &r->tests[i]);
}

static void md_exercise(struct buf *b, const struct ex_result *r)
{
    buf_printf(b, "## %s: %s / %s\n\n", r->ex->name, fmt_points(r->score), fmt_points(r->ex->max));
    buf_printf(b, "Check it yourself: `make -C %s check` (hidden tests run only when grading).\n\n",
               r->ex->name);
    if (*r->note)
        md_block(b, r->note);
    if (r->state == EX_BUILD_FAILED || r->warnings) {
        buf_printf(b, "Compiler output (%d warning(s)):\n\n", r->warnings);
        md_block(b, *r->build_log ? r->build_log : "(nothing)");
    }
    md_tests(b, r);
}

static char *feedback_md(const struct submission *s, const struct ex_result *r, int nex)
{
    struct buf b = { 0 };
    double max, got = total_score(r, nex, &max);
    time_t now = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    buf_printf(&b, "# Grading report: %s\n\n**Total: %s / %s** (graded %s)\n\n", s->id, fmt_points(got),
               fmt_points(max), when);
    if (s->error)
        buf_printf(&b, "**Your submission could not be read:** %s\n\n", s->error);
    if (s->notes && *s->notes)
        md_block(&b, s->notes);
    buf_puts(&b, "| Exercise | Score | State |\n|---|---|---|\n");
    for (int i = 0; i < nex; i++)
        buf_printf(&b, "| %s | %s / %s | %s%s |\n", r[i].ex->name, fmt_points(r[i].score),
                   fmt_points(r[i].ex->max), state_names[r[i].state],
                   r[i].warnings ? ", compiler warnings" : "");
    buf_puts(&b, "\n");
    for (int i = 0; i < nex; i++)
        md_exercise(&b, &r[i]);
    return b.s;
}

/* The output of one Gradescope test: what went wrong, the hint, how to reproduce. When
 * the exercise was not run, its first note line (the details are in "EX: build"). */
static char *test_output(const struct ex_result *r, const struct test_result *t)
{
    struct buf b = { 0 };
    buf_add(&b, "", 0);
    if (t->passed)
        return b.s;
    if (r->state == EX_GRADED) {
        char *ex = excerpt(t->message, MESSAGE_LINES, MESSAGE_CHARS);
        buf_puts(&b, ex);
        free(ex);
    } else
        buf_printf(&b, "Not run: %.*s (see \"%s: build\")\n", (int)strcspn(r->note, "\n"),
                   r->note, r->ex->name);
    if (r->state == EX_GRADED && t->leader >= 0 && t->count > 1)
        buf_printf(&b, "\n%d tests failed for the same reason: %s%s%s.\n", t->count,
                   tl_cause_text((enum tl_cause)t->cause), &r->tests[t->leader] == t ? "" : "; see ",
                   &r->tests[t->leader] == t ? "" : r->tests[t->leader].r->test);
    if (*t->r->hint && t->hint_fits)
        buf_printf(&b, "\nHint: %s\n", t->r->hint);
    buf_printf(&b, "\nCheck locally: make -C %s %s\n", r->ex->name,
               t->r->memcheck ? "memcheck" : "check");
    return b.s;
}

static void json_test(struct buf *b, const char *name, double score, double max, int passed,
                      const char *output, const char *visibility)
{
    buf_puts(b, b->s[b->len - 1] == '}' ? ",\n    {" : "\n    {");
    json_kv_str(b, 1, "name", name);
    json_kv_num(b, 0, "score", score);
    json_kv_num(b, 0, "max_score", max);
    json_kv_str(b, 0, "status", passed ? "passed" : "failed");
    json_kv_str(b, 0, "visibility", visibility);
    json_kv_str(b, 0, "output", output);
    buf_puts(b, "}");
}

static void json_exercise(struct buf *b, const struct ex_result *r)
{
    char *name = xasprintf("%s: build", r->ex->name);
    char *out = xasprintf("%d compiler warning(s)\n%s%s", r->warnings, r->note, r->build_log);
    json_test(b, name, 0, 0, r->state == EX_GRADED && r->warnings == 0, out, "visible");
    free(name), free(out);
    for (int i = 0; i < r->ex->nrubric; i++) {
        const struct test_result *t = &r->tests[i];
        name = xasprintf("%s: %s", r->ex->name, t->r->test);
        out = test_output(r, t);
        json_test(b, name, t->passed ? t->r->points : 0, t->r->points, t->passed, out,
                  t->r->hidden ? "after_published" : "visible");
        free(name), free(out);
    }
}

static char *results_json(const struct submission *s, const struct ex_result *r, int nex)
{
    struct buf b = { 0 }, summary = { 0 };
    double max, got = total_score(r, nex, &max), secs = 0;
    buf_printf(&summary, "%s: %s / %s\n", s->id, fmt_points(got), fmt_points(max));
    if (s->error)
        buf_printf(&summary, "Your submission could not be read: %s\n", s->error);
    for (int i = 0; i < nex; i++) {
        buf_printf(&summary, "%s: %s / %s (%s)\n", r[i].ex->name, fmt_points(r[i].score),
                   fmt_points(r[i].ex->max), state_names[r[i].state]);
        secs += r[i].secs;
    }
    buf_puts(&b, "{");
    json_kv_num(&b, 1, "score", got);
    json_kv_num(&b, 0, "execution_time", (double)(long long)(secs + 0.5));
    json_kv_str(&b, 0, "output", summary.s);
    json_kv_str(&b, 0, "visibility", "visible");
    json_kv_str(&b, 0, "stdout_visibility", "hidden");
    buf_puts(&b, ",\n  \"tests\": [");
    for (int i = 0; i < nex; i++)
        json_exercise(&b, &r[i]);
    buf_puts(&b, "\n  ]\n}\n");
    buf_free(&summary);
    return b.s;
}

/* The first line of the exercise's note that is not the NO ISOLATION warning. */
static char *note_head(const struct ex_result *r)
{
    const char *p = r->note ? r->note : "";
    if (strncmp(p, "NO ISOLATION", 12) == 0 && strchr(p, '\n'))
        p = strchr(p, '\n') + 1;
    return xasprintf("%.*s", (int)strcspn(p, "\n"), p);
}

static char *grade_tsv(const struct submission *s, const struct ex_result *r, int nex)
{
    struct grade g = { .id = s->id };
    g.total = total_score(r, nex, &g.max);
    for (int i = 0; i < nex; i++) {
        char *note = note_head(&r[i]);
        struct grade_ex e = { .name = (char *)r[i].ex->name, .score = r[i].score,
                              .max = r[i].ex->max, .state = (char *)state_names[r[i].state],
                              .warnings = r[i].warnings, .note = note,
                              .flags = (r[i].no_isolation ? GF_NOISO : 0) |
                                       (r[i].limit ? GF_LIMIT : 0) | (r[i].forged ? GF_FORGED : 0),
                              .secs = { r[i].step_secs[0], r[i].step_secs[1], r[i].step_secs[2] },
                              .cpu = { r[i].step_cpu[0], r[i].step_cpu[1], r[i].step_cpu[2] },
                              .queued = r[i].queued_s };
        grade_add_ex(&g, &e);
        free(note);
        for (int k = 0; k < r[i].ex->nrubric; k++) {
            const struct test_result *t = &r[i].tests[k];
            struct grade_test gt = { .ex = (char *)r[i].ex->name, .test = (char *)t->r->test,
                                     .points = t->passed ? t->r->points : 0,
                                     .max = t->r->points, .status = (char *)t->status };
            grade_add_test(&g, &gt);
        }
    }
    char *text = gradefile_format(&g);
    g.id = NULL;    /* not ours */
    gradefile_free(&g);
    return text;
}

char *autolab_line(const struct ex_result *r, int nex)
{
    struct buf b = { 0 };
    buf_puts(&b, "{\"scores\": {");
    for (int i = 0; i < nex; i++)
        json_kv_num(&b, i == 0, r[i].ex->name, r[i].score);
    buf_puts(&b, "}}");
    return b.s;
}

static int put(const char *dir, const char *name, char *text, char *err)
{
    char *path = xasprintf("%s/%s", dir, name);
    int rc = write_text(path, text, strlen(text), err);
    free(path);
    free(text);
    return rc;
}

int write_reports(const char *outdir, const struct submission *s, const struct ex_result *r,
                  int nex, char *err)
{
    char *dir = xasprintf("%s/%s", outdir, s->id);
    int rc = mkdir_p(dir, err);
    for (int i = 0; i < nex && rc == 0; i++)
        if (r[i].answers) {
            char *name = xasprintf("%s.ANSWERS.md", r[i].ex->name);
            rc = put(dir, name, xstrdup(r[i].answers), err);
            free(name);
        }
    if (rc == 0)
        rc = put(dir, "feedback.md", feedback_md(s, r, nex), err);
    if (rc == 0)
        rc = put(dir, "grade.tsv", grade_tsv(s, r, nex), err);
    if (rc == 0)
        rc = put(dir, "results.json", results_json(s, r, nex), err);
    free(dir);
    return rc;
}
