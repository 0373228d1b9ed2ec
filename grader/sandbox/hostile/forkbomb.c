/* forkbomb.c (hostile): fork forever, every process forking too. Contained by the pids
 * cgroup ("too many processes") and the wall deadline; nothing may survive the run. */
#include <unistd.h>

int main(void)
{
    for (;;)
        fork();
}
