/*
 * tl_replay.c: the runner of the Reproduce check (tools/selftest). It runs a failing
 * test's Reproduce line the way a student pastes it into a shell in the exercise
 * directory (bash, from the current directory), RUNS times, and counts the runs that end
 * the way the test saw the program end: the signature tl_signature() gave the test's run
 * (hang, exit status or signal, zombies, leftovers, System V leftovers, and for a clean
 * exit 0 its stdout: see same_outcome()). It uses the test library itself, so a zombie or a
 * leftover is seen exactly as the tests see it (this process is a child subreaper).
 * A line that starts several programs (a server and its clients: tl.c's compose_multi)
 * sends the others' stdout to stderr and exits with the judged one's status, so it is
 * judged the same way.
 *
 * usage: tl_replay RUNS SIGNATURE LINE [MS]
 * Prints "K/RUNS reproduced" and the signature of each run that differed; exits 0 when
 * K >= 9 * RUNS / 10, and stops as soon as that cannot be. A line expected to hang is
 * judged hung when still running after 2.5 s (or stopped by its own `timeout`): those
 * runs go in parallel, to keep it fast. Any other run may take 3 * MS + 2 s (MS: how long
 * the test's run took), between 3 and 15 s.
 */
#include "tl.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_RUNS 20

/* The run's signature; when a hang is expected, a line's own `timeout` (status 124, or
 * 137 with -k) is one (137 may also be a program the line itself kills with SIGKILL, as
 * the test did). */
static const char *replay_signature(tl_result *r, bool hang)
{
    r->peer = false; /* the runs of a hang go in parallel: not peers of each other */
    if (hang && r->exited && (r->status == 124 || r->status == 137) && !r->n_zombie)
        return "hang";
    return tl_signature(r);
}

/* The same outcome: equal signatures, except that for outputs one of the hashes is
 * enough: the lines with the pids blanked, as they are, or, for an output that differs
 * from run to run (several processes writing the same pipe), their shape, every number
 * blanked (the same lines, lost or repeated ones included, with other values). */
static bool same_outcome(const char *got, const char *want)
{
    /* Children not waited for are zombies or still running at the end depending on
     * timing (a shell between adds some): one outcome. */
    char g0[160], w0[160];
    snprintf(g0, sizeof g0, "%s", got), snprintf(w0, sizeof w0, "%s", want);
    for (char *x = g0, *k; x == g0 || x == w0; x = x == g0 ? w0 : NULL) {
        if ((k = strstr(x, " zombies leftovers")))
            memmove(k + 8, k + 18, strlen(k + 18) + 1);
        else if ((k = strstr(x, " leftovers")))
            memcpy(k, " zombies", 8), memmove(k + 8, k + 10, strlen(k + 10) + 1);
    }
    got = g0, want = w0;
    const char *g = strstr(got, " out "), *w = strstr(want, " out ");
    if (!g || !w)
        return !strcmp(got, want);
    char gh[3][17], wh[3][17];
    if ((size_t)(g - got) != (size_t)(w - want) || strncmp(got, want, (size_t)(g - got)) ||
        sscanf(g, " out %16s %16s %16s", gh[0], gh[1], gh[2]) != 3 ||
        sscanf(w, " out %16s %16s %16s", wh[0], wh[1], wh[2]) != 3)
        return false;
    return !strcmp(gh[0], wh[0]) || !strcmp(gh[1], wh[1]) || !strcmp(gh[2], wh[2]);
}

/* The program the line runs: its first word in build/ that is a command (not a
 * variable's value, not the directory of a cd, not one of the other programs of a line
 * that runs several, "PROG ... >&2 & pK=$!;"), e.g. ./build/student/prog. */
static const char *self_name(const char *line)
{
    static char name[64], word[512];
    const char *prev = "";
    static char prevbuf[512];
    name[0] = '\0';
    for (const char *q = line; *q;) {
        size_t len = strcspn(q, " ");
        snprintf(word, sizeof word, "%.*s", (int)len, q);
        char *w = word;
        while (*w == '(' || *w == '\'')
            w++;
        /* in a line of several programs, the one whose stdout is not sent to stderr */
        size_t cmd_len = strcspn(q, ";");
        bool other = memmem(q, cmd_len, ">&2 &", 5) != NULL;
        if (strstr(w, "build/") && !strchr(w, '=') && strcmp(prev, "cd") && !other) {
            char *end = w + strcspn(w, ";|&)'"), *slash = end;
            while (slash > w && slash[-1] != '/')
                slash--;
            snprintf(name, sizeof name, "%.*s", (int)(end - slash), slash);
            return name;
        }
        snprintf(prevbuf, sizeof prevbuf, "%s", w);
        prev = prevbuf;
        q += len;
        while (*q == ' ')
            q++;
    }
    return name;
}

int main(int argc, char **argv)
{
    int runs = argc == 4 || argc == 5 ? atoi(argv[1]) : 0;
    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: tl_replay RUNS(1-%d) SIGNATURE LINE [MS]\n", MAX_RUNS);
        return 2;
    }
    int ms = argc == 5 ? 3 * atoi(argv[4]) + 2000 : 15000;
    ms = ms < 3000 ? 3000 : ms > 15000 ? 15000 : ms;
    const char *want = argv[2], *line = argv[3];
    static char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        perror("tl_replay: getcwd");
        return 2;
    }
    bool hang = !strcmp(want, "hang");
    /* TL_TRACE_ALL: every process of the line is traced, to know the pids to blank in
     * its output (see tl_preload.c) */
    tl_opts o = { .argv = TL_ARGV("/bin/bash", "-o", "pipefail", "-c", line), .cwd = cwd,
                  .deadline_ms = hang ? 2500 : ms, .env = TL_ENV("TL_TRACE_ALL=1") };
    setenv("TL_SELF_NAME", self_name(line), 1);
    /* A program that signals its parent (wrongly) must not end the check: bash execs a
     * simple command, whose parent is then this process (tl resets signals at exec). */
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGALRM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    tl_setup();
    tl_proc *live[MAX_RUNS];
    int same = 0;
    char differ[MAX_RUNS][160];
    int done = runs, missed = 0;
    for (int i = 0; i < runs; i++) {
        if (hang) {                   /* all at once: each is judged at its deadline */
            live[i] = tl_start(&o);
            continue;
        }
        tl_result r = tl_run(&o);
        snprintf(differ[i], sizeof differ[i], "%s", replay_signature(&r, hang));
        if (getenv("TL_REPLAY_VERBOSE"))
            fprintf(stderr, "run %d (pid %d): %s\n%s", i + 1, (int)r.pid, differ[i], r.out);
        tl_result_free(&r);
        missed += !same_outcome(differ[i], want);
        if (missed * 10 > runs) {     /* 9 in 10 is out of reach */
            done = i + 1;
            break;
        }
    }
    for (int i = 0; hang && i < runs; i++) {
        tl_result r = tl_wait(live[i]);
        snprintf(differ[i], sizeof differ[i], "%s", replay_signature(&r, hang));
        tl_result_free(&r);
    }
    tl_teardown();
    for (int i = 0; i < done; i++)
        same += same_outcome(differ[i], want);
    printf("%d/%d reproduced%s", same, runs, done < runs ? " (stopped early)" : "");
    for (int i = 0; i < done; i++)
        if (!same_outcome(differ[i], want))
            printf("; run %d: %s", i + 1, differ[i]);
    printf("\n");
    return same * 10 >= runs * 9 ? 0 : 1;
}
