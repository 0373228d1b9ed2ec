/*
 * shake.h: what the files of shake_server and shake_client share (PROVIDED, DO NOT CHANGE).
 *
 *   net.c       sockets and descriptors: listen, connect, write-all, non-blocking, limits
 *   session.c   the line protocol of one connection (shuffle or echo each line)
 *   server_main.c  options, the listener, the ready line, SIGTERM, then one model:
 *   server_fork.c, server_thread.c, server_pool.c   blocking models
 *   server_event.c over ev_select.c / ev_poll.c / ev_epoll.c (ev.h)   event loops
 *                  (ev_epoll.c: level-triggered, and edge-triggered for -m epoll-et)
 *   server_reuseport.c   one epoll loop per worker process on a SO_REUSEPORT port
 */
#ifndef SHAKE_H
#define SHAKE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#define MAX_LINE 65536          /* bytes before the newline; longer: the connection closes */
#define READ_CHUNK 65536        /* one read() of a connection */

/* ---------- net.c ---------- */

/* A TCP listener on addr:port (addr NULL: every interface; port 0: the kernel picks).
 * reuseport sets SO_REUSEPORT. Returns the descriptor, or -1 with errno set. */
int tcp_listen(const char *addr, int port, bool reuseport);
int tcp_local_port(int fd);                     /* the port a socket is bound to, or -1 */
int tcp_connect(const char *host, const char *port, char *err, size_t errlen);
int set_nonblocking(int fd);
void set_nodelay(int fd);                       /* TCP_NODELAY: replies leave at once */
int write_all(int fd, const void *buf, size_t len);          /* 0, or -1 with errno */
int writev_all(int fd, struct iovec *iov, int iovcnt);       /* 0, or -1 with errno */
void raise_nofile_limit(void);                  /* soft RLIMIT_NOFILE := hard */
int parse_port(const char *s);                  /* 0..65535, or -1 */

/* ---------- session.c: the protocol of one connection ---------- */

struct session {
    char *pend;                 /* the unfinished line received so far */
    size_t npend, cap;
    char *spare;                /* the previous pending line, now a reply being written */
    size_t spare_cap;
    bool echo;                  /* -e: replies are the lines themselves */
    unsigned long long rng;     /* this connection's shuffle generator */
};

void session_init(struct session *s, bool echo);
void session_free(struct session *s);
/* Feed n received bytes (buf is modified). On return iov[0..k-1] hold the replies of the
 * lines completed by these bytes, in order; they stay valid until the next call.
 * Returns k (0..2), or -1 when a line exceeds MAX_LINE (close the connection). */
int session_feed(struct session *s, char *buf, size_t n, struct iovec iov[2]);
/* At end of input: the reply of an unfinished last line (no newline), k = 0 or 1. */
int session_finish(struct session *s, struct iovec iov[1]);
/* Serve a blocking connected socket until EOF or error: read, feed, write the replies,
 * and at EOF the last unfinished line. Returns 0 (EOF), -1 (error, errno set). */
int session_serve_blocking(int fd, bool echo);

/* ---------- server_main.c: what every model gets ---------- */

struct server {
    int listener;               /* listening socket (for reuseport: see the file) */
    int port;
    bool echo;                  /* -e */
    bool verbose;               /* -v: the fork model logs each accepted client on stderr */
    int workers;                /* -w: pool threads or reuseport processes */
    const char *addr;           /* -b, NULL: every interface */
};

/* Set by the SIGTERM/SIGINT handler; the handler also shuts the listener down so that
 * a blocked accept() or poll() wakes up at once (see server_main.c). */
extern volatile sig_atomic_t stop_requested;
/* Install the SIGTERM/SIGINT handler that sets stop_requested and shuts listener down. */
int install_stop_handler(int listener);

int serve_fork(struct server *sv);
int serve_thread(struct server *sv);
int serve_pool(struct server *sv);
int serve_select(struct server *sv);
int serve_poll(struct server *sv);
int serve_epoll(struct server *sv);
int serve_epoll_et(struct server *sv);           /* the epoll loop, edge-triggered */
int serve_reuseport(struct server *sv);

#endif
