/*
 * grade.c: one exercise of one submission, from work copy to results (see grade.h).
 */
#include "grade.h"
#include "job.h"
#include "jobrec.h"
#include "score.h"
#include "util.h"
#include "tl_runner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_STUDENT_FILE (1 << 20)
#define MEMCHECK_SLOTS 2000    /* the memcheck sub-worker of slot S runs in slot S + this */

/* Instructor-only entries of an exercise, never copied into a work copy (the test
 * sources are removed after the copy: drop_test_sources). */
static const char *const not_copied[] = { "build", "solution", "buggy", "alt", "rubric.tsv",
                                          "MODEL_ANSWERS.md", NULL };

char *job_dir(const struct grade_ctx *g, const struct submission *s, const struct exercise *ex)
{
    return xasprintf("%s/%s/%s", g->jobs, s->id, ex->name);
}

static void step_line(const char *jd, enum job_step step, const struct job_outcome *o)
{
    if (o->no_isolation)
        jobrec_note(jd, "warning", "NO ISOLATION: namespaces were refused on this "
                    "machine (--allow-no-isolation). Still in force: the job ran as an "
                    "unprivileged uid of its own with limits (processes, memory, CPU, file "
                    "size, open files, wall clock), the instructor's files were unreadable to "
                    "it, and its processes, System V objects and temporary files were removed "
                    "afterwards. Not in force: a private network (it shared the host's "
                    "loopback and ports) and a private view of the file system (it could read "
                    "other users' world-readable files).");
    jobrec_step(jd, step, o);
}

/* Remove the test sources (hidden ones above all) from the work copy. */
static void drop_test_sources(const char *dir)
{
    char *tests = xasprintf("%s/tests", dir);
    struct dirent **ents;
    int n = scandir(tests, &ents, NULL, NULL);
    for (int i = 0; i < n; i++) {
        if (ends_with(ents[i]->d_name, ".c") || ends_with(ents[i]->d_name, ".h")) {
            char *p = xasprintf("%s/%s", tests, ents[i]->d_name);
            unlink(p);
            free(p);
        }
        free(ents[i]);
    }
    if (n > 0)
        free(ents);
    free(tests);
}

static int copy_student_file(const char *src, const char *dst, char *err)
{
    struct stat st;
    if (lstat(src, &st) == -1 || !S_ISREG(st.st_mode)) {
        snprintf(err, ERRLEN, "%s", errno == ENOENT ? "not found" : "not a regular file");
        return -1;
    }
    if (st.st_size > MAX_STUDENT_FILE) {
        snprintf(err, ERRLEN, "larger than %d bytes", MAX_STUDENT_FILE);
        return -1;
    }
    char *dir = xstrdup(dst);
    *strrchr(dir, '/') = '\0';
    int rc = mkdir_p(dir, err) == -1 ? -1 : copy_file(src, dst, err);
    free(dir);
    if (rc == 0)
        utimensat(AT_FDCWD, dst, NULL, 0);
    return rc;
}

/* The pristine copy plus the student's files; -1 when some are missing. */
static int work_copy(const struct grade_ctx *g, const char *from, const char *root,
                     const struct exercise *ex, const char *jd, char *err)
{
    char *smk = xasprintf("%s/mk", g->stage), *dmk = xasprintf("%s/mk", root);
    char *sex = xasprintf("%s/%s", g->stage, ex->name), *dex = xasprintf("%s/%s", root, ex->name);
    int rc = sync_tree(smk, dmk, NULL, err) == -1 || sync_tree(sex, dex, not_copied, err) == -1;
    drop_test_sources(dex);
    int missing = 0;
    for (int i = 0; i < ex->nfiles && rc == 0; i++) {
        char *dst = xasprintf("%s/%s", dex, ex->files[i]);
        char *src = xasprintf("%s/%s", from, ex->files[i]);
        unlink(dst);
        if (copy_student_file(src, dst, err) == -1 && ++missing) {
            char *where = xasprintf("%s/%s (%s)", ex->name, ex->files[i], err);
            jobrec_note(jd, "missing", where);
            free(where);
        }
        free(src);
        free(dst);
    }
    char *answers = xasprintf("%s/ANSWERS.md", from), *keep = xasprintf("%s/ANSWERS.md", jd);
    if (is_file(answers))
        copy_student_file(answers, keep, err);
    free(answers);
    free(keep);
    free(smk), free(dmk), free(sex), free(dex);
    if (rc) {
        char *what = xasprintf("cannot make the work copy: %s", err);
        jobrec_note(jd, "error", what);
        free(what);
    }
    return rc || missing ? -1 : 0;
}

/* The environment settings of a job: the test run's limit, the results descriptor,
 * Criterion's jobs and the deadline scale. Returns the array (strings to free). */
