/*
 * pipeline_run.c: building pipeline's argument lists, running it under the stall
 * watcher, and the assertions shared by its tests, with a diagnosis of deadlocks
 * (which process still holds a pipe end it does not use); the descriptor probe.
 */
#include "pipeline_run.h"
#include "tl_trace.h" /* the run's timeline in the deadlock message */

#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void pl_init(pl_args *a)
{
    a->n = 0;
    pl_add(a, "pipeline");
}

void pl_add(pl_args *a, const char *arg)
{
    if (a->n >= PL_MAX_ARGS)
        cr_assert_fail("test bug: too many pipeline arguments");
    snprintf(a->text[a->n], sizeof a->text[a->n], "%s", arg);
    a->argv[a->n] = a->text[a->n];
    a->argv[++a->n] = NULL;
}

void pl_add_probe(pl_args *a, const char *report)
{
    pl_add(a, tl_self_exe());
    pl_add(a, PL_PROBE_FLAG);
    pl_add(a, report); /* relative to pipeline's directory, tl_dir() */
}

tl_watched run_pipeline(const char *const *argv, const char *input, size_t len)
{
    bool probe = false;
    for (int i = 0; argv[i]; i++)
        probe = probe || !strcmp(argv[i], PL_PROBE_FLAG);
    /* the probe needs its variable, also when rerun by hand */
    tl_opts o = { .argv = argv, .stdin_data = input, .stdin_len = len, .deadline_ms = 8000,
                  .env = probe ? TL_ENV(PL_PROBE_ENV) : NULL };
    tl_watched w = tl_run_watched(&o, 500);
    if (probe) { /* rerun by hand, each probe lists its descriptors on stderr */
        for (int i = 1; argv[i]; i++)
            if (!strcmp(argv[i - 1], PL_PROBE_FLAG))
                tl_show_arg(&w.r, argv[i], "-");
        if (!w.r.look[0])
            tl_set_look(&w.r, "each probe command prints its descriptors on stderr, \"fd mode "
                        "target\" (add `>/dev/null` to see only those)");
    }
    return w;
}

/* The pipe ends held by process i that it does not need, as text; "" if none. */
static const char *extra_ends(const tl_ptree *t, int i, bool leader)
{
    static char buf[300];
    size_t n = 0;
    buf[0] = '\0';
    for (int k = 0; k < t->p[i].nfd && n < sizeof buf; k++) {
        const tl_pt_fd *f = &t->p[i].fd[k];
        if (f->pipe && (leader || f->fd > 2))
            n += snprintf(buf + n, sizeof buf - n, "%sfd %d (%s end)", n ? ", " : "", f->fd,
                          f->mode == 'r' ? "read" : "write");
    }
    return buf;
}

static const char *stall_hint(const tl_watched *w)
{
    static char buf[600];
    const tl_ptree *t = w->tree;
    if (!t)
        return "";
    if (t->n > 0 && t->p[0].pid == w->r.pid && *extra_ends(t, 0, true)) {
        snprintf(buf, sizeof buf, "pipeline itself (pid %d) still holds %s: once the commands "
                 "are forked, the parent must close both ends of every pipe.",
                 (int)w->r.pid, extra_ends(t, 0, true));
        return buf;
    }
    for (int i = 1; i < t->n; i++)
        if (*extra_ends(t, i, false)) {
            snprintf(buf, sizeof buf, "the command %s (pid %d) holds, besides its stdin and "
                     "stdout, %s: in the child, after dup2(), close the original descriptors "
                     "and every other pipe end, or they stay open through exec.",
                     t->p[i].comm, (int)t->p[i].pid, extra_ends(t, i, false));
            return buf;
        }
    return "every process is blocked.";
}

void expect_ended(const tl_watched *w)
{
    cr_assert(!w->stalled, "the pipeline deadlocked: all its processes stayed blocked for half "
              "a second and were killed. A reader sees end of file only when EVERY write end of "
              "its pipe is closed, and a writer gets SIGPIPE only when every read end is "
              "closed; here %s\n  Pipe ends held: %s.\n  Reproduce: %s\n%s", stall_hint(w),
              tl_ptree_describe(w->tree), w->r.cmd, tl_timeline(&w->r));
    cr_assert(w->r.exited && !w->r.timed_out, "%s", tl_explain(&w->r));
    cr_assert(tl_clean(&w->r), "pipeline must wait for every command it started: %s",
              tl_explain(&w->r));
}

void expect_ok(const tl_watched *w)
{
    expect_ended(w);
    cr_assert(tl_exited_ok(&w->r), "%s", tl_explain(&w->r));
}

const char *pl_trim(const char *out)
{
    static char buf[256];
    while (*out == ' ' || *out == '\t')
        out++;
    snprintf(buf, sizeof buf, "%s", out);
    size_t n = strlen(buf);
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    return buf;
}

/* ---------- the descriptor probe ---------- */

bool pl_read_probe(const char *path, tl_pt_proc *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[256];
    while (fgets(line, sizeof line, f) && out->nfd < TL_PT_MAX_FD) {
        tl_pt_fd *d = &out->fd[out->nfd];
        char mode;
        if (sscanf(line, "%d %c %159s", &d->fd, &mode, d->target) != 3)
            continue;
        d->mode = mode;
        if (sscanf(d->target, "pipe:[%lu]", &d->pipe) != 1)
            d->pipe = 0;
        out->nfd++;
    }
    fclose(f);
    return true;
}

const tl_pt_fd *pl_find_fd(const tl_pt_proc *p, int fd)
{
    for (int i = 0; i < p->nfd; i++)
        if (p->fd[i].fd == fd)
            return &p->fd[i];
    return NULL;
}

/* The probe: list our descriptors into report, then behave as cat. */
static int probe(const char *report)
{
    static tl_pt_proc self;
    char text[TL_PT_MAX_FD * 200];
    size_t n = 0;
    tl_proc_fds(getpid(), &self);
    for (int i = 0; i < self.nfd && n < sizeof text; i++)
        n += snprintf(text + n, sizeof text - n, "%d %c %s\n", self.fd[i].fd, self.fd[i].mode,
                      self.fd[i].target);
    /* "-": on stderr (how the Reproduce lines show them) */
    bool err = !strcmp(report, "-");
    int fd = err ? STDERR_FILENO : open(report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || tl_write_all(fd, text, n < sizeof text ? n : sizeof text) == -1)
        return 1;
    if (!err)
        close(fd);
    char buf[65536];
    for (;;) {
        ssize_t k = read(STDIN_FILENO, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k < 0;
        if (tl_write_all(STDOUT_FILENO, buf, (size_t)k) == -1)
            return 1;
    }
}

/* Runs before Criterion's main: the probe never reaches Criterion. */
__attribute__((constructor)) static void probe_entry(int argc, char **argv)
{
    const char *env = getenv("TD4_FD_PROBE");
    if (argc == 3 && !strcmp(argv[1], PL_PROBE_FLAG) && env && !strcmp(env, "1"))
        _exit(probe(argv[2]));
}
