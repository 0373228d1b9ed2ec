/*
 * server_thread.c: the thread model of shake_server (-m thread): the main thread
 * accepts; each connection gets its own detached thread, which serves it and ends.
 *
 * Threads share the process: nothing to close on "the other side" (one descriptor
 * table), nothing to reap (detached), but whatever they share needs a lock. Here that
 * is only the registry of open connections, which SIGTERM uses to end them.
 */
#include "shake.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define THREAD_STACK (256 * 1024) /* a 64 KiB read buffer plus room; the default 8 MiB
                                      would reserve 80 GiB for 10,000 clients */

/* One open connection; the list lets the main thread end them all at SIGTERM. */
struct conn {
    int fd;
    bool echo;
    struct conn *prev, *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_done = PTHREAD_COND_INITIALIZER;
static struct conn *open_conns;
static int nopen;

static void report(const char *what, int err)
{
    fprintf(stderr, "shake_server: %s: %s\n", what, strerror(err));
}

/* Remove c from the list and close its socket under the lock: the main thread never
 * shuts down a descriptor number that was closed and reused meanwhile. */
static void conn_done(struct conn *c)
{
    pthread_mutex_lock(&lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        open_conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    close(c->fd);
    if (--nopen == 0)
        pthread_cond_signal(&all_done);
    pthread_mutex_unlock(&lock);
    free(c);
}

static void *conn_thread(void *arg)
{
    struct conn *c = arg;
    set_nodelay(c->fd);
    (void)session_serve_blocking(c->fd, c->echo);
    conn_done(c);
    return NULL;
}

/* Register fd and start its thread (signals blocked: SIGTERM is the main thread's). */
static int spawn(int fd, bool echo, pthread_attr_t *attr)
{
    struct conn *c = malloc(sizeof *c);
    if (!c)
        return ENOMEM;
    *c = (struct conn){ .fd = fd, .echo = echo };
    pthread_mutex_lock(&lock);
    c->next = open_conns;
    if (open_conns)
        open_conns->prev = c;
    open_conns = c;
    nopen++;
    pthread_mutex_unlock(&lock);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    pthread_t t;
    int err = pthread_create(&t, attr, conn_thread, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        conn_done(c);
    return err;
}

/* SIGTERM: shut every connection down (its thread's read() returns 0), wait for all. */
static void stop_connections(void)
{
    pthread_mutex_lock(&lock);
    for (struct conn *c = open_conns; c; c = c->next)
        shutdown(c->fd, SHUT_RDWR);
    while (nopen > 0)
        pthread_cond_wait(&all_done, &lock);
    pthread_mutex_unlock(&lock);
}

int serve_thread(struct server *sv)
{
    int rc = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    while (!stop_requested) {
        int fd = accept(sv->listener, NULL, NULL);
        if (fd < 0) {
            if (stop_requested)
                break;
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                report("accept", errno);
                usleep(10000);
                continue;
            }
            report("accept", errno);
            rc = -1;
            break;
        }
        int err = spawn(fd, sv->echo, &attr);
        if (err)
            report("pthread_create", err);
    }
    close(sv->listener);
    stop_connections();
    pthread_attr_destroy(&attr);
    return rc;
}
