/*
 * echo_bench.c: the load generator of td7's `make bench`.
 *
 * Drives a line server (shake_server -e, levent_echo, socat ... PIPE) on HOST PORT and
 * prints ONE parsable line of key=value fields (requests/s, latency percentiles from a
 * histogram, errors, its own CPU use), so that run-bench can tell whether the generator
 * itself was the bottleneck. Three modes:
 *
 *   echo_bench [-c CONNS] [-I IDLE] [-r RATE] [-t THREADS] [-d SECS] [-w SECS] [-s SIZE] [-P] HOST PORT
 *       persistent connections: each sends a SIZE-byte line (newline included), waits
 *       for the whole reply, checks it, sends the next one. -r paces them: after each
 *       reply a connection waits CONNS/RATE seconds before its next line (think time), so
 *       the offered load is a little under RATE requests/s whatever the server, and
 *       server_cpu_pct measures what that load costs each model (the fair comparison
 *       when the generator cannot saturate the server). Each thread runs its own
 *       epoll loop over its share of the connections (default: one thread per CPU this
 *       process may run on, see taskset). -I first opens IDLE more connections, has each
 *       answered once, and holds them open, silent, during the run: the idle-heavy
 *       scenario. Connections the server closes unanswered (select beyond FD_SETSIZE)
 *       are "refused": counted apart from errors, and the run is then not made.
 *   echo_bench -C [-c CONCURRENCY] ... HOST PORT
 *       connection per request: connect, one line, read the reply, close with
 *       SO_LINGER {1,0} (an RST: no TIME_WAIT to exhaust the ephemeral ports).
 *   echo_bench -i -c N [-d MAXHOLD] [-T SECS] HOST PORT
 *       idle: open N connections, check that a fresh client is still answered, send one
 *       line on each of the N and count the replies, print "# answered K of N", hold them
 *       until SIGTERM/SIGINT or MAXHOLD seconds (run-bench measures the server's
 *       memory meanwhile), then print the result line.
 *
 * Load modes: the measured interval (-d, 2 s) starts after a warm-up (-w, 0.2 s), and in
 * persistent mode only once every connection has had a first reply (at most -T, 10 s).
 * -g PGID also reports the CPU use of the server's process group over that interval
 * (from /proc, reaped children included), next to the generator's own: cpu_pct (100 =
 * one core) and cpu_share_pct, the share of the CPUs it was given (cpus=, from its
 * affinity mask), above which run-bench calls a run generator-bound.
 *
 * Replies are checked: byte for byte by default, as a permutation of the line with -P
 * (shake mode). Exit status: 0, 1 if anything failed (errors > 0 or, idle, not held),
 * 2 for a usage error, 3 when the server refused connections (refused= in the line).
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT: the CPUs given (taskset) */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define PROG "echo_bench"
#define MAX_EVENTS 256
#define MAX_THREADS 64
#define MAX_REPORTED_ERRORS 5
#define CONNECT_BATCH 256
/* Load connections are registered once, edge-triggered: no epoll_ctl per request, and no
 * second look at a drained socket (a level-triggered entry is re-checked at every wait). */
#define LOAD_EVENTS (EPOLLIN | EPOLLOUT | EPOLLET)
#define STALL_S 1.5            /* > the 1 s SYN retransmission of a full backlog */
/* Latency histogram: log-linear, 32 sub-buckets per power of two (3% resolution), ns. */
#define SUB_BITS 5
#define SUB (1u << SUB_BITS)
#define HIST_SIZE (64 * SUB)

enum mode { MODE_ECHO, MODE_CONNECT, MODE_IDLE };
enum state { ST_FREE, ST_CONNECTING, ST_SENDING, ST_RECEIVING, ST_THINKING, ST_DEAD };

struct options {
    enum mode mode;
    long conns, idle;          /* active connections; idle ones held during the run */
    int threads;               /* 0: one per CPU given */
    double duration, warmup, timeout;
    double rate;               /* -r: paced requests/s in total, 0: as fast as replies come */
    uint64_t think_ns;         /* -r: a connection's pause between a reply and its next line */
    size_t size;
    int perm;
    long pgid;                 /* the server's process group, 0: none */
    const char *host, *port;
};

struct conn {
    int fd;
    enum state state;
    int replied;               /* at least one reply received */
    size_t sent, got;
    uint64_t t_start;          /* ns, when the current request started */
    uint64_t due;              /* ST_THINKING (-r): ns, when the next request goes */
    unsigned long seq;
    char *req, *resp;
};

