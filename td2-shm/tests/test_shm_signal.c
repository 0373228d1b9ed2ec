/*
 * test_shm_signal.c: behavioural tests of shm_signal (td2). The key property: the
 * child prints exactly the sequence of values the parent wrote, none lost, none
 * repeated, even when delays are injected around the signals. Seeds are random.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl.h"

#define MAXV 20000

/* What one run printed, by the line formats of README.md. */
struct run {
    tl_result r;
    int nwrote, nread;
    int wrote[MAXV], read[MAXV];
    pid_t reader;          /* PID in the first "Child N read" line */
    bool readers_differ;   /* not every "read" line has the same PID */
    int nended;
    pid_t ended;
    int ended_sig;         /* signal, or -1 - status */
    int nbad;
    char bad[160];
};

static void parse_line(struct run *u, const char *line)
{
    int pid, v;
    char tail;
    if (sscanf(line, "Parent wrote %d%c", &v, &tail) == 1 && u->nwrote < MAXV)
        u->wrote[u->nwrote++] = v;
    else if (sscanf(line, "Child %d read %d%c", &pid, &v, &tail) == 2 && u->nread < MAXV) {
        if (u->nread == 0)
            u->reader = pid;
        u->readers_differ = u->readers_differ || pid != u->reader;
        u->read[u->nread++] = v;
    } else if (sscanf(line, "Child %d ended by signal %d%c", &pid, &v, &tail) == 2) {
        u->nended++, u->ended = pid, u->ended_sig = v;
    } else if (sscanf(line, "Child %d exited with status %d%c", &pid, &v, &tail) == 2) {
        u->nended++, u->ended = pid, u->ended_sig = -1 - v;
    } else if (u->nbad++ == 0)
        snprintf(u->bad, sizeof u->bad, "%.150s", line);
}

static void parse(struct run *u)
{
    char *save = NULL, *copy = strdup(u->r.out);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        parse_line(u, line);
    free(copy);
}

static struct run *run_shm(int count, int interval, unsigned seed, const char *perturb)
{
    char n[16], i[16], s[16];
    snprintf(n, sizeof n, "%d", count);
    snprintf(i, sizeof i, "%d", interval);
    snprintf(s, sizeof s, "%u", seed);
    struct run *u = calloc(1, sizeof *u);
    u->r = tl_run(&(tl_opts){ .argv = TL_ARGV("shm_signal", "-n", n, "-i", i, "-s", s),
                              /* generous: each value is a round trip between two
                               * processes, which a loaded machine may delay by ms */
                              .deadline_ms = 3000 + count * (interval + 5),
                              .perturb = perturb });
    parse(u);
    return u;
}

/* The child printed exactly what the parent wrote: same length, same order. */
static void assert_same_sequence(const struct run *u, int count)
{
    cr_assert(u->nwrote == count, "expected %d \"Parent wrote\" lines, found %d; %s", count,
              u->nwrote, tl_explain(&u->r));
    for (int k = 0; k < u->nread && k < u->nwrote; k++)
        cr_assert(u->read[k] == u->wrote[k], "value %d: the parent wrote %d but the child read "
                  "%d (%d values written, %d read): values are lost when the parent writes the "
                  "next one before the child has read the previous one; %s", k + 1,
                  u->wrote[k], u->read[k], u->nwrote, u->nread, tl_explain(&u->r));
    cr_assert(u->nread == u->nwrote, "the parent wrote %d values, the child read %d: every value "
              "must be read exactly once (signals do not queue); %s", u->nwrote, u->nread,
              tl_explain(&u->r));
}

