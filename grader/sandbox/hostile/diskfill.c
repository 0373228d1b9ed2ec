/* diskfill.c (hostile): write a file at PATH (argv[1]) 1 MiB at a time until something
 * stops it: ENOSPC from the bounded /tmp (exit 1), or SIGXFSZ from RLIMIT_FSIZE in the job
 * directory ("file size limit exceeded"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static char buf[1 << 20];
    const char *path = argc > 1 ? argv[1] : "fill.bin";
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("diskfill: %s: %s\n", path, strerror(errno));
        return 1;
    }
    memset(buf, 'z', sizeof buf);
    for (long mib = 0;; mib++)
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
            printf("diskfill: stopped after %ld MiB: %s\n", mib, strerror(errno));
            return 1;
        }
}
