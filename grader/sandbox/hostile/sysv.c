/* sysv.c (hostile): create a System V shared memory segment, semaphore set and message
 * queue under fixed keys (IPC_EXCL: fails if they exist) and exit without removing them.
 * In a private IPC namespace they vanish with the run; a second run must succeed again. */
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#define KEY 0x5b0c1ea0

int main(void)
{
    int shm = shmget(KEY, 4096, IPC_CREAT | IPC_EXCL | 0666);
    int sem = semget(KEY + 1, 1, IPC_CREAT | IPC_EXCL | 0666);
    int msq = msgget(KEY + 2, IPC_CREAT | IPC_EXCL | 0666);
    if (shm < 0 || sem < 0 || msq < 0) {
        perror("sysv: an object already exists (IPC not isolated)");
        return 1;
    }
    printf("created shm %d sem %d msg %d and left them\n", shm, sem, msq);
    return 0;
}
