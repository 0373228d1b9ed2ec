/*
 * test_pipeline.c: behavioural tests of pipeline (td4). The commands are standard
 * programs (seq, cat, wc, yes, head, sh) and the descriptor probe of support.c (this
 * test binary, exec'd as a command), which reports the descriptors each command was
 * started with. Every run is watched for deadlocks: a pipe end left open makes the
 * test fail in half a second and say who holds it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_run.h"
#include "tl.h"
#include "tl_trace.h" /* the run's timeline in the messages */

TestSuite(pipeline, .init = tl_setup, .fini = tl_teardown, .timeout = 30);

/* bytes of random lowercase words and newlines (malloc'd, NUL-terminated). */
static char *random_text(unsigned seed, size_t bytes)
{
    char *t = malloc(bytes + 1);
    unsigned long long x = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t i = 0; i < bytes; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned r = (unsigned)(x >> 32) % 32;
        t[i] = i + 1 == bytes || r == 31 ? '\n' : r >= 26 ? ' ' : (char)('a' + r);
    }
    t[bytes] = '\0';
    return t;
}

/* Bytes printed by `seq n`. */
static long seq_bytes(long n)
{
    long total = 0;
    for (long v = 1, digits = 1, next = 10; v <= n; v++) {
        if (v == next)
            digits++, next *= 10;
        total += digits + 1;
    }
    return total;
}

Test(pipeline, usage_errors)
{
    const char *const *cases[] = {
        TL_ARGV("pipeline"),
        TL_ARGV("pipeline", "|"),
        TL_ARGV("pipeline", "cat", "|"),
        TL_ARGV("pipeline", "|", "cat"),
        TL_ARGV("pipeline", "cat", "|", "|", "wc"),
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tl_result r = tl_run(&(tl_opts){ .argv = cases[k], .deadline_ms = 3000 });
        cr_assert(r.exited && r.status == 2, "a missing or empty command must exit with status "
                  "2, but %s", tl_explain(&r));
        cr_assert(tl_one_line(r.err), "a usage error must print exactly one line on stderr, "
                  "got \"%s\".\n  Reproduce: %s", r.err, r.cmd);
        cr_assert(!strncmp(r.err, "usage: ", 7) || !strncmp(r.err, "pipeline: ", 10),
                  "the error line must start with \"usage: \" or \"pipeline: \", got \"%s\"."
                  "\n  Reproduce: %s", r.err, r.cmd);
        cr_assert(r.out_len == 0, "nothing may be printed on stdout for a usage error.\n"
                  "  Reproduce: %s", r.cmd);
        cr_assert(tl_clean(&r), "a usage error must be detected before any fork(): %s",
                  tl_explain(&r));
        tl_result_free(&r);
    }
}

Test(pipeline, two_commands)
{
    long n = 1000 + tl_random_seed() % 9000;
    char num[32];
    snprintf(num, sizeof num, "%ld", n);
    tl_watched w = run_pipeline(TL_ARGV("pipeline", "seq", num, "|", "wc", "-l"), NULL, 0);
    expect_ok(&w);
    cr_assert(!strcmp(pl_trim(w.r.out), num), "`seq %ld | wc -l` must print %ld, pipeline "
              "printed \"%.100s\": the output of the first command must be the input of the "
              "second (dup2 the pipe's write end onto fd 1 in the first child, its read end "
              "onto fd 0 in the second).\n  Reproduce: %s\n%s", n, n, w.r.out, w.r.cmd,
              tl_timeline(&w.r));
    tl_watched_free(&w);
}

