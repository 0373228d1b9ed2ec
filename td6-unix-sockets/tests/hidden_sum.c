/*
 * hidden_sum.c: instructor-only tests of td6 (not shipped to students): a crowd of
 * clients over several rounds of 4, and a restart after a crash (SIGKILL) that left
 * the socket file behind.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support.h"
#include "tl.h"

TestSuite(hidden, .init = tl_setup, .fini = tl_teardown, .timeout = 60);

/* 20 clients at once with -c 4: 5 rounds; the values of each round line are exactly
 * those of the clients that printed its sum. */
Test(hidden, crowd_of_clients)
{
    enum { N = 20, C = 4 };
    server s = start_server(C);
    long long v[N], got[N];
    char note[64];
    random_values(v, N, note, sizeof note);
    tl_proc *p[N];
    for (int i = 0; i < N; i++)
        p[i] = start_client(v[i], 6000);
    for (int i = 0; i < N; i++) {
        tl_result r = tl_wait(p[i]);
        char tail;
        cr_assert(tl_exited_ok(&r) && sscanf(r.out, "sum = %lld%c", &got[i], &tail) == 2,
                  "%d clients at once, -c %d: %s\n  (server: %s; %s)", N, C, tl_explain(&r),
                  s.cmd, note);
        tl_result_free(&r);
    }
    bool late;
    tl_result r = stop_server(&s, SIGTERM, &late);
    cr_assert(!late && tl_exited_ok(&r), "%s", tl_explain(&r));
    server_out o = parse_server(r.out);
    cr_assert(o.nrounds == N / C, "%d clients with -c %d make %d rounds, the server printed %d."
              "\n  (server: %s)", N, C, N / C, o.nrounds, s.cmd);
    for (int k = 0; k < o.nrounds; k++) {
        long long sum = 0;
        cr_assert(o.rounds[k].nv == C, "round %ld lists %d values, expected %d.\n"
                  "  (server: %s)", o.rounds[k].number, o.rounds[k].nv, C, s.cmd);
        for (int j = 0; j < C; j++) {
            int who = -1;
            for (int i = 0; i < N; i++)
                if (v[i] == o.rounds[k].v[j])
                    who = i;
            cr_assert(who >= 0 && got[who] == o.rounds[k].sum, "round %ld lists %lld, whose "
                      "client %s.\n  (server: %s; %s)", o.rounds[k].number, o.rounds[k].v[j],
                      who < 0 ? "does not exist" : "printed another sum", s.cmd, note);
            sum += o.rounds[k].v[j];
        }
        cr_assert(sum == o.rounds[k].sum, "round %ld: the listed values add up to %lld, the line "
                  "says %lld.\n  (server: %s)", o.rounds[k].number, sum, o.rounds[k].sum, s.cmd);
    }
    free_server_out(&o);
    tl_result_free(&r);
}

/* A server killed by SIGKILL leaves its socket file; the next one must start anyway. */
Test(hidden, restart_after_crash)
{
    server s = start_server(1);
    bool late;
    tl_result r = stop_server(&s, SIGKILL, &late);
    tl_result_free(&r);
    struct stat st;
    cr_assert(lstat(tl_path(SOCK_NAME), &st) == 0, "test setup: the killed server left no file");
    s = start_server(1);
    tl_proc *c = start_client(-42, 3000);
    r = tl_wait(c);
    long long sum;
    cr_assert(tl_exited_ok(&r) && client_sum(&r, &sum) && sum == -42, "a server started over "
              "the file of a crashed one must serve: %s\n  (server: %s)", tl_explain(&r), s.cmd);
    tl_result_free(&r);
    r = stop_server(&s, SIGTERM, &late);
    cr_assert(!late && tl_exited_ok(&r), "%s", tl_explain(&r));
    cr_assert(!*tl_dir_extra(tl_dir(), NULL), "the socket file must be gone after SIGTERM.\n"
              "  Reproduce: %s", r.cmd);
    tl_result_free(&r);
}
