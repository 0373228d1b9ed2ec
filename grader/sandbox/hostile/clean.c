/* clean.c (the honest submission): does what a correct exercise does, with the same
 * names the hostile programs squat: SysV keys, /tmp names, port 8080, a few children.
 * Run in another slot at the same time as each hostile program; it must print exactly
 * "clean: ok sum=500500" and exit 0. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEY 0x5b0c1ea0

static int fail(const char *what)
{
    perror(what);
    return 1;
}

int main(void)
{
    int shm = shmget(KEY, sizeof(long), IPC_CREAT | IPC_EXCL | 0600);
    if (shm < 0)
        return fail("clean: shmget");
    long *sum = shmat(shm, NULL, 0);
    int sem = semget(KEY + 1, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (sem < 0 || semctl(sem, 0, SETVAL, 1) < 0)
        return fail("clean: semget");
    if (open("/tmp/hostile-file", O_WRONLY | O_CREAT | O_EXCL, 0600) < 0 ||
        mkfifo("/tmp/hostile-fifo", 0600) < 0)
        return fail("clean: /tmp");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(8080) };
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 4) < 0)
        return fail("clean: port 8080");
    for (int c = 0; c < 10; c++)
        if (fork() == 0) {
            for (long i = c * 100 + 1; i <= c * 100 + 100; i++) {
                struct sembuf down = { 0, -1, 0 }, up = { 0, 1, 0 };
                semop(sem, &down, 1);
                *sum += i;
                semop(sem, &up, 1);
            }
            _exit(0);
        }
    while (wait(NULL) > 0)
        ;
    printf("clean: ok sum=%ld\n", *sum);
    shmctl(shm, IPC_RMID, NULL);
    semctl(sem, 0, IPC_RMID);
    return *sum == 500500 ? 0 : 1;
}
