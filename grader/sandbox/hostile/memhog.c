/* memhog.c (hostile): allocate and touch memory in 16 MiB steps, forever. Contained by the
 * memory cgroup (OOM kill): "memory limit exceeded". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    for (size_t total = 0;; total += 16 << 20) {
        char *p = malloc(16 << 20);
        if (!p) {
            printf("malloc failed after %zu MiB\n", total >> 20);
            return 1;
        }
        memset(p, 1, 16 << 20);
    }
}
