/*
 * tl_cause.h: the generic cause a failed test's message shows, and the grouping of
 * failures by cause, for the reports a student reads (tools/score behind `make check`,
 * through tl-score, and the grader's feedback): when a test failed for a cause the tests
 * detect in every program (a hang, a crash, zombies, orphans, System V objects or a
 * descriptor left behind, lost output), the message's own advice leads, the rubric hint
 * (written for the test's usual mistake) follows only when it speaks of that cause, and
 * the failures of one cause are shown once ("N tests failed for the same reason: ...").
 */
#ifndef TL_CAUSE_H
#define TL_CAUSE_H

enum tl_cause {
    TL_CAUSE_NONE, TL_CAUSE_HANG, TL_CAUSE_CRASH, TL_CAUSE_ZOMBIES, TL_CAUSE_LEFTOVERS,
    TL_CAUSE_IPC, TL_CAUSE_FD, TL_CAUSE_LOST
};

/* The cause a failure shows, from its status (TIMEOUT: the test itself timed out) and
 * message; TL_CAUSE_NONE when it is about the test's own contract. */
enum tl_cause tl_cause_of(const char *status, const char *message);

/* "hang", "crash", ... ("" for none): a stable key for the tools. */
const char *tl_cause_key(enum tl_cause c);

/* What the student reads: "the program hangs (deadlock, or ...)". */
const char *tl_cause_text(enum tl_cause c);

/* Does the rubric HINT speak of cause C (always true for TL_CAUSE_NONE)? */
int tl_hint_fits(enum tl_cause c, const char *hint);

/* The failures of one report, grouped: for each of the N tests (PASSED[i] non-zero for
 * a passed one, skipped), CAUSE[i] gets its cause, LEADER[i] the index of the first
 * failure with the same cause (itself for the first; -1 when passed or no cause), COUNT[i]
 * how many failed for that cause. */
void tl_cause_group(int n, const int *passed, const char *const *status,
                    const char *const *message, enum tl_cause *cause, int *leader, int *count);

#endif
