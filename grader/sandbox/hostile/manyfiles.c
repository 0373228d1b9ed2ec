/* manyfiles.c (hostile): fill the disk with many files, each under RLIMIT_FSIZE: argv[1]
 * KiB per file (0: empty files, to exhaust inodes). Only the sandbox's watch on the --rw
 * directories stops it: "disk space limit exceeded" / "too many files written". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static char buf[1024];
    long kib = argc > 1 ? atol(argv[1]) : 1024;
    memset(buf, 'm', sizeof buf);
    for (long i = 0;; i++) {
        char name[64];
        snprintf(name, sizeof name, "many-%07ld", i);
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            perror("manyfiles");
            return 1;
        }
        for (long k = 0; k < kib; k++)
            if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
                return 1;
        close(fd);
    }
}
