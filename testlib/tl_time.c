/*
 * tl_time.c: the tests' clock and sleeps (declared in tl.h), tl.c's too: whatever
 * links tl.o links this file (the test runner, tl_replay).
 */
#define _GNU_SOURCE
#include "tl.h"

#include <errno.h>
#include <time.h>

double tl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void tl_sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

void tl_sleep_ms(int ms)
{
    tl_sleep_us(ms * 1000L);
}
