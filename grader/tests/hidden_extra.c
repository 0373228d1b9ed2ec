/*
 * hidden_extra.c: a hidden test for the grader's test exercise td9-copy (a copy of td1):
 * it ships only with the instructor tree, its rubric line says "hidden".
 */
#include <criterion/criterion.h>

#include "tl.h"

TestSuite(hidden, .init = tl_setup, .fini = tl_teardown, .timeout = 30);

Test(hidden, bad_count_is_usage_error)
{
    tl_result r = tl_run(&(tl_opts){ .argv = TL_ARGV("hello_signals", "-c", "many") });
    cr_assert(r.exited && r.status == 2, "expected exit status 2: %s", tl_explain(&r));
}
