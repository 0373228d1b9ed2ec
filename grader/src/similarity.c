/*
 * similarity.c: code similarity across a class with sim_c (see similarity.h).
 *
 * Per exercise, in a private directory (/var/tmp/grader-sim-XXXXXX, removed at the end):
 *  1. in/<name>/<file>: each submission's files; skel/<file>: the skeleton's.
 *  2. One sim_c run (-n -S: every student file against the skeleton files only) lists the
 *     runs of skeleton code in each student file; those lines are blanked (kept empty,
 *     so line numbers still hold) into cmp/<name>.c, the submission's files one after
 *     the other under a comment naming each (sim_c ignores comments).
 *  3. One sim_c run (-p -e -a -s: every file against every other, in isolation, both
 *     ways) gives the percentages; prior-term files come after sim_c's "/" separator,
 *     as its "old" files: compared with the class, never with each other.
 *     One more run (-n -e -s) gives the tokens each pair shares.
 *  4. For the SIM_LISTINGS most similar pairs, one sim_c run on the pair alone gives the
 *     matched runs side by side, as the tool prints them.
 *
 * Run lengths, measured on the planted class of tests/run.sh (grader/README.md, Outputs):
 * skeleton runs of 12 tokens or more are removed (a prototype or a provided one-liner
 * goes too); pairs share runs of 40 tokens or more (sim_c's default, 24, let a solution
 * written independently from the td4 handout score 57% with the reference: the contract
 * dictates the same short sequences; at 40 it scores 22%, every planted copy 65% or
 * more). The default threshold, 50%, sits between the two.
 */
#include "similarity.h"
#include "archive.h"
#include "discover.h"
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

#define MAX_CODE_FILE (1 << 20)   /* as the grader's work copy: larger files are not used */
#define SKELETON_RUN "12"         /* tokens: shorter skeleton runs (a prototype) go too */
#define PAIR_RUN "40"             /* tokens: sim_c's own default minimum run */
#define SIM_WIDTH "180"           /* columns of the side-by-side listing */

struct entry {
    char *name;      /* id, or prior:ID */
    char *dir;       /* the directory holding its files of this exercise */
    int prior;
};

