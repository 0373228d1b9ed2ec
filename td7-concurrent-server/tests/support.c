/*
 * support.c: td7 test helpers (see support.h). Runs in the Criterion worker: no fork
 * here, only sockets, poll and /proc reads; every wait has a deadline.
 */
#include "support.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* ---------- the server ---------- */

void srv_start(struct srv *s, const char *model, const char *const *extra, const char *perturb)
{
    const char *argv[24] = { "shake_server", "-p", "0", "-m", model };
    int n = 5;
    for (int i = 0; extra && extra[i] && n < 22; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    memset(s, 0, sizeof *s);
    snprintf(s->model, sizeof s->model, "%s", model);
    s->p = tl_start(&(tl_opts){ .argv = argv, .deadline_ms = SRV_DEADLINE_MS,
                                .perturb = perturb });
    s->pid = tl_pid(s->p);
    snprintf(s->cmd, sizeof s->cmd, "%s", tl_proc_cmd(s->p));
    bool ready = tl_wait_output(s->p, "\n", 3000);
    char *out = tl_peek_output(s->p);
    int k = sscanf(out, "listening on port %d", &s->port);
    free(out);
    if (!ready || k != 1 || s->port <= 0) {
        tl_result r = tl_wait(s->p);
        cr_assert_fail("the server must print \"listening on port N\" (and flush it) as soon as it "
                 "listens; stdout was \"%.80s\".\n  %s", r.out, tl_explain(&r));
    }
}

const char *srv_hint(const struct srv *s)
{
    static char buf[1400];
    const char *dir = getenv("TD_BIN_SHOW");
    snprintf(buf, sizeof buf, "  Reproduce: %s\n  then: in another terminal, talk to it with "
             "%s%s/shake_client 127.0.0.1 PORT (or nc 127.0.0.1 PORT), PORT being the one "
             "it prints", s->cmd, dir && *dir != '/' ? "./" : "", dir && *dir ? dir : ".");
    return buf;
}

tl_result srv_stop(struct srv *s, int ms, double *took_ms)
{
    double t0 = now_ms();
    tl_signal(s->p, SIGTERM);
    while (tl_alive(s->p) && now_ms() - t0 < tl_deadline(ms))
        sleep_ms(2);
    if (took_ms)
        *took_ms = now_ms() - t0;
    if (tl_alive(s->p))
        tl_signal(s->p, SIGKILL); /* collect it now, not at its deadline */
    return tl_wait(s->p);
}

/* ---------- client sockets ---------- */

int cl_connect(int port, int rcvbuf)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    tl_test_is_peer();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        return -1;
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

size_t cl_exchange(int fd, const char *in, size_t inlen, char *out, size_t want, int ms,
                   int hold_ms, size_t chunk)
{
    double t0 = now_ms(), until = t0 + tl_deadline(ms), progress = t0;
    size_t sent = 0, got = 0;
    bool reading = hold_ms == 0;
    while (got < want || sent < inlen) {
        double now = now_ms();
        /* Holding back: nothing read during the first hold_ms. */
        if (!reading && now - t0 >= hold_ms)
            reading = true, progress = now;
        /* Reading, all sent and nothing new for a while: the rest is not coming (a buggy
         * server lost it); do not wait for the whole deadline. */
        if (reading && sent == inlen && now - progress > tl_deadline(EXCHANGE_IDLE_MS))
            break;
        bool may_read = reading && got < want;
        short events = (short)((sent < inlen ? POLLOUT : 0) | (may_read ? POLLIN : 0));
        struct pollfd pfd = { fd, events, 0 };
        int left = (int)(until - now);
        if (left <= 0)
            break;
        if (left > 20)
            left = 20; /* wake up to check the stall and idle conditions */
        if (poll(&pfd, 1, left) < 0 && errno != EINTR)
            break;
        if (pfd.revents & POLLOUT) {
            ssize_t n = send(fd, in + sent, inlen - sent, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n, progress = now_ms();
            else if (n < 0 && errno != EAGAIN && errno != EINTR)
                inlen = sent; /* the server is gone: stop sending, read what came */
        }
        if (may_read && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
            size_t room = want - got;
            ssize_t n = read(fd, out + got, chunk && chunk < room ? chunk : room);
            if (n > 0)
                got += (size_t)n, progress = now_ms();
            else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                break;
        }
    }
    return got;
}

bool cl_send(int fd, const char *buf, size_t len, int ms)
{
    double until = now_ms() + tl_deadline(ms);
    size_t sent = 0;
    while (sent < len) {
        int left = (int)(until - now_ms());
        struct pollfd pfd = { fd, POLLOUT, 0 };
        if (left <= 0 || poll(&pfd, 1, left) == 0)
            return false;
        ssize_t n = send(fd, buf + sent, len - sent, MSG_NOSIGNAL);
        if (n > 0)
            sent += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            return false;
    }
    return true;
}

size_t cl_recv(int fd, char *buf, size_t want, int ms, bool *eof)
{
    double until = now_ms() + tl_deadline(ms);
    size_t got = 0;
    if (eof)
        *eof = false;
    while (got < want) {
        int left = (int)(until - now_ms());
        struct pollfd pfd = { fd, POLLIN, 0 };
        if (left <= 0 || poll(&pfd, 1, left) == 0)
            break;
        ssize_t n = read(fd, buf + got, want - got);
        if (n > 0) {
            got += (size_t)n;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            if (eof)
                *eof = true;
            break;
        }
    }
    return got;
}

bool cl_wait_eof(int fd, int ms)
{
    char buf[4096];
    double until = now_ms() + tl_deadline(ms);
    for (;;) {
        int left = (int)(until - now_ms());
        struct pollfd pfd = { fd, POLLIN, 0 };
        if (left <= 0 || poll(&pfd, 1, left) == 0)
            return false;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return true;
    }
}

/* ---------- replies ---------- */

static bool same_multiset(const char *a, const char *b, size_t n)
{
    size_t count[256] = { 0 };
    for (size_t i = 0; i < n; i++)
        count[(unsigned char)a[i]]++;
    for (size_t i = 0; i < n; i++)
        if (count[(unsigned char)b[i]]-- == 0)
            return false;
    return true;
}

/* Check one reply against its line (both without the '\n'). */
static bool reply_ok(const char *l, size_t ln, const char *r, size_t rn, bool exact)
{
    if (ln != rn)
        return false;
    if (exact)
        return memcmp(l, r, ln) == 0;
    bool cr = ln > 0 && l[ln - 1] == '\r';
    if (cr && r[rn - 1] != '\r')
        return false;
    return same_multiset(l, r, ln - cr);
}

bool replies_match(const char *in, size_t inlen, const char *out, size_t outlen, bool exact,
                   char *msg, size_t msglen)
{
    size_t i = 0, o = 0;
    for (int line = 1; i < inlen; line++) {
        const char *nl = memchr(in + i, '\n', inlen - i), *rl = memchr(out + o, '\n', outlen - o);
        size_t ln = nl ? (size_t)(nl - in - i) : inlen - i;
        if (!rl) {
            snprintf(msg, msglen, "line %d (%zu characters) got no complete reply: %zu bytes "
                     "received in all, %zu expected", line, ln, outlen, inlen);
            return false;
        }
        size_t rn = (size_t)(rl - out - o);
        if (!reply_ok(in + i, ln, out + o, rn, exact)) {
            snprintf(msg, msglen, "line %d: \"%.40s%s\" (%zu characters) was answered by "
                     "\"%.40s%s\" (%zu characters), which is not %s", line, in + i,
                     ln > 40 ? "..." : "", ln, out + o, rn > 40 ? "..." : "", rn,
                     exact ? "the same line (-e echoes)" : "a permutation of its characters "
                     "followed by the same line ending");
            for (char *p = msg; *p; p++)
                if (*p == '\n' || *p == '\r')
                    *p = ' ';
            return false;
        }
        i += ln + 1;
        o += rn + 1;
    }
    if (o != outlen) {
        snprintf(msg, msglen, "%zu unexpected bytes after the last reply", outlen - o);
        return false;
    }
    return true;
}

char *random_lines(unsigned *seed, int n, size_t minlen, size_t maxlen, size_t *len)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789 .,;:!?-_()[]{}'\"/\\\t";
    size_t cap = (size_t)n * (maxlen + 1) + 1, k = 0;
    char *buf = malloc(cap);
    cr_assert(buf);
    for (int i = 0; i < n; i++) {
        size_t l = minlen + (maxlen > minlen ? (size_t)rand_r(seed) % (maxlen - minlen + 1) : 0);
        for (size_t j = 0; j < l; j++)
            buf[k++] = alphabet[(size_t)rand_r(seed) % (sizeof alphabet - 1)];
        buf[k++] = '\n';
    }
    buf[k] = '\0';
    *len = k;
    return buf;
}

/* ---------- /proc ---------- */

int proc_children(pid_t pid, pid_t *out, int max)
{
    char path[96];
    int n = 0;
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char cpath[300];
        snprintf(cpath, sizeof cpath, "/proc/%d/task/%s/children", (int)pid, e->d_name);
        FILE *f = fopen(cpath, "r");
        int c;
        while (f && n < max && fscanf(f, "%d", &c) == 1)
            out[n++] = c;
        if (f)
            fclose(f);
    }
    closedir(d);
    return n;
}

