/*
 * levent_echo.c: the libevent peer of td7's `make bench`: a line echo server written the
 * idiomatic libevent 2.1 way (evconnlistener + one bufferevent per client), the yardstick
 * for shake_server's epoll model (goal: epoll >= 1.3x this server).
 *
 *   levent_echo [-p PORT] [-b BACKLOG]
 *
 * Every complete line received is sent back unchanged. -p 0 (the default) picks a free
 * port; the server then prints "listening on port N" on stdout. SIGINT/SIGTERM: exit 0.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#define PROG "levent_echo"
#define MAX_PENDING (64 * 1024) /* a longer line without newline is echoed as it is */

/* Bad usage: one line on stderr, exit 2. */
static void usage(const char *why)
{
    if (why)
        fprintf(stderr, PROG ": %s; ", why);
    fprintf(stderr, "usage: " PROG " [-p PORT] [-b BACKLOG]\n");
    exit(2);
}

static long parse_long(const char *s, long min, long max, const char *name)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "bad %s '%s'", name, s);
        usage(msg);
    }
    return v;
}

/* Move every complete line from the input to the output buffer. */
static void on_read(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    struct evbuffer *out = bufferevent_get_output(bev);
    for (;;) {
        struct evbuffer_ptr nl = evbuffer_search(in, "\n", 1, NULL);
        if (nl.pos < 0)
            break;
        evbuffer_remove_buffer(in, out, (size_t)nl.pos + 1);
    }
    if (evbuffer_get_length(in) > MAX_PENDING)
        evbuffer_add_buffer(out, in);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        bufferevent_free(bev);
}

static void on_accept(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa,
                      int len, void *arg)
{
    (void)sa;
    (void)len;
    (void)arg;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct event_base *base = evconnlistener_get_base(lst);
    struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        fprintf(stderr, PROG ": bufferevent_socket_new failed\n");
        evutil_closesocket(fd);
        return;
    }
    bufferevent_setcb(bev, on_read, NULL, on_event, NULL);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* EMFILE and the like: say so once in a while and keep serving. */
static void on_accept_error(struct evconnlistener *lst, void *arg)
{
    (void)lst;
    (void)arg;
    static int said;
    if (said++ < 5)
        fprintf(stderr, PROG ": accept: %s\n", strerror(errno));
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static struct evconnlistener *listen_on(struct event_base *base, long port, long backlog)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                               .sin_addr.s_addr = htonl(INADDR_ANY) };
    struct evconnlistener *lst = evconnlistener_new_bind(
        base, on_accept, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, (int)backlog,
        (struct sockaddr *)&sin, sizeof sin);
    if (!lst) {
        fprintf(stderr, PROG ": cannot listen on port %ld: %s\n", port, strerror(errno));
        exit(1);
    }
    evconnlistener_set_error_cb(lst, on_accept_error);
    socklen_t sl = sizeof sin;
    getsockname(evconnlistener_get_fd(lst), (struct sockaddr *)&sin, &sl);
    printf("listening on port %u\n", ntohs(sin.sin_port));
    fflush(stdout);
    return lst;
}

int main(int argc, char **argv)
{
    long port = 0, backlog = 4096;
    int c;
    while ((c = getopt(argc, argv, "p:b:")) != -1) {
        if (c == 'p')
            port = parse_long(optarg, 0, 65535, "port");
        else if (c == 'b')
            backlog = parse_long(optarg, 1, 65535, "backlog");
        else
            usage(NULL);
    }
    if (optind != argc)
        usage("unexpected argument");
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    struct event_base *base = event_base_new();
    if (!base) {
        fprintf(stderr, PROG ": event_base_new failed\n");
        return 1;
    }
    struct evconnlistener *lst = listen_on(base, port, backlog);
    struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    event_add(sigint, NULL);
    event_add(sigterm, NULL);
    event_base_dispatch(base);
    event_free(sigint);
    event_free(sigterm);
    evconnlistener_free(lst);
    event_base_free(base);
    return 0;
}
