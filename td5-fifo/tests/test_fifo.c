/*
 * test_fifo.c: behavioural tests of send_rand and get_rand (td5), run through the test
 * support library. Each program is tested alone, the test playing the other side
 * through the documented format (text lines "%d\n", 0..999), then together, then
 * against the reference build when there is one (cross-pairing). Seeds are random
 * and shown in the messages; expected counts and averages come from what the writers
 * (or the test) actually wrote.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "support.h"
#include "tl.h"

TestSuite(args, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(writer, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(reader, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(fifo, .init = tl_setup, .fini = tl_teardown, .timeout = 40);
TestSuite(cross, .init = tl_setup, .fini = tl_teardown, .timeout = 30);

/* ---------- the test as the reader ---------- */

/* Make the FIFO (unless send_rand must), read everything send_rand (prog) writes into
 * s, in reads of at most chunk bytes. Returns send_rand's result; *eof: EOF was seen. */
/* A FIFO the program created has the mode of the contract, 0600 (README.md, Names): the
 * test runs it under umask 0, so the mode given to mkfifo() shows unchanged. */
static void expect_fifo_mode(const char *path, tl_proc *p, const char *prog)
{
    struct stat st = { 0 };
    if (stat(path, &st) == 0 && (st.st_mode & 07777) == 0600)
        return;
    unsigned mode = (unsigned)(st.st_mode & 07777);
    /* The Reproduce line shows the mode too: stat, while the program waits in open(). */
    const char *base = strrchr(path, '/');
    char look[96];
    snprintf(look, sizeof look, "stat -c 'mode %%a' ./%s >&2", base ? base + 1 : path);
    tl_note_peer(p, look);
    tl_result r = tl_stop(p, SIGKILL, 0, NULL, NULL);
    tl_set_look(&r, "stat prints the mode of the FIFO %s created: 600 is the contract's (under "
                "umask 022, mkfifo(path, 0666) shows as 644)", prog);
    cr_assert(false, "%s created the FIFO with mode %04o under umask 0; the contract is 0600 "
              "(mkfifo(path, 0600): only you may open it).\n  Reproduce: %s", prog, mode, r.cmd);
}

static tl_result read_writer(const char *prog, const char *path, bool make, long n,
                             unsigned seed, struct stream *s, bool *eof)
{
    *eof = false;
    if (make)
        cr_assert(mkfifo(path, 0600) == 0, "test setup: mkfifo %s failed", path);
    tl_proc *p = start_writer(prog, path, n, seed, 5000);
    if (!make && !tl_wait_fifo(path, p, 2000)) {
        tl_result r = tl_stop(p, SIGKILL, 0, NULL, NULL);
        cr_assert(false, "send_rand did not create the missing FIFO %s (mkfifo) before "
                  "waiting for a reader; %s", path, tl_explain(&r));
    }
    if (!make)
        expect_fifo_mode(path, p, prog);
    int rfd = tl_fifo_read_end(path), keep = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    cr_assert(rfd >= 0 && keep >= 0, "test setup: cannot open %s", path);
    tl_note_read(p, path); /* the Reproduce line reads it too */
    *eof = collect(rfd, &keep, &p, 1, s, 0, 0, 5000);
    tl_result r = tl_wait(p);
    close(rfd);
    if (keep >= 0)
        close(keep);
    unlink(path);       /* the reader removes the FIFO: here the test is the reader */
    return r;
}

/* The values read by the test are what send_rand reported, all well formed. */
static void check_stream(const tl_result *r, const struct stream *s, bool eof, long n)
{
    long long count, sum;
    cr_assert(eof, "the FIFO never reached end of file: send_rand must close it (or exit) "
              "once its values are written; %s", tl_explain(r));
    check_writer(r, &count, &sum);
    cr_assert(!s->bad_line, "line %ld written into the FIFO is \"%s\": every value must be "
              "one line \"%%d\\n\" with a value in 0..999.\n  Reproduce: %s", s->bad_line,
              s->bad, r->cmd);
    cr_assert(s->count == n && count == n, "-n %ld: send_rand wrote %lld values and reported "
              "%lld.\n  Reproduce: %s", n, s->count, count, r->cmd);
    cr_assert(sum == s->sum, "send_rand reported the sum %lld, but the values it wrote sum to "
              "%lld.\n  Reproduce: %s", sum, s->sum, r->cmd);
}

/* ---------- the test as a writer ---------- */

