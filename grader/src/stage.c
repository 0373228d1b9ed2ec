/*
 * stage.c: copy and build the instructor tree once per run (see stage.h). A lock file
 * keeps concurrent grader processes sharing one work directory (GNU parallel) apart.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "stage.h"
#include "job.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const no_build[] = { "build", NULL };

/* Copy what changed; CHANGED[i] says whether exercise i (or what it uses) changed. */
static int sync_parts(const char *tree, const char *stage, const struct exercise *ex, int nex,
                      int *changed, char *err)
{
    const char *parts[] = { "mk", "tools", "testlib" };
    int rc = 0;
    sync_changes = 0;
    for (int i = 0; i < 3 && rc == 0; i++) {
        char *s = xasprintf("%s/%s", tree, parts[i]), *d = xasprintf("%s/%s", stage, parts[i]);
        rc = sync_tree(s, d, no_build, err);
        free(s);
        free(d);
    }
    int common = sync_changes;
    for (int i = 0; i < nex && rc == 0; i++) {
        char *s = xasprintf("%s/%s", tree, ex[i].name), *d = xasprintf("%s/%s", stage, ex[i].name);
        sync_changes = 0;
        rc = sync_tree(s, d, no_build, err);
        changed[i] = common || sync_changes;
        free(s);
        free(d);
    }
    return rc;
}

/* make -C STAGE/EX [IMPL=solution] TARGET, logged; 0 when it succeeded. */
static int stage_make(const char *stage, const char *name, const char *impl, const char *target)
{
    char err[ERRLEN];
    char *dir = xasprintf("%s/%s", stage, name);
    char *log = xasprintf("%s/stage-%s-%s.log", stage, name, target);
    char *tmp = xasprintf("%s/tmp-stage", stage);
    char *argv[] = { "make", "-s", "--no-print-directory", "-C", dir, (char *)impl,
                     (char *)target, NULL };
    if (!impl)
        argv[5] = (char *)target, argv[6] = NULL;
    struct job_spec spec = { .argv = argv, .cwd = stage, .log = log, .tmpdir = tmp,
                             .deadline_s = 300, .log_cap = 8 << 20 };
    struct job_outcome out;
    int ok = job_run(job_local(), &spec, &out, err) == 0 && out.status == 0;
    if (!ok) {
        fprintf(stderr, "grader: warning: %s: the instructor's %s does not build (%s); "
                "this exercise is not graded. See %s\n", name, impl ? "reference" : "tests",
                job_describe(&out), log);
        char *text = read_text(log, 2000, NULL);
        if (text)
            fprintf(stderr, "%s\n", text);
        free(text);
    }
    free(dir);
    free(log);
    free(tmp);
    return ok ? 0 : -1;
}

/* STAGE/.built-EX exists when EX was built from the files now staged. */
static char *stamp_path(const char *stage, const struct exercise *ex)
{
    return xasprintf("%s/.built-%s", stage, ex->name);
}

/* Who may read what in the stage. Namespaces hide the instructor's files from the
 * sandbox's view, but where namespaces are refused (containers: --allow-no-isolation)
 * only the file modes do. So the stage is root-only by default (directories 0700,
 * files 0600) and opened up only where a job running as a slot's uid needs it:
 *   STAGE, STAGE/EX, EX/build, EX/build/tests        0711  traversed, never listed
 *   mk/, tools/, testlib/ (the student tarball's)     0755 / 0644 / 0755
 *   EX/build/tests/run_tests                          0755  Criterion reads its own
 *                                                           binary to find the tests
 *   EX/build/solution/ and its programs               0711  run, never read
 * Everything else stays root's: the reference sources, the test sources (hidden ones
 * included) and objects, the rubric, buggy variants, model answers, the stage's logs. */
static size_t stage_len;    /* for lock_one: the length of the stage's path */

/* The mode PATH (REL inside the stage) must have; EXE: a file with its x bit. */
static mode_t stage_mode(const char *rel, int dir, int exe)
{
    static const char *const public[] = { "mk", "tools", "testlib" };
    const char *slash = strchr(rel, '/');
    size_t top = slash ? (size_t)(slash - rel) : strlen(rel);
    for (int i = 0; i < 3; i++)
        if (strlen(public[i]) == top && strncmp(rel, public[i], top) == 0)
            return dir || exe ? 0755 : 0644;
    const char *sub = slash ? slash + 1 : "";
    if (!*rel || (dir && (!*sub || !strcmp(sub, "build") || !strcmp(sub, "build/tests"))))
        return 0711;
    if (!strcmp(sub, "build/tests/run_tests"))
        return 0755;
    if (!strcmp(sub, "build/solution") || !strncmp(sub, "build/solution/", 15))
        return dir || exe ? 0711 : 0600;
    return dir || exe ? 0700 : 0600;
}

static int lock_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)f;
    if (type != FTW_D && type != FTW_F)
        return 0;
    const char *rel = path + stage_len + (path[stage_len] == '/');
    mode_t mode = stage_mode(rel, type == FTW_D, type == FTW_F && (st->st_mode & S_IXUSR));
    if ((st->st_mode & 07777) != mode)
        chmod(path, mode);
    return 0;
}

/* One pass, each entry set straight to its final mode: another grader sharing this
 * stage (GNU parallel) may be running jobs from it right now. */
static void lock_stage(const char *stage)
{
    stage_len = strlen(stage);
    nftw(stage, lock_one, 16, FTW_PHYS);
}

/* Build EX's tests and reference unless nothing changed since the last good build. */
static int build_exercise(const char *stage, const struct exercise *ex, int changed)
{
    char err[ERRLEN];
    char *stamp = stamp_path(stage, ex);
    if (changed)
        unlink(stamp);
    int rc = 0;
    if (!is_file(stamp)) {
        rc = stage_make(stage, ex->name, NULL, "tests") == -1 ||
             stage_make(stage, ex->name, "IMPL=solution", "programs") == -1 ? -1 : 0;
        if (rc == 0)
            write_text(stamp, "", 0, err);
    }
    free(stamp);
    return rc;
}

int stage_prepare(const char *tree, const char *stage, struct exercise *ex, int nex, char *err)
{
    if (mkdir_p(stage, err) == -1)
        return -1;
    char *lock = xasprintf("%s/.lock", stage);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(lock);
    if (fd == -1 || flock(fd, LOCK_EX) == -1) {
        snprintf(err, ERRLEN, "cannot lock %s/.lock", stage);
        return -1;
    }
    int *changed = calloc((size_t)nex, sizeof *changed);
    int rc = sync_parts(tree, stage, ex, nex, changed, err);
    for (int i = 0; i < nex && rc == 0; i++)
        ex[i].broken = build_exercise(stage, &ex[i], changed[i]) == -1;
    if (rc == 0)
        lock_stage(stage);
    free(changed);
    close(fd);
    return rc;
}