TestSuite(args, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(run, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(race, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(robust, .init = tl_setup, .fini = tl_teardown, .timeout = 30);

Test(args, usage_errors)
{
    const char *const *cases[] = {
        TL_ARGV("shm_signal", "-n", "0"),  TL_ARGV("shm_signal", "-n", "x"),
        TL_ARGV("shm_signal", "-i", "-5"), TL_ARGV("shm_signal", "-s", "1.5"),
        TL_ARGV("shm_signal", "-q"),       TL_ARGV("shm_signal", "more"),
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tl_result r = tl_run(&(tl_opts){ .argv = cases[k], .deadline_ms = 3000 });
        cr_assert(r.exited && r.status == 2, "bad arguments must exit with status 2; %s",
                  tl_explain(&r));
        cr_assert(tl_one_line(r.err) && (!strncmp(r.err, "shm_signal: ", 12) ||
                                         !strncmp(r.err, "usage: ", 7)),
                  "bad arguments must print one line on stderr starting with \"shm_signal: \" "
                  "or \"usage: \", got \"%s\".\n  Reproduce: %s", r.err, r.cmd);
        cr_assert(r.out_len == 0 && tl_clean(&r), "bad arguments: nothing on stdout, nothing "
                  "left behind (no segment created); %s", tl_explain(&r));
        tl_result_free(&r);
    }
}

Test(run, five_values)
{
    struct run *u = run_shm(5, 0, tl_random_seed(), NULL);
    cr_assert(tl_exited_ok(&u->r), "%s", tl_explain(&u->r));
    cr_assert(u->nbad == 0, "unexpected output line \"%s\" (see the line formats in README.md)."
              "\n  Reproduce: %s", u->bad, u->r.cmd);
    assert_same_sequence(u, 5);
    for (int k = 0; k < 5; k++)
        cr_assert(u->wrote[k] >= 0 && u->wrote[k] <= 100, "value %d is %d, not in 0..100.\n"
                  "  Reproduce: %s", k + 1, u->wrote[k], u->r.cmd);
}

Test(run, no_value_lost)
{
    struct run *u = run_shm(1000, 0, tl_random_seed(), "handler=0-200");
    assert_same_sequence(u, 1000);
    cr_assert(tl_exited_ok(&u->r), "%s", tl_explain(&u->r));
}

Test(run, child_reads_values)
{
    struct run *u = run_shm(50, 0, tl_random_seed(), NULL);
    cr_assert(u->nread > 0, "no \"Child N read V\" line; %s", tl_explain(&u->r));
    cr_assert(u->reader != u->r.pid, "\"Child %d read ...\": %d is the parent's PID; the child "
              "must read the values and print its own PID (is the parent signalling itself?)."
              "\n  Reproduce: %s", (int)u->reader, (int)u->reader, u->r.cmd);
    cr_assert(!u->readers_differ, "the \"read\" lines do not all come from one child.\n"
              "  Reproduce: %s", u->r.cmd);
    assert_same_sequence(u, 50);
}

Test(run, child_ended_and_reaped)
{
    struct run *u = run_shm(20, 0, tl_random_seed(), NULL);
    cr_assert(!u->r.timed_out, "%s (does the parent end the child with SIGTERM before "
              "waiting for it?)", tl_explain(&u->r));
    cr_assert(u->r.n_leftover == 0 && u->r.n_zombie == 0, "%s", tl_explain(&u->r));
    cr_assert(u->nended == 1 && u->ended == u->reader && u->ended_sig == SIGTERM,
              "expected one line \"Child %d ended by signal 15\" after the last value "
              "(the parent sends SIGTERM, then waitpid); %s", (int)u->reader, tl_explain(&u->r));
    cr_assert(tl_exited_ok(&u->r), "%s", tl_explain(&u->r));
}

Test(run, segment_removed)
{
    struct run *u = run_shm(10, 0, tl_random_seed(), NULL);
    cr_assert(u->r.n_ipc_leak == 0, "%s", tl_explain(&u->r));
    cr_assert(tl_exited_ok(&u->r), "%s", tl_explain(&u->r));
}

/* The values are contract (README.md §2): srand(SEED) once (main does it), then
 * rand() % 101 per value. The test draws the same sequence with the same C library, so a
 * program seeded from the clock or with another formula fails whenever it runs. */
static void expect_seeded_values(const struct run *u, unsigned seed, int count)
{
    cr_assert(u->nwrote == count, "expected %d \"Parent wrote\" lines, found %d; %s", count,
              u->nwrote, tl_explain(&u->r));
    srand(seed);
    for (int k = 0; k < count; k++) {
        int v = rand() % 101;
        cr_assert(u->wrote[k] == v, "value %d with -s %u: the parent wrote %d, but srand(%u) "
                  "then rand() %% 101 gives %d: draw each value with rand() %% 101 in the parent "
                  "(main() already calls srand(seed) once; do not reseed, e.g. from the clock)."
                  "\n  Reproduce: %s", k + 1, seed, u->wrote[k], seed, v, u->r.cmd);
    }
}

Test(run, seed_reproducible)
{
    unsigned seed = tl_random_seed();
    struct run *a = run_shm(30, 0, seed, NULL);
    expect_seeded_values(a, seed, 30);
    struct run *c = run_shm(30, 0, seed + 1, NULL);
    expect_seeded_values(c, seed + 1, 30);
}

Test(run, interval_respected)
{
    struct run *u = run_shm(4, 100, tl_random_seed(), NULL);
    cr_assert(tl_exited_ok(&u->r), "%s", tl_explain(&u->r));
    cr_assert(u->r.elapsed_ms >= 400, "-n 4 -i 100 must take at least 4 x 100 ms, took %.0f ms."
              "\n  Reproduce: %s", u->r.elapsed_ms, u->r.cmd);
}

/* The child starts late (20-30 ms, so that one run of the Reproduce line shows it too,
 * even with both cores busy): the first SIGUSR1 arrives before it reaches its wait. */
Test(race, early_signal)
{
    for (int rep = 0; rep < 3; rep++) {
        struct run *u = run_shm(10, 0, tl_random_seed(), "fork_child=20000-30000");
        cr_assert(!(u->nended && u->ended_sig == SIGUSR1), "the child was killed by SIGUSR1: it "
                  "arrived before the child was ready. Install the handlers and block SIGUSR1 "
                  "BEFORE fork(); %s", tl_explain(&u->r));
        assert_same_sequence(u, 10);
        cr_assert(tl_exited_ok(&u->r), "%s", tl_explain(&u->r));
    }
}

/* A delay before pause(): a process that checks a flag and then calls pause() misses a
 * signal that arrives in between, and sleeps forever. sigsuspend() cannot miss it, provided
 * the signal stays blocked until sigsuspend() unblocks it: a delay before sigsuspend()
 * catches a program that tests its flag with the signal unblocked (it is handled in
 * between, and sigsuspend() then waits for one that already came). */
Test(race, lost_wakeup)
{
    for (int rep = 0; rep < 2; rep++) {
        struct run *u = run_shm(200, 0, tl_random_seed(),
                                "pause=200-600,sigsuspend=0-400,kill=0-100");
        cr_assert(!u->r.timed_out, "%s\n  A signal that arrives between the check of a flag and "
                  "pause() or sigsuspend() is lost: keep SIGUSR1/SIGUSR2 blocked (from before "
                  "fork()) while you check, and wait with sigsuspend(), which unblocks them.",
                  tl_explain(&u->r));
        assert_same_sequence(u, 200);
        cr_assert(tl_exited_ok(&u->r), "%s", tl_explain(&u->r));
    }
}

/* The lost wake-up of SIGCHLD: the parent tests child_gone, the child dies, its SIGCHLD is
 * handled at once if not blocked, and sigsuspend() then waits for an acknowledgement that
 * never comes. Every sigsuspend() is delayed 100-110 ms; the child is killed 50 ms after
 * its first "read" line. By then the parent has had that acknowledgement (at most about
 * 10 ms after the line, the two delays start together) and is in the delay of the next
 * value, which the child, still in its own delay, will never acknowledge. A loaded machine
 * may shift that schedule once in a while (a shell replay of it missed about one time in
 * ten), hence 5 runs. */
Test(race, child_death_wakeup)
{
    for (int rep = 0; rep < 5; rep++) {
        tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("shm_signal", "-n", "1000000", "-i",
                                                          "0"),
                                          .perturb = "sigsuspend=100000-110000",
                                          .deadline_ms = 5000 });
        cr_assert(tl_wait_output(p, " read ", 3000), "no \"Child N read V\" line within 3 s."
                  "\n  Reproduce: %s", tl_proc_cmd(p));
        char *out = tl_peek_output(p), *line = strstr(out, "Child ");
        int child = 0;
        cr_assert(line && sscanf(line, "Child %d", &child) == 1 && child > 0 &&
                  child != tl_pid(p), "cannot read the child's PID from \"%.60s\"",
                  line ? line : out);
        free(out);
        tl_sleep_ms(50);
        kill(child, SIGKILL);
        tl_note_action(p, "sleep 0.05; pkill -KILL -P $!");
        tl_result r = tl_wait(p);
        cr_assert(!r.timed_out, "%s\n  The child died between the parent's test of its flags "
                  "and sigsuspend(): keep SIGCHLD blocked (with SIGUSR1/SIGUSR2) while you "
                  "check, and let sigsuspend() unblock it.", tl_explain(&r));
        cr_assert(r.exited && r.status == 1 && strstr(r.err, "shm_signal: the child ended "
                  "unexpectedly"), "when the child dies, the parent must exit with status 1 "
                  "and \"shm_signal: the child ended unexpectedly\"; %s", tl_explain(&r));
        cr_assert(tl_clean(&r), "%s", tl_explain(&r));
        tl_result_free(&r);
    }
}

/* Start a long run and wait until the child has read a value. */
static tl_proc *start_long_run_perturbed(pid_t *child, const char *perturb)
{
    tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("shm_signal", "-n", "1000000", "-i", "2"),
                                      .perturb = perturb, .deadline_ms = 10000 });
    cr_assert(tl_wait_output(p, " read ", 5000), "no \"Child N read V\" line within 5 s.\n"
              "  Reproduce: %s", tl_proc_cmd(p));
    char *out = tl_peek_output(p), *line = strstr(out, "Child ");
    int pid = 0;
    cr_assert(line && sscanf(line, "Child %d", &pid) == 1 && pid > 0, "cannot read the child's "
              "PID from \"%.60s\"", line ? line : out);
    free(out);
    *child = (pid_t)pid;
    return p;
}

