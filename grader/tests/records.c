/*
 * records.c: round-trip tests of the files the grader's programs pass each other, each
 * through its one owner: the sandbox's verdict (sandbox/src/verdict_file.c), a job's
 * status (src/jobrec.c) and a student's grade.tsv (src/gradefile.c). Each record is
 * written with awkward text (tabs, newlines, quotes, backslashes, control characters)
 * and read back field by field. `records DIR` (a scratch directory); prints one line per
 * check and "N passed, N failed" last; exit 1 on any failure. Run by tests/run.sh.
 */
#include "gradefile.h"
#include "jobrec.h"
#include "util.h"
#include "verdict_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static int passed, failed;

static void expect(int ok, const char *what)
{
    printf("%s - %s\n", ok ? "ok  " : "FAIL", what);
    ok ? passed++ : failed++;
}

static const char awkward[] = "tab\there \"quoted\" back\\slash\nnew line \x01 end";

static void verdict_roundtrip(const char *dir)
{
    struct verdict_record w = { .status = "memory", .limit = "memory", .exit_code = -1,
        .signal = 9, .wall_ms = 69, .cpu_ms = 52, .mem_peak = 67108864, .pids_peak = 1,
        .out_bytes = 0, .disk_bytes = 4096, .limit_at_ms = 10093787123LL, .leftovers = 2,
        .isolated = 0 }, r;
    snprintf(w.message, sizeof w.message, "%s", awkward);
    snprintf(w.warning, sizeof w.warning, "NO ISOLATION: %s", awkward);
    char *path = xasprintf("%s/verdict", dir);
    expect(verdict_file_write(path, &w) == 0, "verdict: written");
    expect(verdict_file_read(path, &r) == 0, "verdict: read back");
    expect(strcmp(r.status, w.status) == 0 && strcmp(r.limit, w.limit) == 0 &&
           r.exit_code == w.exit_code && r.signal == w.signal && r.wall_ms == w.wall_ms &&
           r.cpu_ms == w.cpu_ms && r.mem_peak == w.mem_peak && r.pids_peak == w.pids_peak &&
           r.out_bytes == w.out_bytes && r.disk_bytes == w.disk_bytes &&
           r.limit_at_ms == w.limit_at_ms && r.leftovers == w.leftovers &&
           r.isolated == w.isolated, "verdict: every number and word the same");
    expect(strcmp(r.message, w.message) == 0 && strcmp(r.warning, w.warning) == 0,
           "verdict: message and warning the same, escapes included");
    char *missing = xasprintf("%s/none", dir);
    expect(verdict_file_read(missing, &r) == -1 && strcmp(r.status, "error") == 0,
           "verdict: a missing file reads as status error");
    free(path), free(missing);
}

static int same_outcome(const struct job_outcome *a, const struct job_outcome *b)
{
    return a->status == b->status && a->timed_out == b->timed_out &&
           a->log_capped == b->log_capped && a->leftovers == b->leftovers &&
           (int)(a->secs * 1000) == (int)(b->secs * 1000) &&
           (int)(a->cpu_secs * 1000) == (int)(b->cpu_secs * 1000) && !strcmp(a->vstatus, b->vstatus) &&
           !strcmp(a->message, b->message) && a->no_isolation == b->no_isolation &&
           a->limit_at_ms == b->limit_at_ms;
}

static void jobrec_roundtrip(const char *dir)
{
    char *jd = xasprintf("%s/job", dir), err[ERRLEN];
    rm_rf(jd);
    mkdir_p(jd, err);
    struct job_outcome build = { .status = 0, .secs = 1.25, .cpu_secs = 0.75 };
    struct job_outcome tests = { .status = 9, .timed_out = 1, .log_capped = 0, .leftovers = 3,
                                 .secs = 12.5, .vstatus = "pids", .no_isolation = 1,
                                 .limit_at_ms = 987654321012LL };
    snprintf(tests.message, sizeof tests.message, "%s", awkward);
    struct job_outcome tests2 = tests;
    tests2.status = 2 << 8;
    int w = jobrec_note(jd, "missing", "td1/x.c (not found)") | jobrec_note(jd, "warning", awkward) |
            jobrec_note(jd, "memskip", "a/b c/d") | jobrec_step(jd, STEP_BUILD, &build) |
            jobrec_step(jd, STEP_TESTS, &tests) | jobrec_step(jd, STEP_TESTS, &tests2) |
            jobrec_note(jd, "notsubmitted", "") | jobrec_queued(jd, 4.5);
    expect(w == 0, "job status: written");
    struct job_record r;
    expect(jobrec_read(jd, &r) == 0, "job status: read back");
    expect(r.notsubmitted && !strcmp(r.missing.s, "td1/x.c (not found)\n") &&
           !strcmp(r.memskip.s, "a/b c/d\n") && r.warnings.s &&
           !strncmp(r.warnings.s, awkward, strlen(awkward)), "job status: notes the same, escapes included");
    expect(r.ran[STEP_BUILD] && same_outcome(&r.step[STEP_BUILD], &build),
           "job status: the build step's outcome the same");
    expect(r.ran[STEP_TESTS] && same_outcome(&r.step[STEP_TESTS], &tests2),
           "job status: the later tests record replaces the earlier one");
    expect(!r.ran[STEP_MEMCHECK] && r.step[STEP_MEMCHECK].status == -1,
           "job status: a step that did not run reads as not started");
    expect(r.queued_s == 4.5, "job status: the wait for a slot the same");
    expect(jobrec_exit_code(&r.step[STEP_TESTS]) == 2 && jobrec_exit_code(&tests) == 137,
           "job status: exit codes from wait statuses");
    jobrec_free(&r);
    free(jd);
}