struct worker {
    pthread_t tid;
    int ep;
    struct conn *conns;
    size_t nconns;
    uint64_t hist[HIST_SIZE];
    uint64_t requests, errors;
    uint64_t refused;          /* idle connections the server closed unanswered */
    struct conn **thinking;    /* -r: ring of the ST_THINKING connections, in due order */
    size_t think_head, think_len;
    int rst;                   /* close with an RST (no TIME_WAIT) */
};

static struct options opt = {
    .mode = MODE_ECHO, .conns = 1, .threads = 0, .duration = 2.0, .warmup = 0.2,
    .timeout = 10.0, .size = 64, .perm = 0,
};
static struct sockaddr_storage srv_addr;
static socklen_t srv_len;
static atomic_int phase;            /* 0 warmup, 1 measuring, 2 stop */
static atomic_long ready_conns;     /* persistent connections with a first reply */
static atomic_long dead_conns;      /* persistent connections lost */
static atomic_long refused_conns;   /* closed by the server before their first reply */
static atomic_int reported_errors;
static volatile sig_atomic_t got_signal;

/* ============================== small helpers ============================== */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* Bad usage: one line on stderr, exit 2. */
static void usage(const char *why)
{
    if (why)
        fprintf(stderr, PROG ": %s; ", why);
    fprintf(stderr, "usage: " PROG " [-C | -i] [-c CONNS] [-I IDLE] [-r RATE] [-t THREADS] [-d SECS] [-w SECS]"
                    " [-s SIZE] [-T SECS] [-P] [-g PGID] HOST PORT\n");
    exit(2);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_s(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !got_signal)
        ;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Read a small /proc file into buf; returns its length, or -1. */
static long read_small(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    return (long)n;
}

/* ns of CPU used by every thread of process pid (schedstat: exact, unlike the ticks of
 * stat, which lose up to 10 ms per process: far too much over 1000 forked children). */
static double threads_cpu_ns(const char *pid)
{
    char path[600], buf[128];
    snprintf(path, sizeof path, "/proc/%s/task", pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    double ns = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof path, "/proc/%s/task/%s/schedstat", pid, e->d_name);
        if (read_small(path, buf, sizeof buf) > 0)
            ns += strtod(buf, NULL);
    }
    closedir(d);
    return ns;
}

/* CPU seconds used so far by the processes of group pgid (and their reaped children). */
static double group_cpu_seconds(long pgid)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    double secs = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[300], buf[1024];
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        if (read_small(path, buf, sizeof buf) < 0)
            continue;
        char *p = strrchr(buf, ')');   /* the command name may hold spaces */
        long pgrp;
        unsigned long long cut, cst;
        if (p && sscanf(p + 2, "%*c %*d %ld %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %llu %llu",
                        &pgrp, &cut, &cst) == 3 && pgrp == pgid)
            secs += threads_cpu_ns(e->d_name) / 1e9 +
                    (double)(cut + cst) / (double)sysconf(_SC_CLK_TCK);
    }
    closedir(d);
    return secs;
}

/* Report one error on stderr (the first few only), count it in *errors. */
static void conn_error(uint64_t *errors, const char *what, int err)
{
    (*errors)++;
    if (atomic_fetch_add(&reported_errors, 1) < MAX_REPORTED_ERRORS)
        fprintf(stderr, PROG ": %s%s%s\n", what, err ? ": " : "", err ? strerror(err) : "");
}

/* ============================== latency histogram ============================== */

static unsigned hist_index(uint64_t v)
{
    if (v < 2 * SUB)
        return (unsigned)v;
    unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - SUB_BITS;
    return shift * SUB + (unsigned)(v >> shift);
}

/* The middle of bucket i, in ns. */
static double hist_value(unsigned i)
{
    if (i < 2 * SUB)
        return i;
    unsigned shift = i / SUB - 1;
    uint64_t low = (uint64_t)(i % SUB + SUB) << shift;
    return (double)low + (double)(1ull << shift) / 2.0;
}

static double hist_percentile(const uint64_t *h, uint64_t total, double p)
{
    if (total == 0)
        return 0;
    uint64_t rank = (uint64_t)(p / 100.0 * (double)total);
    if (rank >= total)
        rank = total - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_SIZE; i++) {
        seen += h[i];
        if (seen > rank)
            return hist_value(i);
    }
    return hist_value(HIST_SIZE - 1);
}

static double hist_max(const uint64_t *h)
{
    for (unsigned i = HIST_SIZE; i-- > 0;)
        if (h[i])
            return hist_value(i);
    return 0;
}

/* The machine's busy CPU time (all CPUs, seconds: user, system, interrupts; idle and the
 * hypervisor's steal apart) from /proc/stat: with ours and the server's subtracted, what
 * other work took during the run. Interrupts count because a task's schedstat time
 * includes the softirqs run on its stack (loopback TCP input: ~40% of a ping-pong).
 * *steal: the time the hypervisor gave to others. */