/* Start get_rand (prog) on path (made first if make), write data into the FIFO: all
 * at once (max_chunk 0), or in chunks of 1..max_chunk bytes, each read by get_rand
 * before the next is written. */
static tl_result feed_reader(const char *prog, const char *path, bool make, const char *data,
                             size_t len, int max_chunk, unsigned seed)
{
    if (make)
        cr_assert(mkfifo(path, 0600) == 0, "test setup: mkfifo %s failed", path);
    /* In chunks, the Reproduce line writes the bytes from a copy of the test's directory:
     * values.txt must be there when the program starts (path is tl_path("fifo")). */
    if (max_chunk)
        cr_assert(tl_write_file(tl_path("values.txt"), data, len, 0644) == 0 &&
                  !strcmp(path, tl_path("fifo")), "test setup: cannot write values.txt");
    tl_proc *p = start_reader(prog, path, 5000);
    int wfd = tl_fifo_write_end(path, p, 3000);
    if (wfd < 0) {
        tl_result r = tl_stop(p, SIGKILL, 0, NULL, NULL);
        cr_assert(false, "the test could not open %s for writing: get_rand never opened it "
                  "for reading; %s", path, tl_explain(&r));
    }
    if (!max_chunk) /* the Reproduce line writes it too */
        tl_note_wrote(p, path, data, len);
    else { /* the same bytes, the first value cut just before its newline: a reader that
            * takes the end of a read() for the end of a value fails there, every time */
        char cut[160];
        size_t k = strcspn(data, "\n");
        snprintf(cut, sizeof cut, "{ head -c %zu values.txt; sleep 0.3; tail -c +%zu values.txt; "
                 "} > ./fifo", k, k + 1);
        tl_note_peer(p, cut);
    }
    srand(seed);
    for (size_t off = 0, k; off < len; off += k) {
        k = max_chunk ? 1 + (size_t)rand() % (size_t)max_chunk : len;
        k = k < len - off ? k : len - off;
        if (!tl_write_within(wfd, data + off, k, 3000) ||
            (max_chunk && !tl_wait_drained(wfd, 3000)))
            break;      /* get_rand stopped reading: its result says why */
    }
    close(wfd);
    if (max_chunk)
        unlink(tl_path("values.txt"));
    return tl_wait(p);
}

/* ================================ args ================================ */

Test(args, usage_errors)
{
    const char *f = tl_path("f");
    const char *const *cases[] = {
        TL_ARGV("send_rand"),                     TL_ARGV("send_rand", f),
        TL_ARGV("send_rand", "-n", "5"),          TL_ARGV("send_rand", f, "-n", "abc"),
        TL_ARGV("send_rand", f, "-n", "-1"),      TL_ARGV("send_rand", f, "-n", "5x"),
        TL_ARGV("send_rand", f, "-n", "100000001"), TL_ARGV("send_rand", f, "-n", ""),
        TL_ARGV("send_rand", f, "-n", "5", "-s", "x"), TL_ARGV("send_rand", f, "-n", "5", "-x"),
        TL_ARGV("send_rand", f, "g", "-n", "5"),  TL_ARGV("send_rand", f, "-n"),
        TL_ARGV("send_rand", "", "-n", "5"),      TL_ARGV("get_rand"),
        TL_ARGV("get_rand", f, "g"),              TL_ARGV("get_rand", "-x", f),
        TL_ARGV("get_rand", ""),
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const char *prog = cases[k][0];
        size_t plen = strlen(prog);
        tl_result r = tl_run(&(tl_opts){ .argv = cases[k], .deadline_ms = 1500 });
        cr_assert(r.exited && r.status == 2, "bad arguments must exit with status 2 before "
                  "touching any FIFO, but %s", tl_explain(&r));
        cr_assert(tl_one_line(r.err), "bad arguments must print exactly one line on stderr, "
                  "got \"%s\".\n  Reproduce: %s", r.err, r.cmd);
        cr_assert((!strncmp(r.err, prog, plen) && !strncmp(r.err + plen, ": ", 2)) ||
                  !strncmp(r.err, "usage: ", 7), "the error line must start with \"%s: \" or "
                  "\"usage: \", got \"%s\".\n  Reproduce: %s", prog, r.err, r.cmd);
        cr_assert(r.out_len == 0, "nothing may be printed on stdout for bad arguments.\n"
                  "  Reproduce: %s", r.cmd);
        cr_assert(tl_clean(&r), "%s", tl_explain(&r));
        cr_assert(!*tl_dir_extra(tl_dir(), NULL), "bad arguments must create nothing, but "
                  "\"%s\" appeared.\n  Reproduce: %s", tl_dir_extra(tl_dir(), NULL), r.cmd);
        tl_result_free(&r);
    }
}

