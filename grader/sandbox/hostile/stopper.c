/* stopper.c (hostile): stop itself and its process group with SIGSTOP (nobody will send
 * SIGCONT). Only the wall deadline ends it, and the stopped processes must still be
 * killed. */
#include <signal.h>
#include <unistd.h>

int main(void)
{
    if (fork() == 0)
        for (;;)
            pause();
    kill(0, SIGSTOP);
    raise(SIGSTOP);
    return 0;
}
