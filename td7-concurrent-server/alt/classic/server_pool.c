/*
 * server_pool.c: the thread-pool model of shake_server (-m pool): WORKERS threads
 * (-w, default 16) are started once; each one loops on accept() on the shared
 * listener and serves the connection it got until that client leaves.
 *
 * No thread is created per client (cheaper), but at most WORKERS clients are served
 * at a time: the next ones wait in the listen backlog until a worker is free.
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

struct worker {
    pthread_t thread;
    struct server *sv;
    int fd;                    /* the connection it serves, or -1 (under lock) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool stopping; /* under lock: set before SIGTERM shuts the connections down */

static void report(const char *what, int err)
{
    fprintf(stderr, "shake_server: %s: %s\n", what, strerror(err));
}

static void set_current(struct worker *w, int fd)
{
    pthread_mutex_lock(&lock);
    if (fd < 0 && w->fd >= 0)
        close(w->fd); /* under the lock: SIGTERM never shuts down a reused number */
    else if (fd >= 0 && stopping)
        shutdown(fd, SHUT_RDWR); /* accepted just as SIGTERM came: end it at once */
    w->fd = fd;
    pthread_mutex_unlock(&lock);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        int fd = accept(w->sv->listener, NULL, NULL);
        if (fd < 0) {
            /* EINVAL: the SIGTERM handler shut the listener down. */
            if (stop_requested || errno == EINVAL)
                break;
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            report("accept", errno);
            usleep(10000);
            continue;
        }
        set_current(w, fd);
        set_nodelay(fd);
        (void)session_serve_blocking(fd, w->sv->echo);
        set_current(w, -1);
    }
    return NULL;
}

/* Start n workers with SIGTERM/SIGINT blocked (the main thread takes them). */
static int start_workers(struct worker *ws, int n, struct server *sv)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    int started = 0;
    for (; started < n; started++) {
        ws[started] = (struct worker){ .sv = sv, .fd = -1 };
        int err = pthread_create(&ws[started].thread, &attr, worker_main, &ws[started]);
        if (err) {
            report("pthread_create", err);
            break;
        }
    }
    pthread_attr_destroy(&attr);
    return started;
}

int serve_pool(struct server *sv)
{
    struct worker *ws = calloc((size_t)sv->workers, sizeof *ws);
    if (!ws) {
        report("malloc", errno);
        close(sv->listener);
        return -1;
    }
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int n = start_workers(ws, sv->workers, sv);
    /* Wait for SIGTERM: the flag is tested with the signals blocked and sigsuspend()
     * unblocks them atomically, so a signal cannot slip in between and be missed. */
    while (n == sv->workers && !stop_requested)
        sigsuspend(&old);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    shutdown(sv->listener, SHUT_RD); /* wakes the workers blocked in accept() */
    pthread_mutex_lock(&lock);
    stopping = true;
    for (int i = 0; i < n; i++)
        if (ws[i].fd >= 0)
            shutdown(ws[i].fd, SHUT_RDWR);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n; i++)
        pthread_join(ws[i].thread, NULL);
    close(sv->listener);
    free(ws);
    return n == sv->workers ? 0 : -1;
}
