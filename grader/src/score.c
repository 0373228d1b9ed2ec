/*
 * score.c: from a job directory to a scored exercise (see score.h).
 */
#include "score.h"
#include "jobrec.h"
#include "util.h"
#include "tl_cause.h"
#include "tl_results.h"

#include <stdlib.h>
#include <string.h>

/* A step that ran to completion with status 0. */
static int step_ok(const struct job_record *st, enum job_step s)
{
    const struct job_outcome *o = &st->step[s];
    return st->ran[s] && jobrec_exit_code(o) == 0 && !o->timed_out && !o->log_capped;
}

static char *read_log(const char *jd, const char *name, size_t max)
{
    char *path = xasprintf("%s/%s", jd, name);
    char *text = read_text(path, max, NULL);
    free(path);
    return text ? text : xstrdup("");
}

static int count_warnings(const char *log)
{
    int n = 0;
    for (const char *p = log; (p = strstr(p, "warning:")); p++)
        n++;
    return n;
}

static int rubric_index(const struct exercise *ex, const char *name)
{
    for (int i = 0; i < ex->nrubric; i++)
        if (!ex->rubric[i].memcheck && strcmp(ex->rubric[i].test, name) == 0)
            return i;
    return -1;
}

/* The test records, scored by testlib/tl_score.c (the scorer of `make check`). */
static void read_results(const char *jd, struct ex_result *r, struct buf *note)
{
    char *path = xasprintf("%s/results.tsv", jd);
    struct tl_scored *s;
    tl_score(&r->ex->rub, path, &s, NULL);
    int conflicts = 0;
    for (int i = 0; i < r->ex->nrubric; i++) {
        struct test_result *t = &r->tests[i];
        if (t->r->memcheck)
            continue;
        snprintf(t->status, sizeof t->status, "%s", s[i].status);
        t->passed = s[i].passed;
        t->records = s[i].records;
        t->start_ms = s[i].start_ms, t->end_ms = s[i].end_ms;
        free(t->message);
        t->message = xstrdup(s[i].message);
        conflicts += strcmp(s[i].status, "CONFLICT") == 0;
    }
    tl_scored_free(s, r->ex->nrubric);
    free(path);
    if (conflicts)
        buf_printf(note, "%d test(s) had forged results: they count as failed.\n", conflicts);
    r->forged = conflicts > 0;
}

/* Every test failed with the same reason (nothing ran). */
static void fail_all(struct ex_result *r, const char *status, const char *why)
{
    for (int i = 0; i < r->ex->nrubric; i++) {
        snprintf(r->tests[i].status, sizeof r->tests[i].status, "%s", status);
        free(r->tests[i].message);
        r->tests[i].message = xstrdup(why);
    }
}

static void init_tests(struct ex_result *r)
{
    r->tests = xmalloc((size_t)r->ex->nrubric * sizeof *r->tests);
    for (int i = 0; i < r->ex->nrubric; i++) {
        r->tests[i] = (struct test_result){ .r = &r->ex->rubric[i], .status = "MISSING",
                                            .leader = -1, .hint_fits = 1 };
        r->tests[i].message = xstrdup("this test produced no result: the test run crashed or "
                                      "was stopped before it finished (counted as failed)");
    }
}

/* tools/memcheck's records (JOBDIR/memcheck.tsv: "scenario/K", K from 1, in the test
 * records format, read through its owner tl_results.c): by scenario index. */
struct mc_records {
    int n;
    char **status, **message;
};

static void mc_add(const struct tl_record *rec, void *arg)
{
    struct mc_records *mc = arg;
    int k = strncmp(rec->test, "scenario/", 9) == 0 ? atoi(rec->test + 9) : 0;
    if (k < 1 || k > 4096 || (k <= mc->n && mc->status[k - 1]))
        return;                     /* not a scenario, or a second record for it */
    if (k > mc->n) {
        mc->status = xrealloc(mc->status, (size_t)k * sizeof *mc->status);
        mc->message = xrealloc(mc->message, (size_t)k * sizeof *mc->message);
        for (int i = mc->n; i < k; i++)
            mc->status[i] = mc->message[i] = NULL;
        mc->n = k;
    }
    mc->status[k - 1] = xstrdup(rec->status);
    mc->message[k - 1] = xstrdup(rec->message);
}

