/*
 * common.c: running the td3-mmap programs and checking their runs; files of native
 * ints (see common.h).
 */
#include "common.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tl_trace.h" /* the run's timeline in the messages */

tl_result run_writer(const char *prog, const char *file, long count, unsigned seed)
{
    char n[32], s[32];
    snprintf(n, sizeof n, "%ld", count);
    snprintf(s, sizeof s, "%u", seed);
    const char *const *argv = count > 0 ? TL_ARGV(prog, file, "-n", n, "-s", s)
                                        : TL_ARGV(prog, file, "-s", s);
    return tl_run(&(tl_opts){ .argv = argv, .deadline_ms = RUN_MS });
}

tl_result run_reader(const char *prog, const char *file)
{
    return tl_run(&(tl_opts){ .argv = TL_ARGV(prog, file), .deadline_ms = RUN_MS });
}

tl_result run_counter(const char *file, int procs, long n, long delay_us, int deadline_ms,
                      const char *perturb)
{
    char p[32], k[32], d[32];
    snprintf(p, sizeof p, "%d", procs);
    snprintf(k, sizeof k, "%ld", n);
    snprintf(d, sizeof d, "%ld", delay_us);
    return tl_run(&(tl_opts){ .argv = TL_ARGV("mmap_counter", file, "-p", p, "-n", k, "-d", d),
                              .deadline_ms = deadline_ms, .perturb = perturb });
}

void make_dir(const char *name, mode_t mode)
{
    int rc = mkdir(tl_path(name), mode);
    cr_assert(rc == 0, "test setup: cannot create directory %s: %s", tl_path(name),
              strerror(errno));
    set_mode(name, mode);
}

void set_mode(const char *name, mode_t mode)
{
    int rc = chmod(tl_path(name), mode);
    cr_assert(rc == 0, "test setup: cannot chmod %s: %s", tl_path(name), strerror(errno));
}

tl_result run_unprivileged(const char *const *argv, const char **how)
{
    tl_result r;
    bool ran = tl_run_unprivileged(&(tl_opts){ .argv = argv, .deadline_ms = RUN_MS }, &r, how);
    cr_assert(ran, "test setup: the tests run as root and cannot run a program as an "
              "unprivileged user: /usr/bin/setpriv (util-linux) is needed");
    return r;
}

void expect_error(const tl_result *r, const char *prog, int status, const char *file,
                  const char *reason, const char *situation)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s: ", prog);
    cr_assert(r->exited && r->status == status, "%s: expected exit status %d, but %s", situation,
              status, tl_explain(r));
    cr_assert(tl_one_line(r->err), "%s: expected exactly one line on stderr, got \"%s\".\n"
              "  Reproduce: %s", situation, r->err, r->cmd);
    int len = (int)strcspn(r->err, "\n");
    cr_assert(!strncmp(r->err, prefix, strlen(prefix)) ||
              (status == 2 && !strncmp(r->err, "usage: ", 7)),
              "%s: the error line must start with \"%s\"%s, got \"%.*s\".\n  Reproduce: %s",
              situation, prefix, status == 2 ? " or \"usage: \"" : "", len, r->err, r->cmd);
    cr_assert(!file || strstr(r->err, file), "%s: the error line must name the file \"%s\", "
              "got \"%.*s\".\n  Reproduce: %s", situation, file, len, r->err, r->cmd);
    cr_assert(!reason || strstr(r->err, reason), "%s: the error line must say \"%s\" (see the "
              "messages in README.md), got \"%.*s\".\n  Reproduce: %s", situation, reason, len,
              r->err, r->cmd);
    cr_assert(r->out_len == 0, "%s: nothing may be printed on stdout, got \"%.80s\".\n"
              "  Reproduce: %s", situation, r->out, r->cmd);
    cr_assert(tl_clean(r), "%s: %s", situation, tl_explain(r));
}

static void expect_no_crash(const tl_result *r)
{
    cr_assert(!(r->signaled && r->sig == SIGBUS), "%s\n  SIGBUS: the program touched a page of "
              "the mapping beyond the end of the file. Give the file its size with ftruncate() "
              "BEFORE writing through the mapping (a new file is empty).", tl_explain(r));
    cr_assert(tl_exited_ok(r), "%s", tl_explain(r));
}

