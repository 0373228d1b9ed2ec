/*
 * main.c: the test runner's entry point, Criterion's default one with another default
 * job count. These tests mostly wait (sockets, servers' replies, /proc polls) and use
 * little CPU, so 4 run at a time on 2 cores: the suite takes half the time. --jobs N
 * (and tools/run-tests' TL_JOBS) still override it.
 */
#include <criterion/criterion.h>

int main(int argc, char *argv[])
{
    struct criterion_test_set *tests = criterion_initialize();
    criterion_options.jobs = 4;
    int result = 0;
    if (criterion_handle_args(argc, argv, true))
        result = !criterion_run_all_tests(tests);
    criterion_finalize(tests);
    return result;
}