/* prog on target must fail with exit 1 and one error line; cmd gets its command line. */
static void check_runtime_error(const char *prog, const char *target, char *cmd, size_t size)
{
    tl_result r = strcmp(prog, "send_rand")
                      ? tl_run(&(tl_opts){ .argv = TL_ARGV(prog, target), .deadline_ms = 1500 })
                      : tl_run(&(tl_opts){ .argv = TL_ARGV(prog, target, "-n", "3", "-s", "1"),
                                           .deadline_ms = 1500 });
    size_t plen = strlen(prog);
    cr_assert(r.exited && r.status == 1, "%s is not a FIFO and cannot become one: %s must exit "
              "with status 1, but %s", target, prog, tl_explain(&r));
    cr_assert(tl_one_line(r.err) && !strncmp(r.err, prog, plen) && !strncmp(r.err + plen, ": ", 2)
              && strstr(r.err, target), "the error must be one line on stderr starting with "
              "\"%s: \" and naming %s, got \"%s\".\n  Reproduce: %s", prog, target, r.err, r.cmd);
    cr_assert(r.out_len == 0, "nothing may be printed on stdout after an error.\n"
              "  Reproduce: %s", r.cmd);
    cr_assert(tl_clean(&r), "%s", tl_explain(&r));
    snprintf(cmd, size, "%s", r.cmd);
    tl_result_free(&r);
}

Test(args, runtime_errors)
{
    const char *data = tl_path("data"), *dir = tl_path("dir"), *missing = tl_path("nodir/f");
    const char *content = "5\n7\n";
    FILE *f = fopen(data, "w");
    cr_assert(f && fputs(content, f) >= 0 && fclose(f) == 0, "test setup: cannot write %s", data);
    cr_assert(mkdir(dir, 0700) == 0, "test setup: cannot make %s", dir);
    const char *progs[] = { "send_rand", "get_rand" }, *targets[] = { data, dir, missing };
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            struct stat st;
            char buf[16] = "", cmd[sizeof ((tl_result *)0)->cmd];
            check_runtime_error(progs[i], targets[j], cmd, sizeof cmd);
            f = fopen(data, "r");
            size_t got = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
            if (f)
                fclose(f);
            cr_assert(stat(data, &st) == 0 && S_ISREG(st.st_mode) && got == strlen(content) &&
                      !memcmp(buf, content, got), "%s must leave the regular file %s "
                      "untouched (check that NAME is a FIFO before opening it; never remove "
                      "what is not a FIFO).\n  Reproduce: %s", progs[i], data, cmd);
            cr_assert(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "%s removed the directory %s."
                      "\n  Reproduce: %s", progs[i], dir, cmd);
            cr_assert(!*tl_dir_extra(tl_dir(), TL_ARGV("data", "dir")), "\"%s\" was left "
                      "behind.\n  Reproduce: %s", tl_dir_extra(tl_dir(), TL_ARGV("data", "dir")),
                      cmd);
        }
}

/* ================================ writer ================================ */

Test(writer, format_and_report)
{
    unsigned seed = tl_random_seed();
    long n = 1000 + seed % 5000;
    struct stream s = { 0 };
    bool eof;
    tl_result r = read_writer("send_rand", tl_path("fifo"), true, n, seed, &s, &eof);
    check_stream(&r, &s, eof, n);
    cr_assert(!*tl_dir_extra(tl_dir(), NULL), "send_rand left \"%s\" in its directory.\n"
              "  Reproduce: %s", tl_dir_extra(tl_dir(), NULL), r.cmd);
}

Test(writer, creates_fifo)
{
    umask(0);
    unsigned seed = tl_random_seed();
    long n = 2000 + seed % 3000;
    struct stream s = { 0 };
    bool eof;
    tl_result r = read_writer("send_rand", tl_path("fifo"), false, n, seed, &s, &eof);
    check_stream(&r, &s, eof, n);
}

Test(writer, zero_values)
{
    struct stream s = { 0 };
    bool eof;
    tl_result r = read_writer("send_rand", tl_path("fifo"), true, 0, tl_random_seed(), &s, &eof);
    check_stream(&r, &s, eof, 0);
}