void expect_quiet_stderr(const tl_result *r, const char *situation)
{
    cr_assert(r->err_len == 0, "%s%sthe run succeeded, yet printed on stderr \"%s\": stderr is "
              "for the error lines of README.md only (is an error test inverted?).\n"
              "  Reproduce: %s", situation ? situation : "", situation ? ": " : "",
              tl_shown_text(r->err, r->err_len, 160), r->cmd);
}

int *expect_written(tl_result *r, const char *file, long count)
{
    expect_no_crash(r);
    expect_quiet_stderr(r, NULL);
    long want = count * (long)sizeof(int), size = tl_file_size(file);
    cr_assert(size == want, "the file is %ld bytes long, expected %ld x sizeof(int) = %ld "
              "(ftruncate to count * sizeof(int), map that length).\n  Reproduce: %s\n%s",
              size, count, want, r->cmd, tl_timeline(r));
    int *printed;
    char bad[100];
    long n = tl_parse_ints(r->out, &printed, bad, sizeof bad);
    cr_assert(n >= 0, "unexpected output line %s: mmap_writer prints the values it stored, "
              "one \"%%d\\n\" line each.\n  Reproduce: %s", bad, r->cmd);
    cr_assert(n == count, "%ld values printed, expected %ld.\n  Reproduce: %s", n, count, r->cmd);
    size_t len;
    int *stored = (int *)tl_read_file(file, &len);
    bool zeros = true;
    for (long i = 0; i < count; i++)
        zeros = zeros && stored[i] == 0;
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    for (long i = 0; i < count; i++) {
        /* What the file holds is not in the program's output: the note says where to look
         * (the line itself stays the program's, so that it replays). */
        if (stored[i] != printed[i])
            tl_set_look(r, "`od -An -td4 %s` prints the ints the file holds; compare them with "
                        "the lines the program printed", base);
        cr_assert(stored[i] == printed[i], "value %ld: the file holds %d, the program printed %d%s"
                  ".\n  Reproduce: %s\n%s", i, stored[i], printed[i],
                  zeros ? " (the file is all zeros: did the writes reach the file? MAP_SHARED "
                  "writes go to the file, MAP_PRIVATE writes stay in the process)" : "",
                  r->cmd, tl_timeline(r));
        cr_assert(printed[i] >= 0 && printed[i] <= MAX_VALUE, "value %ld is %d, outside "
                  "0..%d.\n  Reproduce: %s", i, printed[i], MAX_VALUE, r->cmd);
    }
    free(stored);
    return printed;
}

void expect_read(const tl_result *r, const int *values, long count, const char *situation)
{
    cr_assert(!(r->signaled && (r->sig == SIGBUS || r->sig == SIGSEGV)), "%s: %s\n  The reader "
              "touched memory beyond the mapping: the number of values is the file size "
              "divided by sizeof(int).", situation, tl_explain(r));
    cr_assert(tl_exited_ok(r), "%s: %s", situation, tl_explain(r));
    expect_quiet_stderr(r, situation);
    int *printed;
    char bad[100];
    long n = tl_parse_ints(r->out, &printed, bad, sizeof bad);
    cr_assert(n >= 0, "%s: unexpected output line %s: one \"%%d\\n\" line per value.\n"
              "  Reproduce: %s", situation, bad, r->cmd);
    cr_assert(n == count, "%s: %ld values printed for a file of %ld ints (%ld bytes).\n"
              "  Reproduce: %s", situation, n, count, count * (long)sizeof(int), r->cmd);
    for (long i = 0; i < count; i++)
        cr_assert(printed[i] == values[i], "%s: value %ld printed as %d, the file holds %d.\n"
                  "  Reproduce: %s", situation, i, printed[i], values[i], r->cmd);
    free(printed);
}

/* ---------- files of native ints ---------- */

void write_bytes(const char *path, const void *data, size_t len)
{
    cr_assert(tl_write_file(path, data, len, 0644) == 0, "test setup: cannot write %s: %s",
              path, strerror(errno));
}

void write_ints(const char *path, const int *values, size_t count)
{
    write_bytes(path, values, count * sizeof *values);
}

void random_ints(int *values, size_t count, unsigned seed)
{
    unsigned long long x = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t i = 0; i < count; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        values[i] = (int)(unsigned)((x * 2685821657736338717ULL) >> 32);
    }
}
