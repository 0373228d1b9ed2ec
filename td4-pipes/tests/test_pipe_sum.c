/*
 * test_pipe_sum.c: behavioural tests of pipe_sum (td4). Each test runs the program
 * through the test support library, under the stall watcher of support.c (a
 * deadlocked run fails in half a second and says which pipe end was left open), and
 * checks the contract of README.md: the child's sum equals what the parent sent,
 * the child ends by itself at end of file, the parent waits for it.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipe_sum_run.h"
#include "tl.h"

TestSuite(pipe_sum, .init = tl_setup, .fini = tl_teardown, .timeout = 30);

Test(pipe_sum, usage_errors)
{
    const char *const *cases[] = {
        TL_ARGV("pipe_sum", "-n", "-1"),        TL_ARGV("pipe_sum", "-n", "abc"),
        TL_ARGV("pipe_sum", "-n", "100000001"), TL_ARGV("pipe_sum", "-n", "12x"),
        TL_ARGV("pipe_sum", "-n", ""),          TL_ARGV("pipe_sum", "-s", "seed"),
        TL_ARGV("pipe_sum", "-s", "-3"),        TL_ARGV("pipe_sum", "-x"),
        TL_ARGV("pipe_sum", "extra"),           TL_ARGV("pipe_sum", "-n"),
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tl_result r = tl_run(&(tl_opts){ .argv = cases[k], .deadline_ms = 3000 });
        cr_assert(r.exited && r.status == 2, "bad arguments must exit with status 2, but %s",
                  tl_explain(&r));
        cr_assert(tl_one_line(r.err), "bad arguments must print exactly one line on stderr, "
                  "got \"%s\".\n  Reproduce: %s", r.err, r.cmd);
        cr_assert(!strncmp(r.err, "pipe_sum: ", 10) || !strncmp(r.err, "usage: ", 7),
                  "the error line must start with \"pipe_sum: \" or \"usage: \", got \"%s\"."
                  "\n  Reproduce: %s", r.err, r.cmd);
        cr_assert(r.out_len == 0, "nothing may be printed on stdout for bad arguments, got "
                  "\"%.100s\".\n  Reproduce: %s", r.out, r.cmd);
        cr_assert(tl_clean(&r), "bad arguments must be rejected before fork(): %s",
                  tl_explain(&r));
        tl_result_free(&r);
    }
}

Test(pipe_sum, default_count)
{
    long first = -1;
    bool varied = false;
    for (int k = 0; k < 6; k++) {
        struct sum_run u = run_pipe_sum(-1, tl_random_seed(), NULL);
        expect_sum_ok(&u, -1);
        cr_assert(u.sent_count >= 5 && u.sent_count <= 20, "without -n the parent must send "
                  "between 5 and 20 values (5 + rand() %% 16), it sent %ld.\n  Reproduce: %s",
                  u.sent_count, u.w.r.cmd);
        varied = varied || (first >= 0 && u.sent_count != first);
        first = u.sent_count;
        sum_run_free(&u);
    }
    cr_assert(varied, "six runs with different seeds all sent %ld values: the count must be "
              "drawn at random (after srand(seed)) when -n is not given", first);
}

Test(pipe_sum, small_counts)
{
    long counts[] = { 0, 1, 2, 7 };
    for (int k = 0; k < 4; k++) {
        struct sum_run u = run_pipe_sum(counts[k], tl_random_seed(), NULL);
        expect_sum_ok(&u, counts[k]);
        sum_run_free(&u);
    }
}

/* 300000 ints are 1.2 MB: about 18 times what a pipe holds (64 KiB). */
Test(pipe_sum, beyond_pipe_capacity)
{
    struct sum_run u = run_pipe_sum(300000, tl_random_seed(), NULL);
    expect_sum_ok(&u, 300000);
    sum_run_free(&u);
}

/* Uniform values in 0..9 average 4.5 with a standard deviation of 2.87: over 200000
 * values the mean is within 0.1 of 4.5 except with probability below 1e-40. */
Test(pipe_sum, values_in_range)
{
    struct sum_run u = run_pipe_sum(200000, tl_random_seed(), NULL);
    expect_sum_ok(&u, 200000);
    double mean = (double)u.sent_sum / 200000;
    cr_assert(mean > 4.4 && mean < 4.6, "the mean of 200000 values was %.3f: values must be "
              "uniform in 0..9 (rand() %% 10), whose mean is 4.5.\n  Reproduce: %s", mean,
              u.w.r.cmd);
    sum_run_free(&u);
}

/* Either process may run first after fork: the child blocks in read() on an empty
 * pipe, or the parent fills the pipe and blocks in write(). Both must work, and the
 * child must see end of file once the parent has closed the write end. */
