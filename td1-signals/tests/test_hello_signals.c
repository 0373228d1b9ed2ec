/*
 * test_hello_signals.c: behavioural tests of hello_signals (td1). Each test runs the
 * program through the test support library and checks the contract of README.md.
 * Seeds are random (printed in the reproduce line), never hard-coded results.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tl.h"

#define MAXC 64
#define MAXT 4096

/* What one run printed, line by line, as the contract defines it. */
struct run {
    tl_result r;
    int nchild;
    pid_t child[MAXC + 1];          /* child[i] = PID of "Child i" (1-based) */
    int nticks;
    pid_t tick[MAXT];
    int ngreet;
    pid_t greet[MAXT];
    int nsigint;
    pid_t sigint[MAXC];
    int nended;
    pid_t ended[MAXC];
    int ended_sig[MAXC];            /* signal number, or -1 - exit status */
    int nbad;
    char bad[160];                  /* first line that matches no format */
};

static int child_index(const struct run *u, pid_t pid)
{
    for (int i = 1; i <= u->nchild; i++)
        if (u->child[i] == pid)
            return i;
    return 0;
}

static void parse_line(struct run *u, const char *line)
{
    int i, k, pid, v;
    char tail;
    if (sscanf(line, "Child %d has PID %d%c", &i, &pid, &tail) == 2 && i == u->nchild + 1 &&
        i <= MAXC)
        u->child[++u->nchild] = pid;
    else if (sscanf(line, "Tick %d: SIGUSR1 -> PID %d%c", &k, &pid, &tail) == 2 && u->nticks < MAXT)
        u->tick[u->nticks++] = pid;
    else if (sscanf(line, "Hello from PID %d%c", &pid, &tail) == 1 && u->ngreet < MAXT)
        u->greet[u->ngreet++] = pid;
    else if (sscanf(line, "SIGINT -> PID %d%c", &pid, &tail) == 1 && u->nsigint < MAXC)
        u->sigint[u->nsigint++] = pid;
    else if (sscanf(line, "PID %d ended by signal %d%c", &pid, &v, &tail) == 2 && u->nended < MAXC) {
        u->ended_sig[u->nended] = v;
        u->ended[u->nended++] = pid;
    } else if (sscanf(line, "PID %d exited with status %d%c", &pid, &v, &tail) == 2 &&
               u->nended < MAXC) {
        u->ended_sig[u->nended] = -1 - v;
        u->ended[u->nended++] = pid;
    } else if (u->nbad++ == 0)
        snprintf(u->bad, sizeof u->bad, "%.150s", line);
}

static struct run run_hello(int children, int ticks, int interval, unsigned seed,
                            const char *perturb)
{
    char c[16], t[16], i[16], s[16];
    snprintf(c, sizeof c, "%d", children);
    snprintf(t, sizeof t, "%d", ticks);
    snprintf(i, sizeof i, "%d", interval);
    snprintf(s, sizeof s, "%u", seed);
    struct run u = { 0 };
    u.r = tl_run(&(tl_opts){ .argv = TL_ARGV("hello_signals", "-c", c, "-t", t, "-i", i, "-s", s),
                             .deadline_ms = 1500 + ticks * interval * 2,
                             .perturb = perturb });
    char *save = NULL, *copy = strdup(u.r.out);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        parse_line(&u, line);
    free(copy);
    return u;
}

/* 120 ticks: a correct program misses one of 5 children with probability 5*0.8^120 < 1e-11. */
static struct run standard_run(void)
{
    return run_hello(5, 120, 3, tl_random_seed(), NULL);
}

