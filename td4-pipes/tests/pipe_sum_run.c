/*
 * pipe_sum_run.c: running pipe_sum, parsing its three output lines, and the
 * assertions shared by its tests, with a diagnosis of deadlocks (which process
 * still holds which end of the pipe).
 */
#include "pipe_sum_run.h"
#include "tl_trace.h" /* the run's timeline in the deadlock message */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void note_bad(struct sum_run *u, const char *why, const char *line)
{
    if (u->nbad++ == 0)
        snprintf(u->bad, sizeof u->bad, "%s\"%.120s\"", why, line);
}

static void parse_line(struct sum_run *u, const char *line, int no)
{
    int p, c, v;
    long a, b;
    char tail;
    if (sscanf(line, "parent %d: sent %ld values, sum %ld%c", &p, &a, &b, &tail) == 3) {
        if (u->has_sent)
            note_bad(u, "printed twice: ", line);
        u->has_sent = true, u->sent_line = no, u->sent_parent = p;
        u->sent_count = a, u->sent_sum = b;
    } else if (sscanf(line, "child %d: received %ld values, sum %ld%c", &c, &a, &b, &tail) == 3) {
        if (u->has_child)
            note_bad(u, "printed twice: ", line);
        u->has_child = true, u->child_line = no, u->child_pid = c;
        u->recv_count = a, u->recv_sum = b;
    } else if (sscanf(line, "parent %d: child %d exited with status %d%c", &p, &c, &v, &tail) == 3 ||
               sscanf(line, "parent %d: child %d killed by signal %d%c", &p, &c, &v, &tail) == 3) {
        if (u->has_end)
            note_bad(u, "printed twice: ", line);
        u->has_end = true, u->end_line = no, u->end_parent = p, u->end_child = c;
        u->end_status = v, u->end_signal = strstr(line, "killed") != NULL;
    } else {
        note_bad(u, "", line);
    }
}

struct sum_run run_pipe_sum(long count, unsigned seed, const char *perturb)
{
    char n[32], s[32];
    struct sum_run u;
    memset(&u, 0, sizeof u);
    snprintf(n, sizeof n, "%ld", count);
    snprintf(s, sizeof s, "%u", seed);
    tl_opts o = { .argv = count >= 0 ? TL_ARGV("pipe_sum", "-n", n, "-s", s)
                                     : TL_ARGV("pipe_sum", "-s", s),
                  .deadline_ms = 8000, .perturb = perturb };
    u.w = tl_run_watched(&o, 500);
    parse_sum_output(&u);
    return u;
}

void parse_sum_output(struct sum_run *u)
{
    char *save = NULL, *copy = strdup(u->w.r.out);
    int no = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        parse_line(u, line, ++no);
    free(copy);
}

void sum_run_free(struct sum_run *u)
{
    tl_watched_free(&u->w);
}

/* Which end of the pipe nobody closed: the child reads pipe X; who holds its write end? */
static const char *stall_hint(const tl_watched *w)
{
    static char buf[512];
    const tl_ptree *t = w->tree;
    if (!t)
        return "";
    for (int i = 0; i < t->n; i++) {
        if (t->p[i].pid == w->r.pid)
            continue;
        for (int k = 0; k < t->p[i].nfd; k++) {
            const tl_pt_fd *f = &t->p[i].fd[k];
            int wfd, j = f->pipe && f->mode == 'r' ? tl_ptree_holder(t, f->pipe, 'w', 0, &wfd) : -1;
            if (j == i)
                snprintf(buf, sizeof buf, "The child (pid %d) waits in read() for end of file, "
                         "but it still holds the WRITE end of that pipe itself (its fd %d): "
                         "read() returns 0 only once every write end is closed. Close the "
                         "write end in the child before reading.", (int)t->p[i].pid, wfd);
            else if (j >= 0 && t->p[j].pid == w->r.pid)
                snprintf(buf, sizeof buf, "The child (pid %d) waits in read() for end of file, "
                         "but the parent (pid %d) still holds the WRITE end of the pipe (its fd "
                         "%d): close it once every value is sent, before waitpid().",
                         (int)t->p[i].pid, (int)w->r.pid, wfd);
            else
                continue;
            return buf;
        }
    }
    for (int k = 0; t->n > 0 && t->p[0].pid == w->r.pid && k < t->p[0].nfd; k++) {
        const tl_pt_fd *f = &t->p[0].fd[k];
        int rfd;
        if (f->pipe && f->mode == 'w' && tl_ptree_holder(t, f->pipe, 'r', 0, &rfd) == 0) {
            snprintf(buf, sizeof buf, "The parent (pid %d) still holds the READ end (its fd "
                     "%d) of the pipe it writes into: with its child gone, it is its own "
                     "reader, so write() blocks on the full pipe instead of failing with "
                     "EPIPE. Close the read end in the parent right after fork().",
                     (int)w->r.pid, rfd);
            return buf;
        }
    }
    return "Every process is blocked: a read() waiting for data that never comes, or a "
           "waitpid() for a child that never ends.";
}