static char **step_env(const struct grade_ctx *g, enum job_step sn, int results_fd)
{
    char **env = calloc(8 + TL_RUNNER_ENV_MAX, sizeof *env);
    int n = 0;
    env[n++] = xasprintf("TL_SUITE_LIMIT=%d", g->timeout_s > 30 ? g->timeout_s - 15 : g->timeout_s);
    if (results_fd >= 0 && sn == STEP_TESTS)
        env[n++] = xstrdup("TL_RESULTS_FD=3"), env[n++] = xstrdup("TL_RESULTS_TIMES=1");
    if (results_fd >= 0 && sn == STEP_MEMCHECK)
        env[n++] = xstrdup("MEMCHECK_RESULTS_FD=3");
    if (g->tl_jobs)
        env[n++] = xasprintf("TL_JOBS=%d", g->tl_jobs);
    if (g->time_scale)
        env[n++] = xasprintf("TL_TIME_SCALE=%s", g->time_scale);
    return env;
}

static void free_strings(char **v)
{
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* The test step in the sandbox: the test runner itself, started as testlib/tl_runner.c
 * defines it (the same as tools/run-tests through tl-run; never make or sh: a dumpable
 * process holding the results descriptor could be made to forge results). ENV gets the
 * settings (to free); NULL when out of memory. */
static char **runner_argv(const struct grade_ctx *g, const char *dir, char **env)
{
    const char *ex = strrchr(dir, '/') + 1;
    char *progs = xasprintf("%s/build/student", dir), *ref = xasprintf("%s/%s/build/solution", g->stage, ex);
    char *so = xasprintf("%s/testlib/build/tl_preload.so", g->stage);
    char *bin = xasprintf("%s/%s/build/tests/run_tests", g->stage, ex);
    /* The Reproduce lines in the feedback name the paths of the student's own tree, as
     * tools/run-tests shows them (no repro directory: a copied input would exist only in
     * the grader's work copy, so the line says how many bytes the test gave). The results
     * descriptor (3) and TL_RESULTS_TIMES are step_env's. */
    struct tl_runner r = { .test_bin = bin, .programs = progs, .preload = so, .ref_bin = ref,
                           .results_fd = -1, .jobs = g->tl_jobs,
                           .programs_show = "build/student",
                           .preload_show = "../testlib/build/tl_preload.so",
                           .test_bin_show = "build/tests/run_tests" };
    char **argv = calloc(TL_RUNNER_ARGV_MAX, sizeof *argv);
    int rc = argv ? tl_runner_argv(&r, argv) : -1;
    if (rc == 0)
        rc = tl_runner_env(&r, env) < 0 ? -1 : 0;
    free(progs), free(ref), free(so), free(bin);
    if (rc == -1 && argv)
        free_strings(argv), argv = NULL;
    return argv;
}

/* One step of the exercise in the work copy, through the job seam: make, or (tests in
 * the sandbox) the test runner. The tests' records come through descriptor 3 into
 * JOBDIR/results.tsv, outside the work copy. */
static int make_step(const struct grade_ctx *g, const char *jd, const char *dir,
                     enum job_step sn, char **extra)
{
    char err[ERRLEN];
    char *argv[16] = { "make", "-s", "--no-print-directory", "-C", (char *)dir, "IMPL=student",
                       xasprintf("ROOT=%s", g->stage) };
    for (int n = 7; *extra && n < 15; extra++)
        argv[n++] = *extra;
    const char *step = jobrec_step_name(sn);
    int tests = sn == STEP_TESTS, memcheck = sn == STEP_MEMCHECK;
    char *log = xasprintf("%s/%s.log", jd, step), *tmp = xasprintf("%s/tmp-%s", jd, step);
    /* The records (tests: results.tsv; memcheck: memcheck.tsv, tools/memcheck's) come
     * through descriptor 3 into the job directory, outside the work copy. */
    char *results = xasprintf("%s/%s", jd, tests ? "results.tsv" : "memcheck.tsv");
    int fd = tests || memcheck ? open(results, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
    char **env = step_env(g, sn, fd), *root = xstrdup(dir), **runner = NULL;
    *strrchr(root, '/') = '\0';
    char *ex = strrchr(dir, '/') + 1;
    if (tests && job_runner_isolated(g->runner))
        runner = runner_argv(g, dir, env);
    char *name = xasprintf("%s-%s", ex, step);
    char *hide[] = { xasprintf("%s/%s/solution", g->stage, ex), xasprintf("%s/%s/buggy", g->stage, ex),
                     xasprintf("%s/%s/tests", g->stage, ex), xasprintf("%s/%s/rubric.tsv", g->stage, ex),
                     NULL };
    const char *ro[] = { g->stage, NULL };
    struct job_spec spec = { .argv = runner ? runner : argv, .cwd = dir, .name = name, .log = log, .tmpdir = tmp, .env = env,
                             .slot = memcheck ? g->slot + MEMCHECK_SLOTS : g->slot, .pass_fd = fd, .rw_dir = root, .ro_dirs = ro,
                             .hide = (const char *const *)hide,
                             .deadline_s = tests ? g->timeout_s : memcheck ? 600 : 120,
                             .log_cap = tests ? 16 << 20 : 4 << 20 };
    struct job_outcome out;
    int rc = job_run(g->runner, &spec, &out, err);
    if (rc == -1)
        jobrec_note(jd, "error", err);
    else
        step_line(jd, sn, &out);
    if (fd >= 0)
        close(fd);
    free(argv[6]), free(log), free(tmp), free(results), free_strings(env), free(root), free(name);
    if (runner)
        free_strings(runner);
    for (char **h = hide; *h; h++)
        free(*h);
    return rc == 0 && out.status == 0 && !out.timed_out && !out.log_capped ? 0 : -1;
}

/* The valgrind scenarios, in a sub-worker running beside the tests: it is a subreaper
 * of its own, so what it starts stays out of the tests' job. Returns its pid or -1. */
static pid_t start_memcheck(const struct grade_ctx *g, const char *jd, const char *dir)
{
    char *memcheck[] = { "memcheck", NULL };
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char err[ERRLEN];
        job_protect(0);
        if (job_init_worker(err) == 0)
            make_step(g, jd, dir, STEP_MEMCHECK, memcheck);
        _exit(0);
    }
    if (pid == -1)
        make_step(g, jd, dir, STEP_MEMCHECK, memcheck);
    return pid;
}

/* The memory check after the tests, only if the tests memcheck.txt requires passed:
 * a program that does not work yet has nothing to check (and would pass by doing
 * nothing), and its scenarios would only wait for their deadlines. */
static void gated_memcheck(const struct grade_ctx *g, const char *jd, const char *dir,
                           const struct exercise *ex)
{
    struct buf failed = { 0 };
    buf_add(&failed, "", 0);
    for (int i = 0; i < ex->nmc_requires; i++)
        if (!score_test_passed(jd, ex, ex->mc_requires[i]))
            buf_printf(&failed, "%s%s", failed.len ? " " : "", ex->mc_requires[i]);
    if (failed.len) {
        jobrec_note(jd, "memskip", failed.s);
    } else {
        char *memcheck[] = { "memcheck", NULL };
        make_step(g, jd, dir, STEP_MEMCHECK, memcheck);
    }
    buf_free(&failed);
}

static void run_steps(const struct grade_ctx *g, const char *jd, const char *dir,
                      const struct exercise *ex)
{
    char *build[] = { "programs", NULL };
    if (make_step(g, jd, dir, STEP_BUILD, build) == -1)
        return;
    int gated = ex->has_memcheck && ex->nmc_requires > 0;
    pid_t mc = ex->has_memcheck && !gated ? start_memcheck(g, jd, dir) : -1;
    job_protect(mc > 0 ? mc : 0);
    char *tests[] = { xasprintf("TEST_BIN=%s/%s/build/tests/run_tests", g->stage, ex->name),
                      xasprintf("TD_REF_BIN=%s/%s/build/solution", g->stage, ex->name),
                      "results", NULL };
    make_step(g, jd, dir, STEP_TESTS, tests);
    free(tests[0]), free(tests[1]);
    while (mc > 0 && waitpid(mc, NULL, 0) == -1 && errno == EINTR)
        ;
    job_protect(0);
    if (gated)
        gated_memcheck(g, jd, dir, ex);
}

/* JD and its parents up to the jobs directory: root's, 0711. The slot's uid traverses
 * them to its work copy JD/root (which the sandbox gives it) but lists and reads nothing
 * else: the logs, verdicts, status and results files are root's 0600 (umask 077). */
static int make_job_dir(const struct grade_ctx *g, const char *jd, char *err)
{
    if (mkdir_p(jd, err) == -1)
        return -1;
    char *p = xstrdup(jd);
    size_t base = strlen(g->jobs);
    for (;;) {
        chmod(p, 0711);
        char *slash = strrchr(p, '/');
        if (!slash || (size_t)(slash - p) < base)
            break;
        *slash = '\0';
    }
    free(p);
    return 0;
}

int grade_exercise(const struct grade_ctx *g, const struct submission *s,
                   const struct exercise *ex)
{
    char err[ERRLEN];
    char *jd = job_dir(g, s, ex), *root = xasprintf("%s/root", jd);
    char *from = s->base ? xasprintf("%s/%s", s->base, ex->name) : NULL;
    char *dir = xasprintf("%s/%s", root, ex->name);
    rm_rf(jd);
    int rc = make_job_dir(g, jd, err);
    if (rc == 0)
        jobrec_queued(jd, g->queued_s);
    if (rc == 0 && (!from || !is_dir(from)))
        jobrec_note(jd, "notsubmitted", "");
    else if (rc == 0 && work_copy(g, from, root, ex, jd, err) == 0)
        run_steps(g, jd, dir, ex);
    if (rc == 0 && !g->keep)
        rm_rf(root);
    free(jd), free(root), free(from), free(dir);
    return rc;
}
