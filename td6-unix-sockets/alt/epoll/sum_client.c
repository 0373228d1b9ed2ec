/*
 * sum_client.c: td6 alternative (instructor only, alt/epoll): sends VALUE exactly as
 * typed (once checked) and receives the reply with recvmsg(), MSG_TRUNC telling a
 * too-long reply from a short one. Sends one value to sum_server over a UNIX domain
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

/* A connected SOCK_SEQPACKET socket to path, or -1 after one line. */
static int connect_to_server(const char *path)
{
    struct sockaddr_un sa;
    if (make_address(path, &sa) == -1)
        return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        fprintf(stderr, "sum_client: socket: %s\n", strerror(errno));
        return -1;
    }
    while (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
        if (errno == EINTR)
            continue;
        if (errno == ENOENT || errno == ECONNREFUSED)
            fprintf(stderr, "sum_client: server is down (nothing listens on %s)\n", path);
        else
            fprintf(stderr, "sum_client: cannot connect to %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* The VALUE argument as typed (already checked), used by exchange(). */
static const char *typed_value;

/* One message out (the value as typed), one message in (recvmsg: MSG_TRUNC in
 * msg_flags means the reply did not fit, hence is not a valid one). */
static int exchange(int fd, int32_t value)
{
    (void)value;
    char reply[MSG_MAX];
    ssize_t n;
    while ((n = send(fd, typed_value, strlen(typed_value), MSG_NOSIGNAL)) == -1 &&
           errno == EINTR)
        continue;
    if (n == -1) {
        fprintf(stderr, "sum_client: cannot send to the server: %s\n", strerror(errno));
        return -1;
    }
    struct iovec iov = { reply, sizeof reply };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    while ((n = recvmsg(fd, &mh, 0)) == -1 && errno == EINTR)
        continue;
    if (n == -1) {
        fprintf(stderr, "sum_client: cannot receive from the server: %s\n", strerror(errno));
        return -1;
    }
    if (n == 0) {
        fprintf(stderr, "sum_client: the server closed the connection without a reply\n");
        return -1;
    }
    size_t el = sizeof REPLY_ERROR - 1;
    if (!(mh.msg_flags & MSG_TRUNC) && (size_t)n > el && memcmp(reply, REPLY_ERROR, el) == 0) {
        fprintf(stderr, "sum_client: server error: %.*s\n", (int)(n - (ssize_t)el), reply + el);
        return -1;
    }
    long long sum;
    if ((mh.msg_flags & MSG_TRUNC) || parse_sum_reply(reply, (size_t)n, &sum) == -1) {
        fprintf(stderr, "sum_client: bad reply from the server\n");
        return -1;
    }
    say("sum = %lld\n", sum);
    return 0;
}

/* Check VALUE (2 if bad, nothing sent), connect, exchange. */
static int run_client(const char *path, const char *value_arg)
{
    int32_t value;
    if (parse_value(value_arg, strlen(value_arg), &value) != 0) {
        fprintf(stderr, "sum_client: invalid value '%s' (expected an integer in "
                "-2147483648..2147483647)\n", value_arg);
        return 2;
    }
    typed_value = value_arg;
    int fd = connect_to_server(path);
    if (fd < 0)
        return 1;
    int rc = exchange(fd, value);
    close(fd);
    return rc ? 1 : 0;
}

/* (DO NOT CHANGE) */
int main(int argc, char **argv)
{
    const char *path, *value;
    if (parse_options(argc, argv, &path, &value) == -1)
        return 2;
    return run_client(path, value);
}