Test(pipeline, stdin_to_stdout)
{
    unsigned seed = tl_random_seed();
    char *in = random_text(seed, 2000 + seed % 2000), *want = strdup(in);
    for (char *c = want; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    const char *const *cases[] = {
        TL_ARGV("pipeline", "cat", "|", "tr", "a-z", "A-Z"),
        TL_ARGV("pipeline", "tr", "a-z", "A-Z", "|", "cat"),
        TL_ARGV("pipeline", "tr", "a-z", "A-Z"),
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tl_watched w = run_pipeline(cases[k], in, 0);
        expect_ok(&w);
        cr_assert(!strcmp(w.r.out, want), "the first command must read pipeline's standard "
                  "input and the last one write pipeline's standard output (input: %zu bytes "
                  "of random text, seed %u; output: %zu bytes, \"%.60s\"...).\n  Reproduce: %s\n%s",
                  strlen(in), seed, w.r.out_len, w.r.out, w.r.cmd, tl_timeline(&w.r));
        tl_watched_free(&w);
    }
    free(in);
    free(want);
}

/* 10 commands and about 1 MB: many times what a pipe holds. */
Test(pipeline, many_commands)
{
    long n = 100000 + tl_random_seed() % 50000;
    char num[32], bytes[32];
    pl_args a;
    pl_init(&a);
    snprintf(num, sizeof num, "%ld", n);
    snprintf(bytes, sizeof bytes, "%ld", seq_bytes(n));
    pl_add(&a, "seq");
    pl_add(&a, num);
    for (int k = 0; k < 8; k++) {
        pl_add(&a, "|");
        pl_add(&a, "cat");
    }
    pl_add(&a, "|");
    pl_add(&a, "wc");
    pl_add(&a, "-c");
    tl_watched w = run_pipeline(a.argv, NULL, 0);
    expect_ok(&w);
    cr_assert(!strcmp(pl_trim(w.r.out), bytes), "`seq %ld | cat (8 times) | wc -c` must print "
              "%s, pipeline printed \"%.100s\".\n  Reproduce: %s\n%s", n, bytes, w.r.out, w.r.cmd,
              tl_timeline(&w.r));
    tl_watched_free(&w);
}

/* wc prints only at end of file: it ends only if every write end of its pipe is
 * closed, in pipeline itself and in every other command. */
Test(pipeline, reader_sees_eof)
{
    unsigned seed = tl_random_seed();
    size_t len = 600000 + seed % 100000;
    char *in = random_text(seed, len), want[32];
    snprintf(want, sizeof want, "%zu", len);
    tl_watched w = run_pipeline(TL_ARGV("pipeline", "cat", "|", "cat", "|", "wc", "-c"), in, len);
    expect_ok(&w);
    cr_assert(!strcmp(pl_trim(w.r.out), want), "`cat | cat | wc -c` with %zu bytes of input "
              "must print %s, pipeline printed \"%.100s\".\n  Reproduce: %s\n%s", len, want,
              w.r.out, w.r.cmd, tl_timeline(&w.r));
    tl_watched_free(&w);
    free(in);
}

/* yes writes forever: it ends (SIGPIPE) only when every read end of its pipe is
 * closed, that is when head has exited and nobody else holds a read end. */
Test(pipeline, early_reader_exit)
{
    int k = 3 + (int)(tl_random_seed() % 20);
    char num[16];
    snprintf(num, sizeof num, "%d", k);
    const char *const *cases[] = {
        TL_ARGV("pipeline", "yes", "|", "head", "-n", num),
        TL_ARGV("pipeline", "yes", "|", "cat", "|", "head", "-n", num),
    };
    for (size_t c = 0; c < 2; c++) {
        tl_watched w = run_pipeline(cases[c], NULL, 0);
        expect_ok(&w);
        cr_assert(tl_count_lines(w.r.out) == k && tl_count_prefix(w.r.out, "y") == k,
                  "`%s` must print %d lines \"y\", got \"%.100s\".\n  Reproduce: %s\n%s",
                  c ? "yes | cat | head" : "yes | head", k, w.r.out, w.r.cmd,
                  tl_timeline(&w.r));
        tl_watched_free(&w);
    }
}

/* How a student reruns a probe pipeline: the probe needs its environment variable. */
static const char *probe_repro(const tl_watched *w)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "Reproduce: %s\n  (the commands are the test "
             "binary as a probe: each writes the descriptors it was started with, then copies "
             "its input like cat)\n%s", w->r.cmd, tl_timeline(&w->r));
    return buf;
}

/* Run NPROBE probes in a pipeline over random input; fills rep[] with their reports. */
static tl_watched run_probes(int nprobe, tl_pt_proc *rep, char **input, unsigned *seed_out)
{
    unsigned seed = tl_random_seed();
    char *in = random_text(seed, 100000 + seed % 100000), name[32];
    pl_args a;
    pl_init(&a);
    for (int i = 0; i < nprobe; i++) {
        if (i)
            pl_add(&a, "|");
        snprintf(name, sizeof name, "probe-%d", i + 1);
        pl_add_probe(&a, name); /* relative: written in pipeline's directory */
    }
    tl_watched w = run_pipeline(a.argv, in, 0);
    expect_ok(&w);
    for (int i = 0; i < nprobe; i++) {
        snprintf(name, sizeof name, "probe-%d", i + 1);
        cr_assert(pl_read_probe(tl_path(name), &rep[i]), "command %d of the pipeline did not "
                  "run (exec it with execvp(cmd[0], cmd)).\n  %s", i + 1, probe_repro(&w));
    }
    *input = in;
    *seed_out = seed;
    return w;
}