static tl_proc *start_long_run(pid_t *child)
{
    return start_long_run_perturbed(child, NULL);
}

/* SIGTERM, then in a second run SIGINT: the handout treats both alike. */
Test(robust, interrupted)
{
    const int sigs[] = { SIGTERM, SIGINT };
    for (size_t k = 0; k < sizeof sigs / sizeof *sigs; k++) {
        const char *name = sigs[k] == SIGTERM ? "SIGTERM" : "SIGINT";
        pid_t child;
        tl_proc *p = start_long_run(&child);
        tl_signal(p, sigs[k]);
        tl_result r = tl_wait(p);
        cr_assert(r.exited && r.status == 1, "after %s the parent must end the child, reap it, "
                  "and exit with status 1; %s", name, tl_explain(&r));
        cr_assert(strstr(r.err, "shm_signal: interrupted"), "after %s: expected \"shm_signal: "
                  "interrupted\" on stderr, got \"%s\"", name, r.err);
        cr_assert(tl_clean(&r), "%s", tl_explain(&r));
        tl_result_free(&r);
    }
}

/* An impatient user: SIGTERM, then SIGTERM again every 40 us for 50 ms while the parent
 * stops (not faster: a process signalled faster than it handles signals never leaves its
 * handler). Some land while it waits for the child in waitpid(), which then fails with
 * EINTR: it must wait again, or the child is left unreaped. Whether one lands there
 * depends on timing (about one run in three), hence 10 runs; in the first, the test
 * library makes the parent's first blocking wait fail with EINTR (TL_PERTURB=
 * wait_eintr=1: only if a handler without SA_RESTART is installed, when a real SIGTERM
 * can interrupt it), so that the unlucky timing happens every time. */