static void grade_roundtrip(const char *dir)
{
    struct grade w = { .id = "alice", .total = 12.5, .max = 40 };
    struct grade_ex e1 = { .name = "td1-signals", .score = 12.5, .max = 21, .state = "graded",
                           .warnings = 2, .flags = GF_NOISO | GF_FORGED, .note = (char *)awkward,
                           .secs = { 1.25, 30.5, 12 }, .cpu = { 0.5, 7.25, 3 }, .queued = 2.5 };
    struct grade_ex e2 = { .name = "td2-shm", .score = 0, .max = 19, .state = "build failed",
                           .note = "" };
    struct grade_test t1 = { .ex = "td1-signals", .test = "run/x", .points = 2, .max = 2,
                             .status = "PASS" };
    struct grade_test t2 = { .ex = "td2-shm", .test = "hidden/y", .points = 0, .max = 1.5,
                             .status = "NOTRUN" };
    grade_add_ex(&w, &e1), grade_add_ex(&w, &e2), grade_add_test(&w, &t1), grade_add_test(&w, &t2);
    char *text = gradefile_format(&w), *path = xasprintf("%s/grade.tsv", dir), err[ERRLEN];
    expect(write_text(path, text, strlen(text), err) == 0, "grade.tsv: written");
    struct grade r;
    expect(gradefile_read(path, &r) == 0, "grade.tsv: read back");
    int ok = r.nex == 2 && r.ntests == 2 && !strcmp(r.id, "alice") && r.total == 12.5 && r.max == 40;
    for (int i = 0; ok && i < 2; i++)
        ok = !strcmp(r.ex[i].name, w.ex[i].name) && r.ex[i].score == w.ex[i].score &&
             r.ex[i].max == w.ex[i].max && !strcmp(r.ex[i].state, w.ex[i].state) &&
             r.ex[i].warnings == w.ex[i].warnings && r.ex[i].flags == w.ex[i].flags &&
             r.ex[i].secs[0] == w.ex[i].secs[0] && r.ex[i].secs[1] == w.ex[i].secs[1] &&
             r.ex[i].secs[2] == w.ex[i].secs[2] && r.ex[i].queued == w.ex[i].queued &&
             r.ex[i].cpu[0] == w.ex[i].cpu[0] && r.ex[i].cpu[1] == w.ex[i].cpu[1] &&
             r.ex[i].cpu[2] == w.ex[i].cpu[2] &&
             !strcmp(r.ex[i].note, w.ex[i].note) && !strcmp(r.tests[i].ex, w.tests[i].ex) &&
             !strcmp(r.tests[i].test, w.tests[i].test) && r.tests[i].points == w.tests[i].points &&
             r.tests[i].max == w.tests[i].max && !strcmp(r.tests[i].status, w.tests[i].status);
    expect(ok, "grade.tsv: every field the same (flags, times, note with escapes, half points)");
    gradefile_free(&r);
    const char old[] = "id\tbob\nexercise\ttd1-signals\t3\t21\tgraded\t0\n"
                       "test\ttd1-signals\trun/x\t2\t2\tPASS\ntotal\t3\t21\n";
    write_text(path, old, strlen(old), err);
    expect(gradefile_read(path, &r) == 0 && r.nex == 1 && r.ex[0].flags == 0 &&
           !strcmp(r.ex[0].note, "") && r.ex[0].score == 3, "grade.tsv: an older file (6 fields) still reads");
    gradefile_free(&r);
    w.id = NULL;
    gradefile_free(&w);
    free(text), free(path);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: records DIR\n");
        return 2;
    }
    verdict_roundtrip(argv[1]);
    jobrec_roundtrip(argv[1]);
    grade_roundtrip(argv[1]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
