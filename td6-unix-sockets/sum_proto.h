/*
 * sum_proto.h: what sum_server and sum_client share (provided, DO NOT CHANGE): the
 * limits of the contract, the message formats and small helpers. See README.md,
 * "The protocol".
 *
 *   request (client -> server): one SOCK_SEQPACKET message, the value in decimal ASCII,
 *            "-" optional, 1 to 10 digits, no sign '+', no space, no newline, no NUL;
 *            the value is a 32-bit signed integer (-2147483648..2147483647).
 *   reply   (server -> client): one message, "sum S" (S: the 64-bit sum in decimal) or
 *            "error: REASON".
 */
#ifndef SUM_PROTO_H
#define SUM_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#define DEFAULT_SOCKET_PATH "/tmp/sum_server.sock"
#define DEFAULT_CLIENTS 2
#define MAX_CLIENTS 64          /* -c range: 1..MAX_CLIENTS */
#define VALUE_MAX_LEN 11        /* strlen("-2147483648") */
#define MSG_MAX 64              /* receive buffer: any longer message is invalid anyway */
#define REPLY_SUM "sum "        /* prefix of a sum reply */
#define REPLY_ERROR "error: "   /* prefix of an error reply */

/* Parse a value: exactly len bytes (no NUL needed), optional '-', 1 to 10 digits,
 * within the range of int32_t. 0 and *out set on success, -1 otherwise. */
int parse_value(const char *buf, size_t len, int32_t *out);

/* Fill *sa with the UNIX address of path. -1 if path is empty or too long for
 * sun_path (at most sizeof sa->sun_path - 1 = 107 bytes). */
int make_address(const char *path, struct sockaddr_un *sa);

/* printf-like line on stdout with one write() (no stdio buffer to forget). */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