Test(robust, repeated_signals)
{
    for (int rep = 0; rep < 10; rep++) {
        pid_t child;
        tl_proc *p = start_long_run_perturbed(&child, rep == 0 ? "wait_eintr=1" : NULL);
        tl_signal(p, SIGTERM);
        tl_note_action(p, "for i in $(seq 1000); do kill -TERM $! 2>/dev/null; done");
        /* The program is the test's child: until tl_wait() reaps it, its pid is its own. */
        for (double end = tl_now_ms() + 50; tl_now_ms() < end;) {
            kill(tl_pid(p), SIGTERM);
            for (double next = tl_now_ms() + 0.04; tl_now_ms() < next;)
                ;
        }
        tl_result r = tl_wait(p);
        cr_assert(r.exited && r.status == 1 && strstr(r.err, "shm_signal: interrupted"),
                  "after repeated SIGTERMs the parent must still end the child, reap it and "
                  "exit with status 1 (\"shm_signal: interrupted\"); %s", tl_explain(&r));
        cr_assert(tl_clean(&r), "after repeated SIGTERMs: %s (a signal interrupts waitpid(), "
                  "which fails with EINTR: call it again)", tl_explain(&r));
        tl_result_free(&r);
    }
}

Test(robust, child_killed)
{
    pid_t child;
    tl_proc *p = start_long_run(&child);
    cr_assert(child != tl_pid(p), "the reader is the parent itself (PID %d)", (int)child);
    kill(child, SIGKILL);
    tl_note_action(p, "pkill -KILL -P $!");
    tl_result r = tl_wait(p);
    cr_assert(r.exited && r.status == 1, "when the child dies, the parent must notice (SIGCHLD), "
              "reap it, remove the segment and exit with status 1; %s", tl_explain(&r));
    cr_assert(strstr(r.err, "shm_signal: the child ended unexpectedly"), "expected \"shm_signal: "
              "the child ended unexpectedly\" on stderr, got \"%s\"", r.err);
    cr_assert(tl_clean(&r), "%s", tl_explain(&r));
}

