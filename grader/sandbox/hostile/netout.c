/* netout.c (hostile): reach out of the sandbox's network: the host's loopback services
 * (127.0.0.1:argv[1], e.g. another run's server or the grader's), an abstract Unix socket
 * of the host (argv[2]), and the outside world (1.1.1.1:80). Exit 3 if anything answered,
 * 0 if all failed (a private network namespace has only its own loopback). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int try_connect(int fam, const struct sockaddr *a, socklen_t len, const char *what)
{
    int s = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int rc = connect(s, a, len);
    if (rc < 0 && errno == EINPROGRESS) {
        struct pollfd p = { s, POLLOUT, 0 };
        int err = 0;
        socklen_t el = sizeof err;
        rc = poll(&p, 1, 1000) == 1 && getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 &&
             err == 0 ? 0 : -1;
    }
    printf("%s: %s\n", what, rc == 0 ? "CONNECTED" : "refused");
    close(s);
    return rc == 0;
}

int main(int argc, char **argv)
{
    int won = 0;
    struct sockaddr_in lo = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                              .sin_port = htons((unsigned short)(argc > 1 ? atoi(argv[1]) : 22)) };
    won += try_connect(AF_INET, (struct sockaddr *)&lo, sizeof lo, "host loopback");
    struct sockaddr_in out = { .sin_family = AF_INET, .sin_port = htons(80) };
    inet_pton(AF_INET, "1.1.1.1", &out.sin_addr);
    won += try_connect(AF_INET, (struct sockaddr *)&out, sizeof out, "outside");
    if (argc > 2) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        strncpy(un.sun_path + 1, argv[2], sizeof un.sun_path - 2);
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(argv[2]));
        won += try_connect(AF_UNIX, (struct sockaddr *)&un, len, "host abstract socket");
    }
    return won ? 3 : 0;
}
