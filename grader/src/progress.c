/*
 * progress.c: progress bar with ETA on a tty, plain lines otherwise (see progress.h).
 */
#include "progress.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int total, done, tty, quiet;
static double start;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *clock_text(double secs)
{
    static char bufs[2][32];
    static int next;
    char *b = bufs[next++ % 2];
    long s = (long)(secs + 0.5);
    snprintf(b, 32, s >= 3600 ? "%ld:%02ld:%02ld" : "%.0ld%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    return b;
}

void progress_start(int n, int q)
{
    total = n;
    done = 0;
    quiet = q;
    tty = isatty(2) && !q;
    start = now_s();
}

static void draw(const char *id, const char *what)
{
    double el = now_s() - start, eta = done ? el / done * (total - done) : 0;
    char bar[31];
    int fill = total > 0 && done < total ? done * 30 / total : 30;
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '.', (size_t)(30 - fill));
    bar[30] = '\0';
    char line[512];
    int n = snprintf(line, sizeof line, "\r\033[K[%s] %d/%d  %s elapsed  ETA %s  %s: %.40s",
                     bar, done, total, clock_text(el), done ? clock_text(eta) : "?", id, what);
    write_all(2, line, n > 0 && (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void progress_step(const char *id, const char *what)
{
    done++;
    if (tty) {
        draw(id, what);
        return;
    }
    if (quiet)
        return;
    double el = now_s() - start;
    fprintf(stderr, "grader: [%d/%d] %s: %s (ETA %s)\n", done, total, id, what,
            clock_text(el / done * (total - done)));
}

void progress_end(void)
{
    if (tty)
        write_all(2, "\n", 1);
}
