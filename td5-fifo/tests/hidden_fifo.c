/*
 * hidden_fifo.c: instructor-only td5 tests (not shipped to students): what happens
 * when the other side misbehaves. A reader that leaves early must not kill send_rand
 * silently nor make it hang; a malformed value must make get_rand fail cleanly.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "support.h"
#include "tl.h"

TestSuite(hidden, .init = tl_setup, .fini = tl_teardown, .timeout = 30);

/* The test reads a little, then closes its read end: send_rand's next write fails
 * with EPIPE (SIGPIPE ignored): it must say so and exit 1. */
Test(hidden, reader_leaves_early)
{
    const char *path = tl_path("fifo");
    char buf[4096];
    cr_assert(mkfifo(path, 0600) == 0, "test setup: mkfifo %s failed", path);
    int rfd = tl_fifo_read_end(path);
    cr_assert(rfd >= 0, "test setup: cannot open %s", path);
    tl_proc *p = start_writer("send_rand", path, 20000000, tl_random_seed(), 4000);
    tl_note_peer(p, "head -c 4096 ./fifo >/dev/null"); /* the line's reader leaves early too */
    double until = tl_now_ms() + tl_deadline(2000);
    ssize_t got = 0;
    while (got <= 0 && tl_now_ms() < until && tl_alive(p)) {
        got = read(rfd, buf, sizeof buf);
        if (got <= 0)
            tl_sleep_us(500);
    }
    close(rfd);
    tl_result r = tl_wait(p);
    unlink(path);
    cr_assert(got > 0, "send_rand -n 20000000 wrote nothing into the FIFO; %s", tl_explain(&r));
    cr_assert(!r.signaled || r.sig != SIGPIPE, "send_rand was killed by SIGPIPE when its reader "
              "left: ignore SIGPIPE and report the EPIPE error of write(); %s", tl_explain(&r));
    cr_assert(r.exited && r.status == 1, "when the reader leaves early, send_rand must stop "
              "with status 1; %s", tl_explain(&r));
    cr_assert(tl_one_line(r.err) && !strncmp(r.err, "send_rand: ", 11), "send_rand must print "
              "one line \"send_rand: ...\" on stderr, got \"%.100s\".\n  Reproduce: %s", r.err,
              r.cmd);
    cr_assert(r.out_len == 0, "no \"sent\" line when the values did not all get through, got "
              "\"%.80s\".\n  Reproduce: %s", r.out, r.cmd);
}

/* Malformed input: get_rand exits 1 with one error line, prints no average, and still
 * removes the FIFO. */
Test(hidden, invalid_values)
{
    const char *cases[] = { "12\nabc\n", "12\n\n7\n", "5\n1234\n", "5\n12", "12\n7",
                            "-5\n", "3 \n" };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const char *path = tl_path("fifo");
        cr_assert(mkfifo(path, 0600) == 0, "test setup: mkfifo %s failed", path);
        tl_proc *p = start_reader("get_rand", path, 3000);
        int wfd = tl_fifo_write_end(path, p, 2000);
        if (wfd >= 0) {
            tl_write_within(wfd, cases[k], strlen(cases[k]), 1000);
            close(wfd);
        }
        tl_result r = tl_wait(p);
        bool left = tl_path_exists(path);
        unlink(path);
        cr_assert(r.exited && r.status == 1, "the FIFO carried \"%s\" (a malformed value): "
                  "get_rand must exit with status 1, but %s", cases[k], tl_explain(&r));
        cr_assert(tl_one_line(r.err) && !strncmp(r.err, "get_rand: ", 10), "one error line "
                  "\"get_rand: ...\" expected for input \"%s\", got \"%.100s\".\n  Reproduce: %s",
                  cases[k], r.err, r.cmd);
        cr_assert(r.out_len == 0, "no average for malformed input \"%s\", got \"%.80s\".\n"
                  "  Reproduce: %s", cases[k], r.out, r.cmd);
        cr_assert(!left, "get_rand must remove the FIFO even after an error.\n  Reproduce: %s",
                  r.cmd);
        tl_result_free(&r);
    }
}
