/*
 * discover.c: submissions from the command line and the id rule (see discover.h).
 */
#include "discover.h"
#include "archive.h"
#include "util.h"

#include <dirent.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

static int has_exercise(const char *dir, const struct exercise *ex, int nex)
{
    for (int i = 0; i < nex; i++) {
        char *p = xasprintf("%s/%s", dir, ex[i].name);
        int found = is_dir(p);
        free(p);
        if (found)
            return 1;
    }
    return 0;
}

/* Visible entries of DIR (not dot files, not __MACOSX), sorted; returns the count. */
static int list_dir(const char *dir, char ***names)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort), k = 0;
    *names = NULL;
    for (int i = 0; i < n; i++) {
        if (ents[i]->d_name[0] != '.' && strcmp(ents[i]->d_name, "__MACOSX") != 0) {
            *names = xrealloc(*names, (size_t)(k + 1) * sizeof **names);
            (*names)[k++] = xstrdup(ents[i]->d_name);
        }
        free(ents[i]);
    }
    if (n > 0)
        free(ents);
    return k;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

char *find_base(const char *root, const struct exercise *ex, int nex, int depth)
{
    if (has_exercise(root, ex, nex))
        return xstrdup(root);
    char **names;
    int n = list_dir(root, &names);
    char *found = NULL;
    if (n == 1 && depth > 0) {
        char *sub = xasprintf("%s/%s", root, names[0]);
        if (is_dir(sub))
            found = find_base(sub, ex, nex, depth - 1);
        free(sub);
    }
    free_names(names, n);
    return found;
}

static char *sanitize(const char *s)
{
    char *id = xstrdup(*s ? s : "unnamed");
    for (char *p = id; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-", *p))
            *p = '_';
    if (id[0] == '.')
        id[0] = '_';
    return id;
}

static char *make_id(const char *path, const struct discover_opts *o)
{
    const char *slash = strrchr(path, '/');
    char *stem = archive_stem(slash && slash[1] ? slash + 1 : path);
    regex_t re;
    regmatch_t m[2];
    if (o->id_regex && regcomp(&re, o->id_regex, REG_EXTENDED) == 0) {
        if (regexec(&re, stem, 2, m, 0) == 0 && m[1].rm_so >= 0) {
            stem[m[1].rm_eo] = '\0';
            memmove(stem, stem + m[1].rm_so, strlen(stem + m[1].rm_so) + 1);
        } else
            fprintf(stderr, "grader: warning: --id-regex does not match '%s'; id kept\n", stem);
        regfree(&re);
    }
    char *id = sanitize(stem);
    free(stem);
    return id;
}

static void add(struct submission **subs, int *n, const char *path, int archive,
                const struct discover_opts *o)
{
    *subs = xrealloc(*subs, (size_t)(*n + 1) * sizeof **subs);
    struct submission *s = &(*subs)[(*n)++];
    memset(s, 0, sizeof *s);
    s->path = xstrdup(path);
    s->archive = archive;
    s->id = o->id ? sanitize(o->id) : make_id(path, o);
}

/* A directory without exercise directories holding exactly one archive: that archive
 * (the shape of a Gradescope upload of submission.tar.gz). */
static char *lone_archive(const char *dir)
{
    char **names;
    int n = list_dir(dir, &names);
    char *found = n == 1 && is_archive_name(names[0]) ? xasprintf("%s/%s", dir, names[0]) : NULL;
    free_names(names, n);
    return found;
}

static void add_lms(const char *dir, const struct discover_opts *o,
                    struct submission **subs, int *n)
{
    char **names;
    int k = list_dir(dir, &names);
    for (int i = 0; i < k; i++) {
        char *p = xasprintf("%s/%s", dir, names[i]);
        if (is_dir(p) || (is_file(p) && is_archive_name(p)))
            add(subs, n, p, !is_dir(p), o);
        else
            fprintf(stderr, "grader: %s: not an archive or a directory; ignored\n", p);
        free(p);
    }
    free_names(names, k);
}

static int add_arg(const char *arg, const struct discover_opts *o, const struct exercise *ex,
                   int nex, struct submission **subs, int *n, char *err)
{
    if (is_file(arg) && is_archive_name(arg)) {
        add(subs, n, arg, 1, o);
        return 0;
    }
    if (!is_dir(arg)) {
        snprintf(err, ERRLEN, "%s: not a directory or an archive (.tar, .tar.gz, .tgz, .zip)",
                 arg);
        return -1;
    }
    char *base = o->lms ? NULL : find_base(arg, ex, nex, 3);
    char *lone = !base && o->single ? lone_archive(arg) : NULL;
    if (base || o->single)
        add(subs, n, lone ? lone : arg, lone != NULL, o);
    else
        add_lms(arg, o, subs, n);
    if (lone && o->id == NULL) {
        free((*subs)[*n - 1].id);
        (*subs)[*n - 1].id = make_id(arg, o);
    }
    free(base);
    free(lone);
    return 0;
}

/* Two submissions with one id: the later ones get ~2, ~3... and a warning. */
static void dedupe(struct submission *subs, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = 0, k = 2; j < i; j++)
            if (strcmp(subs[i].id, subs[j].id) == 0) {
                char *id = xasprintf("%s~%d", subs[i].id, k++);
                fprintf(stderr, "grader: warning: two submissions named %s: %s is graded as %s\n",
                        subs[i].id, subs[i].path, id);
                free(subs[i].id);
                subs[i].id = id;
                j = -1;
            }
}

int discover(char *const *args, int nargs, const struct discover_opts *o,
             const struct exercise *ex, int nex, struct submission **subs, int *n, char *err)
{
    *subs = NULL;
    *n = 0;
    for (int i = 0; i < nargs; i++)
        if (add_arg(args[i], o, ex, nex, subs, n, err) == -1)
            return -1;
    if (o->id && *n > 1) {
        snprintf(err, ERRLEN, "--id names one submission, not %d", *n);
        return -1;
    }
    dedupe(*subs, *n);
    return 0;
}