TestSuite(args, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(run, .init = tl_setup, .fini = tl_teardown, .timeout = 60);
TestSuite(race, .init = tl_setup, .fini = tl_teardown, .timeout = 60);

Test(args, usage_errors)
{
    const char *const *cases[] = {
        TL_ARGV("hello_signals", "-c", "0"),   TL_ARGV("hello_signals", "-c", "abc"),
        TL_ARGV("hello_signals", "-c", "65"),  TL_ARGV("hello_signals", "-t", "-1"),
        TL_ARGV("hello_signals", "-i", "5x"),  TL_ARGV("hello_signals", "-x"),
        TL_ARGV("hello_signals", "extra"),     TL_ARGV("hello_signals", "-c"),
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tl_result r = tl_run(&(tl_opts){ .argv = cases[k], .deadline_ms = 3000 });
        cr_assert(r.exited && r.status == 2, "bad arguments must exit with status 2, but %s",
                  tl_explain(&r));
        cr_assert(tl_one_line(r.err), "bad arguments must print exactly one line on stderr, "
                  "got \"%s\".\n  Reproduce: %s", r.err, r.cmd);
        cr_assert(!strncmp(r.err, "hello_signals: ", 15) || !strncmp(r.err, "usage: ", 7),
                  "the error line must start with \"hello_signals: \" or \"usage: \", got \"%s\"."
                  "\n  Reproduce: %s", r.err, r.cmd);
        cr_assert(r.out_len == 0, "nothing may be printed on stdout for bad arguments.\n"
                  "  Reproduce: %s", r.cmd);
        cr_assert(tl_clean(&r), "%s", tl_explain(&r));
        tl_result_free(&r);
    }
}

Test(run, exits_cleanly)
{
    struct run u = run_hello(5, 40, 3, tl_random_seed(), NULL);
    cr_assert(tl_exited_ok(&u.r), "%s", tl_explain(&u.r));
    cr_assert(u.nbad == 0, "unexpected output line \"%s\" (see the line formats in README.md)."
              "\n  Reproduce: %s", u.bad, u.r.cmd);
    cr_assert(u.nchild == 5, "expected the lines \"Child 1 has PID n\" .. \"Child 5 ...\", "
              "found %d.\n  Reproduce: %s", u.nchild, u.r.cmd);
    cr_assert(u.nticks == 40, "-t 40 must give exactly 40 \"Tick\" lines, found %d.\n"
              "  Reproduce: %s", u.nticks, u.r.cmd);
    /* stderr is for the error messages of the contract only (a call that failed). */
    cr_assert(u.r.err_len == 0, "a run where nothing fails must print nothing on stderr, got "
              "\"%.120s\" (a perror() after a call that succeeded?).\n  Reproduce: %s", u.r.err,
              u.r.cmd);
}

Test(run, children_option)
{
    int counts[] = { 1, 3, 8 };
    for (int k = 0; k < 3; k++) {
        struct run u = run_hello(counts[k], 10, 2, tl_random_seed(), NULL);
        cr_assert(tl_exited_ok(&u.r), "%s", tl_explain(&u.r));
        cr_assert(u.nchild == counts[k], "-c %d must fork %d children, found %d \"Child\" "
                  "lines.\n  Reproduce: %s", counts[k], counts[k], u.nchild, u.r.cmd);
        for (int i = 1; i <= u.nchild; i++)
            for (int j = i + 1; j <= u.nchild; j++)
                cr_assert(u.child[i] != u.child[j], "children %d and %d have the same PID %d",
                          i, j, (int)u.child[i]);
    }
}

Test(run, every_child_chosen)
{
    struct run u = standard_run();
    cr_assert(u.nticks == 120 && u.nchild == 5, "%s", tl_explain(&u.r));
    int sent[MAXC + 1] = { 0 };
    for (int k = 0; k < u.nticks; k++) {
        int i = child_index(&u, u.tick[k]);
        cr_assert(i > 0, "tick %d sent SIGUSR1 to PID %d, which is not a child.\n"
                  "  Reproduce: %s", k + 1, (int)u.tick[k], u.r.cmd);
        sent[i]++;
    }
    for (int i = 1; i <= 5; i++)
        cr_assert(sent[i] > 0, "child %d (PID %d) was never chosen in 120 ticks: the choice "
                  "must cover every child (rand() %% children).\n  Reproduce: %s", i,
                  (int)u.child[i], u.r.cmd);
}

Test(run, greetings_from_children)
{
    struct run u = standard_run();
    cr_assert(u.r.exited, "%s", tl_explain(&u.r));
    cr_assert(u.ngreet > 0, "no \"Hello from PID n\" line at all.\n  Reproduce: %s", u.r.cmd);
    for (int k = 0; k < u.ngreet; k++)
        cr_assert(child_index(&u, u.greet[k]) > 0, "\"Hello from PID %d\": %d is not one of the "
                  "children%s; the child must print its own PID (getpid()).\n  Reproduce: %s",
                  (int)u.greet[k], (int)u.greet[k],
                  u.greet[k] == u.r.pid ? " (it is the parent)" : "", u.r.cmd);
}

Test(run, greeting_per_signal)
{
    /* 8 ms ticks: a loaded machine may delay a child by a few ms, which would let two
     * signals to the same child merge more often than a correct program deserves. */
    struct run u = run_hello(5, 80, 8, tl_random_seed(), NULL);
    int sent[MAXC + 1] = { 0 }, got[MAXC + 1] = { 0 }, total = 0;
    cr_assert(u.r.exited && u.nchild == 5, "%s", tl_explain(&u.r));
    for (int k = 0; k < u.nticks; k++)
        sent[child_index(&u, u.tick[k])]++;
    for (int k = 0; k < u.ngreet; k++)
        got[child_index(&u, u.greet[k])]++;
    for (int i = 1; i <= 5; i++) {
        cr_assert(got[i] <= sent[i], "child %d (PID %d) greeted %d times but was sent SIGUSR1 "
                  "only %d times: one greeting per signal received.\n  Reproduce: %s", i,
                  (int)u.child[i], got[i], sent[i], u.r.cmd);
        /* The timeline shows the handler running, then the child killed by SIGINT:
         * what printf had buffered died with it. */
        cr_assert(sent[i] == 0 || got[i] > 0, "child %d (PID %d) was sent SIGUSR1 %d times and "
                  "never greeted (output lost? printf buffers die with a killed process).\n"
                  "  %s", i, (int)u.child[i], sent[i], tl_explain(&u.r));
        total += got[i];
    }
    /* Standard signals can merge when two arrive before the handler runs, so a few
     * greetings may legitimately be missing; a quarter missing is a bug. */
    cr_assert(total * 4 >= u.nticks * 3, "only %d greetings for %d signals sent.\n"
              "  Reproduce: %s", total, u.nticks, u.r.cmd);
}

Test(run, sigint_to_every_child)
{
    struct run u = standard_run();
    cr_assert(u.nchild == 5, "%s", tl_explain(&u.r));
    for (int i = 1; i <= 5; i++) {
        bool sent = false;
        for (int k = 0; k < u.nsigint; k++)
            sent = sent || u.sigint[k] == u.child[i];
        cr_assert(sent, "no \"SIGINT -> PID %d\" line: child %d was not sent SIGINT; %s", 
                  (int)u.child[i], i, tl_explain(&u.r));
    }
    for (int k = 0; k < u.nended; k++)
        cr_assert(u.ended_sig[k] == SIGINT, "PID %d ended %s %d, expected \"ended by signal 2\" "
                  "(SIGINT).\n  Reproduce: %s", (int)u.ended[k],
                  u.ended_sig[k] >= 0 ? "by signal" : "with status",
                  u.ended_sig[k] >= 0 ? u.ended_sig[k] : -1 - u.ended_sig[k], u.r.cmd);
    cr_assert(tl_exited_ok(&u.r), "%s", tl_explain(&u.r));
}

Test(run, children_reaped)
{
    struct run u = standard_run();
    cr_assert(tl_clean(&u.r) && !u.r.timed_out, "%s", tl_explain(&u.r));
    cr_assert(u.nchild == 5, "%s", tl_explain(&u.r));
    for (int i = 1; i <= 5; i++) {
        int n = 0;
        for (int k = 0; k < u.nended; k++)
            n += u.ended[k] == u.child[i];
        cr_assert(n == 1, "expected one \"PID %d ended ...\" line for child %d (reported by the "
                  "parent after waitpid), found %d.\n  Reproduce: %s", (int)u.child[i], i, n,
                  u.r.cmd);
    }
    cr_assert(u.r.exited && u.r.status == 0, "%s", tl_explain(&u.r));
}

/* fork() failing for the third child (TL_PERTURB=fork_fail=3). README: exit 1, the line
 * "hello_signals: fork: REASON" on stderr, the children already created killed and
 * reaped; and no tick, since the program stops there. */
Test(run, fork_fails)
{
    struct run u = run_hello(5, 10, 2, tl_random_seed(), "fork_fail=3");
    cr_assert(u.r.exited && u.r.status == 1, "when fork() fails (EAGAIN) for the third child, "
              "hello_signals must exit with status 1, but %s", tl_explain(&u.r));
    cr_assert(strstr(u.r.err, "hello_signals: fork: "), "when fork() fails stderr must have "
              "the line \"hello_signals: fork: REASON\", got \"%s\".\n  Reproduce: %s",
              tl_shown_text(u.r.err, u.r.err_len, 200), u.r.cmd);
    cr_assert(u.nticks == 0, "after fork() failed the program must stop, but it printed %d "
              "\"Tick\" lines.\n  Reproduce: %s", u.nticks, u.r.cmd);
    cr_assert(tl_clean(&u.r), "the children already created must be killed and reaped: %s",
              tl_explain(&u.r));
}

/* The formula of the choice is the student's (README.md §3: any uniform choice drawn
 * from rand()), so the test cannot predict the children; it compares two runs with the
 * same seed instead. The second one starts in a later second of the wall clock than the
 * first one ended in: a program seeded from time(NULL) then chooses other children. */
static void next_second(void)
{
    time_t now = time(NULL);
    while (time(NULL) == now)
        tl_sleep_ms(20);
}

Test(run, seed_reproducible)
{
    unsigned seed = tl_random_seed();
    struct run a = run_hello(5, 30, 1, seed, NULL);
    cr_assert(tl_exited_ok(&a.r) && a.nticks == 30, "%s", tl_explain(&a.r));
    next_second();
    struct run b = run_hello(5, 30, 1, seed, NULL), c = run_hello(5, 30, 1, seed + 1, NULL);
    cr_assert(b.nticks == 30 && c.nticks == 30, "%s", tl_explain(&b.r));
    bool same = true, differ = false;
    for (int k = 0; k < 30; k++) {
        same = same && child_index(&a, a.tick[k]) == child_index(&b, b.tick[k]);
        differ = differ || child_index(&a, a.tick[k]) != child_index(&c, c.tick[k]);
    }
    cr_assert(same, "two runs with -s %u, one second apart, chose different children: choose "
              "with rand() only (main() already seeds it with -s; do not call srand() yourself, "
              "not from the clock either).\n  Reproduce: %s", seed, a.r.cmd);
    cr_assert(differ, "seeds %u and %u chose the same 30 children: the seed must drive the "
              "choice.\n  Reproduce: %s", seed, seed + 1, c.r.cmd);
}

Test(run, interval_respected)
{
    struct run u = run_hello(2, 5, 100, tl_random_seed(), NULL);
    cr_assert(tl_exited_ok(&u.r), "%s", tl_explain(&u.r));
    cr_assert(u.r.elapsed_ms >= 500, "-t 5 -i 100 must take at least 5 x 100 ms, took %.0f ms."
              "\n  Reproduce: %s", u.r.elapsed_ms, u.r.cmd);
}

/* The child runs late after fork (20-30 ms): a handler installed by the child after
 * fork is not there yet when the parent's first signals arrive. */
Test(race, handler_before_first_signal)
{
    for (int rep = 0; rep < 3; rep++) {
        struct run u = run_hello(5, 20, 2, tl_random_seed(), "fork_child=20000-30000");
        cr_assert(u.nchild == 5, "%s", tl_explain(&u.r));
        for (int k = 0; k < u.nended; k++)
            cr_assert(u.ended_sig[k] != SIGUSR1, "PID %d was killed by SIGUSR1: it received the "
                      "signal before its handler was installed. Install the handler before "
                      "fork().\n  %s", (int)u.ended[k], tl_explain(&u.r));
        cr_assert(tl_exited_ok(&u.r), "%s", tl_explain(&u.r));
        cr_assert(u.ngreet > 0, "no greeting at all.\n  %s", tl_explain(&u.r));
    }
}

/* Delays inside handlers and around kill: greetings must still come from the right
 * process, at most one per signal, and every child must still end by SIGINT. */
Test(race, slow_handlers)
{
    struct run u = run_hello(5, 60, 2, tl_random_seed(), "handler=0-1500,kill=0-300");
    cr_assert(tl_exited_ok(&u.r), "%s", tl_explain(&u.r));
    int sent[MAXC + 1] = { 0 }, got[MAXC + 1] = { 0 };
    for (int k = 0; k < u.nticks; k++)
        sent[child_index(&u, u.tick[k])]++;
    for (int k = 0; k < u.ngreet; k++) {
        int i = child_index(&u, u.greet[k]);
        cr_assert(i > 0, "\"Hello from PID %d\" is not from a child.\n  %s", (int)u.greet[k],
                  tl_explain(&u.r));
        got[i]++;
    }
    for (int i = 1; i <= 5; i++)
        cr_assert(got[i] <= sent[i], "child %d greeted %d times for %d signals.\n  %s", i, got[i],
                  sent[i], tl_explain(&u.r));
    for (int k = 0; k < u.nended; k++)
        cr_assert(u.ended_sig[k] == SIGINT, "PID %d did not end by SIGINT.\n  %s",
                  (int)u.ended[k], tl_explain(&u.r));
}