/* The probes copy their input: the pipeline's output must be its input. */
static void expect_copied(const tl_watched *w, char *in, unsigned seed, int nprobe)
{
    cr_assert(!strcmp(w->r.out, in), "%d copying commands in a pipeline must output their "
              "input (input: %zu bytes, seed %u; output: %zu bytes).\n  %s", nprobe, strlen(in),
              seed, w->r.out_len, probe_repro(w));
    free(in);
}

static const char *fd_text(const tl_pt_fd *f)
{
    static char buf[200];
    if (!f)
        return "closed";
    snprintf(buf, sizeof buf, "%s%s", f->pipe ? (f->mode == 'r' ? "read end of " :
                                                  f->mode == 'w' ? "write end of " : "")
                                              : "", f->target);
    return buf;
}

Test(pipeline, only_std_fds)
{
    tl_pt_proc rep[4];
    unsigned seed;
    char *in;
    tl_watched w = run_probes(4, rep, &in, &seed);
    for (int i = 0; i < 4; i++) {
        for (int k = 0; k < rep[i].nfd; k++)
            cr_assert(rep[i].fd[k].fd <= 2, "command %d of 4 started with fd %d open (%s) "
                      "besides 0, 1 and 2: after dup2(), the child must close the original "
                      "pipe descriptors and every pipe end it does not use, before exec.\n"
                      "  %s", i + 1,
                      rep[i].fd[k].fd, fd_text(&rep[i].fd[k]), probe_repro(&w));
        for (int fd = 0; fd <= 2; fd++)
            cr_assert(pl_find_fd(&rep[i], fd), "command %d of 4 started with fd %d closed: "
                      "close the original descriptors after dup2(), never 0, 1 or 2 "
                      "themselves.\n  %s", i + 1, fd, probe_repro(&w));
    }
    expect_copied(&w, in, seed, 4);
    tl_watched_free(&w);
}

Test(pipeline, fds_wired)
{
    tl_pt_proc rep[3];
    unsigned seed;
    char *in;
    tl_watched w = run_probes(3, rep, &in, &seed);
    const tl_pt_fd *in0 = pl_find_fd(&rep[0], 0), *outn = pl_find_fd(&rep[2], 1);
    cr_assert(in0 && !in0->pipe, "the first command's stdin must be pipeline's own stdin, it is "
              "%s.\n  %s", fd_text(in0), probe_repro(&w));
    cr_assert(outn && !outn->pipe, "the last command's stdout must be pipeline's own stdout, it "
              "is %s.\n  %s", fd_text(outn), probe_repro(&w));
    for (int i = 0; i < 2; i++) {
        const tl_pt_fd *out = pl_find_fd(&rep[i], 1), *in = pl_find_fd(&rep[i + 1], 0);
        cr_assert(out && out->pipe && out->mode == 'w', "command %d's fd 1 must be the write end "
                  "of a pipe, it is %s: dup2(pipe write end, STDOUT_FILENO) in its child.\n"
                  "  %s", i + 1, fd_text(out), probe_repro(&w));
        cr_assert(in && in->pipe && in->mode == 'r', "command %d's fd 0 must be the read end of "
                  "a pipe, it is %s: dup2(pipe read end, STDIN_FILENO) in its child.\n"
                  "  %s", i + 2, fd_text(in), probe_repro(&w));
        cr_assert(in->pipe == out->pipe, "command %d writes into %s but command %d reads %s: "
                  "each command must read the pipe the previous one writes.\n  %s",
                  i + 1, out->target, i + 2, in->target, probe_repro(&w));
    }
    const tl_pt_fd *p1 = pl_find_fd(&rep[0], 1), *p2 = pl_find_fd(&rep[1], 1);
    cr_assert(p1->pipe != p2->pipe, "commands 1 and 2 write into the same pipe %s: one pipe per "
              "pair of neighbours.\n  %s", p1->target, probe_repro(&w));
    for (int i = 0; i < 3; i++) {
        const tl_pt_fd *err = pl_find_fd(&rep[i], 2);
        cr_assert(err && !err->pipe, "command %d's stderr must stay pipeline's stderr, it is "
                  "%s.\n  %s", i + 1, fd_text(err), probe_repro(&w));
    }
    expect_copied(&w, in, seed, 3);
    tl_watched_free(&w);
}