/* Run sim_c with ARGV in DIR, its output to OUT (0600); 0, or -1 with ERR. */
static int run_sim(const char *dir, char *const argv[], const char *out, char *err)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == -1) {
        snprintf(err, ERRLEN, "cannot fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd == -1 || chdir(dir) == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
            _exit(126);
        execvp("sim_c", argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        snprintf(err, ERRLEN, "sim_c is not installed (apt-get install similarity-tester)");
    else {
        char *text = read_text(out, 4096, NULL);
        snprintf(err, ERRLEN, "sim_c failed in %s: %.200s", dir, text ? trim(text) : "");
        free(text);
    }
    return -1;
}

/* Copy SRC to DST if it is a regular file of 1 MB at most (never through a symlink). */
static int copy_code(const char *src, const char *dst, char *err)
{
    struct stat st;
    if (lstat(src, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > MAX_CODE_FILE)
        return 0;
    char *dir = xstrdup(dst);
    *strrchr(dir, '/') = '\0';
    int rc = mkdir_p(dir, err) == -1 ? -1 : copy_file(src, dst, err);
    free(dir);
    return rc;
}

int similarity_keep(const char *outdir, const char *id, const char *base,
                    const struct exercise *ex, int nex, char *err)
{
    char *code = xasprintf("%s/%s/code", outdir, id);
    int rc = 0;
    rm_rf(code);
    for (int i = 0; i < nex && rc == 0 && base; i++)
        for (int k = 0; k < ex[i].nfiles && rc == 0; k++) {
            char *src = xasprintf("%s/%s/%s", base, ex[i].name, ex[i].files[k]);
            char *dst = xasprintf("%s/%s/%s", code, ex[i].name, ex[i].files[k]);
            rc = copy_code(src, dst, err);
            free(src), free(dst);
        }
    free(code);
    return rc;
}

/* The submissions of this class that kept code for EXN, then the prior ones. */
static int class_entries(const char *outdir, const char *exn, struct entry *prior, int nprior,
                         struct entry **out)
{
    struct dirent **ents;
    int n = scandir(outdir, &ents, NULL, alphasort), k = 0;
    *out = xmalloc((size_t)((n > 0 ? n : 0) + nprior + 1) * sizeof **out);
    for (int i = 0; i < n; i++) {
        char *dir = xasprintf("%s/%s/code/%s", outdir, ents[i]->d_name, exn);
        if (ents[i]->d_name[0] != '.' && is_dir(dir))
            (*out)[k++] = (struct entry){ xstrdup(ents[i]->d_name), dir, 0 };
        else
            free(dir);
        free(ents[i]);
    }
    if (n > 0)
        free(ents);
    for (int i = 0; i < nprior; i++) {
        char *dir = xasprintf("%s/%s", prior[i].dir, exn);
        if (is_dir(dir))
            (*out)[k++] = (struct entry){ xstrdup(prior[i].name), dir, 1 };
        else
            free(dir);
    }
    return k;
}

/* The prior-term submissions under DIR, unpacked into TMP/prior when archives. */
static int prior_entries(const char *dir, const char *tmp, const struct exercise *ex, int nex,
                         struct entry **out, char *err)
{
    struct submission *subs;
    int n;
    struct discover_opts o = { .lms = 1 };
    char *const args[] = { (char *)dir };
    *out = NULL;
    if (discover(args, 1, &o, ex, nex, &subs, &n, err) == -1)
        return -1;
    *out = xmalloc((size_t)(n + 1) * sizeof **out);
    int k = 0;
    for (int i = 0; i < n; i++) {
        char *root = xstrdup(subs[i].path), *notes = NULL, e[ERRLEN];
        if (subs[i].archive) {
            free(root);
            root = xasprintf("%s/prior/%s", tmp, subs[i].id);
            if (extract_archive(subs[i].path, root, &notes, e) == -1)
                fprintf(stderr, "grader: warning: --similar-to: %s: %s\n", subs[i].path, e);
        }
        char *base = find_base(root, ex, nex, 3);
        if (base)
            (*out)[k++] = (struct entry){ xasprintf("prior:%s", subs[i].id), base, 1 };
        free(root), free(notes);
    }
    return k;
}

static void free_entries(struct entry *e, int n)
{
    for (int i = 0; i < n; i++)
        free(e[i].name), free(e[i].dir);
    free(e);
}

/* Step 1: in/<name>/<file> and skel/<file> under EXDIR. */
static int stage_files(const char *exdir, const char *tree, const struct exercise *ex,
                       const struct entry *e, int n, char *err)
{
    int rc = 0;
    for (int k = 0; k < ex->nfiles && rc == 0; k++) {
        char *src = xasprintf("%s/%s/%s", tree, ex->name, ex->files[k]);
        char *dst = xasprintf("%s/skel/%s", exdir, ex->files[k]);
        rc = copy_code(src, dst, err);
        free(src), free(dst);
        for (int i = 0; i < n && rc == 0; i++) {
            src = xasprintf("%s/%s", e[i].dir, ex->files[k]);
            dst = xasprintf("%s/in/%s/%s", exdir, e[i].name, ex->files[k]);
            rc = copy_code(src, dst, err);
            free(src), free(dst);
        }
    }
    return rc;
}

/* Lines of sim_c's run listings: "NAME: line A-B   |NAME: line C-D   [N]". The left
 * file's name and lines; the token count when LINE is such a header, else -1. */
static int run_header(char *line, char **left, int *a, int *b)
{
    char *bar = strchr(line, '|'), *open = strrchr(line, '['), *at = strstr(line, ": line ");
    if (!bar || !open || !at || at > bar || sscanf(at + 7, "%d-%d", a, b) != 2)
        return -1;
    *at = '\0';
    *left = line;
    return atoi(open + 1);
}

/* Blank the lines of FILE (0: none) in LINES[] that sim_c matched with the skeleton. */
static void mark_skeleton(char *listing, const char *path, char *blank, int nlines)
{
    char *save = NULL, *left;
    int a, b;
    for (char *l = strtok_r(listing, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *copy = xstrdup(l);
        if (run_header(copy, &left, &a, &b) >= 0 && strcmp(left, path) == 0)
            for (int i = a; i <= b && i <= nlines; i++)
                if (i >= 1)
                    blank[i - 1] = 1;
        free(copy);
    }
}

/* Append FILE's text to OUT without the lines the skeleton listing marks. */
static void strip_file(struct buf *out, const char *exdir, const char *rel, const char *listing,
                       const char *fname)
{
    char *path = xasprintf("%s/%s", exdir, rel);
    char *text = read_text(path, MAX_CODE_FILE + 1, NULL);
    free(path);
    if (!text)
        return;
    int nlines = 1;
    for (char *p = text; *p; p++)
        nlines += *p == '\n';
    char *blank = calloc((size_t)nlines + 1, 1), *copy = xstrdup(listing);
    mark_skeleton(copy, rel, blank, nlines);
    free(copy);
    buf_printf(out, "/* ==== %s ==== */\n", fname);
    int i = 0;
    for (char *l = text, *nl; l && *l; l = nl ? nl + 1 : NULL, i++) {
        nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        if (!blank[i])
            buf_add(out, l, len);
        buf_puts(out, "\n");
    }
    free(blank), free(text);
}

/* Step 2: cmp/<name>.c, each submission's files without the skeleton's code. */
static int strip_skeleton(const char *exdir, const struct exercise *ex, const struct entry *e,
                          int n, char *err)
{
    char **argv = xmalloc((size_t)(n * ex->nfiles + ex->nfiles + 8) * sizeof *argv);
    int c = 0;
    argv[c++] = "sim_c", argv[c++] = "-n", argv[c++] = "-S", argv[c++] = "-r";
    argv[c++] = SKELETON_RUN;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ex->nfiles; k++) {
            char *p = xasprintf("in/%s/%s", e[i].name, ex->files[k]), *abs = xasprintf("%s/%s", exdir, p);
            if (is_file(abs))
                argv[c++] = p;
            else
                free(p);
            free(abs);
        }
    int first = 5, last = c;
    argv[c++] = "/";
    for (int k = 0; k < ex->nfiles; k++) {
        char *abs = xasprintf("%s/skel/%s", exdir, ex->files[k]);
        if (is_file(abs))
            argv[c++] = xasprintf("skel/%s", ex->files[k]);
        free(abs);
    }
    int lastskel = c;
    argv[c] = NULL;
    char *out = xasprintf("%s/skeleton.txt", exdir);
    int rc = last == first ? 0 : run_sim(exdir, argv, out, err);
    char *listing = rc == 0 && last > first ? read_text(out, 64 << 20, NULL) : NULL;
    for (int i = 0; i < n && rc == 0; i++) {
        struct buf b = { 0 };
        buf_add(&b, "", 0);
        for (int k = 0; k < ex->nfiles; k++) {
            char *rel = xasprintf("in/%s/%s", e[i].name, ex->files[k]);
            strip_file(&b, exdir, rel, listing ? listing : "", ex->files[k]);
            free(rel);
        }
        char *path = xasprintf("%s/cmp/%s.c", exdir, e[i].name);
        rc = write_text(path, b.s, b.len, err);
        free(path), buf_free(&b);
    }
    for (int i = first; i < lastskel; i++)
        if (i != last)
            free(argv[i]);
    free(argv), free(out), free(listing);
    return rc;
}

static int find_entry(const struct entry *e, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0)
            return i;
    return -1;
}

/* The entry of sim_c's file name NAME.c, or -1. */
static int find_file(const struct entry *e, int n, char *file)
{
    size_t len = strlen(file);
    if (len < 3 || strcmp(file + len - 2, ".c") != 0)
        return -1;
    file[len - 2] = '\0';
    int i = find_entry(e, n, file);
    file[len - 2] = '.';
    return i;
}

/* "A.c consists for X % of B.c material" lines into PCT[a * n + b]. */
static void read_percentages(char *text, const struct entry *e, int n, int *pct)
{
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *mid = strstr(l, " consists for "), *of = strstr(l, " % of "), *end;
        if (!mid || !of || !(end = strstr(of, " material")))
            continue;
        *mid = '\0', *end = '\0';
        int a = find_file(e, n, l), b = find_file(e, n, of + 6);
        if (a >= 0 && b >= 0)
            pct[a * n + b] = atoi(mid + 14);
    }
}

/* Run sim_c with the options OPTS on every cmp/<name>.c of the exercise (prior entries
 * last, after sim_c's "/" separator: its old files); its output (a new string) or NULL. */
static char *class_sim(const char *exdir, const struct entry *e, int n, char *const opts[],
                       char *err)
{
    char **argv = xmalloc((size_t)(n + 16) * sizeof *argv);
    int c = 0;
    while (opts[c])
        argv[c] = opts[c], c++;
    int first = c;
    for (int i = 0; i < n; i++) {
        if (e[i].prior && (i == 0 || !e[i - 1].prior))
            argv[c++] = "/";
        argv[c++] = xasprintf("%s.c", e[i].name);
    }
    argv[c] = NULL;
    char *dir = xasprintf("%s/cmp", exdir), *out = xasprintf("%s/sim.txt", exdir), *text = NULL;
    if (run_sim(dir, argv, out, err) == 0 && !(text = read_text(out, 256 << 20, NULL)))
        snprintf(err, ERRLEN, "cannot read sim_c's output in %s", exdir);
    for (int i = first; i < c; i++)
        if (strcmp(argv[i], "/") != 0)
            free(argv[i]);
    free(argv), free(dir), free(out);
    return text;
}

/* Step 3a: the percentage of each file found in each other one, both ways, into
 * PCT[a * n + b] (sim_c -p: "A.c consists for X % of B.c material"). */
static int percentages(const char *exdir, const struct entry *e, int n, int *pct, char *err)
{
    char *const opts[] = { "sim_c", "-p", "-e", "-a", "-s", "-t", "1", "-r", PAIR_RUN, NULL };
    char *text = class_sim(exdir, e, n, opts, err);
    if (text)
        read_percentages(text, e, n, pct);
    free(text);
    return text ? 0 : -1;
}

/* Step 3b: the tokens of the runs each pair shares, into TOK[a * n + b] and [b * n + a],
 * and each file's own tokens into SIZE[] (sim_c -n: the runs' places and sizes only). */
static int shared_tokens(const char *exdir, const struct entry *e, int n, int *tok, int *size,
                         char *err)
{
    char *const opts[] = { "sim_c", "-n", "-e", "-s", "-r", PAIR_RUN, NULL };
    char *text = class_sim(exdir, e, n, opts, err), *save = NULL;
    for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
        char *left, *bar = strchr(l, '|'), *at = bar ? strstr(bar, ": line ") : NULL;
        char *end = strstr(l, ".c: ");   /* "File NAME.c: N tokens, L lines" (NAME: prior:ID) */
        int x, y, t, count;
        if (strncmp(l, "File ", 5) == 0 && end && sscanf(end + 4, "%d tokens", &count) == 1) {
            end[2] = '\0';
            int a = find_file(e, n, l + 5);
            if (a >= 0)
                size[a] = count;
        } else if (at && (t = run_header(l, &left, &x, &y)) >= 0) {
            *at = '\0';   /* the right file's name: "|NAME: line C-D [N]" */
            int a = find_file(e, n, left), b = find_file(e, n, bar + 1);
            if (a >= 0 && b >= 0 && a != b)
                tok[a * n + b] += t, tok[b * n + a] += t;
        }
    }
    free(text);
    return text ? 0 : -1;
}

