/*
 * common.h: helpers shared by the td5 test files (test_fifo.c, hidden_fifo.c):
 * starting send_rand / get_rand, and checking get_rand's report against what was
 * written. Header-only (static) so that each test file stands alone.
 */
#ifndef TD5_COMMON_H
#define TD5_COMMON_H

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "support.h"
#include "tl.h"

/* send_rand (prog: "send_rand" of the build under test, or a path) on path. */
static inline tl_proc *start_writer(const char *prog, const char *path, long n, unsigned seed,
                                    int deadline_ms)
{
    char ns[24], ss[24];
    snprintf(ns, sizeof ns, "%ld", n);
    snprintf(ss, sizeof ss, "%u", seed);
    return tl_start(&(tl_opts){ .argv = TL_ARGV(prog, path, "-n", ns, "-s", ss),
                                .deadline_ms = deadline_ms });
}

static inline tl_proc *start_reader(const char *prog, const char *path, int deadline_ms)
{
    return tl_start(&(tl_opts){ .argv = TL_ARGV(prog, path), .deadline_ms = deadline_ms });
}

/* get_rand's run r read what someone wrote: count values summing to sum. */
static inline void check_reader(const tl_result *r, long long count, long long sum,
                                const char *who)
{
    long long c;
    double avg = 0;
    cr_assert(tl_exited_ok(r), "get_rand must exit 0 after reading %lld values written by %s; "
              "%s", count, who, tl_explain(r));
    cr_assert(parse_average(r->out, &c, &avg), "get_rand must print exactly one line \"N values, "
              "average A\" (A with 3 decimals, or \"0 values, no average\"), got \"%.100s\".\n"
              "  Reproduce: %s", r->out, r->cmd);
    cr_assert(c == count, "get_rand counted %lld values, but %s wrote %lld (read until read() "
              "returns 0, however the bytes are chunked).\n  Reproduce: %s", c, who, count,
              r->cmd);
    if (count > 0)
        cr_assert(average_ok(avg, sum, count), "get_rand printed the average %.3f, but the %lld "
                  "values sum to %lld: the average is %.4f (a double division, printed with "
                  "%%.3f).\n  Reproduce: %s", avg, count, sum, (double)sum / (double)count,
                  r->cmd);
}

/* send_rand's run r must have exited 0 and reported what it sent. */
static inline void check_writer(const tl_result *r, long long *count, long long *sum)
{
    cr_assert(tl_exited_ok(r), "%s", tl_explain(r));
    cr_assert(parse_sent(r->out, count, sum), "send_rand must print exactly one line \"sent N "
              "values, sum S\", got \"%.100s\".\n  Reproduce: %s", r->out, r->cmd);
}

/* A writer that failed because its reader had gone (EPIPE, SIGPIPE) points at the
 * reader: say so before blaming the writer. */
static inline void check_reader_stayed(const tl_result *rw, const tl_result *rr)
{
    bool epipe = (rw->exited && rw->status == 1 && strstr(rw->err, "Broken pipe")) ||
                 (rw->signaled && rw->sig == SIGPIPE);
    cr_assert(!epipe, "get_rand closed the FIFO before send_rand had written everything "
              "(send_rand got EPIPE): read until read() returns 0, however many values come. "
              "get_rand printed \"%.80s\" and %s.\n  Reproduce: %s", rr->out,
              rr->exited ? "exited" : "did not exit normally", rr->cmd);
}

#endif
