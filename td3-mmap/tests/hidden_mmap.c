/*
 * hidden_mmap.c: instructor-only tests of td3-mmap (not shipped to students): the same
 * contract as README.md, at the edges the public tests do not show (page-sized files,
 * extreme seeds, many counting processes).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

TestSuite(hidden, .init = tl_setup, .fini = tl_teardown, .timeout = 30);

/* Files of exactly one page, one page and one int, two pages. */
Test(hidden, reader_page_sizes)
{
    long counts[] = { 1024, 1025, 2048 };
    for (int k = 0; k < 3; k++) {
        int *v = malloc((size_t)counts[k] * sizeof *v);
        random_ints(v, (size_t)counts[k], tl_random_seed());
        write_ints(tl_path("page.bin"), v, (size_t)counts[k]);
        tl_result r = run_reader("mmap_reader", "page.bin");
        char what[64];
        snprintf(what, sizeof what, "a file of %ld ints (%ld bytes)", counts[k],
                 counts[k] * (long)sizeof(int));
        expect_read(&r, v, counts[k], what);
        free(v);
        tl_result_free(&r);
    }
}

/* -s 0 and -s 4294967295 are valid seeds, and each gives the same file twice. */
Test(hidden, writer_seed_extremes)
{
    unsigned seeds[] = { 0, 4294967295u };
    for (int k = 0; k < 2; k++) {
        tl_result a = run_writer("mmap_writer", "a.bin", 64, seeds[k]);
        int *va = expect_written(&a, tl_path("a.bin"), 64);
        tl_result b = run_writer("mmap_writer", "b.bin", 64, seeds[k]);
        int *vb = expect_written(&b, tl_path("b.bin"), 64);
        cr_assert(!memcmp(va, vb, 64 * sizeof(int)), "two runs with -s %u wrote different "
                  "values.\n  Reproduce: %s", seeds[k], a.cmd);
        free(va);
        free(vb);
    }
}

/* Many processes on the lock at once, with and without work inside it. */
Test(hidden, counter_many_procs)
{
    tl_result r = run_counter("count.bin", 16, 3000, 0, 6000, NULL);
    cr_assert(tl_exited_ok(&r), "%s", tl_explain(&r));
    long v = -1, e = -1;
    cr_assert(sscanf(r.out, "counter = %ld (expected %ld)", &v, &e) == 2 && v == 48000 &&
              e == 48000, "-p 16 -n 3000 must print \"counter = 48000 (expected 48000)\", got "
              "\"%.80s\".\n  Reproduce: %s", r.out, r.cmd);
    tl_result_free(&r);
    r = run_counter("count.bin", 8, 12, 300, 6000, NULL);
    cr_assert(tl_exited_ok(&r), "%s", tl_explain(&r));
    cr_assert(sscanf(r.out, "counter = %ld (expected %ld)", &v, &e) == 2 && v == 96 && e == 96,
              "-p 8 -n 12 -d 300 must print \"counter = 96 (expected 96)\", got \"%.80s\".\n"
              "  Reproduce: %s", r.out, r.cmd);
}
