/*
 * server_thread.c: the thread model of shake_server (-m thread), td7 alternative
 * (instructor only, alt/sigfd): JOINABLE threads in a growable slot table; a thread
 * marks its slot finished, the accept loop joins finished threads before each accept,
 * and SIGTERM shuts every open connection down and joins every thread.
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

/* One connection and its thread. state: 0 free, 1 serving, 2 finished (to join). */
struct slot {
    pthread_t tid;
    int fd;
    bool echo;
    int state;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot **slots; /* pointers: a slot never moves while its thread runs */
static size_t nslots;

static void report(const char *what, int err)
{
    fprintf(stderr, "shake_server: %s: %s\n", what, strerror(err));
}

static void *conn_thread(void *arg)
{
    struct slot *s = arg;
    set_nodelay(s->fd);
    (void)session_serve_blocking(s->fd, s->echo);
    pthread_mutex_lock(&lock);
    close(s->fd); /* under the lock: stop_all never shuts down a reused number */
    s->fd = -1;
    s->state = 2;
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Join every finished thread, making its slot free again. */
static void join_finished(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nslots; i++)
        if (slots[i]->state == 2) {
            pthread_join(slots[i]->tid, NULL); /* it has returned: no wait */
            slots[i]->state = 0;
        }
    pthread_mutex_unlock(&lock);
}

/* A free slot (the table grows by doubling), or NULL; called with the lock held. */
static struct slot *free_slot(void)
{
    for (size_t i = 0; i < nslots; i++)
        if (slots[i]->state == 0)
            return slots[i];
    size_t n = nslots ? 2 * nslots : 64;
    struct slot **grown = realloc(slots, n * sizeof *grown);
    if (!grown)
        return NULL;
    slots = grown;
    for (size_t i = nslots; i < n; i++) {
        slots[i] = calloc(1, sizeof **slots);
        if (!slots[i]) {
            nslots = i;
            return NULL;
        }
    }
    nslots = n;
    return free_slot();
}

/* Start fd's thread with SIGTERM/SIGINT blocked (they are the main thread's). */
static int spawn(int fd, bool echo, pthread_attr_t *attr)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_mutex_lock(&lock);
    struct slot *s = free_slot();
    int err = ENOMEM;
    if (s) {
        *s = (struct slot){ .fd = fd, .echo = echo, .state = 1 };
        pthread_sigmask(SIG_BLOCK, &block, &old);
        err = pthread_create(&s->tid, attr, conn_thread, s);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (err)
            s->state = 0;
    }
    pthread_mutex_unlock(&lock);
    if (err)
        close(fd);
    return err;
}

/* SIGTERM: shut down every open connection (its read() returns 0), join every thread,
 * free the table. */
static void stop_all(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nslots; i++)
        if (slots[i]->state == 1)
            shutdown(slots[i]->fd, SHUT_RDWR);
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < nslots; i++) {
        if (slots[i]->state != 0)
            pthread_join(slots[i]->tid, NULL);
        free(slots[i]);
    }
    free(slots);
    slots = NULL;
    nslots = 0;
}

int serve_thread(struct server *sv)
{
    int rc = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024); /* a 64 KiB buffer and a little more */
    while (!stop_requested) {
        join_finished();
        int fd = accept(sv->listener, NULL, NULL);
        if (fd == -1) {
            if (stop_requested)
                break;
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            report("accept", errno);
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                usleep(10000);
                continue;
            }
            rc = -1;
            break;
        }
        int err = spawn(fd, sv->echo, &attr);
        if (err)
            report("pthread_create", err);
    }
    close(sv->listener);
    stop_all();
    pthread_attr_destroy(&attr);
    return rc;
}
