/* port.c (hostile): listen on TCP port argv[1] (default 8080) on all addresses and hold it
 * for argv[2] seconds (default 2). Two parallel runs must both get the port (private
 * network namespaces); exit 1 on EADDRINUSE. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 8080, secs = argc > 2 ? atoi(argv[2]) : 2;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                             .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 8) < 0) {
        perror("port: cannot listen");
        return 1;
    }
    printf("listening on %d\n", port);
    fflush(stdout);
    sleep((unsigned)secs);
    return 0;
}
