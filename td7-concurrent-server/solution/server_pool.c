/*
 * server_pool.c: the thread-pool model of shake_server (-m pool), the classic pool: the
 * main thread is the only one that accepts; it pushes each connection into a bounded
 * queue (QUEUE_MAX) that WORKERS threads (-w, default 16), started once, pop from. A
 * worker serves the connection it popped to the end, closes it, and pops the next.
 *
 * One mutex protects the queue (and the workers' current connections); idle workers
 * sleep on a condition variable, never poll. At most WORKERS clients are served at a
 * time: the others wait in the queue, and a full queue closes the new connection.
 */
#include "shake.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define THREAD_STACK (256 * 1024)
#define QUEUE_MAX 1024          /* connections waiting for a worker */

struct worker {
    pthread_t thread;
    struct server *sv;
    int fd;                    /* the connection it serves, or -1 (under lock) */
};

/* The task queue: a ring of accepted connections. Everything here, and each worker's
 * fd, is read and written with lock held. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static int queued[QUEUE_MAX];
static size_t head, count;
static bool stopping; /* set at SIGTERM: workers pop nothing more and end */

static void report(const char *what, int err)
{
    fprintf(stderr, "shake_server: %s: %s\n", what, strerror(err));
}

/* The acceptor: queue fd and wake one sleeping worker. -1 if the queue is full. */
static int queue_push(int fd)
{
    pthread_mutex_lock(&lock);
    bool full = count == QUEUE_MAX;
    if (!full) {
        queued[(head + count++) % QUEUE_MAX] = fd;
        pthread_cond_signal(&not_empty);
    }
    pthread_mutex_unlock(&lock);
    return full ? -1 : 0;
}

/* A worker: sleep until a connection is queued, take it and record it as w's current
 * one (in the same critical section, so that SIGTERM finds it). -1: the pool stops. */
static int queue_pop(struct worker *w)
{
    int fd = -1;
    pthread_mutex_lock(&lock);
    /* while, not if: a wake-up may be spurious, or another worker took the connection */
    while (count == 0 && !stopping)
        pthread_cond_wait(&not_empty, &lock);
    if (!stopping) {
        fd = queued[head];
        head = (head + 1) % QUEUE_MAX;
        count--;
    }
    w->fd = fd;
    pthread_mutex_unlock(&lock);
    return fd;
}

/* Close w's connection under the lock: SIGTERM never shuts down a reused number. */
static void worker_done(struct worker *w)
{
    pthread_mutex_lock(&lock);
    close(w->fd);
    w->fd = -1;
    pthread_mutex_unlock(&lock);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int fd;
    while ((fd = queue_pop(w)) >= 0) {
        set_nodelay(fd);
        (void)session_serve_blocking(fd, w->sv->echo);
        worker_done(w);
    }
    return NULL;
}

/* Start n workers with SIGTERM/SIGINT blocked (the acceptor, the main thread, takes
 * them); returns how many started. */
static int start_workers(struct worker *ws, int n, struct server *sv)
{
    pthread_attr_t attr;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int started = 0;
    for (; started < n; started++) {
        ws[started] = (struct worker){ .sv = sv, .fd = -1 };
        int err = pthread_create(&ws[started].thread, &attr, worker_main, &ws[started]);
        if (err) {
            report("pthread_create", err);
            break;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return started;
}

/* Accept until SIGTERM, queueing each connection. 0, or -1 on a fatal accept error. */
static int accept_loop(struct server *sv)
{
    while (!stop_requested) {
        int fd = accept(sv->listener, NULL, NULL);
        if (fd < 0) {
            /* EINVAL: the SIGTERM handler shut the listener down. */
            if (stop_requested)
                return 0;
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                report("accept", errno);
                usleep(10000);
                continue;
            }
            report("accept", errno);
            return -1;
        }
        if (queue_push(fd) == -1) {
            close(fd);
            fputs("shake_server: queue full: connection closed\n", stderr);
        }
    }
    return 0;
}

/* SIGTERM: no more pops, the queued connections closed, the served ones shut down (their
 * worker's read returns 0), every worker woken (all of them: broadcast) and joined. */
static void stop_workers(struct worker *ws, int n)
{
    pthread_mutex_lock(&lock);
    stopping = true;
    for (; count > 0; count--, head = (head + 1) % QUEUE_MAX)
        close(queued[head]);
    for (int i = 0; i < n; i++)
        if (ws[i].fd >= 0)
            shutdown(ws[i].fd, SHUT_RDWR);
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n; i++)
        pthread_join(ws[i].thread, NULL);
}

int serve_pool(struct server *sv)
{
    struct worker *ws = calloc((size_t)sv->workers, sizeof *ws);
    if (!ws) {
        report("malloc", errno);
        close(sv->listener);
        return -1;
    }
    int n = start_workers(ws, sv->workers, sv);
    int rc = n == sv->workers ? accept_loop(sv) : -1;
    close(sv->listener);
    stop_workers(ws, n);
    free(ws);
    return rc;
}
