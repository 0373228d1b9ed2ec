/* fdhog.c (hostile): open descriptors until refused; prints how many it got. RLIMIT_NOFILE
 * bounds it (exit 0 when refused with EMFILE below argv[1] descriptors, else 3). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long max = argc > 1 ? atol(argv[1]) : 100000, n = 0;
    while (open("/dev/null", O_RDONLY) >= 0 && n < 1000000)
        n++;
    int e = errno;
    printf("fdhog: %ld descriptors, then %s\n", n, strerror(e));
    return e == EMFILE && n < max ? 0 : 3;
}
