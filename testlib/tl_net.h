/*
 * tl_net.h: the test as a program's client or server: TCP on 127.0.0.1 and Unix-domain
 * sockets, every wait bounded (scaled by $TL_TIME_SCALE), every socket close-on-exec.
 * Creating a socket calls tl_test_is_peer(): the runs the test talks to have no
 * one-line reproduction. Part of tl.h.
 */
#ifndef TL_NET_H
#define TL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tl.h"

/* TCP on 127.0.0.1. A client to port: non-blocking once connected, TCP_NODELAY;
 * rcvbuf > 0 sets SO_RCVBUF before connecting. -1 on failure. */
int tl_tcp_connect(int port, int rcvbuf);
/* A listener on a port the kernel picks (*port); -1 on failure. */
int tl_tcp_listen(int *port);
/* The inode of the socket listening on port (from /proc/net/tcp); 0 if none. */
unsigned long tl_tcp_listener_inode(int port);

/* Unix-domain sockets of type (SOCK_STREAM, SOCK_SEQPACKET) at path; -1 on failure. */
int tl_unix_connect(const char *path, int type);
int tl_unix_listen(const char *path, int type);

/* Accept one connection within ms; -1 if none came, or peer (may be NULL) ended first. */
int tl_accept_within(int lfd, tl_proc *peer, int ms);

/* One read (one message on SOCK_SEQPACKET) within ms: its length, 0 at EOF, -1 on error,
 * -2 on timeout. */
ssize_t tl_recv_within(int fd, char *buf, size_t cap, int ms);
/* Read until want bytes, EOF or ms; returns the bytes read, *eof (may be NULL) set at
 * EOF or reset. */
size_t tl_recv_all(int fd, char *buf, size_t want, int ms, bool *eof);
/* Wait until fd sees EOF (or a reset) within ms, reading and dropping data. */
bool tl_wait_eof(int fd, int ms);

/* tl_exchange gives up this long (scaled) after the last progress, once all is sent. */
#define TL_EXCHANGE_IDLE_MS 1500
/* On a non-blocking fd, send in and receive up to want bytes at the same time (a peer
 * that answers as it reads never blocks on us), within ms. hold_ms > 0: read nothing
 * during the first hold_ms, like a client that reads late; chunk > 0: at most chunk
 * bytes per read. Returns the bytes received. */
size_t tl_exchange(int fd, const char *in, size_t inlen, char *out, size_t want, int ms,
                   int hold_ms, size_t chunk);

#endif
