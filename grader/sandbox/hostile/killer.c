/* killer.c (hostile): kill its parent, pid 1 and every process it can reach
 * (kill(-1, SIGKILL)), after starting a sibling to be killed. The sandbox, the grader and a
 * run in another slot must not notice; inside, the sandbox's init survives and reports. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    if (fork() == 0) {
        pause();
        _exit(0);
    }
    int a = kill(getppid(), SIGKILL), b = kill(1, SIGKILL), c = kill(-1, SIGKILL);
    printf("kill(parent) %d, kill(1) %d, kill(-1) %d (%s)\n", a, b, c, strerror(errno));
    return 0;
}
