/*
 * tl_cause.c: the generic cause of a failure and the grouping by cause (see tl_cause.h).
 * The patterns are the words the test library's messages use (tl_explain, tl_ending and
 * the exercises' tests); extended regular expressions, case-insensitive.
 */
#include "tl_cause.h"

#include <regex.h>
#include <stddef.h>
#include <string.h>

static int matches(const char *re, const char *text)
{
    regex_t r;
    if (regcomp(&r, re, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
        return 0;
    int ok = regexec(&r, text, 0, NULL, 0) == 0;
    regfree(&r);
    return ok;
}

enum tl_cause tl_cause_of(const char *status, const char *m)
{
    if (strcmp(status, "PASS") == 0)
        return TL_CAUSE_NONE;
    if (strcmp(status, "TIMEOUT") == 0 ||
        matches("deadlock|did not finish within|hangs|the test itself timed out", m))
        return TL_CAUSE_HANG;
    if (matches("a crash|killed by signal (11|7|8|6) |the test crashed|segmentation fault", m))
        return TL_CAUSE_CRASH;
    if (matches("never reaped \\(zombies", m))
        return TL_CAUSE_ZOMBIES;
    if (matches("outlived it", m))
        return TL_CAUSE_LEFTOVERS;
    if (matches("system v objects left behind", m))
        return TL_CAUSE_IPC;
    if (matches("started with fd [0-9]+ open|still holds|descriptors? (left )?open|leaked descriptor", m))
        return TL_CAUSE_FD;
    /* advice may speak of lost output: only a program that ended well can have lost it */
    if (matches("is lost|lost output|output buffered|buffered output|dies with it", m) &&
        matches("exited with status 0", m))
        return TL_CAUSE_LOST;
    return TL_CAUSE_NONE;
}

static const struct {
    const char *key, *text, *hint_words;
} causes[] = {
    [TL_CAUSE_NONE] = { "", "", "" },
    [TL_CAUSE_HANG] = { "hang", "the program hangs (deadlock, or waiting for something that never comes)",
                        "close|end of file|eof|deadlock|block|sigsuspend|pause|wait" },
    [TL_CAUSE_CRASH] = { "crash", "the program crashes", "crash|pointer|bound|null|segfault|overflow" },
    [TL_CAUSE_ZOMBIES] = { "zombies", "children never reaped (zombies)", "waitpid|wait\\(|reap|zombie" },
    [TL_CAUSE_LEFTOVERS] = { "leftovers", "processes still running after the program ended (orphans)",
                             "waitpid|kill|sigterm|sigint|every child|end before" },
    [TL_CAUSE_IPC] = { "ipc", "System V objects left behind", "ipc_rmid|shmctl|semctl|remove" },
    [TL_CAUSE_FD] = { "fd", "a descriptor left open", "close|descriptor|o_cloexec|fd " },
    [TL_CAUSE_LOST] = { "lost", "output lost in a buffer (printf before _exit, fork or a signal)",
                        "printf|say\\(|flush|buffer|write\\(" },
};

const char *tl_cause_key(enum tl_cause c)
{
    return causes[c].key;
}

const char *tl_cause_text(enum tl_cause c)
{
    return causes[c].text;
}

int tl_hint_fits(enum tl_cause c, const char *hint)
{
    return c == TL_CAUSE_NONE || matches(causes[c].hint_words, hint);
}

void tl_cause_group(int n, const int *passed, const char *const *status,
                    const char *const *message, enum tl_cause *cause, int *leader, int *count)
{
    int first[TL_CAUSE_LOST + 1], total[TL_CAUSE_LOST + 1] = { 0 };
    for (int c = 0; c <= TL_CAUSE_LOST; c++)
        first[c] = -1;
    for (int i = 0; i < n; i++) {
        cause[i] = passed[i] ? TL_CAUSE_NONE : tl_cause_of(status[i], message[i]);
        if (cause[i] != TL_CAUSE_NONE) {
            total[cause[i]]++;
            if (first[cause[i]] == -1)
                first[cause[i]] = i;
        }
    }
    for (int i = 0; i < n; i++) {
        leader[i] = cause[i] == TL_CAUSE_NONE ? -1 : first[cause[i]];
        count[i] = cause[i] == TL_CAUSE_NONE ? 0 : total[cause[i]];
    }
}