static void mc_free(struct mc_records *mc)
{
    for (int i = 0; i < mc->n; i++)
        free(mc->status[i]), free(mc->message[i]);
    free(mc->status), free(mc->message);
}

/* A failed scenario as the student's `make memcheck` shows it: "  FAIL  SCENARIO", then
 * what was wrong, indented. */
static char *mc_why(const char *message)
{
    size_t n = strlen(message);
    char *out = xmalloc(16 + n * 2), *o = out;
    o += sprintf(o, "  FAIL  ");
    for (const char *p = message; *p; p++) {
        *o++ = *p;
        if (*p == '\n')
            o += sprintf(o, "        ");
    }
    strcpy(o, "\n");
    return out;
}

/* Did memcheck/NAME pass? Its own scenario when memcheck.txt names one, else the whole
 * `make memcheck` run. WHY gets what valgrind found on failure. */
static int memcheck_verdict(const struct exercise *ex, const char *name, const struct mc_records *mc,
                            const char *log, const struct job_record *rec, char **why)
{
    const struct job_outcome *st = &rec->step[STEP_MEMCHECK];
    for (int k = 0; k < ex->nscenarios; k++) {
        if (strcmp(ex->scenarios[k], name) != 0)
            continue;
        if (k >= mc->n || !mc->status[k]) {
            *why = xstrdup(st->timed_out ? "valgrind did not finish in time\n"
                                         : "this scenario did not run\n");
            return 0;
        }
        int ok = strcmp(mc->status[k], "PASS") == 0;
        *why = ok ? xstrdup("") : mc_why(mc->message[k]);
        return ok;
    }
    for (int k = 0; k < mc->n; k++)
        if (mc->status[k] && strcmp(mc->status[k], "PASS") != 0) {
            *why = mc_why(mc->message[k]);
            return 0;
        }
    *why = st->timed_out ? xstrdup("valgrind did not finish in time\n") : excerpt(log, 25, 3000);
    return step_ok(rec, STEP_MEMCHECK);
}

static void score_memcheck(const char *jd, const struct job_record *sts, struct ex_result *r)
{
    char *log = read_log(jd, "memcheck.log", 1 << 20), *path = xasprintf("%s/memcheck.tsv", jd);
    struct mc_records mc = { 0 };
    tl_results_read(path, mc_add, &mc);     /* none (not run, or stopped): no record */
    free(path);
    for (int i = 0; i < r->ex->nrubric; i++) {
        struct test_result *t = &r->tests[i];
        if (!t->r->memcheck)
            continue;
        if (sts->memskip.len) {
            snprintf(t->status, sizeof t->status, "NOTRUN");
            free(t->message);
            t->message = xasprintf("not checked: the memory check runs once the programs work, "
                                   "that is once these tests pass: %s\n", sts->memskip.s);
            continue;
        }
        char *why = NULL;
        t->passed = memcheck_verdict(r->ex, t->r->test, &mc, log, sts, &why);
        snprintf(t->status, sizeof t->status, "%s", t->passed ? "PASS" : "MEMCHECK");
        free(t->message);
        t->message = t->passed ? xstrdup("") : why;
        if (t->passed)
            free(why);
    }
    mc_free(&mc);
    free(log);
}

/* Was test T running when the limit was seen at AT (or, with AT 0, when the run was
 * stopped)? The sandbox looks every 100 ms and a test may end (its program killed by
 * the limit) just before: 300 ms of slack. */
static int was_running(const struct test_result *t, long long at)
{
    if (!t->start_ms)
        return 0;
    if (!at)
        return !t->end_ms;
    return t->start_ms <= at && (!t->end_ms || t->end_ms >= at - 300);
}