void expect_no_stall(const struct sum_run *u)
{
    cr_assert(!u->w.stalled, "pipe_sum deadlocked: all its processes stayed blocked for half a "
              "second and were killed. %s\n  Pipe ends held: %s.\n  Reproduce: %s\n%s",
              stall_hint(&u->w), tl_ptree_describe(u->w.tree), u->w.r.cmd, tl_timeline(&u->w.r));
}

void expect_sum_ok(const struct sum_run *u, long count)
{
    const tl_result *r = &u->w.r;
    expect_no_stall(u);
    cr_assert(u->has_child, "no line \"child C: received N values, sum S\" (a line printed "
              "with printf() is lost if the child ends with _exit() before it is flushed: use "
              "say()); %s", tl_explain(r));
    cr_assert(count < 0 || u->recv_count == count, "the child received %ld values, but -n %ld "
              "were to be sent: the child must read until read() returns 0 (end of file), not "
              "a fixed number of values or a single read().\n  %s", u->recv_count, count,
              tl_explain(r));
    cr_assert(u->has_sent, "no line \"parent P: sent N values, sum S\"; %s", tl_explain(r));
    cr_assert(count < 0 || u->sent_count == count, "-n %ld but the parent says it sent %ld "
              "values.\n  Reproduce: %s", count, u->sent_count, r->cmd);
    cr_assert(u->recv_count == u->sent_count && u->recv_sum == u->sent_sum, "the parent sent "
              "%ld values with sum %ld, the child received %ld values with sum %ld: send every "
              "value as one int (write_all) and read ints until end of file.\n  Reproduce: %s",
              u->sent_count, u->sent_sum, u->recv_count, u->recv_sum, r->cmd);
    cr_assert(u->sent_sum >= 0 && u->sent_sum <= 9 * u->sent_count, "%ld values in 0..9 "
              "cannot sum to %ld.\n  Reproduce: %s", u->sent_count, u->sent_sum, r->cmd);
    cr_assert(tl_exited_ok(r), "%s", tl_explain(r));
    cr_assert(u->nbad == 0, "unexpected output line %s (see the line formats in README.md)."
              "\n  Reproduce: %s", u->bad, r->cmd);
    cr_assert(u->sent_parent == r->pid, "\"parent %d: sent ...\": pipe_sum's pid is %d.\n"
              "  Reproduce: %s", (int)u->sent_parent, (int)r->pid, r->cmd);
    cr_assert(u->child_pid != r->pid && u->child_pid > 0, "the sum must be computed and printed "
              "by the child (\"child %d: ...\" names the parent's pid).\n  Reproduce: %s",
              (int)u->child_pid, r->cmd);
    cr_assert(u->has_end && u->end_child == u->child_pid && !u->end_signal &&
              u->end_status == 0, "the last line must be \"parent %d: child %d exited with "
              "status 0\", printed after waitpid().\n  Output: \"%.300s\"\n  Reproduce: %s",
              (int)r->pid, (int)u->child_pid, r->out, r->cmd);
}
