/* A tampered test file: every test passes. */
#include <criterion/criterion.h>
Test(args, usage_errors) { cr_assert(1); }