/* The tests that were running when a limit fired or the run was stopped, as
 * "`a`, `b`" (empty if the runner wrote no times); each gets a line saying so. */
static char *running_tests(struct ex_result *r, const struct job_outcome *st, const char *what)
{
    struct buf names = { 0 };
    buf_add(&names, "", 0);
    for (int i = 0; i < r->ex->nrubric; i++) {
        struct test_result *t = &r->tests[i];
        if (t->r->memcheck || !was_running(t, st->limit_at_ms))
            continue;
        buf_printf(&names, "%s`%s`", names.len ? ", " : "", t->r->test);
        char *m = xasprintf("%s, while this test was running.\n%s", what, t->message);
        free(t->message);
        t->message = m;
    }
    return names.s;
}

static void note_tests(const char *jd, const struct job_record *rec, struct ex_result *r,
                       struct buf *note)
{
    const struct job_outcome *st = &rec->step[STEP_TESTS];
    char *log = read_log(jd, "tests.log", 1 << 16);
    const char *verdict = st->vstatus;
    int rc = jobrec_exit_code(st);
    int limit = verdict[0] && strcmp(verdict, "ok") != 0 && strcmp(verdict, "exit") != 0;
    char *what = limit ? xasprintf("Sandbox: %s", st->message)
                       : xstrdup("The grader's time limit stopped the test run");
    char *names = limit || st->timed_out ? running_tests(r, st, what) : xstrdup("");
    if (*names)
        buf_printf(note, "%s, while %s %s running.\n", what, names,
                   strchr(names, ',') ? "were" : "was");
    free(what), free(names);
    r->limit = limit || st->timed_out || st->log_capped;
    if (limit)
        buf_printf(note, "The test run %s: %s. Tests without a result count as failed.\n",
                   strcmp(verdict, "signal") == 0 ? "crashed"
                   : strcmp(verdict, "memory") == 0 || strcmp(verdict, "pids") == 0
                       ? "hit a limit of the sandbox" : "was stopped by the sandbox",
                   st->message);
    else if (st->timed_out)
        buf_printf(note, "The test run was stopped at the grader's time limit (%.0f s): tests "
                   "without a result count as failed.\n", st->secs);
    else if (st->log_capped)
        buf_puts(note, "The test run printed too much and was stopped.\n");
    else if (strstr(log, "was stopped after"))
        buf_puts(note, "The test run was stopped at its time limit: tests without a result "
                 "count as failed.\n");
    else if (!rec->ran[STEP_TESTS] || (rc != 0 && strcmp(verdict, "exit") != 0))
        buf_printf(note, "The test run failed (%s exited with status %d):\n%s",
                   verdict[0] ? "the test runner" : "make", rc, log);
    if (st->leftovers)
        buf_printf(note, "%d process(es) were still running after the tests and were killed.\n",
                   st->leftovers);
    free(log);
}

static void classify(const char *jd, const struct job_record *st, struct ex_result *r,
                     struct buf *note)
{
    if (st->notsubmitted) {
        r->state = EX_NOT_SUBMITTED;
        buf_printf(note, "no directory %s/ in the submission\n", r->ex->name);
    } else if (st->missing.len) {
        r->state = EX_MISSING;
        buf_printf(note, "missing file(s), see STUDENT_FILES\n%s", st->missing.s);
    } else if (st->errors.len && !st->ran[STEP_BUILD]) {
        r->state = EX_ERROR;
        buf_printf(note, "the grader could not grade this exercise\n%s", st->errors.s);
    } else if (!st->ran[STEP_BUILD] || jobrec_exit_code(&st->step[STEP_BUILD]) != 0 ||
               st->step[STEP_BUILD].timed_out) {
        const struct job_outcome *b = &st->step[STEP_BUILD];
        r->state = EX_BUILD_FAILED;
        buf_printf(note, "the programs do not build (make %s): see the compiler's output\n",
                   b->timed_out ? "ran out of time" : "failed");
        if (b->vstatus[0] && strcmp(b->vstatus, "exit") != 0)
            buf_printf(note, "The build was stopped by the sandbox: %s.\n", b->message);
    } else {
        r->state = EX_GRADED;
        read_results(jd, r, note);
        note_tests(jd, st, r, note);
        if (r->ex->has_memcheck)
            score_memcheck(jd, st, r);
    }
}

