/*
 * sum_client.c: td6 skeleton. Sends one value to sum_server over a UNIX domain
 * SOCK_SEQPACKET socket, waits for the sum of its round and prints it as
 * "sum = S". The contract is in README.md.
 *
 * Implement the functions below the "Functions you implement" line; the helpers
 * above it are provided and must not change. `make check` runs the tests.
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
__attribute__((unused))
static int connect_to_server(const char *path)
{
    (void)path;
    // TODO(student): make_address(), socket(AF_UNIX, SOCK_SEQPACKET, 0), connect();
    // ENOENT or ECONNREFUSED: "server is down"; close the socket on every error path.
    fprintf(stderr, "sum_client: connect_to_server is not implemented\n");
    return -1;
}

/* Send value in one message, wait for the reply (one message) and print the result.
 * 0 if a sum was printed, -1 after printing one error line. */
__attribute__((unused))
static int exchange(int fd, int32_t value)
{
    (void)fd;
    (void)value;
    // TODO(student): send() the value's digits as one message (MSG_NOSIGNAL), recv() one
    // reply: "error: REASON", "sum S" (parse_sum_reply), anything else, or 0 bytes.
    fprintf(stderr, "sum_client: exchange is not implemented\n");
    return -1;
}

/* The whole client: check VALUE (exit status 2 if invalid, before any connection),
 * connect, exchange. Returns the exit status: 0, 1 (run-time error) or 2. */
static int run_client(const char *path, const char *value_arg)
{
    (void)path;
    (void)value_arg;
    // TODO(student): parse_value() the VALUE (exit status 2 if invalid, before any
    // connection), connect_to_server(), exchange(), close().
    fprintf(stderr, "sum_client: run_client is not implemented\n");
    return 1;
}

/* (DO NOT CHANGE) */
int main(int argc, char **argv)
{
    const char *path, *value;
    if (parse_options(argc, argv, &path, &value) == -1)
        return 2;
    return run_client(path, value);
}
