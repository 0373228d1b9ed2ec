/*
 * server_thread.c: the thread model of shake_server (-m thread), td7 alternative
 * (instructor only, alt/classic): detached threads, each running its own read /
 * session_feed / writev_all loop with a 16 KiB heap buffer; the open connections are
 * kept in a table indexed by descriptor (sized from RLIMIT_NOFILE), not a list.
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
#include <sys/resource.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t none_left = PTHREAD_COND_INITIALIZER;
static unsigned char *is_open; /* is_open[fd]: a thread serves fd */
static long table_size;
static long nopen;

struct job {
    int fd;
    bool echo;
};

static void report(const char *what, int err)
{
    fprintf(stderr, "shake_server: %s: %s\n", what, strerror(err));
}

/* Close fd and clear its entry under the lock (stop_all never shuts a reused number). */
static void finished(int fd)
{
    pthread_mutex_lock(&lock);
    close(fd);
    is_open[fd] = 0;
    if (--nopen == 0)
        pthread_cond_broadcast(&none_left);
    pthread_mutex_unlock(&lock);
}

/* The protocol loop of one connection, written here with the session API. */
static void serve_conn(int fd, bool echo)
{
    enum { BUF = 16384 };
    char *buf = malloc(BUF);
    struct session s;
    struct iovec iov[2];
    if (!buf)
        return;
    session_init(&s, echo);
    bool eof = false;
    for (;;) {
        ssize_t n = read(fd, buf, BUF);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0) {
            eof = n == 0;
            break;
        }
        int k = session_feed(&s, buf, (size_t)n, iov);
        if (k == -1 || writev_all(fd, iov, k) == -1)
            break;
    }
    if (eof) {
        int k = session_finish(&s, iov);
        (void)writev_all(fd, iov, k);
    }
    session_free(&s);
    free(buf);
}

static void *conn_thread(void *arg)
{
    struct job j = *(struct job *)arg;
    free(arg);
    set_nodelay(j.fd);
    serve_conn(j.fd, j.echo);
    finished(j.fd);
    return NULL;
}

/* Record fd and start its detached thread, SIGTERM/SIGINT blocked in it. */
static int spawn(int fd, bool echo, pthread_attr_t *attr)
{
    struct job *j = malloc(sizeof *j);
    if (!j || fd >= table_size) {
        free(j);
        close(fd);
        return ENOMEM;
    }
    *j = (struct job){ fd, echo };
    pthread_mutex_lock(&lock);
    is_open[fd] = 1;
    nopen++;
    pthread_mutex_unlock(&lock);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    pthread_t t;
    int err = pthread_create(&t, attr, conn_thread, j);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        free(j);
        finished(fd);
    }
    return err;
}

/* Shut every open connection down, wait until no thread is left. */
static void stop_all(void)
{
    pthread_mutex_lock(&lock);
    for (long fd = 0; fd < table_size; fd++)
        if (is_open[fd])
            shutdown((int)fd, SHUT_RDWR);
    while (nopen > 0)
        pthread_cond_wait(&none_left, &lock);
    pthread_mutex_unlock(&lock);
}

int serve_thread(struct server *sv)
{
    struct rlimit rl;
    table_size = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
                 rl.rlim_cur < 1048576 ? (long)rl.rlim_cur : 1048576;
    is_open = calloc((size_t)table_size, 1);
    if (!is_open) {
        report("calloc", ENOMEM);
        close(sv->listener);
        return -1;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 128 * 1024); /* the buffer is on the heap */
    int rc = 0;
    while (!stop_requested) {
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
    free(is_open);
    is_open = NULL;
    return rc;
}