/* Step 4: the matched runs of one pair, side by side, as sim_c lists them. */
static int pair_runs(const char *exdir, struct sim_pair *p, char *err)
{
    char *fa = xasprintf("%s.c", p->a), *fb = xasprintf("%s.c", p->b);
    char *dir = xasprintf("%s/cmp", exdir), *out = xasprintf("%s/pair.txt", exdir);
    char *argv[] = { "sim_c", "-s", "-T", "-w", SIM_WIDTH, "-r", PAIR_RUN, fa, fb, NULL };
    int rc = run_sim(dir, argv, out, err);
    char *text = rc == 0 ? read_text(out, 8 << 20, NULL) : NULL, *save = NULL;
    struct buf runs = { 0 };
    buf_add(&runs, "", 0);
    for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
        char *copy = xstrdup(l), *left;
        int x, y, header = run_header(copy, &left, &x, &y) >= 0;
        free(copy);
        if (header && runs.len)
            buf_puts(&runs, "\n");
        if (header || runs.len)
            buf_printf(&runs, "%s\n", l);
    }
    p->runs = runs.s;
    free(text), free(fa), free(fb), free(dir), free(out);
    return rc;
}

static void add_pair(struct sim_result *r, const char *exn, const struct entry *a,
                     const struct entry *b, int pa, int pb, int tokens)
{
    r->pairs = xrealloc(r->pairs, (size_t)(r->npairs + 1) * sizeof *r->pairs);
    r->pairs[r->npairs++] = (struct sim_pair){ xstrdup(exn), xstrdup(a->name),
                                               xstrdup(b->name), pa, pb, tokens, NULL };
}

