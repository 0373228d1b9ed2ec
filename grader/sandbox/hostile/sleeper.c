/* sleeper.c (hostile): block forever without using CPU, ignoring the polite signals.
 * Only the sandbox's wall deadline ends it: "time limit exceeded". */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    printf("sleeping forever\n");
    fflush(stdout);
    for (;;)
        pause();
}
