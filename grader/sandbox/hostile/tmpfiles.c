/* tmpfiles.c (hostile): leave a file, a FIFO and a Unix socket in /tmp and a POSIX shared
 * memory object in /dev/shm, all with fixed names (exclusive: fails if they exist). The
 * private /tmp and /dev/shm vanish with the run; nothing may appear on the host. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int main(void)
{
    int f = open("/tmp/hostile-file", O_WRONLY | O_CREAT | O_EXCL, 0666);
    int fifo = mkfifo("/tmp/hostile-fifo", 0666);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strcpy(a.sun_path, "/tmp/hostile.sock");
    int b = bind(s, (struct sockaddr *)&a, sizeof a);
    int shm = shm_open("/hostile-shm", O_RDWR | O_CREAT | O_EXCL, 0666);
    if (f < 0 || fifo < 0 || b < 0 || shm < 0) {
        perror("tmpfiles: a name already exists (/tmp or /dev/shm not private)");
        return 1;
    }
    printf("left /tmp/hostile-file, /tmp/hostile-fifo, /tmp/hostile.sock, /dev/shm/hostile-shm\n");
    return 0;
}