/* The values are contract (README.md, send_rand): srand(SEED) once, then rand() % 1000
 * per value, each as "%d\n". The test writes the same text from the same C library and
 * compares byte for byte: a writer seeded from the clock or with another formula fails
 * every time. */
static char *seeded_text(unsigned seed, int n, size_t *len)
{
    char *text = malloc((size_t)n * 4 + 1);
    cr_assert(text, "out of memory");
    srand(seed);
    *len = 0;
    for (int i = 0; i < n; i++)
        *len += (size_t)sprintf(text + *len, "%d\n", rand() % (VALUE_MAX + 1));
    return text;
}

Test(writer, seed_reproducible)
{
    unsigned seed = tl_random_seed();
    for (int k = 0; k < 2; k++) {
        struct stream s = { .keep_raw = true };
        bool eof;
        size_t len;
        char *want = seeded_text(seed + k, 300, &len);
        tl_result r = read_writer("send_rand", tl_path("fifo"), true, 300, seed + k, &s, &eof);
        check_stream(&r, &s, eof, 300);
        size_t at = 0;
        while (at < len && at < s.raw_len && want[at] == s.raw[at])
            at++;
        long line = 1;
        for (size_t c = 0; c < at; c++)
            line += want[c] == '\n';
        cr_assert(at == len && s.raw_len == len, "with -s %u, value %ld differs from what "
                  "srand(%u) then rand() %% 1000 give (the bytes differ from offset %zu): call "
                  "srand(seed) once (main() does it; never reseed, e.g. from the clock) and draw "
                  "each value with rand() %% 1000, in order.\n  Reproduce: %s", seed + k, line,
                  seed + k, at, r.cmd);
        free(want);
        stream_free(&s);
    }
}

/* Four writers share the FIFO while the test reads it slowly through a one-page pipe,
 * so that the pipe stays full and their writes contend for room: a write() of more
 * than PIPE_BUF bytes is then split, and another writer's bytes land in the middle of
 * a value. */
Test(writer, pipe_buf_atomic)
{
    enum { W = 4 };
    const char *path = tl_path("fifo");
    unsigned seed = tl_random_seed();
    long n = 25000;
    tl_proc *w[W];
    cr_assert(mkfifo(path, 0600) == 0, "test setup: mkfifo %s failed", path);
    int rfd = tl_fifo_read_end(path), keep = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    cr_assert(rfd >= 0 && keep >= 0, "test setup: cannot open %s", path);
    /* A one-page pipe: a big write() goes in page by page, each page racing with the
     * other writers' pages. Writes of at most PIPE_BUF bytes stay whole. */
    cr_assert(fcntl(rfd, F_SETPIPE_SZ, 4096) >= 0, "test setup: cannot shrink the pipe");
    for (int i = 0; i < W; i++)
        w[i] = start_writer("send_rand", path, n, seed + (unsigned)i, 8000);
    /* The Reproduce line reads the FIFO in 4-byte reads, slow enough to keep the pipe
     * full (measured: mixed values in every run of both buggy variants), and prints
     * each line that is not a value, with its number. */
    tl_note_peer(w[0], "dd bs=4 status=none < ./fifo | grep -nvxE '[0-9]{1,3}' >&2");
    struct stream s = { 0 };
    bool eof = collect(rfd, &keep, w, W, &s, 4096, 50, 8000);
    long long total = 0, total_sum = 0, count, sum;
    tl_result r[W];
    for (int i = 0; i < W; i++)
        r[i] = tl_wait(w[i]);
    close(rfd);
    if (keep >= 0)
        close(keep);
    unlink(path);
    for (int i = 0; i < W; i++) {
        check_writer(&r[i], &count, &sum);
        total += count;
        total_sum += sum;
    }
    cr_assert(eof, "the FIFO never reached end of file.\n  Reproduce: %s", r[0].cmd);
    cr_assert(!s.bad_line, "%d send_rand wrote into one FIFO at once and line %ld read from it "
              "is \"%s\": their values got mixed. A write() into a pipe is atomic only up to "
              "PIPE_BUF bytes: write whole lines, at most PIPE_BUF bytes per write().\n"
              "  Reproduce: %s\n  (the test ran %d writers at once, with seeds %u..%u; the line's "
              "reader prints the lines that are not values)", W,
              s.bad_line, s.bad, r[0].cmd, W, seed, seed + W - 1);
    cr_assert(s.count == total && s.sum == total_sum, "%d writers reported %lld values summing "
              "to %lld, the FIFO carried %lld values summing to %lld: values were lost or "
              "mixed (writes of at most PIPE_BUF bytes, whole lines only).\n  Reproduce: %s",
              W, total, total_sum, s.count, s.sum, r[0].cmd);
}

