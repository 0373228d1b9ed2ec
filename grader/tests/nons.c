/*
 * nons.c: run a command where namespaces are refused, as a container platform does
 * (Docker's and Gradescope's default seccomp profile): `nons COMMAND [ARGS...]`.
 *
 * Loads a seccomp filter, inherited by every descendant, that makes unshare(2) and
 * clone(2) with any CLONE_NEW* flag fail with EPERM, and clone3(2) fail with ENOSYS
 * (a filter cannot read clone3's flags, which are in memory; glibc then falls back to
 * clone). bubblewrap then fails to create its sandbox the way it does in a container,
 * and the grader's degraded mode (--allow-no-isolation) is what runs: the grader's
 * suite (tests/run.sh, test_degraded) grades its hostile corpus that way.
 *
 * Exit status: the command's (exec), 2 for a usage error, 125 if the filter cannot be
 * loaded or the command cannot be run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NS_FLAGS (CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | \
                  CLONE_NEWUTS | CLONE_NEWCGROUP)

/* One rule per flag: "flags & FLAG == FLAG" refuses clone with that namespace. */
static int build_and_load(void)
{
    static const unsigned long flags[] = { CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNS,
        CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int rc = ctx ? 0 : -ENOMEM;
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 0);
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(setns), 0);
    for (size_t i = 0; rc == 0 && i < sizeof flags / sizeof flags[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, flags[i], flags[i]));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc == 0)
        rc = seccomp_load(ctx);
    if (ctx)
        seccomp_release(ctx);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nons COMMAND [ARGS...]\n");
        return 2;
    }
    int rc = build_and_load();
    if (rc != 0) {
        fprintf(stderr, "nons: cannot load the seccomp filter: %s\n", strerror(-rc));
        return 125;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "nons: cannot run %s: %s\n", argv[1], strerror(errno));
    return 125;
}