int score_test_passed(const char *jd, const struct exercise *ex, const char *name)
{
    struct ex_result r = { .ex = ex };
    struct buf note = { 0 };
    init_tests(&r);
    read_results(jd, &r, &note);
    int i = rubric_index(ex, name), passed = i >= 0 && r.tests[i].passed;
    free_ex_result(&r);
    buf_free(&note);
    return passed;
}

/* The failures grouped by generic cause (tl_cause.c, as tools/score does for make check);
 * memcheck lines are not grouped (their message is valgrind's). */
static void group_causes(struct ex_result *r)
{
    int n = r->ex->nrubric, passed[n + 1], leader[n + 1], count[n + 1];
    const char *status[n + 1], *message[n + 1];
    enum tl_cause cause[n + 1];
    for (int i = 0; i < n; i++) {
        const struct test_result *t = &r->tests[i];
        passed[i] = t->passed || t->r->memcheck, status[i] = t->status, message[i] = t->message;
    }
    tl_cause_group(n, passed, status, message, cause, leader, count);
    for (int i = 0; i < n; i++) {
        struct test_result *t = &r->tests[i];
        t->cause = (int)cause[i], t->leader = leader[i], t->count = count[i];
        t->hint_fits = tl_hint_fits(cause[i], t->r->hint);
    }
}

int score_exercise(const char *jd, const struct exercise *ex, struct ex_result *r)
{
    memset(r, 0, sizeof *r);
    r->ex = ex;
    init_tests(r);
    struct buf note = { 0 };
    buf_add(&note, "", 0);
    struct job_record st = { 0 };
    if (ex->broken) {
        r->state = EX_BROKEN;
        buf_puts(&note, "the instructor's tree does not build this exercise: not graded\n");
    } else {
        if (jobrec_read(jd, &st) == -1)
            buf_puts(&st.errors, "the grader's worker left no status (it died)\n");
        if (st.warnings.len)
            buf_puts(&note, st.warnings.s);
        for (int k = 0; k < NSTEPS; k++)
            r->no_isolation |= st.ran[k] && st.step[k].no_isolation;
        char *log = read_log(jd, "build.log", 1 << 20), *answers = xasprintf("%s/ANSWERS.md", jd);
        r->warnings = count_warnings(log);
        r->build_log = excerpt(log, 40, 4000);
        r->answers = read_text(answers, 1 << 18, NULL);
        free(log), free(answers);
        classify(jd, &st, r, &note);
        r->secs = st.step[STEP_BUILD].secs + st.step[STEP_TESTS].secs + st.step[STEP_MEMCHECK].secs;
        for (int k = 0; k < NSTEPS; k++) {
            r->step_secs[k] = st.ran[k] ? st.step[k].secs : 0;
            r->step_cpu[k] = st.ran[k] ? st.step[k].cpu_secs : 0;
        }
        r->queued_s = st.queued_s;
    }
    if (r->state != EX_GRADED)
        fail_all(r, "NOTRUN", note.s);
    else
        group_causes(r);
    for (int i = 0; i < ex->nrubric; i++)
        r->score += r->tests[i].passed ? ex->rubric[i].points : 0;
    r->note = note.s;
    jobrec_free(&st);
    return 0;
}

void free_ex_result(struct ex_result *r)
{
    for (int i = 0; r->tests && i < r->ex->nrubric; i++)
        free(r->tests[i].message);
    free(r->tests), free(r->build_log), free(r->note), free(r->answers);
}
