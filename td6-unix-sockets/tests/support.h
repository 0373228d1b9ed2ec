/*
 * support.h: helpers of td6's tests on top of testlib/tl.h: start and stop a
 * long-running sum_server, run sum_client processes side by side, parse what they
 * print, and talk to a server directly over a SOCK_SEQPACKET socket (raw messages,
 * clients that leave mid-round) or play the server for a sum_client (with tl_net.h).
 */
#ifndef TD6_SUPPORT_H
#define TD6_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "tl.h"

#define SOCK_NAME "s.sock"      /* the socket, relative to the programs' cwd tl_dir() */
#define MAX_VALUES 64

/* A running server: its process and the command line that reproduces it. */
typedef struct {
    tl_proc *p;
    char cmd[256];
} server;

/* One "round R: V1 + ... = S" line of the server. */
typedef struct {
    long number;
    int nv;
    long long v[MAX_VALUES];
    long long sum;
} round_line;

/* What a server printed, as the contract defines it. */
typedef struct {
    bool listening;             /* "listening on PATH" seen first */
    int nrounds;
    round_line *rounds;         /* malloc'd */
    long stopped;               /* N of "stopped after N rounds", -1 if absent */
    int nbad;
    char bad[200];              /* the first line matching no format */
} server_out;

/* Start "sum_server -p s.sock [-c clients]" (clients 0: the default) and wait for its
 * "listening on" line; asserts (with the reproduce line) if it does not come. */
server start_server(int clients);
/* Start a server with the given argv (NULL-terminated) and wait for "listening on". */
server start_server_argv(const char *const *argv);
/* Send sig and wait up to 2 s for the end; *late is set if it had to be killed. */
tl_result stop_server(server *s, int sig, bool *late);
/* Parse a server's stdout (free with free_server_out). */
server_out parse_server(const char *out);
void free_server_out(server_out *o);

/* Start "sum_client -p s.sock VALUE" with a deadline. */
tl_proc *start_client(long long value, int deadline_ms);
/* Parse a client's "sum = S" line: true and *sum if its stdout is exactly that line. */
bool client_sum(const tl_result *r, long long *sum);

/* The shell command of a client that sends msg (len bytes) as one message to the server
 * at SOCK_NAME and prints its reply on stderr, as the test's raw clients do: socat over
 * SOCK_SEQPACKET (type=5), keeping its socket open (shut-none) for up to wait_s seconds
 * or until the server closes it. For a Reproduce line (tl_note_peer), two of them run in
 * one subshell, "(A & sleep 0.1; B; wait)": $! stays the server, and the subshell's wait
 * reaps both. */
void socat_client(char *cmd, size_t cap, const char *msg, size_t len, int wait_s);
/* The subshell above, in cmd (cap bytes). */
void socat_pair(char *cmd, size_t cap, const char *a, const char *b);

/* Distinct random 32-bit values from tl_random_seed (printed in *note for messages). */
void random_values(long long *v, int n, char *note, size_t note_len);

/* The test as a client of the server at tl_path(SOCK_NAME) (one message per send), or
 * as a stand-in server there for sum_client; -1 / false on failure. Wait for a message
 * with tl_recv_within, a connection with tl_accept_within (tl_net.h). */
static inline int raw_connect(void)
{
    return tl_unix_connect(tl_path(SOCK_NAME), SOCK_SEQPACKET);
}
static inline bool raw_send(int fd, const void *buf, size_t len)
{
    return tl_write_all(fd, buf, len) == 0;
}
static inline int fake_listen(void)
{
    return tl_unix_listen(tl_path(SOCK_NAME), SOCK_SEQPACKET);
}

#endif