static char proc_state(pid_t pid)
{
    char path[64], buf[512], st = '?';
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return st;
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = '\0';
    char *p = strrchr(buf, ')');
    if (p && p[1] == ' ')
        st = p[2];
    return st;
}

int proc_zombie_children(pid_t pid)
{
    pid_t kids[4096];
    int n = proc_children(pid, kids, 4096), z = 0;
    for (int i = 0; i < n; i++)
        z += proc_state(kids[i]) == 'Z';
    return z;
}

unsigned long listener_inode(int port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    char line[512];
    unsigned long inode = 0;
    if (!f)
        return 0;
    while (!inode && fgets(line, sizeof line, f)) {
        unsigned lport, st;
        unsigned long ino;
        if (sscanf(line, " %*d: %*x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*d %*d %lu", &lport, &st,
                   &ino) == 3 && (int)lport == port && st == 0x0A)
            inode = ino;
    }
    fclose(f);
    return inode;
}

bool proc_holds_inode(pid_t pid, unsigned long inode)
{
    char path[64], want[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    snprintf(want, sizeof want, "socket:[%lu]", inode);
    DIR *d = opendir(path);
    bool found = false;
    if (!d)
        return false;
    for (struct dirent *e; !found && (e = readdir(d));) {
        char link[400], target[64];
        snprintf(link, sizeof link, "%s/%s", path, e->d_name);
        ssize_t k = readlink(link, target, sizeof target - 1);
        if (k > 0) {
            target[k] = '\0';
            found = !strcmp(target, want);
        }
    }
    closedir(d);
    return found;
}

int wait_fd_count(pid_t pid, int want, int ms)
{
    double until = now_ms() + tl_deadline(ms);
    int n;
    while ((n = tl_fd_count(pid)) > want && now_ms() < until)
        sleep_ms(5);
    return n;
}