/* One exercise: steps 1 to 3 in TMP/<exercise>; the pairs at or above the threshold
 * go into R. A prior entry was compared one way only (sim_c's old files): its share
 * is its matched tokens over its own. */
static int compare_exercise(const char *tmp, const char *tree, const struct exercise *ex,
                            const struct entry *e, int n, struct sim_result *r, char *err)
{
    char *exdir = xasprintf("%s/%s", tmp, ex->name), *cmp = xasprintf("%s/cmp", exdir);
    int *pct = calloc((size_t)n * (size_t)n, sizeof *pct), *tok = calloc((size_t)n * (size_t)n, sizeof *tok);
    int *size = calloc((size_t)n, sizeof *size);
    int rc = mkdir_p(cmp, err);
    if (rc == 0)
        rc = stage_files(exdir, tree, ex, e, n, err);
    if (rc == 0)
        rc = strip_skeleton(exdir, ex, e, n, err);
    if (rc == 0)
        rc = percentages(exdir, e, n, pct, err);
    if (rc == 0)
        rc = shared_tokens(exdir, e, n, tok, size, err);
    for (int i = 0; i < n && rc == 0 && !e[i].prior; i++)
        for (int j = i + 1; j < n; j++) {
            int pa = pct[i * n + j], pb = pct[j * n + i];
            if (e[j].prior)
                pb = size[j] ? (int)(100.0 * tok[i * n + j] / size[j] + 0.5) : 0;
            r->compared++;
            if (pa >= r->threshold || pb >= r->threshold)
                add_pair(r, ex->name, &e[i], &e[j], pa, pb > 100 ? 100 : pb, tok[i * n + j]);
        }
    free(pct), free(tok), free(size), free(exdir), free(cmp);
    return rc;
}

