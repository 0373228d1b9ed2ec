/*
 * support.h: helpers of td6's tests on top of testlib/tl.h: start and stop a
 * long-running sum_server, run sum_client processes side by side, parse what they
 * print, and talk to a server directly over a SOCK_SEQPACKET socket (raw messages,
 * clients that leave mid-round) or play the server for a sum_client.
 * Every blocking call here has a timeout, so a wrong program fails a test, never hangs it.
 */
#ifndef TD6_SUPPORT_H
#define TD6_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
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

/* Distinct random 32-bit values from tl_random_seed (printed in *note for messages). */
void random_values(long long *v, int n, char *note, size_t note_len);

/* Raw client: connect to tl_path(SOCK_NAME); -1 on failure. */
int raw_connect(void);
bool raw_send(int fd, const void *buf, size_t len);
/* One message within timeout_ms: its length, 0 at EOF, -1 on error, -2 on timeout. */
ssize_t raw_recv(int fd, char *buf, size_t cap, int timeout_ms);

/* A stand-in server for client tests: a listener on tl_path(SOCK_NAME). */
int fake_listen(void);
/* Accept one connection from client within timeout_ms; -1 if none (or client ended). */
int fake_accept(int lfd, tl_proc *client, int timeout_ms);

/* Wait up to timeout_ms until the live process pid has at least n descriptors. */
bool wait_fd_count(pid_t pid, int n, int timeout_ms);
/* Sleep ms milliseconds. */
void pause_ms(int ms);
/* The program path as a student types it (for reproduce lines). */
const char *shown_prog(const char *prog);

#endif
