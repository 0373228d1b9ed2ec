/*
 * support.h: test helpers of td7 on top of testlib/tl.h: start a shake_server and
 * read its port, talk to it with plain sockets (poll-driven, with deadlines), check
 * that replies are permutations of their lines, and look at the server through /proc
 * (children, zombies, who holds the listening socket).
 * Generic parts (sockets with deadlines, /proc scans) belong in testlib eventually.
 */
#ifndef TD7_SUPPORT_H
#define TD7_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tl.h"

#define SRV_DEADLINE_MS 20000   /* a server's life in a test; suites time out at 30 s */
#define EXCHANGE_IDLE_MS 1500  /* cl_exchange gives up after this long without progress */
#define REPLY_MS 3000           /* how long a reply may take before the test gives up */

struct srv {
    tl_proc *p;
    int port;
    pid_t pid;
    char model[16];
    char cmd[1024];             /* how to start it by hand (its Reproduce line) */
};

/* Start "shake_server -p 0 -m MODEL [extra...]" and read its ready line. On failure the
 * test fails with the reason. extra: NULL-terminated, or NULL. */
void srv_start(struct srv *s, const char *model, const char *const *extra, const char *perturb);
/* SIGTERM, wait up to ms for the end (then the tree is killed), collect. */
tl_result srv_stop(struct srv *s, int ms, double *took_ms);
/* "Reproduce: ..." text for messages about a live server. */
const char *srv_hint(const struct srv *s);

/* Client sockets to 127.0.0.1:port. rcvbuf > 0 sets SO_RCVBUF before connecting. */
int cl_connect(int port, int rcvbuf);
/* Send all of buf within ms. */
bool cl_send(int fd, const char *buf, size_t len, int ms);
/* Receive until want bytes, EOF or ms; returns bytes received, *eof set on EOF/reset. */
size_t cl_recv(int fd, char *buf, size_t want, int ms, bool *eof);
/* Send in and receive want bytes (poll), within ms. hold_ms > 0: read nothing during the
 * first hold_ms, like a client that reads late; chunk > 0: at most chunk bytes per read.
 * Gives up
 * EXCHANGE_IDLE_MS after the last progress once all is sent and reading has begun. */
size_t cl_exchange(int fd, const char *in, size_t inlen, char *out, size_t want, int ms,
                   int hold_ms, size_t chunk);
/* Wait until fd sees EOF (or a reset) within ms, ignoring data. */
bool cl_wait_eof(int fd, int ms);

/* Are the lines of out permutations of those of in, in order, endings in place (or,
 * with exact, equal)? On failure, why in msg. */
bool replies_match(const char *in, size_t inlen, const char *out, size_t outlen, bool exact,
                   char *msg, size_t msglen);
/* n random lines of lengths in [minlen, maxlen], from a varied alphabet. malloc'd. */
char *random_lines(unsigned *seed, int n, size_t minlen, size_t maxlen, size_t *len);

/* /proc views of a live process. */
int proc_children(pid_t pid, pid_t *out, int max);
int proc_zombie_children(pid_t pid);
unsigned long listener_inode(int port);       /* 0 if none */
bool proc_holds_inode(pid_t pid, unsigned long inode);
/* Wait until the server's descriptor count is at most want (ms); returns the last count. */
int wait_fd_count(pid_t pid, int want, int ms);
void sleep_ms(int ms);
double now_ms(void);

#endif
