/*
 * exercise.c: load the instructor tree's exercises: STUDENT_FILES and rubric.tsv
 * (see CONTRIBUTING.md, "Conventions the grader relies on").
 */
#include "exercise.h"
#include "util.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* A STUDENT_FILES entry the grader may copy: relative, no "..", not a test. */
static int safe_entry(const char *f)
{
    return f[0] && f[0] != '/' && !strstr(f, "..") && strncmp(f, "tests/", 6) != 0 &&
           strcmp(f, "Makefile") != 0 && strcmp(f, "rubric.tsv") != 0;
}

static int load_files(const char *path, struct exercise *ex, char *err)
{
    char *text = read_text(path, 1 << 20, NULL);
    if (!text) {
        snprintf(err, ERRLEN, "cannot read %s", path);
        return -1;
    }
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *f = trim(l);
        if (!*f || *f == '#' || strcmp(f, "ANSWERS.md") == 0)
            continue;
        if (!safe_entry(f)) {
            snprintf(err, ERRLEN, "%s: refusing the entry '%s'", path, f);
            free(text);
            return -1;
        }
        ex->files = xrealloc(ex->files, (size_t)(ex->nfiles + 1) * sizeof *ex->files);
        ex->files[ex->nfiles++] = xstrdup(f);
    }
    free(text);
    return 0;
}

int load_rubric(const char *path, struct exercise *ex, char *err)
{
    if (tl_rubric_read(path, &ex->rub, err, ERRLEN) == -1)
        return -1;
    ex->rubric = ex->rub.line;
    ex->nrubric = ex->rub.n;
    ex->max = ex->rub.max;
    ex->has_memcheck = ex->rub.has_memcheck;
    return 0;
}

/* "# requires: TEST TEST...": the tests the memory check waits for (see grade.c). */
static void load_requires(char *list, struct exercise *ex)
{
    char *save = NULL;
    for (char *w = strtok_r(list, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        ex->mc_requires = xrealloc(ex->mc_requires, (size_t)(ex->nmc_requires + 1) * sizeof (char *));
        ex->mc_requires[ex->nmc_requires++] = xstrdup(w);
    }
}

/* Name each scenario of memcheck.txt after the "# memcheck/NAME:" comment above it. */
static void load_scenarios(const char *path, struct exercise *ex)
{
    char *text = read_text(path, 1 << 20, NULL), *save = NULL, name[256] = "";
    for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
        char *t = trim(l);
        if (strncmp(t, "# memcheck/", 11) == 0)
            sscanf(t + 2, "%255[^: \t]", name);
        if (strncmp(t, "# requires:", 11) == 0)
            load_requires(t + 11, ex);
        if (!*t || *t == '#')
            continue;
        ex->scenarios = xrealloc(ex->scenarios, (size_t)(ex->nscenarios + 1) * sizeof (char *));
        ex->scenarios[ex->nscenarios++] = xstrdup(name);
        name[0] = '\0';
    }
    free(text);
}

static int load_one(const char *tree, const char *name, struct exercise *ex, char *err)
{
    memset(ex, 0, sizeof *ex);
    ex->name = xstrdup(name);
    char *files = xasprintf("%s/%s/STUDENT_FILES", tree, name);
    char *rubric = xasprintf("%s/%s/rubric.tsv", tree, name);
    int rc = load_files(files, ex, err);
    if (rc == 0)
        rc = load_rubric(rubric, ex, err);
    char *mc = xasprintf("%s/%s/memcheck.txt", tree, name);
    load_scenarios(mc, ex);
    free(mc);
    free(files);
    free(rubric);
    return rc;
}

static int is_exercise(const char *tree, const char *name)
{
    const char *need[] = { "Makefile", "STUDENT_FILES", "rubric.tsv" };
    for (int i = 0; i < 3; i++) {
        char *p = xasprintf("%s/%s/%s", tree, name, need[i]);
        int ok = is_file(p);
        free(p);
        if (!ok)
            return 0;
    }
    return 1;
}

static int wanted(const char *only, const char *name)
{
    if (!only)
        return strncmp(name, "td", 2) == 0;
    size_t n = strlen(name);
    for (const char *p = only; (p = strstr(p, name)); p++)
        if ((p == only || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct exercise *)a)->name, ((const struct exercise *)b)->name);
}

int load_exercises(const char *tree, const char *only, struct exercise **out, int *n,
                   char *err)
{
    DIR *d = opendir(tree);
    if (!d) {
        snprintf(err, ERRLEN, "cannot read the instructor tree %s", tree);
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    *out = NULL;
    *n = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !wanted(only, e->d_name) || !is_exercise(tree, e->d_name))
            continue;
        *out = xrealloc(*out, (size_t)(*n + 1) * sizeof **out);
        rc = load_one(tree, e->d_name, &(*out)[(*n)++], err);
    }
    closedir(d);
    if (rc == 0 && *n == 0)
        snprintf(err, ERRLEN, "no exercise%s%s in %s", only ? " named " : "", only ? only : "",
                 tree), rc = -1;
    if (rc == 0)
        qsort(*out, (size_t)*n, sizeof **out, by_name);
    return rc;
}