Test(pipe_sum, child_ends_at_eof)
{
    const char *perturb[] = { NULL, "fork_child=20000-40000", "fork_parent=20000-40000" };
    for (int k = 0; k < 3; k++) {
        struct sum_run u = run_pipe_sum(100000, tl_random_seed(), perturb[k]);
        expect_sum_ok(&u, 100000);
        sum_run_free(&u);
    }
}

Test(pipe_sum, parent_waits)
{
    for (int k = 0; k < 3; k++) {
        struct sum_run u = run_pipe_sum(k == 0 ? 5 : 50000, tl_random_seed(),
                                        k == 2 ? "fork_parent=20000-40000" : NULL);
        expect_no_stall(&u);
        cr_assert(tl_clean(&u.w.r) && !u.w.r.timed_out, "the parent must wait for its child "
                  "with waitpid() before exiting: %s", tl_explain(&u.w.r));
        cr_assert(u.has_child && u.has_end, "expected the child's line and then \"parent P: "
                  "child C exited with status 0\".\n  Output: \"%.300s\"\n  Reproduce: %s",
                  u.w.r.out, u.w.r.cmd);
        cr_assert(u.end_line > u.child_line, "the parent reported the end of its child before "
                  "the child printed its sum: print it after waitpid() returns.\n  Reproduce: %s",
                  u.w.r.cmd);
        cr_assert(u.end_child == u.child_pid && u.child_pid != u.w.r.pid && u.end_parent ==
                  u.w.r.pid, "\"parent %d: child %d ...\" must name pipe_sum's own pid (%d) and "
                  "the pid of the child that printed the sum (%d).\n  Reproduce: %s",
                  (int)u.end_parent, (int)u.end_child, (int)u.w.r.pid, (int)u.child_pid,
                  u.w.r.cmd);
        cr_assert(!u.end_signal && u.end_status == 0, "the child must exit with status 0 after "
                  "printing its sum.\n  Reproduce: %s", u.w.r.cmd);
        sum_run_free(&u);
    }
}

/* The count and the values are contract (README.md): main() (provided) calls srand(SEED)
 * once and draws the count as 5 + rand() % 16 when -n is absent; the parent draws each
 * value as rand() % 10. The test draws the same numbers with the same C library, so a
 * program seeded from the clock or using another formula fails whenever it runs. */
static void expected_draws(unsigned seed, long n, long *count, long *sum)
{
    srand(seed);
    *count = n >= 0 ? n : 5 + rand() % 16;
    *sum = 0;
    for (long k = 0; k < *count; k++)
        *sum += rand() % 10;
}

static void expect_seeded_run(long n, unsigned seed)
{
    long count, sum;
    expected_draws(seed, n, &count, &sum);
    struct sum_run u = run_pipe_sum(n, seed, NULL);
    expect_sum_ok(&u, n);
    cr_assert(u.sent_count == count && u.sent_sum == sum, "with -s %u%s the parent sent %ld "
              "values, sum %ld; srand(%u), then %s rand() %% 10 per value give %ld values, sum "
              "%ld: draw each value with rand() %% 10 (main() already calls srand(seed) once: "
              "do not reseed, e.g. from the clock).\n  Reproduce: %s", seed,
              n >= 0 ? " and -n" : "", u.sent_count, u.sent_sum, seed,
              n >= 0 ? "" : "5 + rand() % 16 for the count,", count, sum, u.w.r.cmd);
    sum_run_free(&u);
}

Test(pipe_sum, seed_reproducible)
{
    unsigned seed = tl_random_seed();
    expect_seeded_run(-1, seed);
    expect_seeded_run(100000, seed);
    expect_seeded_run(-1, seed + 1);
}

/* fork() failing (EAGAIN, a process limit): the library makes the first fork() fail
 * (TL_PERTURB=fork_fail=1), as RLIMIT_NPROC cannot for root. README: exit 1, one line
 * "pipe_sum: fork: REASON" on stderr, nothing left behind. */
Test(pipe_sum, fork_fails)
{
    tl_result r = tl_run(&(tl_opts){ .argv = TL_ARGV("pipe_sum", "-n", "10", "-s", "1"),
                                     .perturb = "fork_fail=1", .deadline_ms = 3000 });
    cr_assert(r.exited && r.status == 1, "when fork() fails (EAGAIN) pipe_sum must exit with "
              "status 1, but %s", tl_explain(&r));
    cr_assert(tl_one_line(r.err) && !strncmp(r.err, "pipe_sum: fork: ", 16), "when fork() "
              "fails stderr must be the one line \"pipe_sum: fork: REASON\", got \"%s\".\n"
              "  Reproduce: %s", tl_shown_text(r.err, r.err_len, 200), r.cmd);
    cr_assert(tl_clean(&r), "%s", tl_explain(&r));
    tl_result_free(&r);
}