static int highest_first(const void *x, const void *y)
{
    const struct sim_pair *a = x, *b = y;
    int ma = a->pa > a->pb ? a->pa : a->pb, mb = b->pa > b->pb ? b->pa : b->pb;
    if (ma != mb)
        return mb - ma;
    if (a->tokens != b->tokens)
        return b->tokens - a->tokens;
    int c = strcmp(a->ex, b->ex);
    return c ? c : strcmp(a->a, b->a) ? strcmp(a->a, b->a) : strcmp(a->b, b->b);
}

static int write_csv(const char *outdir, const struct sim_result *r, char *err)
{
    struct buf b = { 0 };
    buf_puts(&b, "exercise,a,b,similarity_a,similarity_b,tokens\r\n");
    for (int i = 0; i < r->npairs; i++) {
        const struct sim_pair *p = &r->pairs[i];
        csv_field(&b, p->ex), buf_puts(&b, ",");
        csv_field(&b, p->a), buf_puts(&b, ",");
        csv_field(&b, p->b);
        buf_printf(&b, ",%d,%d,%d\r\n", p->pa, p->pb, p->tokens);
    }
    char *path = xasprintf("%s/similarity.csv", outdir);
    int rc = write_text(path, b.s, b.len, err);
    free(path), buf_free(&b);
    return rc;
}

static double now_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int similarity_run(const char *outdir, const char *tree, const struct exercise *ex, int nex,
                   const char *prior, int threshold, struct sim_result *out, char *err)
{
    double start = now_secs();
    *out = (struct sim_result){ .threshold = threshold };
    char *csv = xasprintf("%s/similarity.csv", outdir);
    unlink(csv);   /* no stale file when this run fails */
    free(csv);
    char tmp[] = "/var/tmp/grader-sim-XXXXXX";
    if (!mkdtemp(tmp)) {
        snprintf(err, ERRLEN, "cannot create a directory in /var/tmp: %s", strerror(errno));
        return -1;
    }
    struct entry *old = NULL;
    int nold = prior ? prior_entries(prior, tmp, ex, nex, &old, err) : 0, rc = nold < 0 ? -1 : 0;
    for (int i = 0; i < nex && rc == 0; i++) {
        struct entry *e;
        int n = class_entries(outdir, ex[i].name, old, nold, &e);
        if (n >= 2)
            rc = compare_exercise(tmp, tree, &ex[i], e, n, out, err);
        free_entries(e, n);
    }
    free_entries(old, nold > 0 ? nold : 0);
    qsort(out->pairs, (size_t)out->npairs, sizeof *out->pairs, highest_first);
    for (int k = 0; k < out->npairs && k < SIM_LISTINGS && rc == 0; k++) {
        char *exdir = xasprintf("%s/%s", tmp, out->pairs[k].ex);
        rc = pair_runs(exdir, &out->pairs[k], err);
        free(exdir);
    }
    rm_rf(tmp);
    if (rc == 0)
        rc = write_csv(outdir, out, err);
    out->secs = now_secs() - start;
    return rc;
}

void similarity_free(struct sim_result *r)
{
    for (int i = 0; i < r->npairs; i++)
        free(r->pairs[i].ex), free(r->pairs[i].a), free(r->pairs[i].b), free(r->pairs[i].runs);
    free(r->pairs);
    r->pairs = NULL;
    r->npairs = 0;
}