/* ================================ reader ================================ */

Test(reader, average)
{
    unsigned seed = tl_random_seed();
    int sizes[] = { 7 + (int)(seed % 50), 200 + (int)(seed % 300), 1000 + (int)(seed % 4000) };
    for (int k = 0; k < 3; k++) {
        size_t len;
        long long sum;
        char *data = make_values(seed + (unsigned)k, sizes[k], &len, &sum), name[16];
        snprintf(name, sizeof name, "fifo%d", k);
        tl_result r = feed_reader("get_rand", tl_path(name), true, data, len, 0, seed);
        free(data);
        check_reader(&r, sizes[k], sum, "the test");
        tl_result_free(&r);
    }
    /* A value is 1 to 3 digits (README.md): leading zeros are valid input, although
     * send_rand never writes them. */
    const char *zeros = "007\n010\n000\n5\n00\n";
    tl_result r = feed_reader("get_rand", tl_path("zeros"), true, zeros, strlen(zeros), 0, seed);
    check_reader(&r, 5, 22, "the test (values with leading zeros: 007 010 000 5 00)");
}

/* Every read() of get_rand returns 1 to 6 bytes: values are cut anywhere. */
Test(reader, split_values)
{
    unsigned seed = tl_random_seed();
    int n = 150 + (int)(seed % 50);
    size_t len;
    long long sum;
    char *data = make_values(seed, n, &len, &sum);
    tl_result r = feed_reader("get_rand", tl_path("fifo"), true, data, len, 6, seed);
    free(data);
    cr_assert(tl_exited_ok(&r), "get_rand must exit 0 when the values arrive in pieces (the "
              "test wrote them 1 to 6 bytes at a time, seed %u); %s", seed, tl_explain(&r));
    check_reader(&r, n, sum, "the test (1 to 6 bytes per write, a value may be cut in two)");
}

Test(reader, creates_fifo)
{
    const char *path = tl_path("fifo");
    umask(0);
    unsigned seed = tl_random_seed();
    size_t len;
    long long sum;
    char *data = make_values(seed, 100, &len, &sum);
    tl_proc *p = start_reader("get_rand", path, 5000);
    if (!tl_wait_fifo(path, p, 2000)) {
        tl_result r = tl_stop(p, SIGKILL, 0, NULL, NULL);
        cr_assert(false, "get_rand did not create the missing FIFO %s (mkfifo) before waiting "
                  "for a writer; %s", path, tl_explain(&r));
    }
    expect_fifo_mode(path, p, "get_rand");
    int wfd = tl_fifo_write_end(path, p, 3000);
    tl_note_wrote(p, path, data, len);
    bool wrote = wfd >= 0 && tl_write_within(wfd, data, len, 3000);
    if (wfd >= 0)
        close(wfd);
    free(data);
    tl_result r = tl_wait(p);
    cr_assert(wrote, "the test could not write into the FIFO get_rand created; %s",
              tl_explain(&r));
    check_reader(&r, 100, sum, "the test");
    cr_assert(!tl_path_exists(path), "get_rand must remove the FIFO once it has read everything."
              "\n  Reproduce: %s", r.cmd);
}

Test(reader, removes_fifo)
{
    unsigned seed = tl_random_seed();
    size_t len;
    long long sum;
    char *data = make_values(seed, 50, &len, &sum);
    tl_result r = feed_reader("get_rand", tl_path("fifo"), true, data, len, 0, seed);
    free(data);
    check_reader(&r, 50, sum, "the test");
    cr_assert(!*tl_dir_extra(tl_dir(), NULL), "after get_rand, \"%s\" is still there: the "
              "reader removes the FIFO (unlink) after end of file, whoever created it.\n"
              "  Reproduce: %s", tl_dir_extra(tl_dir(), NULL), r.cmd);
}

/* get_rand may not remove the FIFO (its directory is not writable for it): a run-time
 * error like the others, "get_rand: cannot remove PATH: REASON", exit 1, nothing on
 * stdout. As root, permission bits do not apply: get_rand then runs as uid 65534. */