/* The segment cannot be created (shmget: ENOSPC, the system's limit) or attached (shmat:
 * ENOMEM), injected by the test library: exit 1 with "shm_signal: CALL: REASON", and a
 * segment created before shmat() failed is removed. */
Test(robust, segment_failures)
{
    const char *calls[] = { "shmget", "shmat" };
    for (size_t k = 0; k < sizeof calls / sizeof *calls; k++) {
        char perturb[32], prefix[32];
        snprintf(perturb, sizeof perturb, "%s_fail=1", calls[k]);
        snprintf(prefix, sizeof prefix, "shm_signal: %s: ", calls[k]);
        tl_result r = tl_run(&(tl_opts){ .argv = TL_ARGV("shm_signal", "-n", "3", "-i", "0"),
                                         .perturb = perturb, .deadline_ms = 3000 });
        cr_assert(r.exited && r.status == 1, "when %s() fails, shm_signal must exit with "
                  "status 1; %s", calls[k], tl_explain(&r));
        cr_assert(tl_one_line(r.err) && !strncmp(r.err, prefix, strlen(prefix)) &&
                  strlen(r.err) > strlen(prefix) + 1, "when %s() fails stderr must be the one "
                  "line \"%sREASON\" (perror), got \"%s\".\n  Reproduce: %s", calls[k], prefix,
                  tl_shown_text(r.err, r.err_len, 200), r.cmd);
        cr_assert(r.out_len == 0, "when %s() fails nothing can be written: stdout must be "
                  "empty; %s", calls[k], tl_explain(&r));
        cr_assert(tl_clean(&r), "when %s() fails: %s", calls[k], tl_explain(&r));
        tl_result_free(&r);
    }
}
