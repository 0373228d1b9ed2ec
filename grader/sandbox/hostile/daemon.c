/* daemon.c (hostile): setsid + double fork, then the command itself exits 0 at once. The
 * daemonized grandchild keeps appending to daemon.alive in the working directory for 30 s:
 * the file must stop growing as soon as the run ends (the sandbox killed it). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void grandchild(void)
{
    for (int i = 0; i < 300; i++) {
        int fd = open("daemon.alive", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            (void)!write(fd, "x", 1);
            close(fd);
        }
        usleep(100000);
    }
    _exit(0);
}

int main(void)
{
    pid_t p = fork();
    if (p == 0) {
        setsid();
        signal(SIGHUP, SIG_IGN);
        if (fork() == 0) {
            int null = open("/dev/null", O_RDWR);
            dup2(null, 0), dup2(null, 1), dup2(null, 2);
            grandchild();
        }
        _exit(0);
    }
    waitpid(p, NULL, 0);
    usleep(300000);     /* let the grandchild start writing */
    printf("daemonized\n");
    return 0;
}