static double machine_busy_seconds(double *steal)
{
    char buf[512];
    unsigned long long user, nice, sys, idle, iowait, irq, softirq, st = 0;
    *steal = 0;
    if (read_small("/proc/stat", buf, sizeof buf) < 0 ||
        sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
               &iowait, &irq, &softirq, &st) < 7)
        return -1;
    double hz = (double)sysconf(_SC_CLK_TCK);
    *steal = (double)st / hz;
    return (double)(user + nice + sys + irq + softirq) / hz;
}

/* ============================== options, address, limits ============================== */

/* The CPUs this process may run on (its affinity mask: taskset), at least 1. */
static int cpus_given(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) < 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

static double parse_num(const char *s, const char *name, double min, double max)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= min && v <= max)) {
        char msg[128];
        snprintf(msg, sizeof msg, "bad %s '%s' (from %g to %g)", name, s, min, max);
        usage(msg);
    }
    return v;
}

static void parse_options(int argc, char **argv)
{
    int c;
    while ((c = getopt(argc, argv, "Cic:I:r:t:d:w:s:T:Pg:")) != -1) {
        switch (c) {
        case 'C': opt.mode = MODE_CONNECT; break;
        case 'i': opt.mode = MODE_IDLE; break;
        case 'c': opt.conns = (long)parse_num(optarg, "connection count", 1, 1000000); break;
        case 'I': opt.idle = (long)parse_num(optarg, "idle connection count", 0, 1000000); break;
        case 'r': opt.rate = parse_num(optarg, "rate", 1, 1e9); break;
        case 't': opt.threads = (int)parse_num(optarg, "thread count", 1, MAX_THREADS); break;
        case 'd': opt.duration = parse_num(optarg, "duration", 0.01, 3600); break;
        case 'w': opt.warmup = parse_num(optarg, "warmup", 0, 3600); break;
        case 's': opt.size = (size_t)parse_num(optarg, "line size", 2, 1 << 24); break;
        case 'T': opt.timeout = parse_num(optarg, "timeout", 0.1, 3600); break;
        case 'P': opt.perm = 1; break;
        case 'g': opt.pgid = (long)parse_num(optarg, "process group", 1, INT_MAX); break;
        default: usage(NULL);
        }
    }
    if (argc - optind != 2)
        usage("expected HOST PORT");
    opt.host = argv[optind];
    opt.port = argv[optind + 1];
    if (opt.idle && opt.mode != MODE_ECHO)
        usage("-I goes with persistent connections only");
    if (opt.rate && opt.mode != MODE_ECHO)
        usage("-r goes with persistent connections only");
    opt.think_ns = opt.rate ? (uint64_t)(1e9 * (double)opt.conns / opt.rate) : 0;
    if (opt.threads == 0)
        opt.threads = cpus_given() < MAX_THREADS ? cpus_given() : MAX_THREADS;
    if (opt.threads > opt.conns)
        opt.threads = (int)opt.conns;
}

static void resolve(void)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
    int rc = getaddrinfo(opt.host, opt.port, &hints, &res);
    if (rc != 0)
        die("%s port %s: %s", opt.host, opt.port, gai_strerror(rc));
    memcpy(&srv_addr, res->ai_addr, res->ai_addrlen);
    srv_len = res->ai_addrlen;
    freeaddrinfo(res);
}

/* Raise the descriptor limit to its hard maximum; the connections must fit in it. */
static void raise_nofile(long needed)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        die("getrlimit: %s", strerror(errno));
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        die("setrlimit: %s", strerror(errno));
    if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)needed + 64 > rl.rlim_cur)
        die("%ld connections need more than the %llu descriptors allowed (ulimit -Hn)",
            needed, (unsigned long long)rl.rlim_cur);
}

static void on_signal(int sig)
{
    (void)sig;
    got_signal = 1;
}

