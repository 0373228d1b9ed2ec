/*
 * server_main.c: shake_server's entry point (PROVIDED, DO NOT CHANGE).
 *
 *   shake_server [-p PORT] [-m MODEL] [-e] [-v] [-w WORKERS] [-b ADDR]
 *
 * Parses the options, raises the descriptor limit, opens the listener, installs the
 * SIGTERM/SIGINT handler, prints the ready line "listening on port N" and hands over to
 * the model (server_<model>.c). The contract is in README.md.
 */
#include "shake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROG "shake_server"
#define USAGE "usage: " PROG " [-p PORT]" \
              " [-m fork|thread|pool|select|poll|epoll|epoll-et|reuseport]" \
              " [-e] [-v] [-w WORKERS] [-b ADDR]\n"

static const struct {
    const char *name;
    int (*serve)(struct server *);
} models[] = {
    { "fork", serve_fork },     { "thread", serve_thread }, { "pool", serve_pool },
    { "select", serve_select }, { "poll", serve_poll },     { "epoll", serve_epoll },
    { "epoll-et", serve_epoll_et }, { "reuseport", serve_reuseport },
};

volatile sig_atomic_t stop_requested;
static volatile int stop_listener = -1;

static void on_stop(int sig)
{
    (void)sig;
    int saved = errno;
    stop_requested = 1;
    /* Shutting the listener down wakes a blocked accept() (EINVAL) and makes it readable
     * for poll/epoll, even if the signal arrived just after the loop checked the flag
     * and just before it blocked: no lost wake-up. shutdown() is async-signal-safe. */
    if (stop_listener >= 0)
        shutdown(stop_listener, SHUT_RD);
    errno = saved;
}

int install_stop_handler(int listener)
{
    /* No SA_RESTART: a blocking call in progress returns EINTR so that its loop looks
     * at stop_requested. */
    struct sigaction sa = { .sa_handler = on_stop };
    sigemptyset(&sa.sa_mask);
    stop_listener = listener;
    if (sigaction(SIGTERM, &sa, NULL) == -1 || sigaction(SIGINT, &sa, NULL) == -1)
        return -1;
    return 0;
}

/* Number of workers for -w, or -1. */
static int parse_workers(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno || end == s || *end || v < 1 || v > 1024 ? -1 : (int)v;
}

static int parse_options(int argc, char **argv, struct server *sv, int *model)
{
    int opt;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    *sv = (struct server){ .listener = -1, .workers = 0 };
    *model = 0;
    opterr = 0;
    while ((opt = getopt(argc, argv, ":p:m:evw:b:")) != -1) {
        switch (opt) {
        case 'p':
            if ((sv->port = parse_port(optarg)) < 0)
                return -1;
            break;
        case 'm':
            *model = -1;
            for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
                if (!strcmp(optarg, models[i].name))
                    *model = (int)i;
            if (*model < 0)
                return -1;
            break;
        case 'e':
            sv->echo = true;
            break;
        case 'v':
            sv->verbose = true;
            break;
        case 'w':
            if ((sv->workers = parse_workers(optarg)) < 0)
                return -1;
            break;
        case 'b':
            if (inet_pton(AF_INET, optarg, &(struct in_addr){ 0 }) != 1)
                return -1;
            sv->addr = optarg;
            break;
        default:
            return -1;
        }
    }
    if (optind != argc)
        return -1;
    if (sv->workers == 0) /* pool: 16 threads; reuseport: one process per core */
        sv->workers = *model == 2 ? 16 : (int)(ncpu > 0 ? ncpu : 1);
    return 0;
}

int main(int argc, char **argv)
{
    struct server sv;
    int model;
    if (parse_options(argc, argv, &sv, &model) == -1) {
        fputs(USAGE, stderr);
        return 2;
    }
    raise_nofile_limit();
    /* A client that vanishes makes write() fail with EPIPE instead of killing us. */
    signal(SIGPIPE, SIG_IGN);
    bool reuseport = !strcmp(models[model].name, "reuseport");
    sv.listener = tcp_listen(sv.addr, sv.port, reuseport);
    if (sv.listener < 0) {
        fprintf(stderr, "%s: cannot listen on port %d: %s\n", PROG, sv.port, strerror(errno));
        return 1;
    }
    sv.port = tcp_local_port(sv.listener);
    if (install_stop_handler(sv.listener) == -1) {
        fprintf(stderr, "%s: sigaction: %s\n", PROG, strerror(errno));
        close(sv.listener);
        return 1;
    }
    /* The ready line: tests and the benchmark connect as soon as they read it. */
    printf("listening on port %d\n", sv.port);
    fflush(stdout);
    int rc = models[model].serve(&sv);
    return rc == 0 ? 0 : 1;
}
