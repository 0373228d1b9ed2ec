/*
 * sum_client.c: td6 reference. Sends one value to sum_server over a UNIX domain
 * SOCK_SEQPACKET socket, waits for the sum of its round and prints it as
 * "sum = S". The contract is in README.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "sum_proto.h"

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

__attribute__((unused))
static void usage(void)
{
    fprintf(stderr, "usage: sum_client [-p PATH] VALUE\n");
}

/* Options of the contract: *path and *value (the VALUE argument, not checked yet).
 * On error one line on stderr and -1. */
static int parse_options(int argc, char **argv, const char **path, const char **value)
{
    struct sockaddr_un sa;
    int c;
    *path = DEFAULT_SOCKET_PATH;
    opterr = 0;
    /* "+": stop at the first non-option; and an argument "-DIGITS..." is a negative
     * VALUE, not an option, so stop there too. */
    while (!(optind < argc && argv[optind][0] == '-' && isdigit((unsigned char)argv[optind][1]))
           && (c = getopt(argc, argv, "+p:")) != -1) {
        if (c != 'p') {
            usage();
            return -1;
        }
        *path = optarg;
        if (make_address(optarg, &sa) == -1) {
            fprintf(stderr, "sum_client: invalid socket path '%s' (1 to %zu bytes)\n", optarg,
                    sizeof sa.sun_path - 1);
            return -1;
        }
    }
    if (argc - optind != 1) {
        usage();
        return -1;
    }
    *value = argv[optind];
    return 0;
}

/* Parse a reply "sum S" (S: a decimal 64-bit integer). 0 and *sum set, or -1. */
__attribute__((unused))
static int parse_sum_reply(const char *msg, size_t len, long long *sum)
{
    char buf[MSG_MAX + 1], *end;
    size_t k = strlen(REPLY_SUM);
    if (len <= k || len > MSG_MAX || strncmp(msg, REPLY_SUM, k) != 0)
        return -1;
    memcpy(buf, msg + k, len - k);
    buf[len - k] = '\0';
    if (!(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
        return -1;
    errno = 0;
    *sum = strtoll(buf, &end, 10);
    return errno || *end != '\0' || end == buf ? -1 : 0;
}

/* ======================= Functions you implement ======================= */

/* Connect to the server at path. Returns the socket, or -1 after printing one line:
 * "sum_client: server is down (nothing listens on PATH)" when nobody listens (no
 * file: ENOENT, stale socket file: ECONNREFUSED), "sum_client: cannot connect to
 * PATH: REASON" otherwise. */
static int connect_to_server(const char *path)
{
    struct sockaddr_un sa;
    if (make_address(path, &sa) == -1)
        return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    if (fd == -1) {
        fprintf(stderr, "sum_client: socket: %s\n", strerror(errno));
        return -1;
    }
    int rc;
    while ((rc = connect(fd, (struct sockaddr *)&sa, sizeof sa)) == -1 && errno == EINTR)
        continue;
    if (rc == -1) {
        if (errno == ENOENT || errno == ECONNREFUSED)
            fprintf(stderr, "sum_client: server is down (nothing listens on %s)\n", path);
        else
            fprintf(stderr, "sum_client: cannot connect to %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Send value in one message, wait for the reply (one message) and print the result.
 * 0 if a sum was printed, -1 after printing one error line. */
static int exchange(int fd, int32_t value)
{
    char msg[MSG_MAX];
    int len = snprintf(msg, sizeof msg, "%d", (int)value);
    ssize_t n;
    long long sum;
    while ((n = send(fd, msg, (size_t)len, MSG_NOSIGNAL)) == -1 && errno == EINTR)
        continue;
    if (n == -1) {
        fprintf(stderr, "sum_client: cannot send to the server: %s\n", strerror(errno));
        return -1;
    }
    while ((n = recv(fd, msg, sizeof msg, 0)) == -1 && errno == EINTR)
        continue;
    if (n == -1) {
        fprintf(stderr, "sum_client: cannot receive from the server: %s\n", strerror(errno));
        return -1;
    }
    if (n == 0) {
        fprintf(stderr, "sum_client: the server closed the connection without a reply\n");
        return -1;
    }
    size_t ke = strlen(REPLY_ERROR);
    if ((size_t)n > ke && strncmp(msg, REPLY_ERROR, ke) == 0) {
        fprintf(stderr, "sum_client: server error: %.*s\n", (int)((size_t)n - ke), msg + ke);
        return -1;
    }
    if (parse_sum_reply(msg, (size_t)n, &sum) == -1) {
        fprintf(stderr, "sum_client: bad reply from the server\n");
        return -1;
    }
    say("sum = %lld\n", sum);
    return 0;
}

/* The whole client: check VALUE (exit status 2 if invalid, before any connection),
 * connect, exchange. Returns the exit status: 0, 1 (run-time error) or 2. */
static int run_client(const char *path, const char *value_arg)
{
    int32_t value;
    if (parse_value(value_arg, strlen(value_arg), &value) == -1) {
        fprintf(stderr, "sum_client: invalid value '%s' (expected an integer in "
                "-2147483648..2147483647)\n", value_arg);
        return 2;
    }
    int fd = connect_to_server(path);
    if (fd == -1)
        return 1;
    int rc = exchange(fd, value);
    close(fd);
    return rc == -1 ? 1 : 0;
}

/* (DO NOT CHANGE) */
int main(int argc, char **argv)
{
    const char *path, *value;
    if (parse_options(argc, argv, &path, &value) == -1)
        return 2;
    return run_client(path, value);
}