static void install_signals(void)
{
    struct sigaction sa = { .sa_handler = SIG_IGN };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* ============================== one connection ============================== */

/* A request line: 16 hex digits of (connection, sequence), a printable filler, '\n'. */
static void fill_request(struct conn *c, unsigned id)
{
    static const char digits[] = "0123456789abcdef";
    unsigned long long tag = ((unsigned long long)id << 40) ^ c->seq;
    size_t n = opt.size - 1 < 16 ? opt.size - 1 : 16;
    for (size_t i = 0; i < n; i++)
        c->req[i] = digits[(tag >> (4 * (15 - i))) & 15];
}

static void init_request(struct conn *c, unsigned id)
{
    for (size_t i = 0; i < opt.size - 1; i++)
        c->req[i] = (char)('A' + (i * 7 + id) % 26);
    c->req[opt.size - 1] = '\n';
    fill_request(c, id);
}

static int reply_ok(const struct conn *c)
{
    if (!opt.perm)
        return memcmp(c->req, c->resp, opt.size) == 0;
    if (c->resp[opt.size - 1] != '\n')
        return 0;
    long count[256] = { 0 };
    for (size_t i = 0; i + 1 < opt.size; i++) {
        count[(unsigned char)c->req[i]]++;
        count[(unsigned char)c->resp[i]]--;
    }
    for (int i = 0; i < 256; i++)
        if (count[i])
            return 0;
    return 1;
}

static int new_socket(void)
{
    int fd = socket(srv_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Close with an RST: SO_LINGER {1, 0} leaves no TIME_WAIT behind. */
static void close_rst(int fd)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static int ep_set(int ep, int op, struct conn *c, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };
    return epoll_ctl(ep, op, c->fd, &ev);
}

/* Write what is left of the request. 0: all sent, 1: would block, -1: error (errno). */
static int send_rest(struct conn *c)
{
    while (c->sent < opt.size) {
        ssize_t n = write(c->fd, c->req + c->sent, opt.size - c->sent);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return (errno == EAGAIN || errno == EWOULDBLOCK) ? 1 : -1;
        c->sent += (size_t)n;
    }
    return 0;
}

/* Read what has arrived of the reply. 0: complete, 1: would block, -1: error, -2: EOF. */
static int recv_rest(struct conn *c)
{
    while (c->got < opt.size) {
        ssize_t n = read(c->fd, c->resp + c->got, opt.size - c->got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return (errno == EAGAIN || errno == EWOULDBLOCK) ? 1 : -1;
        if (n == 0)
            return -2;
        c->got += (size_t)n;
    }
    return 0;
}

/* ============================== the worker loops ============================== */

static void refuse(struct worker *w, struct conn *c);

static void conn_fail(struct worker *w, struct conn *c, const char *what, int err)
{
    if (opt.mode == MODE_ECHO && !c->replied && (err == ECONNRESET || err == EPIPE)) {
        refuse(w, c);                  /* closed unanswered, our line unread: an RST */
        return;
    }
    conn_error(&w->errors, what, err);
    if (c->fd >= 0) {
        if (opt.mode == MODE_CONNECT)
            close_rst(c->fd);
        else
            close(c->fd);
    }
    c->fd = -1;
    if (opt.mode == MODE_CONNECT) {
        c->state = ST_FREE;            /* restarted by the loop */
    } else {
        c->state = ST_DEAD;
        atomic_fetch_add(&dead_conns, 1);
    }
}

/* The server closed c before answering it (select beyond FD_SETSIZE: EOF, or an RST when
 * our line was unread): not an error of the server, a limit of its model; the run is
 * reported as refused. */
static void refuse(struct worker *w, struct conn *c)
{
    (void)w;
    close(c->fd);
    c->fd = -1;
    c->state = ST_DEAD;
    atomic_fetch_add(&refused_conns, 1);
    atomic_fetch_add(&dead_conns, 1);
}

/* Start the next request on c; c is connected. */
static void start_request(struct worker *w, struct conn *c, unsigned id)
{
    c->seq++;
    fill_request(c, id);
    c->sent = c->got = 0;
    c->t_start = now_ns();
    int rc = send_rest(c);
    if (rc < 0) {
        conn_fail(w, c, "write", errno);
    } else if (rc == 1) {
        c->state = ST_SENDING;     /* EPOLLOUT (edge-triggered) says when to go on */
    } else {
        c->state = ST_RECEIVING;
    }
}

/* Connection-per-request mode: a new socket, connect, and (usually at once) the line. */
static void start_connection(struct worker *w, struct conn *c, unsigned id)
{
    c->fd = new_socket();
    if (c->fd < 0) {
        conn_fail(w, c, "socket", errno);
        return;
    }
    c->seq++;
    fill_request(c, id);
    c->sent = c->got = 0;
    c->t_start = now_ns();
    if (connect(c->fd, (struct sockaddr *)&srv_addr, srv_len) < 0 && errno != EINPROGRESS) {
        conn_fail(w, c, "connect", errno);
        return;
    }
    /* On loopback the handshake is usually over already: try to write at once. */
    int rc = send_rest(c);
    if (rc < 0 && errno != ENOTCONN) {
        conn_fail(w, c, "write", errno);
        return;
    }
    c->state = rc == 0 ? ST_RECEIVING : ST_CONNECTING;
    if (ep_set(w->ep, EPOLL_CTL_ADD, c, LOAD_EVENTS) < 0)
        conn_fail(w, c, "epoll_ctl", errno);
}

/* The reply is complete: check it, record the latency, go on. */
static void complete(struct worker *w, struct conn *c, unsigned id, int measuring)
{
    if (!reply_ok(c)) {
        conn_fail(w, c, "reply differs from the request", 0);
        return;
    }
    if (measuring) {
        w->hist[hist_index(now_ns() - c->t_start)]++;
        w->requests++;
    }
    if (!c->replied) {
        c->replied = 1;
        atomic_fetch_add(&ready_conns, 1);
    }
    if (opt.mode == MODE_CONNECT) {
        close_rst(c->fd);
        c->fd = -1;
        start_connection(w, c, id);
        return;
    }
    if (opt.think_ns) {
        /* The same pause for every connection: the ring stays in due order. */
        c->due = now_ns() + opt.think_ns;
        c->state = ST_THINKING;
        w->thinking[(w->think_head + w->think_len++) % w->nconns] = c;
        return;
    }
    start_request(w, c, id);
}

/* -r: start the requests whose pause is over. Returns the ns until the next one is
 * due, or 0 when none waits. */
static uint64_t start_due(struct worker *w)
{
    uint64_t t = now_ns();
    while (w->think_len) {
        struct conn *c = w->thinking[w->think_head];
        if (c->due > t)
            return c->due - t;
        w->think_head = (w->think_head + 1) % w->nconns;
        w->think_len--;
        if (c->state == ST_THINKING)
            start_request(w, c, (unsigned)(c - w->conns));
    }
    return 0;
}

static void on_writable(struct worker *w, struct conn *c)
{
    if (c->state == ST_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            conn_fail(w, c, "connect", err);
            return;
        }
    }
    int rc = send_rest(c);
    if (rc < 0) {
        conn_fail(w, c, "write", errno);
    } else if (rc == 0) {
        c->state = ST_RECEIVING;
    }
}

static void on_readable(struct worker *w, struct conn *c, unsigned id, int measuring)
{
    int rc = recv_rest(c);
    if (rc == -1)
        conn_fail(w, c, "read", errno);
    else if (rc == -2 && !c->replied && opt.mode == MODE_ECHO)
        refuse(w, c);
    else if (rc == -2)
        conn_fail(w, c, "server closed the connection", 0);
    else if (rc == 0 && c->sent < opt.size)
        conn_fail(w, c, "reply before the request was sent", 0);
    else if (rc == 0)
        complete(w, c, id, measuring);
}

static void handle_event(struct worker *w, struct epoll_event *ev, int measuring)
{
    struct conn *c = ev->data.ptr;
    unsigned id = (unsigned)(c - w->conns);
    /* A thinking connection has nothing to read (an echo server sends nothing unasked);
     * an error or EOF meanwhile shows at its next request. */
    if (c->state == ST_DEAD || c->state == ST_FREE || c->state == ST_THINKING)
        return;
    if ((ev->events & EPOLLOUT) && (c->state == ST_CONNECTING || c->state == ST_SENDING))
        on_writable(w, c);
    if (c->state == ST_DEAD || c->state == ST_FREE)
        return;
    if (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        if (c->state == ST_CONNECTING && (ev->events & (EPOLLERR | EPOLLHUP)))
            on_writable(w, c);         /* reports the connect error */
        else
            on_readable(w, c, id, measuring);
    }
}

/* Persistent mode: every connection starts connecting; the first line goes when it can. */
static void open_persistent(struct worker *w)
{
    for (size_t i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        c->fd = new_socket();
        if (c->fd < 0) {
            conn_fail(w, c, "socket", errno);
            continue;
        }
        c->t_start = now_ns();
        if (connect(c->fd, (struct sockaddr *)&srv_addr, srv_len) < 0 && errno != EINPROGRESS) {
            conn_fail(w, c, "connect", errno);
            continue;
        }
        c->state = ST_CONNECTING;
        c->sent = c->got = 0;
        if (ep_set(w->ep, EPOLL_CTL_ADD, c, LOAD_EVENTS) < 0)
            conn_fail(w, c, "epoll_ctl", errno);
    }
}

static void restart_free(struct worker *w)
{
    for (size_t i = 0; i < w->nconns; i++)
        if (w->conns[i].state == ST_FREE)
            start_connection(w, &w->conns[i], (unsigned)i);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[MAX_EVENTS];
    if (opt.mode == MODE_CONNECT)
        restart_free(w);
    else
        open_persistent(w);
    for (;;) {
        int p = atomic_load_explicit(&phase, memory_order_relaxed);
        if (p == 2)
            break;
        /* At most 20 ms, to see the end of the run; with -r until the next due request. */
        uint64_t wait_ns = 20000000;
        uint64_t due_ns = opt.think_ns ? start_due(w) : 0;
        if (due_ns && due_ns < wait_ns)
            wait_ns = due_ns;
        struct timespec ts = { (time_t)(wait_ns / 1000000000u), (long)(wait_ns % 1000000000u) };
        int n = epoll_pwait2(w->ep, evs, MAX_EVENTS, &ts, NULL);
        if (n < 0 && errno != EINTR) {
            conn_error(&w->errors, "epoll_wait", errno);
            break;
        }
        for (int i = 0; i < n; i++)
            handle_event(w, &evs[i], p == 1);
        if (opt.mode == MODE_CONNECT)
            restart_free(w);
    }
    return NULL;
}

/* ============================== load modes: set up, run, report ============================== */

static void alloc_conns(struct worker *w, size_t n)
{
    w->nconns = n;
    w->conns = calloc(n, sizeof *w->conns);
    w->thinking = calloc(n ? n : 1, sizeof *w->thinking);
    char *bufs = malloc(2 * opt.size * (n ? n : 1));
    if (!w->conns || !w->thinking || !bufs)
        die("out of memory");
    for (size_t i = 0; i < n; i++) {
        struct conn *c = &w->conns[i];
        c->fd = -1;
        c->state = ST_FREE;
        c->req = bufs + 2 * opt.size * i;
        c->resp = c->req + opt.size;
        init_request(c, (unsigned)i);
    }
}

static void close_conns(struct worker *w)
{
    for (size_t i = 0; i < w->nconns; i++)
        if (w->conns[i].fd >= 0) {
            if (opt.mode == MODE_CONNECT || w->rst)
                close_rst(w->conns[i].fd);
            else
                close(w->conns[i].fd);
        }
    close(w->ep);
    free(w->nconns ? w->conns[0].req : NULL);
    free(w->conns);
    free(w->thinking);
}

/* Persistent mode: wait until every connection has had a first reply (or is lost), or
 * until no new one has for STALL_S (a thread pool serves its W clients and lets the
 * others wait: "served" in the result line says how many were), at most -T seconds. */
static double wait_ready(void)
{
    uint64_t t0 = now_ns(), last = t0;
    long seen = -1;
    for (;;) {
        long ready = atomic_load(&ready_conns), dead = atomic_load(&dead_conns);
        uint64_t t = now_ns();
        if (ready + dead >= opt.conns || got_signal)
            break;
        if (ready != seen) {
            seen = ready;
            last = t;
        }
        if ((double)(t - t0) / 1e9 > opt.timeout || (double)(t - last) / 1e9 > STALL_S) {
            fprintf(stderr, PROG ": only %ld of %ld connections answered within %.1f s\n",
                    ready, opt.conns, (double)(t - t0) / 1e9);
            break;
        }
        sleep_s(0.002);
    }
    return (double)(now_ns() - t0) / 1e9;
}

/* What others used of the machine over the run: CPU seconds (-1: unknown) and steal. */
struct others {
    double cpu, steal;
};

static void report_load(struct worker *ws, double secs, double cpu, double srv_cpu,
                        double setup, struct others oth)
{
    int cpus = cpus_given();
    static uint64_t hist[HIST_SIZE];
    uint64_t requests = 0, errors = 0;
    for (int t = 0; t < opt.threads; t++) {
        requests += ws[t].requests;
        errors += ws[t].errors;
        for (unsigned i = 0; i < HIST_SIZE; i++)
            hist[i] += ws[t].hist[i];
    }
    long alive = opt.mode == MODE_CONNECT ? opt.conns : opt.conns - atomic_load(&dead_conns);
    printf(PROG " mode=%s conns=%ld threads=%d size=%zu secs=%.3f requests=%llu rps=%.0f"
           " p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f errors=%llu alive=%ld served=%ld"
           " setup_s=%.3f cpu_pct=%.1f server_cpu_pct=%.1f idle=%ld refused=%ld cpus=%d"
           " cpu_share_pct=%.1f other_cpu_pct=%.0f steal_pct=%.0f\n",
           opt.mode == MODE_CONNECT ? "connect" : "echo", opt.conns, opt.threads, opt.size,
           secs, (unsigned long long)requests, (double)requests / secs,
           hist_percentile(hist, requests, 50) / 1e3, hist_percentile(hist, requests, 90) / 1e3,
           hist_percentile(hist, requests, 99) / 1e3, hist_max(hist) / 1e3,
           (unsigned long long)errors, alive, atomic_load(&ready_conns), setup, 100.0 * cpu / secs,
           opt.pgid ? 100.0 * srv_cpu / secs : -1.0, opt.idle, atomic_load(&refused_conns), cpus,
           100.0 * cpu / secs / cpus, oth.cpu < 0 ? -1.0 : 100.0 * oth.cpu / secs,
           100.0 * oth.steal / secs);
    fflush(stdout);
}

static long open_idle(struct worker *w);
static long ping_all(struct worker *w, double timeout_s);

/* -I: open the idle connections, have each answered once. 0: all answered; 3: the server
 * refused some (the line says how many; the run is not made); 1: errors. */
static int hold_idle(struct worker *iw)
{
    *iw = (struct worker){ .ep = epoll_create1(EPOLL_CLOEXEC), .rst = 1 };
    if (iw->ep < 0)
        die("epoll_create1: %s", strerror(errno));
    alloc_conns(iw, (size_t)opt.idle);
    uint64_t t0 = now_ns();
    long opened = open_idle(iw);
    long answered = opened == opt.idle ? ping_all(iw, opt.timeout) : 0;
    if (answered == opt.idle)
        return 0;
    printf(PROG " mode=echo conns=%ld idle=%ld opened=%ld answered=%ld refused=%llu"
           " errors=%llu setup_s=%.3f\n", opt.conns, opt.idle, opened, answered,
           (unsigned long long)iw->refused, (unsigned long long)iw->errors,
           (double)(now_ns() - t0) / 1e9);
    fflush(stdout);
    return iw->errors ? 1 : 3;
}

static int run_load(void)
{
    static struct worker ws[MAX_THREADS];
    struct worker iw = { .ep = -1 };
    if (opt.idle) {
        int rc = hold_idle(&iw);
        if (rc) {
            close_conns(&iw);
            return rc;
        }
    }
    for (int t = 0; t < opt.threads; t++) {
        size_t share = (size_t)(opt.conns / opt.threads + (t < opt.conns % opt.threads));
        alloc_conns(&ws[t], share);
        ws[t].ep = epoll_create1(EPOLL_CLOEXEC);
        if (ws[t].ep < 0)
            die("epoll_create1: %s", strerror(errno));
    }
    for (int t = 0; t < opt.threads; t++) {
        int rc = pthread_create(&ws[t].tid, NULL, worker_main, &ws[t]);
        if (rc)
            die("pthread_create: %s", strerror(rc));
    }
    double setup = opt.mode == MODE_ECHO ? wait_ready() : 0;
    sleep_s(opt.warmup);
    double st0, st1;
    double busy0 = machine_busy_seconds(&st0);
    double srv0 = opt.pgid ? group_cpu_seconds(opt.pgid) : 0;
    double cpu0 = cpu_seconds();
    uint64_t t0 = now_ns();
    atomic_store(&phase, 1);
    sleep_s(opt.duration);
    atomic_store(&phase, 2);
    uint64_t t1 = now_ns();
    double cpu1 = cpu_seconds();
    double srv1 = opt.pgid ? group_cpu_seconds(opt.pgid) : 0;
    double busy1 = machine_busy_seconds(&st1);
    for (int t = 0; t < opt.threads; t++)
        pthread_join(ws[t].tid, NULL);
    /* Without -g the server's share is not known: the whole rest is "others". The
     * tick-based /proc/stat is coarser than schedstat: clamp at 0. */
    struct others oth = { -1, st1 - st0 };
    if (busy0 >= 0 && busy1 >= 0) {
        oth.cpu = (busy1 - busy0) - (cpu1 - cpu0) - (srv1 - srv0);
        if (oth.cpu < 0)
            oth.cpu = 0;
    }
    report_load(ws, (double)(t1 - t0) / 1e9, cpu1 - cpu0, srv1 - srv0, setup, oth);
    int failed = 0;
    for (int t = 0; t < opt.threads; t++) {
        failed |= ws[t].errors > 0 || ws[t].requests == 0;
        close_conns(&ws[t]);
    }
    if (opt.idle)
        close_conns(&iw);
    if (!failed && atomic_load(&refused_conns))
        return 3;
    return failed;
}

/* ============================== idle mode ============================== */

/* Wait for the connects in flight on ep; failed ones are closed (fd = -1). */
static long wait_connects(int ep, long in_flight, struct worker *w, double deadline_s)
{
    struct epoll_event evs[MAX_EVENTS];
    uint64_t end = now_ns() + (uint64_t)(deadline_s * 1e9);
    long ok = 0;
    while (in_flight > 0 && now_ns() < end) {
        int n = epoll_wait(ep, evs, MAX_EVENTS, 100);
        if (n < 0 && errno == EINTR)
            continue;
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
            in_flight--;
            if (err) {
                conn_error(&w->errors, "connect", err);
                close(c->fd);
                c->fd = -1;
            } else {
                c->state = ST_RECEIVING;
                ok++;
            }
        }
    }
    return ok;
}

/* Open the idle connections CONNECT_BATCH at a time; returns how many are connected. */
static long open_idle(struct worker *w)
{
    long opened = 0;
    for (size_t base = 0; base < w->nconns && !got_signal; base += CONNECT_BATCH) {
        long in_flight = 0;
        for (size_t i = base; i < w->nconns && i < base + CONNECT_BATCH; i++) {
            struct conn *c = &w->conns[i];
            c->fd = new_socket();
            if (c->fd < 0)
                die("socket: %s", strerror(errno));
            if (connect(c->fd, (struct sockaddr *)&srv_addr, srv_len) < 0 &&
                errno != EINPROGRESS) {
                conn_error(&w->errors, "connect", errno);
                close(c->fd);
                c->fd = -1;
                continue;
            }
            ep_set(w->ep, EPOLL_CTL_ADD, c, EPOLLOUT);
            c->state = ST_CONNECTING;
            in_flight++;
        }
        opened += wait_connects(w->ep, in_flight, w, opt.timeout);
    }
    return opened;
}

/* One line on every open connection at once; returns how many correct replies came back. */
static long ping_all(struct worker *w, double timeout_s)
{
    long pending = 0, answered = 0;
    for (size_t i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        if (c->fd < 0)
            continue;
        c->sent = c->got = 0;
        if (send_rest(c) != 0) {
            if (errno == EPIPE || errno == ECONNRESET)
                w->refused++;
            else
                conn_error(&w->errors, "write (idle connection)", errno);
            continue;
        }
        ep_set(w->ep, EPOLL_CTL_ADD, c, EPOLLIN);
        pending++;
    }
    struct epoll_event evs[MAX_EVENTS];
    uint64_t end = now_ns() + (uint64_t)(timeout_s * 1e9);
    while (pending > 0 && now_ns() < end && !got_signal) {
        int n = epoll_wait(w->ep, evs, MAX_EVENTS, 100);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            int rc = recv_rest(c);
            if (rc == 1)
                continue;
            epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
            pending--;
            if (rc == 0 && reply_ok(c))
                answered++;
            else if (rc == -2 || (rc == -1 && errno == ECONNRESET))
                w->refused++;          /* closed unanswered: the server's limit */
            else
                conn_error(&w->errors, "idle connection: bad or no reply", rc == -1 ? errno : 0);
        }
    }
    return answered;
}

