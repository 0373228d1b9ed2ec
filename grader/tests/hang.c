/*
 * hang.c: appended to a student file by the grader's deadline test. Before main(), the
 * program leaves a daemonized grandchild ("sleep 987", in its own session) and stops
 * its parent (the test worker), so the test run wedges: only the grader's wall-clock
 * deadline and whole-tree kill can end it, and nothing may be left behind.
 */
#include <signal.h>
#include <unistd.h>

__attribute__((constructor)) static void hang(void)
{
    if (fork() == 0) {
        setsid();
        if (fork() == 0)
            execlp("sleep", "sleep", "987", (char *)0);
        _exit(0);
    }
    kill(getppid(), SIGSTOP);
}
