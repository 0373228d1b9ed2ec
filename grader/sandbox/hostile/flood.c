/* flood.c (hostile): write to stdout and stderr as fast as possible, forever. Contained by
 * the sandbox's output cap: "output limit exceeded", and the log holds at most the cap. */
#include <string.h>
#include <unistd.h>

int main(void)
{
    static char buf[65536];
    memset(buf, 'y', sizeof buf);
    for (;;) {
        (void)!write(1, buf, sizeof buf);
        (void)!write(2, buf, 1024);
    }
}