Test(reader, cannot_remove)
{
    umask(0);
    cr_assert(mkdir(tl_path("ro"), 0755) == 0 && mkfifo(tl_path("ro/fifo"), 0666) == 0 &&
              chmod(tl_path("ro"), geteuid() == 0 ? 0755 : 0555) == 0,
              "test setup: cannot make ro/fifo");
    /* The writer: two values, once get_rand has opened the FIFO for reading. */
    tl_proc *w = tl_start(&(tl_opts){ .argv = TL_ARGV("/bin/sh", "-c",
                                                      "printf '5\\n7\\n' > ro/fifo"),
                                      .deadline_ms = 5000 });
    const char *how;
    tl_result r;
    bool ran = tl_run_unprivileged(&(tl_opts){ .argv = TL_ARGV("get_rand", "ro/fifo"),
                                               .deadline_ms = 5000 }, &r, &how);
    tl_result rw = tl_wait(w);
    tl_result_free(&rw);
    chmod(tl_path("ro"), 0755); /* the teardown removes the directory */
    cr_assert(ran, "test setup: the tests run as root and cannot run a program as an "
              "unprivileged user: /usr/bin/setpriv (util-linux) is needed");
    cr_assert(r.exited && r.status == 1 && tl_one_line(r.err) &&
              !strncmp(r.err, "get_rand: cannot remove ", 24) && r.out_len == 0,
              "get_rand could not remove the FIFO ro/fifo (its directory is not writable; run "
              "%s): expected exit 1, exactly one stderr line \"get_rand: cannot remove PATH: "
              "REASON\" and nothing on stdout, got stdout \"%.80s\", stderr \"%.120s\": %s",
              how, r.out, r.err, tl_explain(&r));
    tl_result_free(&r);
}

Test(reader, zero_values)
{
    tl_result r = feed_reader("get_rand", tl_path("fifo"), true, "", 0, 0, 1);
    cr_assert(tl_exited_ok(&r), "a writer that sends nothing is not an error; %s",
              tl_explain(&r));
    cr_assert(!strcmp(r.out, "0 values, no average\n"), "with no value get_rand must print "
              "\"0 values, no average\" (never divide by 0), got \"%.80s\".\n  Reproduce: %s",
              r.out, r.cmd);
    cr_assert(!*tl_dir_extra(tl_dir(), NULL), "the FIFO must be removed.\n  Reproduce: %s",
              r.cmd);
}

/* ================================ fifo ================================ */

/* Both programs start at once (both may try mkfifo); far more than a pipe holds. */
Test(fifo, many_values)
{
    const char *path = tl_path("fifo");
    unsigned seed = tl_random_seed();
    long n = 300000 + seed % 100000;
    long long count, sum;
    tl_proc *pr = start_reader("get_rand", path, 10000);
    tl_proc *pw = start_writer("send_rand", path, n, seed, 10000);
    tl_result rw, rr;
    tl_wait_pair(pw, pr, 1500, &rw, &rr);
    check_reader_stayed(&rw, &rr);
    check_writer(&rw, &count, &sum);
    cr_assert(count == n, "send_rand -n %ld reported %lld values.\n  Reproduce: %s", n, count,
              rw.cmd);
    check_reader(&rr, count, sum, "send_rand");
    cr_assert(!*tl_dir_extra(tl_dir(), NULL), "\"%s\" left behind.\n  Reproduce: %s",
              tl_dir_extra(tl_dir(), NULL), rr.cmd);
}

/* get_rand first; three writers while the test holds a write end (so EOF comes only
 * after the last writer). */
Test(fifo, several_writers)
{
    enum { W = 3 };
    const char *path = tl_path("fifo");
    unsigned seed = tl_random_seed();
    long long total = 0, total_sum = 0, count, sum;
    tl_proc *pr = start_reader("get_rand", path, 10000), *w[W];
    int keep = tl_fifo_write_end(path, pr, 3000);
    if (keep < 0) {
        tl_result r = tl_stop(pr, SIGKILL, 0, NULL, NULL);
        cr_assert(false, "get_rand never opened %s for reading; %s", path, tl_explain(&r));
    }
    for (int i = 0; i < W; i++)
        w[i] = start_writer("send_rand", path, 20000 + (long)(seed % 1000) * i, seed + (unsigned)i,
                            8000);
    tl_result rw[W];
    for (int i = 0; i < W; i++)
        rw[i] = tl_wait(w[i]);
    close(keep);        /* every writer has ended: EOF for get_rand */
    tl_result rr = tl_wait(pr);
    for (int i = 0; i < W; i++) {
        check_reader_stayed(&rw[i], &rr);
        check_writer(&rw[i], &count, &sum);
        total += count;
        total_sum += sum;
    }
    check_reader(&rr, total, total_sum, "three send_rand at once");
    cr_assert(!*tl_dir_extra(tl_dir(), NULL), "\"%s\" left behind.\n  Reproduce: %s",
              tl_dir_extra(tl_dir(), NULL), rr.cmd);
}

