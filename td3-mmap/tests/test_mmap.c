/*
 * test_mmap.c: behavioural tests of td3-mmap (mmap_writer, mmap_reader, mmap_counter).
 * Each test execs the programs through testlib and checks the contract of README.md:
 * the writer's file is read back by the test itself (native ints), the reader is fed
 * files the test writes, the two are cross-paired with the reference build when there
 * is one, and the exit probe (testlib's tl_exitprobe.h) shows what a program still
 * holds at exit.
 * Seeds are random (tl_random_seed(), shown in every reproduce line).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "tl_trace.h" /* the run's timeline in the messages */

TestSuite(args, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(writer, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(reader, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(pair, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(release, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
TestSuite(counter, .init = tl_setup, .fini = tl_teardown, .timeout = 30);

/* Run each bad command line: status 2, one line, nothing on stdout, no file made. */
static void expect_usage_errors(const char *prog, const char *const *const *cases, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        tl_result r = tl_run(&(tl_opts){ .argv = cases[k], .deadline_ms = RUN_MS });
        expect_error(&r, prog, 2, NULL, NULL, "bad arguments");
        const char *extra = tl_dir_extra(tl_dir(), NULL);
        cr_assert(!*extra, "bad arguments: the program created \"%s\"; check every argument "
                  "before opening anything.\n  Reproduce: %s", extra, r.cmd);
        tl_result_free(&r);
    }
}

Test(args, writer_usage_errors)
{
    const char *const *cases[] = {
        TL_ARGV("mmap_writer"),
        TL_ARGV("mmap_writer", "a.bin", "b.bin"),
        TL_ARGV("mmap_writer", "a.bin", "-n", "0"),
        TL_ARGV("mmap_writer", "a.bin", "-n", "-3"),
        TL_ARGV("mmap_writer", "a.bin", "-n", "12x"),
        TL_ARGV("mmap_writer", "a.bin", "-n", "10000001"),
        TL_ARGV("mmap_writer", "a.bin", "-s", "4294967296"),
        TL_ARGV("mmap_writer", "a.bin", "-s", ""),
        TL_ARGV("mmap_writer", "a.bin", "-x"),
        TL_ARGV("mmap_writer", "a.bin", "-n"),
    };
    expect_usage_errors("mmap_writer", cases, sizeof cases / sizeof *cases);
}

Test(args, reader_usage_errors)
{
    const char *const *cases[] = {
        TL_ARGV("mmap_reader"),
        TL_ARGV("mmap_reader", "a.bin", "b.bin"),
        TL_ARGV("mmap_reader", "-n"),
    };
    expect_usage_errors("mmap_reader", cases, sizeof cases / sizeof *cases);
}

Test(args, counter_usage_errors)
{
    const char *const *cases[] = {
        TL_ARGV("mmap_counter"),
        TL_ARGV("mmap_counter", "c.bin", "d.bin"),
        TL_ARGV("mmap_counter", "c.bin", "-p", "0"),
        TL_ARGV("mmap_counter", "c.bin", "-p", "65"),
        TL_ARGV("mmap_counter", "c.bin", "-n", "-1"),
        TL_ARGV("mmap_counter", "c.bin", "-n", "ten"),
        TL_ARGV("mmap_counter", "c.bin", "-d", "1000001"),
        TL_ARGV("mmap_counter", "c.bin", "-q"),
    };
    expect_usage_errors("mmap_counter", cases, sizeof cases / sizeof *cases);
}

/* ---------- mmap_writer ---------- */

/* The created file's mode is contract (README.md §3, §5): 0644 minus the umask. The test
 * runs the program with umask 0, so the mode it passed to open() shows unchanged. */
static void expect_mode_0644(tl_result *r, const char *file, const char *prog)
{
    struct stat st;
    cr_assert(stat(tl_path(file), &st) == 0, "%s did not create %s; %s", prog, file,
              tl_explain(r));
    unsigned mode = (unsigned)(st.st_mode & 07777);
    /* A mode is not in the program's output: the note says where to see it. */
    if (mode != 0644)
        tl_set_look(r, "`stat -c %%a %s` prints its mode: %o here, 644 wanted (under umask 0, as "
                    "in the test, or 022). Remove %s before each run: open() sets the mode only "
                    "when it creates the file", file, mode, file);
    cr_assert(mode == 0644, "%s created %s with mode %04o under umask 0; the contract is 0644 "
              "(minus the umask): open(FILE, O_RDWR | O_CREAT | O_TRUNC, 0644).\n  Reproduce: %s",
              prog, file, mode, r->cmd);
}

Test(writer, file_format)
{
    long counts[] = { 5, 1 + (long)(tl_random_seed() % 900), 1024, 1000 + 7 };
    umask(0);
    for (int k = 0; k < 4; k++) {
        tl_result r = run_writer("mmap_writer", "data.bin", counts[k], tl_random_seed());
        free(expect_written(&r, tl_path("data.bin"), counts[k]));
        if (k == 0)
            expect_mode_0644(&r, "data.bin", "mmap_writer");
        tl_result_free(&r);
    }
}

Test(writer, default_count)
{
    tl_result r = run_writer("mmap_writer", "data.bin", 0, tl_random_seed());
    free(expect_written(&r, tl_path("data.bin"), 5));
}

Test(writer, large_count)
{
    long count = 200000 + (long)(tl_random_seed() % 100000);
    tl_result r = run_writer("mmap_writer", "big.bin", count, tl_random_seed());
    free(expect_written(&r, tl_path("big.bin"), count));
}

Test(writer, truncates_existing)
{
    static unsigned char junk[65536 + 3];
    memset(junk, 0xFF, sizeof junk);
    write_bytes(tl_path("data.bin"), junk, sizeof junk);
    tl_result r = run_writer("mmap_writer", "data.bin", 7, tl_random_seed());
    free(expect_written(&r, tl_path("data.bin"), 7));
    write_bytes(tl_path("small.bin"), junk, 3);
    r = run_writer("mmap_writer", "small.bin", 3000, tl_random_seed());
    free(expect_written(&r, tl_path("small.bin"), 3000));
}

/* The values are contract (README.md §3): srand(SEED) once (main does it), then
 * rand() % 1000 per value, in file order. The test draws the same sequence with the same C
 * library: a writer seeded from the clock, or with another formula, fails every time. */
static void expect_seeded_file(tl_result *r, const char *file, long count, unsigned seed)
{
    int *v = expect_written(r, tl_path(file), count);
    srand(seed);
    for (long k = 0; k < count; k++) {
        int want = rand() % 1000;
        cr_assert(v[k] == want, "value %ld with -s %u: the file holds %d, but srand(%u) then "
                  "rand() %% 1000 gives %d: store rand() %% 1000 for each value, in order (main() "
                  "already calls srand(seed) once: do not reseed, e.g. from the clock)."
                  "\n  Reproduce: %s", k + 1, seed, v[k], seed, want, r->cmd);
    }
    free(v);
}

Test(writer, seed_reproducible)
{
    unsigned seed = tl_random_seed();
    tl_result a = run_writer("mmap_writer", "a.bin", 200, seed);
    expect_seeded_file(&a, "a.bin", 200, seed);
    tl_result c = run_writer("mmap_writer", "c.bin", 200, seed + 1);
    expect_seeded_file(&c, "c.bin", 200, seed + 1);
}

Test(writer, values_spread)
{
    tl_result r = run_writer("mmap_writer", "data.bin", 5000, tl_random_seed());
    int *v = expect_written(&r, tl_path("data.bin"), 5000);
    int low = 0, high = 0;
    for (int i = 0; i < 5000; i++) {
        low += v[i] < 100;
        high += v[i] > MAX_VALUE - 100;
    }
    cr_assert(low > 0 && high > 0, "5000 values and none below 100 (%d) or none above %d (%d): "
              "the values must be uniform over 0..%d (rand() %% %d).\n  Reproduce: %s", low,
              MAX_VALUE - 100, high, MAX_VALUE, MAX_VALUE + 1, r.cmd);
    free(v);
}

Test(writer, cannot_create)
{
    tl_result r = run_writer("mmap_writer", "nodir/data.bin", 5, tl_random_seed());
    expect_error(&r, "mmap_writer", 1, "nodir/data.bin", "No such file or directory",
                 "FILE in a directory that does not exist");
    make_dir("sub", 0755);
    r = run_writer("mmap_writer", "sub", 5, tl_random_seed());
    expect_error(&r, "mmap_writer", 1, "sub", "Is a directory", "FILE is a directory");
}

Test(writer, no_permission)
{
    static const int old[3] = { 11, 22, 33 };
    write_ints(tl_path("ro.bin"), old, 3);
    set_mode("ro.bin", 0444);
    const char *how;
    tl_result r = run_unprivileged(TL_ARGV("mmap_writer", "ro.bin", "-n", "5"), &how);
    expect_error(&r, "mmap_writer", 1, "ro.bin", "Permission denied",
                 "FILE is read-only (mode 0444), run as an unprivileged user");
    size_t len;
    int *now = (int *)tl_read_file(tl_path("ro.bin"), &len);
    cr_assert(len == sizeof old && !memcmp(now, old, len), "the writer changed a file it had "
              "no permission to write (run %s).\n  Reproduce: %s", how, r.cmd);
    free(now);
    tl_result_free(&r);
    make_dir("locked", 0555);
    r = run_unprivileged(TL_ARGV("mmap_writer", "locked/new.bin"), &how);
    expect_error(&r, "mmap_writer", 1, "locked/new.bin", "Permission denied",
                 "FILE in a directory of mode 0555, run as an unprivileged user");
}

/* The writer's data reaches the file through the mapping: no write() on it. */
Test(writer, stores_through_mapping)
{
    tl_held h;
    tl_opts o = { .argv = TL_ARGV("mmap_writer", "data.bin", "-n", "3000"),
                  .deadline_ms = RUN_MS };
    tl_result r = tl_run_probed(&o, &h);
    free(expect_written(&r, tl_path("data.bin"), 3000));
    cr_assert(h.probed, "%s.\n  Reproduce: %s", h.why, r.cmd);
    cr_assert(h.n_io == 0, "the writer called %s: the values must be stored through the mapping "
              "(values[i] = ...), with no write() on the file.\n  Reproduce: %s", h.io, r.cmd);
}

/* ---------- mmap_reader ---------- */

/* Random ints of the whole range, with the extremes at random places. */
static int *test_values(long count, unsigned seed)
{
    int *v = malloc((size_t)count * sizeof *v);
    random_ints(v, (size_t)count, seed);
    if (count > 2) {
        v[seed % count] = INT_MIN;
        v[(seed / 7) % count] = INT_MAX;
        v[(seed / 13) % count] = 0;
    }
    return v;
}

static void check_reader_on(long count)
{
    int *v = test_values(count, tl_random_seed());
    write_ints(tl_path("in.bin"), v, (size_t)count);
    tl_result r = run_reader("mmap_reader", "in.bin");
    char what[64];
    snprintf(what, sizeof what, "a file of %ld ints", count);
    expect_read(&r, v, count, what);
    free(v);
    tl_result_free(&r);
}

Test(reader, prints_values)
{
    check_reader_on(5);
    check_reader_on(1);
    check_reader_on(2 + (long)(tl_random_seed() % 3000));
}

Test(reader, large_file)
{
    check_reader_on(250000 + (long)(tl_random_seed() % 50000));
}

Test(reader, missing_file)
{
    tl_result r = run_reader("mmap_reader", "absent.bin");
    expect_error(&r, "mmap_reader", 1, "absent.bin", "No such file or directory",
                 "FILE does not exist");
}

Test(reader, empty_file)
{
    write_bytes(tl_path("empty.bin"), "", 0);
    tl_result r = run_reader("mmap_reader", "empty.bin");
    expect_error(&r, "mmap_reader", 1, "empty.bin", "empty file", "FILE is empty");
}

Test(reader, bad_size)
{
    static char bytes[8192 + 8];
    size_t sizes[] = { 1, 3, 6, 4097, 8191 };
    for (int k = 0; k < 5; k++) {
        char situation[64];
        write_bytes(tl_path("odd.bin"), bytes, sizes[k]);
        snprintf(situation, sizeof situation, "a file of %zu bytes", sizes[k]);
        tl_result r = run_reader("mmap_reader", "odd.bin");
        expect_error(&r, "mmap_reader", 1, "odd.bin", "is not a multiple of", situation);
        tl_result_free(&r);
    }
}

Test(reader, not_regular)
{
    make_dir("sub", 0755);
    tl_result r = run_reader("mmap_reader", "sub");
    expect_error(&r, "mmap_reader", 1, "sub", "not a regular file", "FILE is a directory");
}

Test(reader, no_permission)
{
    int v[4];
    random_ints(v, 4, tl_random_seed());
    write_ints(tl_path("secret.bin"), v, 4);
    set_mode("secret.bin", 0200);
    const char *how;
    tl_result r = run_unprivileged(TL_ARGV("mmap_reader", "secret.bin"), &how);
    expect_error(&r, "mmap_reader", 1, "secret.bin", "Permission denied",
                 "FILE not readable (mode 0200), run as an unprivileged user");
}

Test(reader, read_only_file)
{
    long count = 1 + (long)(tl_random_seed() % 100);
    int *v = test_values(count, tl_random_seed());
    write_ints(tl_path("ro.bin"), v, (size_t)count);
    set_mode("ro.bin", 0444);
    const char *how;
    tl_result r = run_unprivileged(TL_ARGV("mmap_reader", "ro.bin"), &how);
    expect_read(&r, v, count, "a read-only file (mode 0444, run as an unprivileged user): "
                "open it O_RDONLY and map it PROT_READ");
    free(v);
}

/* The reader gets the values from the mapping: no read() of the file. */
Test(reader, reads_through_mapping)
{
    int *v = test_values(3000, tl_random_seed());
    write_ints(tl_path("in.bin"), v, 3000);
    tl_held h;
    tl_result r = tl_run_probed(&(tl_opts){ .argv = TL_ARGV("mmap_reader", "in.bin"),
                                            .deadline_ms = RUN_MS }, &h);
    expect_read(&r, v, 3000, "a file of 3000 ints");
    cr_assert(h.probed, "%s.\n  Reproduce: %s", h.why, r.cmd);
    cr_assert(h.n_io == 0, "the reader called %s: the values must be read from the mapping, "
              "with no read() of the file.\n  Reproduce: %s", h.io, r.cmd);
    free(v);
}

/* ---------- cross-pairing ---------- */

/* The reader to pair with: the reference's when there is one, else the student's. */
static const char *partner(const char *prog)
{
    const char *ref = tl_ref_bin(prog);
    return ref ? ref : prog;
}

Test(pair, writer_file_read_by_reference)
{
    long count = 1 + (long)(tl_random_seed() % 5000);
    tl_result w = run_writer("mmap_writer", "data.bin", count, tl_random_seed());
    int *v = expect_written(&w, tl_path("data.bin"), count);
    tl_result r = run_reader(partner("mmap_reader"), "data.bin");
    char what[sizeof w.cmd + 100];
    snprintf(what, sizeof what, "the file of \"%s\" read by %s", w.cmd,
             tl_ref_bin("mmap_reader") ? "the reference reader" : "your reader");
    expect_read(&r, v, count, what);
    free(v);
}

Test(pair, reader_reads_reference_file)
{
    long count = 1 + (long)(tl_random_seed() % 5000);
    tl_result w = run_writer(partner("mmap_writer"), "data.bin", count, tl_random_seed());
    cr_assert(tl_exited_ok(&w), "test setup: the %s writer failed: %s",
              tl_ref_bin("mmap_writer") ? "reference" : "(your)", tl_explain(&w));
    size_t len;
    int *v = (int *)tl_read_file(tl_path("data.bin"), &len);
    cr_assert(v && len == (size_t)count * sizeof(int), "test setup: bad file from %s", w.cmd);
    tl_result r = run_reader("mmap_reader", "data.bin");
    char what[sizeof w.cmd + 100];
    snprintf(what, sizeof what, "the file written by %s \"%s\"",
             tl_ref_bin("mmap_writer") ? "the reference writer" : "your writer", w.cmd);
    expect_read(&r, v, count, what);
    free(v);
}

/* ---------- what a program still holds at exit ---------- */

static void expect_released(const tl_opts *o, bool success, const char *situation)
{
    tl_held h;
    tl_result r = tl_run_probed(o, &h);
    if (success)
        cr_assert(tl_exited_ok(&r), "%s: %s", situation, tl_explain(&r));
    else
        cr_assert(r.exited && r.status != 0 && tl_clean(&r), "%s: expected a failure, but %s",
                  situation, tl_explain(&r));
    cr_assert(h.probed, "%s: %s.\n  Reproduce: %s", situation, h.why, r.cmd);
    cr_assert(h.n_fd == 0, "%s: at exit the program still had %d descriptor(s) open: %s. "
              "Close the file once it is mapped (the mapping keeps the file), on every "
              "path, errors included.\n  Reproduce: %s", situation, h.n_fd, h.fds, r.cmd);
    cr_assert(h.n_map == 0, "%s: at exit the file was still mapped (%s): call munmap() when "
              "done.\n  Reproduce: %s", situation, h.maps, r.cmd);
    tl_result_free(&r);
}

/* FILE a FIFO: open(O_RDWR) succeeds (it does not wait for a peer), ftruncate() fails
 * (EINVAL: not a regular file). The program stops there, with nothing left open. */
static void make_fifo(const char *name)
{
    cr_assert(mkfifo(tl_path(name), 0644) == 0, "test setup: cannot create FIFO %s: %s",
              tl_path(name), strerror(errno));
}

Test(release, writer_releases)
{
    expect_released(&(tl_opts){ .argv = TL_ARGV("mmap_writer", "data.bin", "-n", "2000"),
                                 .deadline_ms = RUN_MS }, true, "mmap_writer data.bin -n 2000");
    make_fifo("fifo");
    expect_released(&(tl_opts){ .argv = TL_ARGV("mmap_writer", "fifo", "-n", "5"),
                                 .deadline_ms = RUN_MS }, false,
                    "mmap_writer on a FIFO (ftruncate() fails: not a regular file)");
}

Test(release, reader_releases)
{
    int v[3000];
    random_ints(v, 3000, tl_random_seed());
    write_ints(tl_path("in.bin"), v, 3000);
    expect_released(&(tl_opts){ .argv = TL_ARGV("mmap_reader", "in.bin"), .deadline_ms = RUN_MS },
                    true, "mmap_reader on a file of 3000 ints");
    write_bytes(tl_path("empty.bin"), "", 0);
    expect_released(&(tl_opts){ .argv = TL_ARGV("mmap_reader", "empty.bin"),
                                 .deadline_ms = RUN_MS }, false, "mmap_reader on an empty file");
    write_bytes(tl_path("odd.bin"), v, 4097);
    expect_released(&(tl_opts){ .argv = TL_ARGV("mmap_reader", "odd.bin"),
                                 .deadline_ms = RUN_MS }, false,
                    "mmap_reader on a file of 4097 bytes");
}

Test(release, counter_releases)
{
    expect_released(&(tl_opts){ .argv = TL_ARGV("mmap_counter", "c.bin", "-p", "2", "-n", "100"),
                                 .deadline_ms = RUN_MS }, true, "mmap_counter c.bin -p 2 -n 100");
    make_fifo("fifo");
    expect_released(&(tl_opts){ .argv = TL_ARGV("mmap_counter", "fifo", "-p", "2", "-n", "100"),
                                 .deadline_ms = RUN_MS }, false,
                    "mmap_counter on a FIFO (ftruncate() fails: not a regular file)");
}

/* ---------- mmap_counter ---------- */

/* The run printed "counter = V (expected E)" with V == E == procs * n, and the file
 * starts with the same value as a native int. */
static void expect_count(const tl_result *r, const char *file, int procs, long n)
{
    cr_assert(!r->timed_out, "%s\n  The children never finished: is every sem_wait() matched "
              "by a sem_post()? A semaphore shared by processes lives in the MAP_SHARED mapping "
              "and is initialised once, before fork(), with pshared = 1 (with 0, a process "
              "waiting for it is never woken by another).", tl_explain(r));
    cr_assert(tl_exited_ok(r), "%s", tl_explain(r));
    expect_quiet_stderr(r, NULL);
    long want = procs * n, v = -1, e = -1;
    char tail;
    int got = sscanf(r->out, "counter = %ld (expected %ld)%c", &v, &e, &tail);
    cr_assert(got == 3 && tail == '\n' && tl_one_line(r->out), "expected one line \"counter = "
              "V (expected E)\", got \"%.100s\".\n  Reproduce: %s", r->out, r->cmd);
    cr_assert(e == want, "the line says expected %ld, but -p %d -n %ld makes %ld.\n"
              "  Reproduce: %s", e, procs, n, want, r->cmd);
    cr_assert(v == want, "counter = %ld after %d processes x %ld increments, expected %ld%s.\n"
              "  Reproduce: %s\n%s", v, procs, n, want, v == 0 ? ": the parent never saw the "
              "children's increments (a MAP_PRIVATE mapping is a private copy in each process; "
              "MAP_SHARED shares it)" : v < want ? ": increments were lost (is the whole "
              "read-increment-write inside the lock, and is the semaphore process-shared, in "
              "the mapping?)" : "", r->cmd, tl_timeline(r));
    size_t len;
    int *stored = (int *)tl_read_file(file, &len);
    cr_assert(stored && len >= sizeof(int), "the counter file %s is missing or too short.\n"
              "  Reproduce: %s", file, r->cmd);
    cr_assert(stored[0] == want, "the program printed %ld but the file's first int is %d: the "
              "counter must live at offset 0 of the shared file mapping.\n  Reproduce: %s", v,
              stored[0], r->cmd);
    free(stored);
}

Test(counter, exact_count)
{
    int procs = 2 + (int)(tl_random_seed() % 4);
    long n = 10000 + (long)(tl_random_seed() % 10000);
    umask(0);
    tl_result r = run_counter("count.bin", procs, n, 0, 6000, NULL);
    expect_count(&r, tl_path("count.bin"), procs, n);
    expect_mode_0644(&r, "count.bin", "mmap_counter");
}

Test(counter, shared_mapping)
{
    long n = 100 + (long)(tl_random_seed() % 900);
    tl_result r = run_counter("count.bin", 1, n, 0, RUN_MS, NULL);
    expect_count(&r, tl_path("count.bin"), 1, n);
}

/* With a delay inside the critical section, any unprotected read-modify-write loses
 * updates as soon as two children overlap. Every child waits 20-30 ms after fork()
 * (perturbation), so all of them start counting together even on a loaded machine;
 * each then counts for at least 30 x 0.5 ms. 3 runs, stop at the first failure. */
Test(counter, no_lost_updates)
{
    /* 100 increments of 500 us each: a child's 50 ms of work outlasts the 20-30 ms by
     * which the perturbation staggers the children's starts, so they always overlap
     * (with 30, a run whose children happened to start far apart had no contention,
     * and its Reproduce line replayed a lost wake-up only 7 times in 10). */
    for (int rep = 0; rep < 3; rep++) {
        int procs = 3 + rep;
        tl_result r = run_counter("count.bin", procs, 100, 500, 5000, "fork_child=20000-30000");
        expect_count(&r, tl_path("count.bin"), procs, 100);
        tl_result_free(&r);
    }
}

/* fork() made to fail (README.md §5: "a failed fork() kills and reaps the children already
 * made"). A limit on the number of processes, RLIMIT_NPROC, does it; root ignores it, so
 * as root the counter runs as uid 65534 (few processes: the first forks succeed); else in a
 * user namespace of its own (unshare --user), where only it and its children count (or,
 * without user namespaces, under the limit alone: then fork() may fail at once). With
 * -d 1000000 -n 10 a child spends 10 s counting: the children made are still counting
 * when fork() fails, and end before the deadline only if the parent kills every one. */
#define NPROC_LIMIT 5

static tl_result run_counter_nproc(const char *const *args)
{
    if (geteuid() == 0) {
        struct rlimit lim = { NPROC_LIMIT, NPROC_LIMIT }; /* this test's worker only */
        cr_assert(setrlimit(RLIMIT_NPROC, &lim) == 0, "test setup: setrlimit: %s",
                  strerror(errno));
        const char *how;
        return run_unprivileged(args, &how);
    }
    char limit[32];
    snprintf(limit, sizeof limit, "--nproc=%d", NPROC_LIMIT);
    const char *argv[24] = { "/usr/bin/unshare", "--user", "--", "/usr/bin/prlimit", limit, "--" };
    int n = 6;
    argv[n++] = tl_bin(args[0]);
    for (int i = 1; args[i] && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    tl_result r = tl_run(&(tl_opts){ .argv = argv, .deadline_ms = RUN_MS });
    if (!strncmp(r.err, "unshare: ", 9)) { /* no user namespaces here */
        tl_result_free(&r);
        r = tl_run(&(tl_opts){ .argv = argv + 3, .deadline_ms = RUN_MS });
    }
    return r;
}

/* A process of the counter's user that is not its child: "kill the children already made"
 * must not reach it (kill(-1, ...), from a pid of -1 left by the failed fork(), would). */
static tl_proc *start_bystander(void)
{
    const char *const *argv = geteuid() == 0
        ? TL_ARGV("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                  "/bin/sleep", "20")
        : TL_ARGV("/bin/sleep", "20");
    return tl_start(&(tl_opts){ .argv = argv, .deadline_ms = 3 * RUN_MS });
}

Test(counter, fork_fails)
{
    make_dir("sub", 0777); /* where uid 65534 may create its file */
    tl_proc *bystander = start_bystander();
    tl_result r = run_counter_nproc(TL_ARGV("mmap_counter", "sub/c.bin", "-p", "64", "-n", "10",
                                            "-d", "1000000"));
    const char *situation = "fork() failing (RLIMIT_NPROC)";
    cr_assert(!r.timed_out, "%s: %s\n  After a failed fork(), kill the children already made "
              "(they may be counting for a long time), then reap them.", situation,
              tl_explain(&r));
    cr_assert(r.exited && r.status == 1, "%s: expected exit status 1, but %s", situation,
              tl_explain(&r));
    cr_assert(strstr(r.err, "mmap_counter: fork: "), "%s: stderr must have the line "
              "\"mmap_counter: fork: REASON\", got \"%s\".\n  Reproduce: %s", situation,
              tl_shown_text(r.err, r.err_len, 200), r.cmd);
    cr_assert(r.out_len == 0, "%s: nothing may be printed on stdout, got \"%.80s\".\n"
              "  Reproduce: %s", situation, r.out, r.cmd);
    cr_assert(tl_clean(&r), "%s: %s", situation, tl_explain(&r));
    /* The children made before the failure ended by a signal (killed), not by finishing
     * their work (the trace's wait results). */
    cr_assert(!r.forked || r.child_deaths != 0, "%s: the children made before the failure "
              "ended on their own, none was killed: kill() each one already made, then reap "
              "it.\n  Reproduce: %s\n%s", situation, r.cmd, tl_timeline(&r));
    bool alive = tl_alive(bystander);
    tl_signal(bystander, SIGKILL);
    tl_result b = tl_wait(bystander);
    cr_assert(alive, "%s: another process of the same user, not a child of the counter, was "
              "killed during its run (%s): kill only the pids fork() returned, never -1 (a "
              "failed fork() returns -1, and kill(-1, SIG) signals every process you may "
              "signal).\n  Reproduce: %s", situation, tl_ending(&b), r.cmd);
    tl_result_free(&b);
}

/* A child that fails (README.md §5: status 1 on "a child that failed", stderr line "child
 * PID ended badly"): the test kills the only child while it counts; the parent must not
 * print the counter as if all went well. */
Test(counter, child_killed)
{
    tl_proc *p = tl_start(&(tl_opts){ .argv = TL_ARGV("mmap_counter", "count.bin", "-p", "1", "-n",
                                                      "10000", "-d", "1000"),
                                      .deadline_ms = RUN_MS });
    pid_t child = 0;
    double t0 = tl_now_ms();
    while (tl_alive(p) && tl_now_ms() - t0 < tl_deadline(2000) &&
           tl_proc_children(tl_pid(p), &child, 1) < 1)
        tl_sleep_ms(2);
    if (child > 0) {
        kill(child, SIGKILL);
        tl_note_action(p, "pkill -KILL -P $!");
    }
    tl_result r = tl_wait(p);
    cr_assert(child > 0, "mmap_counter -p 1 made no child within 2 s: %s", tl_explain(&r));
    const char *situation = "its only child killed by SIGKILL while counting";
    cr_assert(r.exited && r.status == 1, "%s: expected exit status 1 (a child that failed), but "
              "%s", situation, tl_explain(&r));
    cr_assert(strstr(r.err, "mmap_counter: child "), "%s: stderr must have the line "
              "\"mmap_counter: child PID ended badly\", got \"%s\".\n  Reproduce: %s",
              situation, tl_shown_text(r.err, r.err_len, 200), r.cmd);
    cr_assert(r.out_len == 0, "%s: nothing may be printed on stdout (the counter is printed only "
              "when every child exited with status 0), got \"%.80s\".\n  Reproduce: %s\n%s",
              situation, r.out, r.cmd, tl_timeline(&r));
    cr_assert(tl_clean(&r), "%s: %s", situation, tl_explain(&r));
}

Test(counter, cannot_create)
{
    make_dir("sub", 0755);
    tl_result r = run_counter("sub", 2, 10, 0, RUN_MS, NULL);
    expect_error(&r, "mmap_counter", 1, "sub", "Is a directory", "FILE is a directory");
}