/* A fresh client, connected while the idle ones are open: one round trip, in us (<0: failed). */
static double fresh_client(struct worker *w)
{
    struct worker one = { .ep = epoll_create1(EPOLL_CLOEXEC) };
    alloc_conns(&one, 1);
    uint64_t t0 = now_ns();
    long ok = open_idle(&one) == 1 && ping_all(&one, opt.timeout) == 1;
    double us = (double)(now_ns() - t0) / 1e3;
    w->errors += one.errors;
    close_conns(&one);
    return ok ? us : -1;
}

static int run_idle(void)
{
    struct worker w = { .ep = epoll_create1(EPOLL_CLOEXEC) };
    if (w.ep < 0)
        die("epoll_create1: %s", strerror(errno));
    alloc_conns(&w, (size_t)opt.conns);
    uint64_t t0 = now_ns();
    long opened = open_idle(&w);
    double open_s = (double)(now_ns() - t0) / 1e9;
    double fresh_us = fresh_client(&w);
    long answered = ping_all(&w, opt.timeout);
    int held = opened == opt.conns && answered == opt.conns && fresh_us >= 0;
    printf("# answered %ld of %ld\n", answered, opt.conns);
    fflush(stdout);
    sleep_s(opt.duration);             /* until SIGTERM/SIGINT or MAXHOLD */
    printf(PROG " mode=idle conns=%ld opened=%ld answered=%ld open_s=%.3f fresh_us=%.1f"
           " errors=%llu held=%s\n", opt.conns, opened, answered, open_s, fresh_us,
           (unsigned long long)w.errors, held ? "yes" : "no");
    fflush(stdout);
    close_conns(&w);
    return !held;
}

int main(int argc, char **argv)
{
    parse_options(argc, argv);
    if (opt.mode == MODE_IDLE)
        opt.threads = 1;
    resolve();
    raise_nofile(opt.conns + 1);
    install_signals();
    return opt.mode == MODE_IDLE ? run_idle() : run_load();
}