/* A NAME without '/' is /tmp/NAME, wherever the programs run. */
Test(fifo, tmp_names)
{
    unsigned seed = tl_random_seed();
    char name[64], tmp[96];
    snprintf(name, sizeof name, "td5-test-%d-%u", (int)getpid(), seed);
    snprintf(tmp, sizeof tmp, "/tmp/%s", name);
    tl_proc *pr = start_reader("get_rand", name, 5000);
    if (!tl_wait_fifo(tmp, pr, 2000)) {
        tl_result r = tl_stop(pr, SIGKILL, 0, NULL, NULL);
        unlink(tmp);
        cr_assert(false, "get_rand %s must create the FIFO %s; %s", name, tmp, tl_explain(&r));
    }
    long long count, sum;
    tl_result rw, rr;
    tl_wait_pair(start_writer("send_rand", name, 500, seed, 5000), pr, 1500, &rw, &rr);
    bool left = tl_path_exists(tmp);
    unlink(tmp);
    check_reader_stayed(&rw, &rr);
    check_writer(&rw, &count, &sum);
    check_reader(&rr, count, sum, "send_rand");
    cr_assert(!left, "get_rand must remove %s at the end.\n  Reproduce: %s", tmp, rr.cmd);
    cr_assert(!*tl_dir_extra(tl_dir(), NULL), "\"%s\" appeared in the current directory: a "
              "NAME without '/' lives in /tmp.\n  Reproduce: %s", tl_dir_extra(tl_dir(), NULL),
              rw.cmd);
}

/* ================================ cross ================================ */

/* The student's send_rand feeds the reference get_rand (or the test's own reader). */
Test(cross, student_writer)
{
    const char *ref = tl_ref_bin("get_rand"), *path = tl_path("fifo");
    unsigned seed = tl_random_seed();
    long n = 20000 + seed % 10000;
    long long count, sum;
    if (!ref) {
        struct stream s = { 0 };
        bool eof;
        tl_result r = read_writer("send_rand", path, true, n, seed, &s, &eof);
        check_stream(&r, &s, eof, n);
        return;
    }
    tl_proc *pr = start_reader(ref, path, 8000);
    tl_result rw, rr;
    tl_wait_pair(start_writer("send_rand", path, n, seed, 8000), pr, 1500, &rw, &rr);
    check_writer(&rw, &count, &sum);
    cr_assert(tl_exited_ok(&rr), "the reference get_rand rejected what send_rand wrote (check "
              "the format: one \"%%d\\n\" line per value, 0..999); reference %s", tl_explain(&rr));
    check_reader(&rr, count, sum, "send_rand");
}

/* The reference send_rand (or the test) feeds the student's get_rand. */
Test(cross, student_reader)
{
    const char *ref = tl_ref_bin("send_rand"), *path = tl_path("fifo");
    unsigned seed = tl_random_seed();
    long n = 20000 + seed % 10000;
    long long count, sum;
    if (!ref) {
        size_t len;
        char *data = make_values(seed, (int)n, &len, &sum);
        tl_result r = feed_reader("get_rand", path, true, data, len, 0, seed);
        free(data);
        check_reader(&r, n, sum, "the test");
        return;
    }
    tl_proc *pr = start_reader("get_rand", path, 8000);
    tl_result rw, rr;
    tl_wait_pair(start_writer(ref, path, n, seed, 8000), pr, 1500, &rw, &rr);
    check_reader_stayed(&rw, &rr);
    cr_assert(tl_exited_ok(&rw), "the reference send_rand failed (did get_rand stop reading "
              "early?); reference %s", tl_explain(&rw));
    check_writer(&rw, &count, &sum);
    check_reader(&rr, count, sum, "the reference send_rand");
}