Test(pipeline, last_status)
{
    struct {
        const char *const *argv;
        int status;
    } cases[] = {
        { TL_ARGV("pipeline", "true", "|", "sh", "-c", "exit 3"), 3 },
        { TL_ARGV("pipeline", "sh", "-c", "exit 4", "|", "true"), 0 },
        /* yes ends last (SIGPIPE once sh has exited): its status is not the one */
        { TL_ARGV("pipeline", "yes", "|", "sh", "-c", "exit 5"), 5 },
        { TL_ARGV("pipeline", "sh", "-c", "exit 6"), 6 },
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tl_watched w = run_pipeline(cases[k].argv, NULL, 0);
        expect_ended(&w);
        cr_assert(w.r.status == cases[k].status, "pipeline must exit with the status of its "
                  "LAST command (%d here), whatever the order in which the commands end; it %s."
                  "\n  Reproduce: %s\n%s", cases[k].status, tl_ending(&w.r), w.r.cmd,
                  tl_timeline(&w.r));
        tl_watched_free(&w);
    }
}

Test(pipeline, waits_for_all)
{
    const char *const *cases[] = {
        TL_ARGV("pipeline", "sleep", "0.2", "|", "true"),
        TL_ARGV("pipeline", "true", "|", "sleep", "0.2"),
        TL_ARGV("pipeline", "true", "|", "sleep", "0.1", "|", "true"),
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tl_watched w = run_pipeline(cases[k], NULL, 0);
        expect_ok(&w);
        tl_watched_free(&w);
    }
}

Test(pipeline, exec_failure)
{
    const char *bad = "td4-no-such-command";
    struct {
        const char *const *argv;
        int status;
        const char *out;
    } cases[] = {
        { TL_ARGV("pipeline", "seq", "10", "|", "td4-no-such-command"), 127, "" },
        { TL_ARGV("pipeline", "td4-no-such-command", "|", "wc", "-l"), 0, "0" },
    };
    for (size_t k = 0; k < 2; k++) {
        tl_watched w = run_pipeline(cases[k].argv, NULL, 0);
        expect_ended(&w);
        cr_assert(tl_one_line(w.r.err) && !strncmp(w.r.err, "pipeline: cannot execute ", 25) &&
                  strstr(w.r.err, bad), "a command that cannot be executed must make its child "
                  "print one line \"pipeline: cannot execute %s: <reason>\" on stderr, got "
                  "\"%.200s\".\n  Reproduce: %s\n%s", bad, w.r.err, w.r.cmd,
                  tl_timeline(&w.r));
        cr_assert(w.r.status == cases[k].status, "the exit status must be the last command's "
                  "(%d here: 127 for a command that cannot be executed); it %s.\n"
                  "  Reproduce: %s\n%s", cases[k].status, tl_ending(&w.r), w.r.cmd,
                  tl_timeline(&w.r));
        cr_assert(!strcmp(pl_trim(w.r.out), cases[k].out), "expected the output \"%s\", got "
                  "\"%.100s\" (after a failed exec the child must _exit(127), never go on "
                  "running pipeline's code).\n  Reproduce: %s\n%s", cases[k].out, w.r.out,
                  w.r.cmd, tl_timeline(&w.r));
        tl_watched_free(&w);
    }
}

/* fork() failing for the second command (TL_PERTURB=fork_fail=2): README: exit 1, the
 * line "pipeline: fork: REASON" on stderr, the commands already started waited for. */
Test(pipeline, fork_fails)
{
    tl_result r = tl_run(&(tl_opts){ .argv = TL_ARGV("pipeline", "echo", "hi", "|", "cat", "|",
                                                     "cat"),
                                     .perturb = "fork_fail=2", .deadline_ms = 3000 });
    if (!r.forked && r.exited && r.status == 0 && tl_clean(&r)) {
        tl_result_free(&r); /* it starts commands without fork() (posix_spawn): no failure */
        return;
    }
    cr_assert(r.exited && r.status == 1, "when fork() fails (EAGAIN) for the second command, "
              "pipeline must exit with status 1, but %s", tl_explain(&r));
    cr_assert(strstr(r.err, "pipeline: fork: "), "when fork() fails stderr must have the "
              "line \"pipeline: fork: REASON\", got \"%s\".\n  Reproduce: %s",
              tl_shown_text(r.err, r.err_len, 200), r.cmd);
    cr_assert(tl_clean(&r), "the command already started must be waited for: %s",
              tl_explain(&r));
    tl_result_free(&r);
}
