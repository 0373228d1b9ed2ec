/*
 * hidden_td4.c: instructor-only tests of td4 (not shipped to students): the parent of
 * pipe_sum survives the loss of its reader, pipeline reports a last command killed
 * by a signal as a shell does, and a long pipeline works.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pipe_sum_run.h"
#include "pipeline_run.h"
#include "tl.h"
#include "tl_trace.h" /* the run's timeline in the messages */

/* The pid of pipe_sum's child once the parent has closed its read end (so that the
 * child is the only reader). Otherwise, after timeout_ms or once the program has
 * ended, the child seen (0 if none) with *parent_reads true if the parent was seen
 * holding a read end beside its child and never without it. */
/* Scan the program's tree: its child's pid (0 if none yet), and whether the parent
 * (the program) holds the read end of a pipe. */
static pid_t scan_tree(tl_proc *p, bool *parent_reads, bool *parent_seen)
{
    static tl_ptree t;
    pid_t child = 0;
    *parent_reads = *parent_seen = false;
    tl_ptree_scan(tl_pid(p), &t, true);
    for (int i = 0; i < t.n; i++) {
        if (t.p[i].pid != tl_pid(p)) {
            child = t.p[i].pid;
            continue;
        }
        *parent_seen = true;
        for (int k = 0; k < t.p[i].nfd; k++)
            *parent_reads = *parent_reads || (t.p[i].fd[k].pipe && t.p[i].fd[k].mode == 'r');
    }
    return child;
}

/* Wait (up to timeout_ms) for the child, and return it as soon as the parent is seen
 * without the pipe's read end, or has been seen holding it for hold_ms: a buggy parent
 * must still be sending (400 MB) when its child is killed, or there is nothing to see,
 * and on a fast machine it sends them in well under 500 ms. Killing the child while a
 * correct parent has not closed its read end yet is harmless: it closes it next, and
 * its write() then fails with EPIPE all the same. */
static pid_t find_child(tl_proc *p, int timeout_ms, int hold_ms, bool *parent_reads)
{
    struct timespec nap = { 0, 2000000 };
    int held = 0;
    for (int waited = 0; waited < timeout_ms && tl_alive(p); waited += 2) {
        bool reads, seen;
        pid_t child = scan_tree(p, &reads, &seen);
        *parent_reads = child > 0 && seen && reads;
        if (child > 0 && seen && (!reads || (held += 2) >= hold_ms))
            return child;
        nanosleep(&nap, NULL);
    }
    return 0;
}

/* After the kill: watch (up to timeout_ms) whether the parent drops the read end. A
 * parent that ends on its own was not blocked as its own reader. */
static void watch_parent(tl_proc *p, int timeout_ms, bool *parent_reads)
{
    struct timespec nap = { 0, 2000000 };
    for (int waited = 0; *parent_reads && waited < timeout_ms; waited += 2) {
        bool reads, seen;
        scan_tree(p, &reads, &seen);
        if (!tl_alive(p) || !seen || !reads)
            *parent_reads = false;
        nanosleep(&nap, NULL);
    }
}

/* The child is killed while the parent still has hundreds of megabytes to send: the
 * parent's write() fails with EPIPE (main ignores SIGPIPE), and the parent must
 * report it, still wait for its child, say how it ended and exit 1. */
Test(pipe_sum, reader_killed, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    char seed[32];
    snprintf(seed, sizeof seed, "%u", tl_random_seed());
    tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("pipe_sum", "-n", "100000000", "-s", seed),
                                      .deadline_ms = 8000 });
    bool parent_reads = false;
    pid_t child = find_child(p, tl_deadline(3000), 100, &parent_reads);
    if (child > 0) {
        kill(child, SIGKILL);
        tl_note_action(p, "pkill -KILL -P $!"); /* the Reproduce line kills it too */
        watch_parent(p, tl_deadline(500), &parent_reads);
    }
    struct sum_run u;
    memset(&u, 0, sizeof u);
    u.w = tl_wait_watched(p, 8000, 500);
    parse_sum_output(&u);
    const tl_result *r = &u.w.r;
    cr_assert(child > 0, "pipe_sum -n 100000000 never had a child process; %s", tl_explain(r));
    cr_assert(!parent_reads, "the parent kept the READ end of the pipe while sending: close it "
              "right after fork(), or the parent is a reader of its own pipe and never gets "
              "EPIPE when its child is gone.\n  Reproduce: %s", r->cmd);
    expect_no_stall(&u);
    cr_assert(r->exited && r->status == 1 && !r->timed_out, "when the child is killed before "
              "reading everything, write() fails (EPIPE): the parent must stop sending, wait "
              "for the child and exit 1; %s", tl_explain(r));
    cr_assert(u.has_end && u.end_signal && u.end_status == SIGKILL && u.end_child == child &&
              !u.has_sent, "expected the line \"parent %d: child %d killed by signal %d\" and "
              "no \"sent\" line, got \"%.300s\".\n  Reproduce: %s (then kill -9 the child)",
              (int)r->pid, (int)child, SIGKILL, r->out, r->cmd);
    cr_assert(!strncmp(r->err, "pipe_sum: ", 10), "the failed write() must be reported on "
              "stderr (\"pipe_sum: write: ...\"), got \"%.200s\".\n  Reproduce: %s", r->err,
              r->cmd);
    cr_assert(tl_clean(r), "%s", tl_explain(r));
    sum_run_free(&u);
}

Test(pipeline, signal_status, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    struct {
        const char *const *argv;
        int status;
    } cases[] = {
        { TL_ARGV("pipeline", "true", "|", "sh", "-c", "kill -TERM $$"), 128 + SIGTERM },
        { TL_ARGV("pipeline", "sh", "-c", "kill -KILL $$"), 128 + SIGKILL },
        { TL_ARGV("pipeline", "sh", "-c", "kill -KILL $$", "|", "true"), 0 },
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tl_watched w = run_pipeline(cases[k].argv, NULL, 0);
        expect_ended(&w);
        cr_assert(w.r.status == cases[k].status, "when the last command is killed by signal S, "
                  "pipeline exits with 128 + S (%d here); it %s.\n  Reproduce: %s\n%s",
                  cases[k].status, tl_ending(&w.r), w.r.cmd, tl_timeline(&w.r));
        tl_watched_free(&w);
    }
}

Test(pipeline, forty_commands, .init = tl_setup, .fini = tl_teardown, .timeout = 30)
{
    pl_args a;
    char num[32];
    long n = 20000 + tl_random_seed() % 20000;
    snprintf(num, sizeof num, "%ld", n);
    pl_init(&a);
    pl_add(&a, "seq");
    pl_add(&a, num);
    for (int k = 0; k < 38; k++) {
        pl_add(&a, "|");
        pl_add(&a, "cat");
    }
    pl_add(&a, "|");
    pl_add(&a, "wc");
    pl_add(&a, "-l");
    tl_watched w = run_pipeline(a.argv, NULL, 0);
    expect_ok(&w);
    cr_assert(!strcmp(pl_trim(w.r.out), num), "`seq %ld | cat (38 times) | wc -l` must print "
              "%ld, got \"%.100s\".\n  Reproduce: %s\n%s", n, n, w.r.out, w.r.cmd, tl_timeline(&w.r));
    tl_watched_free(&w);
}
