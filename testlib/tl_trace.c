/*
 * tl_trace.c: reads the run recorder's trace files (format: tl_trace.h, the writer is
 * tl_preload.c) and tells what the program did, in a student's words: a short timeline
 * for failure messages, the whole timeline and an mscgen sequence diagram for
 * `make trace`.
 *
 * One pass over the events, in time order, replays what the kernel did: who forked whom
 * (roles: parent, child 1, child 1.1...), each process's signal dispositions (inherited
 * at fork, reset at exec: so a signal that killed a process "with no handler yet" is
 * seen), its IPC descriptors (inherited at fork, closed, dup2'ed, kept at exec: so "who
 * still held the write end" at the end of a hung run is seen), and how each process
 * ended, from the waits of its parent or from what the test saw (tl_result). Each step
 * gives an output line (time, role, text), a priority (full timeline only, timeline,
 * always shown) and an mscgen statement.
 */
#define _GNU_SOURCE
#include "tl_trace.h"

#include <criterion/types.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

/* The running Criterion test, when there is one (tl_replay links no Criterion). */
extern const struct criterion_test *const criterion_current_test __attribute__((weak));

#define MAX_PROCS 1024
#define MAX_FDS 48
#define MAX_OBJS 256
#define SHORT_LINES 25
#define MAX_MSC_ROWS 600
#define MSC_LIFELINES 7          /* the program and its first children; then "others" */

typedef struct {
    double ms;
    unsigned long seq;
    pid_t pid;
    char kind[16];
    char args[400];
} event;

typedef struct {
    int fd;
    char kind;                   /* 'p' pipe/FIFO, 's' socket */
    unsigned long ino;
    char mode;                   /* 'r', 'w', '+' */
} held_fd;

typedef struct {
    pid_t pid, ppid;
    char role[40];
    int kids;
    char disp[65];               /* per signal 1..64: 'd' default, 'i' ignored, 'h' handler */
    int nfd;
    held_fd fd[MAX_FDS];
    bool ended;                  /* its end is known (exit, reaped, or seen by the test) */
    int death_sig;               /* a kill() that found no handler: the likely end */
    double death_ms;
    int death_line;              /* that kill's output line */
    bool dead;                   /* the death at death_ms is confirmed by how it ended */
    bool execd;                  /* it exec'd another program (no recorder since) */
    char blocked[48];            /* the blocking call it is in ("pause()"...), or "" */
    char death_why[120];
} proc;

typedef struct {
    char kind;
    unsigned long ino;
    char name[80];
} object;

typedef struct {
    double ms;
    int proc;                    /* index in procs, -1: none */
    int prio;                    /* 0: whole timeline only, 1: timeline, 2: always shown */
    char text[240];
    char msc[300];
    char kind[16];
    pid_t target;                /* a kill's target */
} out_line;

typedef struct {
    const tl_result *r;
    pid_t root;                  /* the program's first process (r->pid but for a wrapper) */
    pid_t wrapper;               /* the wrapper that started it (r->pid then), or 0 */
    event *ev;
    int nev;
    unsigned long dropped;
    double t0;
    proc procs[MAX_PROCS];
    int nprocs;
    object objs[MAX_OBJS];
    int nobjs, npipes, nsockets;
    unsigned long listening[8];  /* the sockets listen() succeeded on, */
    pid_t listener_of[8];        /* and by which process */
    int nlistening;
    bool told_listener, told_connection; /* the socket notes below: once a run */
    out_line *out;
    int nout, capout;
} story;

/* ---------- roles named by the test, and the runs of this test ---------- */

static struct { pid_t pid; char role[40]; } names[64];
static int nnames;

void tl_trace_name(pid_t pid, const char *role)
{
    for (int i = 0; i < nnames; i++)
        if (names[i].pid == pid) {
            snprintf(names[i].role, sizeof names[i].role, "%s", role);
            return;
        }
    if (nnames < 64) {
        names[nnames].pid = pid;
        snprintf(names[nnames++].role, sizeof names[0].role, "%s", role);
    }
}

static const char *named(pid_t pid)
{
    for (int i = 0; i < nnames; i++)
        if (names[i].pid == pid)
            return names[i].role;
    return NULL;
}

/* The programs this test started (a Criterion worker runs one test). */
static struct {
    pid_t pid;
    char path[512], prog[64];
    bool waited;
} runs[64];
static int nruns;
static bool unfinished; /* telling a run still going when the test ended */
static bool explained; /* $TL_TRACE_OUT holds the run a failure message explains */

static int run_of(pid_t pid)
{
    for (int i = nruns - 1; i >= 0 && i >= nruns - 64; i--)
        if (runs[i % 64].pid == pid)
            return i % 64;
    return -1;
}

static const char *trace_of(const tl_result *r)
{
    int i = run_of(r->pid);
    return i >= 0 ? runs[i].path : NULL;
}

/* ---------- reading ---------- */

static int read_file(const char *path, event **ev, int *n, int *cap, unsigned long *maxseq)
{
    FILE *f = fopen(path, "r");
    char line[600];
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long sec, usec, seq;
        int pid, off = 0;
        char kind[16];
        if (sscanf(line, "%lu.%lu %lu %d %15s %n", &sec, &usec, &seq, &pid, kind, &off) < 5)
            continue;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 256;
            event *bigger = realloc(*ev, (size_t)*cap * sizeof **ev);
            if (!bigger)
                break;
            *ev = bigger;
        }
        event *e = &(*ev)[(*n)++];
        e->ms = sec * 1e3 + usec / 1e3;
        e->seq = seq;
        e->pid = pid;
        snprintf(e->kind, sizeof e->kind, "%s", kind);
        snprintf(e->args, sizeof e->args, "%s", off ? line + off : "");
        e->args[strcspn(e->args, "\n")] = '\0';
        if (seq > *maxseq)
            *maxseq = seq;
    }
    fclose(f);
    return 0;
}

static int by_time(const void *a, const void *b)
{
    const event *x = a, *y = b;
    if (x->ms != y->ms)
        return x->ms < y->ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Every event of the run, in time order; -1 if there is no trace. */
static int read_trace(const char *path, event **ev, int *n, unsigned long *dropped)
{
    int cap = 0;
    unsigned long maxseq = 0;
    char tail[600];
    *ev = NULL, *n = 0, *dropped = 0;
    if (read_file(path, ev, n, &cap, &maxseq) == -1)
        return -1;
    for (int k = 0; k < 2; k++) {
        snprintf(tail, sizeof tail, "%s.tail%d", path, k);
        read_file(tail, ev, n, &cap, &maxseq);
    }
    if (*n && maxseq + 1 > (unsigned long)*n)
        *dropped = maxseq + 1 - (unsigned long)*n;
    if (*n)
        qsort(*ev, (size_t)*n, sizeof **ev, by_time);
    return 0;
}

int tl_trace_pids(const char *path, pid_t self, const char *self_name, pid_t *pids, int *n,
                  int max)
{
    event *ev;
    int nev, forks = 0;
    unsigned long dropped;
    bool found = false;
    *n = 0;
    pids[(*n)++] = self;
    if (read_trace(path, &ev, &nev, &dropped) == -1)
        return 0;
    for (int i = 0; i < nev; i++) {
        int child;
        if (!strcmp(ev[i].kind, "fork") && sscanf(ev[i].args, "%d", &child) == 1 && child > 0) {
            forks++;
            if (*n + 2 <= max)
                pids[(*n)++] = ev[i].pid, pids[(*n)++] = child;
        } else if (self_name && !found && !strcmp(ev[i].kind, "exec") &&
                   !strncmp(ev[i].args, self_name, 15)) {
            pids[0] = ev[i].pid, found = true;
        }
    }
    free(ev);
    return forks;
}

unsigned long tl_trace_deaths(const char *path)
{
    event *ev;
    int nev;
    unsigned long dropped, mask = 0;
    if (read_trace(path, &ev, &nev, &dropped) == -1)
        return 0;
    for (int i = 0; i < nev; i++) {
        int pid, got, status;
        if (!strcmp(ev[i].kind, "waited") &&
            sscanf(ev[i].args, "%d %d %d", &pid, &got, &status) == 3 && got > 0 &&
            WIFSIGNALED(status) && WTERMSIG(status) >= 1 && WTERMSIG(status) <= 64)
            mask |= 1UL << (WTERMSIG(status) - 1);
    }
    free(ev);
    return mask;
}

int tl_trace_created(const char *path, const char **kinds, int *ids, int max)
{
    static const char *const known[] = { "shm", "sem", "msg" };
    event *ev;
    int nev, n = 0;
    unsigned long dropped;
    if (read_trace(path, &ev, &nev, &dropped) == -1)
        return 0;
    for (int i = 0; i < nev && n < max; i++)
        for (int k = 0; k < 3; k++)
            if (!strcmp(ev[i].kind, known[k]) && sscanf(ev[i].args, "%d", &ids[n]) == 1)
                kinds[n++] = known[k];
    free(ev);
    return n;
}

int tl_trace_callers(pid_t run, const char *kind, pid_t *who, int max)
{
    int i = run_of(run), n = 0;
    event *ev;
    int nev;
    unsigned long dropped;
    if (i < 0 || read_trace(runs[i].path, &ev, &nev, &dropped) == -1)
        return -1;
    for (int k = 0; k < nev; k++) {
        if (strcmp(ev[k].kind, kind))
            continue;
        bool seen = false;
        for (int j = 0; j < n && !seen; j++)
            seen = who[j] == ev[k].pid;
        if (!seen && n < max)
            who[n++] = ev[k].pid;
    }
    free(ev);
    return n;
}

int tl_trace_reuseport(pid_t run, unsigned long *inodes, pid_t *who, int max)
{
    int i = run_of(run), n = 0;
    event *ev;
    int nev;
    unsigned long dropped;
    if (i < 0 || read_trace(runs[i].path, &ev, &nev, &dropped) == -1)
        return -1;
    for (int k = 0; k < nev && n < max; k++) {
        int fd, opt, value, rc;
        unsigned long ino;
        if (!strcmp(ev[k].kind, "setsockopt") &&
            sscanf(ev[k].args, "%d s:%lu:%*c %d %d %d", &fd, &ino, &opt, &value, &rc) == 5 &&
            value != 0 && rc == 0) {
            inodes[n] = ino;
            who[n++] = ev[k].pid;
        }
    }
    free(ev);
    return n;
}

/* ---------- words ---------- */

/* Is pid one of the processes of the trace ev (it recorded an event, or was forked)? */
static bool in_run(const event *ev, int nev, pid_t pid)
{
    for (int k = 0; k < nev; k++) {
        int child;
        if (ev[k].pid == pid || (!strcmp(ev[k].kind, "fork") &&
                                 sscanf(ev[k].args, "%d", &child) == 1 && child == pid))
            return true;
    }
    return false;
}

int tl_trace_stray_kills(pid_t run, pid_t *out, int max)
{
    int i = run_of(run), n = 0;
    event *ev;
    int nev;
    unsigned long dropped;
    if (i < 0 || read_trace(runs[i].path, &ev, &nev, &dropped) == -1)
        return -1;
    for (int k = 0; k < nev && n < max; k++) {
        int target;
        if (!strcmp(ev[k].kind, "kill") && sscanf(ev[k].args, "%d", &target) == 1 &&
            target > 0 && target != run && !in_run(ev, nev, target))
            out[n++] = target;
    }
    free(ev);
    return n;
}

static const char *sig_name(int sig)
{
    static char bufs[4][24];
    static int turn;
    char *b = bufs[turn++ % 4];
    const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;
    if (abbrev)
        snprintf(b, sizeof bufs[0], "SIG%s", abbrev);
    else
        snprintf(b, sizeof bufs[0], "signal %d", sig);
    return b;
}

static const char *errno_name(int e)
{
    const char *n = e ? strerrorname_np(e) : NULL;
    return n ? n : "error";
}

/* The default action of sig ends the process. */
static bool sig_kills(int sig)
{
    return sig != SIGCHLD && sig != SIGCONT && sig != SIGURG && sig != SIGWINCH &&
           sig != SIGSTOP && sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU && sig > 0;
}

static const char *set_names(unsigned long mask)
{
    static char buf[200];
    size_t n = 0;
    buf[n++] = '{';
    buf[n] = '\0';
    for (int s = 1; s <= 64; s++)
        if (mask & (1UL << (s - 1)))
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n > 1 ? ", " : "",
                                  sig_name(s));
    if (n < sizeof buf - 1)
        buf[n++] = '}', buf[n] = '\0';
    return buf;
}

static const char *how_ended(int status)
{
    static char buf[64];
    if (WIFSIGNALED(status))
        snprintf(buf, sizeof buf, "killed by %s", sig_name(WTERMSIG(status)));
    else if (WIFSTOPPED(status))
        snprintf(buf, sizeof buf, "stopped by %s", sig_name(WSTOPSIG(status)));
    else
        snprintf(buf, sizeof buf, "exited with status %d", WEXITSTATUS(status));
    return buf;
}

/* ---------- processes and objects ---------- */

static int find_proc(story *s, pid_t pid)
{
    for (int i = 0; i < s->nprocs; i++)
        if (s->procs[i].pid == pid)
            return i;
    return -1;
}

static int add_proc(story *s, pid_t pid, int parent)
{
    if (s->nprocs == MAX_PROCS)
        return -1;
    proc *p = &s->procs[s->nprocs];
    memset(p, 0, sizeof *p);
    p->pid = pid;
    if (parent >= 0) {
        proc *pp = &s->procs[parent];
        p->ppid = pp->pid;
        memcpy(p->disp, pp->disp, sizeof p->disp);
        p->nfd = pp->nfd;
        memcpy(p->fd, pp->fd, sizeof p->fd);
        pp->kids++;
        if (parent == 0)
            snprintf(p->role, sizeof p->role, "child %d", pp->kids);
        else
        {
            char parent_role[sizeof p->role];
            memcpy(parent_role, pp->role, sizeof parent_role);
            snprintf(p->role, sizeof p->role, "%.24s.%d", parent_role, pp->kids % 100000);
        }
    } else {
        memset(p->disp, 'd', sizeof p->disp);
        snprintf(p->role, sizeof p->role, "pid %d", (int)pid);
    }
    const char *n = named(pid);
    if (n)
        snprintf(p->role, sizeof p->role, "%s", n);
    return s->nprocs++;
}

static int get_proc(story *s, pid_t pid)
{
    int i = find_proc(s, pid);
    return i >= 0 ? i : add_proc(s, pid, -1);
}

static const char *role(story *s, pid_t pid)
{
    static char bufs[4][48];
    static int turn;
    int i = find_proc(s, pid);
    if (i >= 0)
        return s->procs[i].role;
    char *b = bufs[turn++ % 4];
    snprintf(b, sizeof bufs[0], "pid %d", (int)pid);
    return b;
}

/* "pipe 1", "FIFO name", "socket 2": named the first time it is seen. */
static const char *object_name(story *s, char kind, unsigned long ino, const char *path)
{
    for (int i = 0; i < s->nobjs; i++)
        if (s->objs[i].kind == kind && s->objs[i].ino == ino)
            return s->objs[i].name;
    static char spare[80];
    object *o = s->nobjs < MAX_OBJS ? &s->objs[s->nobjs++] : NULL;
    char *name = o ? o->name : spare;
    if (kind == 'p' && path) {
        const char *base = strrchr(path, '/');
        snprintf(name, 80, "FIFO %.60s", base ? base + 1 : path);
    } else if (kind == 'p') {
        snprintf(name, 80, "pipe %d", ++s->npipes);
    } else {
        snprintf(name, 80, "socket %d", ++s->nsockets);
    }
    if (o)
        o->kind = kind, o->ino = ino;
    return name;
}

static bool parse_token(const char *tok, char *kind, unsigned long *ino, char *mode)
{
    return sscanf(tok, "%c:%lu:%c", kind, ino, mode) == 3 && (*kind == 'p' || *kind == 's');
}

/* "the write end of pipe 1", "FIFO f (read)", "socket 2". */
static const char *end_name(story *s, char kind, unsigned long ino, char mode)
{
    static char bufs[4][120];
    static int turn;
    char *b = bufs[turn++ % 4];
    const char *obj = object_name(s, kind, ino, NULL);
    if (kind == 'p')
        snprintf(b, sizeof bufs[0], "%s end of %s",
                 mode == 'r' ? "the read" : mode == 'w' ? "the write" : "both ends", obj);
    else
        snprintf(b, sizeof bufs[0], "%s", obj);
    if (kind == 'p' && mode == '+')
        snprintf(b, sizeof bufs[0], "both ends of %s", obj);
    return b;
}

static void fd_set_held(proc *p, int fd, char kind, unsigned long ino, char mode)
{
    for (int i = 0; i < p->nfd; i++)
        if (p->fd[i].fd == fd) {
            p->fd[i] = (held_fd){ fd, kind, ino, mode };
            return;
        }
    if (p->nfd < MAX_FDS)
        p->fd[p->nfd++] = (held_fd){ fd, kind, ino, mode };
}

static void fd_drop(proc *p, int fd)
{
    for (int i = 0; i < p->nfd; i++)
        if (p->fd[i].fd == fd) {
            p->fd[i] = p->fd[--p->nfd];
            return;
        }
}

/* ---------- output lines ---------- */

static out_line *say(story *s, double ms, int who, int prio, const char *kind, const char *fmt,
                     ...) __attribute__((format(printf, 6, 7)));
static out_line *say(story *s, double ms, int who, int prio, const char *kind, const char *fmt,
                     ...)
{
    if (s->nout == s->capout) {
        s->capout = s->capout ? s->capout * 2 : 256;
        out_line *bigger = realloc(s->out, (size_t)s->capout * sizeof *s->out);
        if (!bigger)
            abort();
        s->out = bigger;
    }
    out_line *o = &s->out[s->nout++];
    memset(o, 0, sizeof *o);
    o->ms = ms;
    o->proc = who;
    o->prio = prio;
    snprintf(o->kind, sizeof o->kind, "%s", kind);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->text, sizeof o->text, fmt, ap);
    va_end(ap);
    return o;
}

/* mscgen statement of a line: quotes in labels escaped. */
static void msc(out_line *o, const char *from, const char *arc, const char *to, const char *label,
                const char *attrs)
{
    char esc[200];
    size_t n = 0;
    for (const char *c = label; *c && n + 2 < sizeof esc && c - label < 150; c++) {
        if (*c == '"' || *c == '\\')
            esc[n++] = '\\';
        esc[n++] = *c;
    }
    esc[n] = '\0';
    snprintf(o->msc, sizeof o->msc, "  %s %s %s [label=\"%.1f %s\"%s%s];", from, arc, to, o->ms,
             esc, attrs ? ", " : "", attrs ? attrs : "");
}

static const char *ent(int i)
{
    static char bufs[4][16];
    static int turn;
    char *b = bufs[turn++ % 4];
    snprintf(b, sizeof bufs[0], "p%d", i < MSC_LIFELINES ? i : MSC_LIFELINES);
    return b;
}

/* A box on the process's own lifeline. */
static void msc_box(out_line *o, int who, const char *box, const char *label, const char *attrs)
{
    msc(o, ent(who), box, ent(who), label, attrs);
}

/* ---------- the replay, event by event ---------- */

static void on_fork(story *s, const event *e, int who)
{
    int child, err = 0;
    if (sscanf(e->args, "%d %d", &child, &err) < 1)
        return;
    if (child < 0) {
        out_line *o = say(s, e->ms, who, 2, e->kind, "fork() failed: %s", errno_name(err));
        msc_box(o, who, "box", o->text, NULL);
        return;
    }
    int c = find_proc(s, child);
    if (c < 0)
        c = add_proc(s, child, who);
    out_line *o = say(s, e->ms, who, 1, e->kind, "fork -> %s", role(s, child));
    if (c >= 0)
        msc(o, ent(who), "->", ent(c), "fork", NULL);
}

static void on_execve(story *s, const event *e, int who)
{
    char path[256], kept[400] = "";
    int off = 0;
    if (sscanf(e->args, "%255s %n", path, &off) < 1)
        return;
    proc *p = &s->procs[who];
    const char *base = strrchr(path, '/');
    /* what it keeps: the authoritative list of its IPC descriptors from now on */
    p->nfd = 0;
    size_t n = 0;
    for (const char *q = e->args + off; *q;) {
        int fd, used = 0;
        char tok[48], kind, mode;
        unsigned long ino;
        if (sscanf(q, "%d=%47s%n", &fd, tok, &used) != 2 || !used)
            break;
        q += used;
        while (*q == ' ')
            q++;
        if (!parse_token(tok, &kind, &ino, &mode))
            continue;
        fd_set_held(p, fd, kind, ino, mode);
        n += (size_t)snprintf(kept + n, n < sizeof kept ? sizeof kept - n : 0, "%sfd %d = %s",
                              n ? ", " : "", fd, end_name(s, kind, ino, mode));
    }
    p->execd = true;
    for (int sig = 1; sig <= 64; sig++) /* handlers do not survive exec */
        if (p->disp[sig] == 'h')
            p->disp[sig] = 'd';
    out_line *o = say(s, e->ms, who, 1, e->kind, "exec %s%s%s", base ? base + 1 : path,
                      kept[0] ? " keeping " : "", kept);
    msc_box(o, who, "abox", o->text, NULL);
}

static void on_kill(story *s, const event *e, int who)
{
    int target, sig, rc, err;
    if (sscanf(e->args, "%d %d %d %d", &target, &sig, &rc, &err) != 4)
        return;
    char whom[64];
    if (target > 0)
        snprintf(whom, sizeof whom, "%s", role(s, target));
    else if (target == 0)
        snprintf(whom, sizeof whom, "its process group");
    else if (target == -1)
        snprintf(whom, sizeof whom, "every process it may signal");
    else
        snprintf(whom, sizeof whom, "the group of %s", role(s, -target));
    out_line *o = say(s, e->ms, who, 1, e->kind, "kill(%s, %s)%s%s", whom,
                      sig ? sig_name(sig) : "0", rc ? " failed: " : "", rc ? errno_name(err) : "");
    o->target = target;
    int t = target > 0 ? find_proc(s, target) : -1;
    char label[64];
    snprintf(label, sizeof label, "%s", sig ? sig_name(sig) : "kill 0");
    if (t >= 0 && rc == 0)
        msc(o, ent(who), "=>", ent(t), label, NULL);
    else
        msc_box(o, who, "box", o->text, NULL);
    /* no handler there: the default action (usually death) is what happens next */
    if (t >= 0 && rc == 0 && sig > 0 && sig <= 64 && s->procs[t].disp[sig] == 'd' &&
        sig_kills(sig) && !s->procs[t].death_sig) {
        proc *p = &s->procs[t];
        p->death_sig = sig;
        p->death_ms = e->ms;
        p->death_line = s->nout - 1;
        bool wanted = false; /* the program installs a handler for it somewhere */
        for (int i = 0; i < s->nev && !wanted; i++)
            wanted = !strcmp(s->ev[i].kind, "sigaction") && atoi(s->ev[i].args) == sig &&
                     strstr(s->ev[i].args, " h ");
        bool forked = find_proc(s, p->ppid) >= 0 && t != 0; /* it got its parent's at fork */
        snprintf(p->death_why, sizeof p->death_why, "%s%s",
                 wanted ? "no handler installed yet in this process" : "its default action: "
                 "no handler for it", wanted && forked ? ": none was installed before fork()" : "");
    }
}

static void flags_text(char *b, size_t cap, unsigned flags)
{
    static const struct { unsigned f; const char *n; } fl[] = {
        { SA_RESTART, "SA_RESTART" }, { SA_SIGINFO, "SA_SIGINFO" }, { SA_NODEFER, "SA_NODEFER" },
        { SA_RESETHAND, "SA_RESETHAND" }, { SA_NOCLDSTOP, "SA_NOCLDSTOP" },
        { SA_NOCLDWAIT, "SA_NOCLDWAIT" }, { SA_ONSTACK, "SA_ONSTACK" } };
    size_t n = 0;
    b[0] = '\0';
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
        if (flags & fl[i].f)
            n += (size_t)snprintf(b + n, n < cap ? cap - n : 0, "%s%s", n ? "|" : ", ", fl[i].n);
}

static void on_signal_event(story *s, const event *e, int who)
{
    proc *p = &s->procs[who];
    int a = 0, b = 0, c = 0, d = 0;
    unsigned long mask = 0;
    char w[16] = "";
    out_line *o = NULL;
    if (!strcmp(e->kind, "handler") && sscanf(e->args, "%d %d", &a, &b) >= 1) {
        o = say(s, e->ms, who, 1, e->kind, "%s handler runs%s%s%s", sig_name(a),
                b > 0 && b != p->pid ? " (sent by " : "", b > 0 && b != p->pid ? role(s, b) : "",
                b > 0 && b != p->pid ? ")" : "");
        msc_box(o, who, "box", o->text, NULL);
    } else if (!strcmp(e->kind, "handler-end") && sscanf(e->args, "%d", &a) == 1) {
        say(s, e->ms, who, 0, e->kind, "%s handler returns", sig_name(a));
    } else if (!strcmp(e->kind, "sigaction") &&
               sscanf(e->args, "%d %15s %lx %d %d", &a, w, &mask, &c, &d) == 5) {
        char fl[160];
        flags_text(fl, sizeof fl, w[0] == 'h' ? (unsigned)mask : 0); /* flags of a handler */
        if (c == 0 && a > 0 && a <= 64)
            p->disp[a] = w[0];
        o = say(s, e->ms, who, 1, e->kind, "sigaction(%s, %s%s)%s%s", sig_name(a),
                w[0] == 'h' ? "handler" : w[0] == 'i' ? "SIG_IGN" : "SIG_DFL", fl,
                c ? " failed: " : "", c ? errno_name(d) : "");
        msc_box(o, who, "rbox", o->text, NULL);
    } else if (!strcmp(e->kind, "mask") && sscanf(e->args, "%15s %lx %d", w, &mask, &c) == 3) {
        o = say(s, e->ms, who, 1, e->kind, "sigprocmask(%s, %s)",
                w[0] == 'b' ? "SIG_BLOCK" : w[0] == 'u' ? "SIG_UNBLOCK" : "SIG_SETMASK",
                set_names(mask));
        msc_box(o, who, "rbox", o->text, NULL);
    } else if (!strcmp(e->kind, "sigsuspend") && sscanf(e->args, "%lx", &mask) == 1) {
        o = say(s, e->ms, who, 1, e->kind, "sigsuspend(%s) waits for a signal", set_names(mask));
        msc_box(o, who, "box", "sigsuspend", NULL);
    } else if (!strcmp(e->kind, "pause")) {
        o = say(s, e->ms, who, 1, e->kind, "pause() waits for a signal");
        msc_box(o, who, "box", "pause", NULL);
    } else if (!strcmp(e->kind, "sigwait") && sscanf(e->args, "%lx", &mask) == 1) {
        o = say(s, e->ms, who, 1, e->kind, "sigwait(%s) waits", set_names(mask));
    } else if (!strcmp(e->kind, "sigwait-end") && sscanf(e->args, "%d %d", &a, &b) == 2) {
        o = say(s, e->ms, who, 1, e->kind, "sigwait -> %s", sig_name(a));
        msc_box(o, who, "box", o->text, NULL);
    } else if (!strcmp(e->kind, "pause-end") || !strcmp(e->kind, "sigsuspend-end")) {
        say(s, e->ms, who, 0, e->kind, "%s returns",
            e->kind[0] == 'p' ? "pause()" : "sigsuspend()");
    }
}

/* The end of process c became known at ms (reaped, or seen by the test): its death
 * by a signal no handler caught goes where the signal was sent; with loud, any other
 * death by a signal gets a line of its own. */
static void ended(story *s, int c, double ms, int status, bool loud)
{
    proc *p = &s->procs[c];
    if (p->ended)
        return;
    p->ended = true;
    if (WIFSIGNALED(status) && p->death_sig == WTERMSIG(status)) {
        p->dead = true;
        out_line *o = say(s, p->death_ms, c, 2, "death", "killed by %s  (%s)",
                          sig_name(p->death_sig), p->death_why);
        o->ms += 0.0001; /* just after the kill that did it */
        msc_box(o, c, "box", o->text, "textbgcolour=\"#ffd0d0\"");
        s->out[p->death_line].prio = 2;
    } else if (WIFSIGNALED(status) && loud) {
        out_line *o = say(s, ms, c, 2, "death", "%s", how_ended(status));
        msc_box(o, c, "box", o->text, "textbgcolour=\"#ffd0d0\"");
    }
}

static void on_wait(story *s, const event *e, int who)
{
    int pid, opts, res, st, err;
    if (!strcmp(e->kind, "wait") && sscanf(e->args, "%d %d", &pid, &opts) == 2) {
        out_line *o = pid == -1 ? say(s, e->ms, who, 1, e->kind, "wait() blocks until a child ends")
                                : say(s, e->ms, who, 1, e->kind, "waitpid(%s) blocks until it ends",
                                      pid > 0 ? role(s, pid) : "a child of its group");
        msc_box(o, who, "box", pid == -1 ? "wait()" : "waitpid()", NULL);
        return;
    }
    if (sscanf(e->args, "%d %d %d %d", &pid, &res, &st, &err) != 4)
        return;
    if (res <= 0) {
        /* ECHILD ends a loop of waitpid(-1, WNOHANG): the usual, not worth a line */
        out_line *o = say(s, e->ms, who, res < 0 && err == ECHILD && pid == -1 ? 0 : 1, e->kind,
                          "waitpid(%s) failed: %s",
                          pid > 0 ? role(s, pid) : "-1", res < 0 ? errno_name(err) : "no child");
        msc_box(o, who, "box", o->text, NULL);
        return;
    }
    int c = get_proc(s, res);
    for (int i = s->nout - 1; i >= 0; i--) /* "blocks" then at once "reaps": one line */
        if (s->out[i].proc == who) {
            if (!strcmp(s->out[i].kind, "wait") && e->ms - s->out[i].ms < 1.0) {
                s->out[i].prio = 0;
                s->out[i].msc[0] = '\0';
            }
            break;
        }
    out_line *o = say(s, e->ms, who, 1, e->kind, "reaps %s: %s", role(s, res), how_ended(st));
    if (c >= 0) {
        msc(o, ent(c), ">>", ent(who), how_ended(st), NULL);
        if (!WIFSTOPPED(st))
            ended(s, c, e->ms, st, false);
    }
}

static bool is_listener(const story *s, unsigned long ino, pid_t *owner);

/* The server closed its listening socket (ino): the children serving a connection that
 * inherited it at fork() and never closed it keep it open, and the port with it (a
 * reuseport worker given its own listener is not one). Said once a run. */
static void listener_still_held(story *s, double ms, int who, unsigned long ino)
{
    pid_t owner = 0;
    if (s->told_listener || !is_listener(s, ino, &owner) || owner != s->procs[who].pid)
        return;
    char holders[160] = "";
    size_t n = 0;
    int nh = 0;
    for (int i = 0; i < s->nprocs; i++) {
        if (i == who || s->procs[i].dead || s->procs[i].ended)
            continue;
        /* a child serving a connection (not a worker given its own listener: reuseport) */
        bool holds = false, serves = false;
        for (int k = 0; k < s->procs[i].nfd; k++) {
            const held_fd *f = &s->procs[i].fd[k];
            holds = holds || (f->kind == 's' && f->ino == ino);
            serves = serves || (f->kind == 's' && !is_listener(s, f->ino, NULL));
        }
        if (holds && serves && nh++ < 3 && n < sizeof holders)
            n += (size_t)snprintf(holders + n, sizeof holders - n, "%s%s", n ? ", " : "",
                                  s->procs[i].role);
    }
    if (!nh)
        return;
    s->told_listener = true;
    say(s, ms, who, 2, "held", "closed the listening %s, but %s%s still hold%s it (inherited "
        "at fork(), never closed): the port stays open", object_name(s, 's', ino, NULL),
        holders, nh > 3 ? " and others" : "", nh == 1 ? "s" : "");
}

static void on_fd_event(story *s, const event *e, int who)
{
    proc *p = &s->procs[who];
    int a, b, rc, err, off = 0;
    char t1[48], t2[48], kind, mode;
    unsigned long ino;
    out_line *o = NULL;
    if (!strcmp(e->kind, "pipe") && sscanf(e->args, "%d %d %47s", &a, &b, t1) == 3 &&
        parse_token(t1, &kind, &ino, &mode)) {
        const char *name = object_name(s, 'p', ino, NULL);
        fd_set_held(p, a, 'p', ino, 'r');
        fd_set_held(p, b, 'p', ino, 'w');
        o = say(s, e->ms, who, 1, e->kind, "pipe() -> %s: fd %d read end, fd %d write end",
                name, a, b);
    } else if (!strcmp(e->kind, "close") && sscanf(e->args, "%d %47s %d %d", &a, t1, &rc, &err) == 4 &&
               parse_token(t1, &kind, &ino, &mode)) {
        o = say(s, e->ms, who, 1, e->kind, "close(fd %d: %s)%s%s", a, end_name(s, kind, ino, mode),
                rc ? " failed: " : "", rc ? errno_name(err) : "");
        if (rc == 0)
            fd_drop(p, a);
        if (rc == 0 && kind == 's')
            listener_still_held(s, e->ms, who, ino);
    } else if ((!strcmp(e->kind, "dup2") || !strcmp(e->kind, "dup")) &&
               sscanf(e->args, "%d %d %47s %47s %d %d", &a, &b, t1, t2, &rc, &err) == 6) {
        int to = b >= 0 ? b : rc;
        bool ipc = parse_token(t1, &kind, &ino, &mode);
        if (rc >= 0) {
            if (ipc)
                fd_set_held(p, to, kind, ino, mode);
            else
                fd_drop(p, to);
        }
        char was[140] = "";
        char k2, m2;
        unsigned long i2;
        if (b >= 0 && parse_token(t2, &k2, &i2, &m2))
            snprintf(was, sizeof was, " (closing %s)", end_name(s, k2, i2, m2));
        if (b >= 0)
            o = say(s, e->ms, who, 1, e->kind, "dup2(%d, %d): fd %d = %s%s%s%s", a, b, b,
                    ipc ? end_name(s, kind, ino, mode) : "not a pipe or socket", was,
                    rc < 0 ? " failed: " : "", rc < 0 ? errno_name(err) : "");
        else
            o = say(s, e->ms, who, 1, e->kind, "dup(%d) -> fd %d = %s", a, rc,
                    ipc ? end_name(s, kind, ino, mode) : "?");
    } else if (!strcmp(e->kind, "open") && sscanf(e->args, "%d %47s %n", &a, t1, &off) == 2 &&
               parse_token(t1, &kind, &ino, &mode)) {
        object_name(s, kind, ino, e->args + off);
        fd_set_held(p, a, kind, ino, mode);
        o = say(s, e->ms, who, 1, e->kind, "open(%s) -> fd %d = %s", e->args + off, a,
                end_name(s, kind, ino, mode));
    } else if (!strcmp(e->kind, "mkfifo") && sscanf(e->args, "%d %d %n", &rc, &err, &off) == 2) {
        o = say(s, e->ms, who, 1, e->kind, "mkfifo(%s)%s%s", e->args + off, rc ? " failed: " : "",
                rc ? errno_name(err) : "");
    }
    if (o)
        msc_box(o, who, "box", o->text, NULL);
}

static void on_socket_event(story *s, const event *e, int who)
{
    proc *p = &s->procs[who];
    int a, b, rc, err, off = 0;
    char t1[48], t2[48], kind, mode;
    unsigned long ino;
    out_line *o = NULL;
    if (!strcmp(e->kind, "socket") && sscanf(e->args, "%d %47s", &a, t1) == 2) {
        if (parse_token(t1, &kind, &ino, &mode)) {
            fd_set_held(p, a, kind, ino, mode);
            o = say(s, e->ms, who, 1, e->kind, "socket() -> fd %d (%s)", a,
                    object_name(s, kind, ino, NULL));
        } else {
            o = say(s, e->ms, who, 1, e->kind, "socket() failed");
        }
    } else if (!strcmp(e->kind, "socketpair") && sscanf(e->args, "%d %d %47s %47s", &a, &b, t1, t2) == 4) {
        if (parse_token(t1, &kind, &ino, &mode))
            fd_set_held(p, a, kind, ino, mode);
        if (parse_token(t2, &kind, &ino, &mode))
            fd_set_held(p, b, kind, ino, mode);
        o = say(s, e->ms, who, 1, e->kind, "socketpair() -> fd %d, fd %d", a, b);
    } else if (!strcmp(e->kind, "bind") && sscanf(e->args, "%d %d %d %n", &a, &rc, &err, &off) == 3) {
        o = say(s, e->ms, who, 1, e->kind, "bind(fd %d, %s)%s%s", a, e->args + off,
                rc ? " failed: " : "", rc ? errno_name(err) : "");
    } else if (!strcmp(e->kind, "listen") && sscanf(e->args, "%d %d %d", &a, &rc, &err) == 3) {
        for (int i = 0; i < p->nfd && !rc; i++)
            if (p->fd[i].fd == a && p->fd[i].kind == 's' && s->nlistening < 8) {
                s->listener_of[s->nlistening] = p->pid;
                s->listening[s->nlistening++] = p->fd[i].ino;
            }
        o = say(s, e->ms, who, 1, e->kind, "listen(fd %d)%s%s", a, rc ? " failed: " : "",
                rc ? errno_name(err) : "");
    } else if (!strcmp(e->kind, "accept") &&
               sscanf(e->args, "%d %d %47s %d %n", &a, &rc, t1, &err, &off) == 4) {
        if (rc >= 0 && parse_token(t1, &kind, &ino, &mode)) {
            fd_set_held(p, rc, kind, ino, mode);
            o = say(s, e->ms, who, 1, e->kind, "accept(fd %d) -> fd %d (%s, from %s)", a, rc,
                    object_name(s, kind, ino, NULL), e->args + off);
        } else {
            o = say(s, e->ms, who, 1, e->kind, "accept(fd %d) failed: %s", a, errno_name(err));
        }
    } else if (!strcmp(e->kind, "connect") &&
               sscanf(e->args, "%d %47s %d %d %n", &a, t1, &rc, &err, &off) == 4) {
        o = say(s, e->ms, who, 1, e->kind, "connect(fd %d, %s)%s%s", a, e->args + off,
                rc ? " failed: " : "", rc ? errno_name(err) : "");
    } else if (!strcmp(e->kind, "shutdown") &&
               sscanf(e->args, "%d %47s %d %d %d", &a, t1, &b, &rc, &err) == 5) {
        o = say(s, e->ms, who, 1, e->kind, "shutdown(fd %d, %s)%s%s", a,
                b == 0 ? "SHUT_RD" : b == 1 ? "SHUT_WR" : "SHUT_RDWR", rc ? " failed: " : "",
                rc ? errno_name(err) : "");
    }
    if (o)
        msc_box(o, who, "box", o->text, NULL);
}

/* Whether ino is a listening socket; *owner: the process that called listen(). */
static bool is_listener(const story *s, unsigned long ino, pid_t *owner)
{
    for (int i = 0; i < s->nlistening; i++)
        if (s->listening[i] == ino) {
            if (owner)
                *owner = s->listener_of[i];
            return true;
        }
    return false;
}

/* A forked child of a server exits: the connection it served that its parent still
 * holds (the client waits for an end of file the parent's copy prevents). Said once a
 * run: a fork server repeats it for every client. (A listener a child keeps is told
 * when the server closes its own: listener_still_held.) */
static void socket_notes_at_exit(story *s, const event *e, int who)
{
    const proc *c = &s->procs[who];
    int parent = c->ppid > 0 ? find_proc(s, c->ppid) : -1;
    if (who == 0 || parent < 0)
        return;
    for (int k = 0; k < c->nfd; k++) {
        const held_fd *f = &c->fd[k];
        if (f->kind != 's')
            continue;
        bool listener = is_listener(s, f->ino, NULL);
        const proc *pp = &s->procs[parent];
        for (int j = 0; j < pp->nfd && !s->told_connection && !listener; j++)
            if (pp->fd[j].kind == 's' && pp->fd[j].ino == f->ino) {
                s->told_connection = true;
                say(s, e->ms, parent, 2, "held", "still holds %s (fd %d), the connection "
                    "%s served and ended: its client sees no end of file while this copy is "
                    "open", object_name(s, 's', f->ino, NULL), pp->fd[j].fd, c->role);
            }
    }
}

static void on_memory_event(story *s, const event *e, int who)
{
    unsigned long addr, flags;
    long len;
    int a, b, rc, err, off = 0;
    char w[8];
    out_line *o = NULL;
    if (!strcmp(e->kind, "mmap") &&
        sscanf(e->args, "%lx %ld %d %lx %d %n", &addr, &len, &a, &flags, &b, &off) == 5) {
        o = say(s, e->ms, who, 1, e->kind, "mmap(%s, %ld bytes, %s) -> %#lx", e->args + off, len,
                flags & 1 ? "MAP_SHARED" : "MAP_PRIVATE", addr);
    } else if (!strcmp(e->kind, "munmap") && sscanf(e->args, "%lx %ld %d %d", &addr, &len, &rc, &err) == 4) {
        o = say(s, e->ms, who, 1, e->kind, "munmap(%#lx, %ld bytes)%s%s", addr, len,
                rc ? " failed: " : "", rc ? errno_name(err) : "");
    } else if ((!strcmp(e->kind, "shm") || !strcmp(e->kind, "sem") || !strcmp(e->kind, "msg")) &&
               sscanf(e->args, "%d", &a) == 1) {
        o = say(s, e->ms, who, 1, e->kind, "%s -> %s %d",
                e->kind[1] == 'h' ? "shmget" : e->kind[1] == 'e' ? "semget" : "msgget",
                e->kind[1] == 'h' ? "segment" : e->kind[1] == 'e' ? "semaphore set" : "queue", a);
    } else if (!strcmp(e->kind, "shmat") && sscanf(e->args, "%d %lx %d", &a, &addr, &err) == 3) {
        o = say(s, e->ms, who, 1, e->kind, "shmat(segment %d)%s%s", a, err ? " failed: " : "",
                err ? errno_name(err) : "");
    } else if (!strcmp(e->kind, "shmdt") && sscanf(e->args, "%lx %d %d", &addr, &rc, &err) == 3) {
        o = say(s, e->ms, who, 1, e->kind, "shmdt(%#lx)%s%s", addr, rc ? " failed: " : "",
                rc ? errno_name(err) : "");
    } else if (!strcmp(e->kind, "rmid") && sscanf(e->args, "%7s %d %d %d", w, &a, &rc, &err) == 4) {
        o = say(s, e->ms, who, 1, e->kind, "%sctl(%d, IPC_RMID)%s%s", w, a, rc ? " failed: " : "",
                rc ? errno_name(err) : "");
    }
    if (o)
        msc_box(o, who, "box", o->text, NULL);
}

/* The first event-loop wait of a process (the recorder notes no later ones). */
static bool is_first_wait(const char *kind)
{
    static const char *const kinds[] = { "select", "pselect", "poll", "ppoll", "epoll_wait",
                                         "epoll_pwait", "cond_wait", "cond_timedwait",
                                         "thread_accept" };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kind, kinds[i]))
            return true;
    return false;
}

/* How a server waits and shares its port: in the whole timeline only (prio 0). */
static void on_mechanism_event(story *s, const event *e, int who)
{
    if (!strcmp(e->kind, "setsockopt")) {
        int fd, opt, value, rc, err;
        char tok[48];
        if (sscanf(e->args, "%d %47s %d %d %d %d", &fd, tok, &opt, &value, &rc, &err) == 6)
            say(s, e->ms, who, 0, e->kind, "setsockopt(fd %d, SO_REUSEPORT, %d)%s%s", fd,
                value, rc ? " failed: " : "", rc ? errno_name(err) : "");
        return;
    }
    if (!strcmp(e->kind, "thread_accept")) {
        say(s, e->ms, who, 0, e->kind, "first accept() in a thread other than the main "
            "one (thread %ld)", atol(e->args));
        return;
    }
    if (!strncmp(e->kind, "cond_", 5)) {
        say(s, e->ms, who, 0, e->kind, "first pthread_%s() in a thread other than the main "
            "one (thread %ld)", e->kind, atol(e->args));
        return;
    }
    if (!strncmp(e->kind, "epoll_ctl_", 10)) {
        int op, fd, rc, err;
        unsigned events;
        if (sscanf(e->args, "%d %d %x %d %d", &op, &fd, &events, &rc, &err) == 5)
            say(s, e->ms, who, 0, e->kind, "first %s-triggered epoll_ctl(%s, fd %d, %s%s%s)%s%s",
                events & EPOLLET ? "edge" : "level", op == EPOLL_CTL_ADD ? "ADD" : "MOD", fd,
                events & EPOLLIN ? "EPOLLIN" : "", events & EPOLLIN && events & EPOLLOUT ? "|" : "",
                events & EPOLLOUT ? "EPOLLOUT" : "", rc ? " failed: " : "",
                rc ? errno_name(err) : "");
        return;
    }
    say(s, e->ms, who, 0, e->kind, "first %s() (%s %ld)", e->kind,
        strncmp(e->kind, "epoll", 5) ? "descriptors" : "max events", atol(e->args));
}

/* What a process is blocked in, as far as its events tell. */
static void note_blocking(proc *p, const event *e)
{
    static const char *const calls[][2] = {
        { "pause", "pause()" }, { "sigsuspend", "sigsuspend()" }, { "sigwait", "sigwait()" },
        { "wait", "waitpid()" } };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        if (!strcmp(e->kind, calls[i][0])) {
            bool any = i == 3 && atoi(e->args) == -1; /* wait() or waitpid(-1, ...) */
            snprintf(p->blocked, sizeof p->blocked, "%s", any ? "wait()" : calls[i][1]);
            return;
        }
    if (!strcmp(e->kind, "handler")) /* a handler runs inside the call: it goes on after */
        return;
    if (strcmp(e->kind, "handler-end"))
        p->blocked[0] = '\0';
}

static void on_event(story *s, const event *e)
{
    if (e->pid == s->wrapper || (s->wrapper && e->pid == s->root && e->ms < 0))
        return; /* the exit probe's own calls (its child's before the exec too) */
    int who = get_proc(s, e->pid);
    if (who < 0)
        return; /* too many processes: the rest are not followed */
    note_blocking(&s->procs[who], e);
    if (!strcmp(e->kind, "fork"))
        on_fork(s, e, who);
    else if (!strcmp(e->kind, "exec")) {
        if (e->pid != s->root) /* the program's own start is time 0 */
            say(s, e->ms, who, 0, e->kind, "runs %s", e->args);
    } else if (!strcmp(e->kind, "execve"))
        on_execve(s, e, who);
    else if (!strcmp(e->kind, "exec-failed")) {
        out_line *o = say(s, e->ms, who, 1, e->kind, "exec failed: %s", errno_name(atoi(e->args)));
        msc_box(o, who, "box", o->text, NULL);
    } else if (!strcmp(e->kind, "exit")) {
        out_line *o = say(s, e->ms, who, 1, e->kind, "exit(%d)", atoi(e->args));
        msc_box(o, who, "box", o->text, NULL);
        socket_notes_at_exit(s, e, who);
    } else if (!strcmp(e->kind, "kill"))
        on_kill(s, e, who);
    else if (!strcmp(e->kind, "wait") || !strcmp(e->kind, "waited"))
        on_wait(s, e, who);
    else if (strstr("pipe close dup2 dup open mkfifo", e->kind))
        on_fd_event(s, e, who);
    else if (strstr("socket socketpair bind listen accept connect shutdown", e->kind))
        on_socket_event(s, e, who);
    else if (strstr("mmap munmap shm sem msg shmat shmdt rmid", e->kind))
        on_memory_event(s, e, who);
    else if (!strcmp(e->kind, "setsockopt") || is_first_wait(e->kind) ||
             !strncmp(e->kind, "epoll_ctl_", 10))
        on_mechanism_event(s, e, who);
    else
        on_signal_event(s, e, who);
}

/* ---------- the end of the run, as the test saw it ---------- */

static bool was_alive_at_end(story *s, int i, bool tree_killed)
{
    const tl_result *r = s->r;
    for (int k = 0; k < r->n_leftover; k++)
        if (r->leftover[k] == s->procs[i].pid)
            return true;
    return tree_killed && !s->procs[i].ended;
}

/* Who held which pipe end when the run ended while processes were still blocked. */
static void held_at_end(story *s, double ms, bool tree_killed)
{
    for (int i = 0; i < s->nprocs; i++)
        if (s->procs[i].blocked[0] && was_alive_at_end(s, i, tree_killed)) {
            out_line *o = say(s, ms, i, 2, "blocked", "still waiting in %s when killed",
                              s->procs[i].blocked);
            msc_box(o, i, "box", o->text, "textbgcolour=\"#fff0b0\"");
        }
    for (int w = 0; w < s->nprocs; w++) {
        if (!was_alive_at_end(s, w, tree_killed))
            continue;
        const proc *pw = &s->procs[w];
        for (int k = 0; k < pw->nfd; k++) {
            const held_fd *f = &pw->fd[k];
            if (f->kind != 'p' || f->mode == 'r')
                continue;
            if (f->fd == 1 && pw->execd)
                continue; /* a command's output: it writes there, as it should */
            char readers[200] = "";
            size_t n = 0;
            bool self = false;
            int rfd = -1;
            for (int r = 0; r < s->nprocs; r++) {
                if (!was_alive_at_end(s, r, tree_killed))
                    continue;
                for (int j = 0; j < s->procs[r].nfd; j++) {
                    const held_fd *g = &s->procs[r].fd[j];
                    if (g->kind != 'p' || g->ino != f->ino || g->mode == 'w')
                        continue;
                    if (r == w)
                        self = true, rfd = g->fd;
                    else if (n < sizeof readers)
                        n += (size_t)snprintf(readers + n, sizeof readers - n, "%s%s",
                                              n ? ", " : "", s->procs[r].role);
                    break;
                }
            }
            const char *obj = object_name(s, 'p', f->ino, NULL);
            out_line *o = NULL;
            if (self)
                o = say(s, ms, w, 2, "held", "still holds the write end of %s (fd %d) and reads "
                        "it (fd %d): its read() cannot see end of file while a write end is "
                        "open, its own included", obj, f->fd, rfd);
            else if (n)
                o = say(s, ms, w, 2, "held", "still holds the write end of %s (fd %d): %s, "
                        "reading it, never sees end of file", obj, f->fd, readers);
            if (o)
                msc_box(o, w, "note", o->text, "textbgcolour=\"#fff0b0\"");
        }
    }
}

static bool is_zombie(const tl_result *r, pid_t pid, int *status)
{
    for (int k = 0; k < r->n_zombie; k++)
        if (r->zombie[k] == pid) {
            *status = r->zombie_status[k];
            return true;
        }
    return false;
}

static void run_end(story *s)
{
    const tl_result *r = s->r;
    double end = s->nev ? s->ev[s->nev - 1].ms : 0;
    if (r->elapsed_ms > end)
        end = r->elapsed_ms;
    bool tree_killed = r->timed_out || r->hung;
    /* first, while every process not known to have ended counts as alive */
    if (tree_killed || r->n_leftover)
        held_at_end(s, end, tree_killed);
    for (int k = 0; k < r->n_leftover; k++) {
        int c = find_proc(s, r->leftover[k]);
        if (c < 0 || tree_killed) /* then the test killed them all anyway */
            continue;
        out_line *o = say(s, end, c, 2, "leftover", "still running after the program ended: "
                          "killed by the test");
        msc_box(o, c, "box", o->text, "textbgcolour=\"#ffd0d0\"");
        s->procs[c].ended = true;
    }
    for (int c = 1; c < s->nprocs; c++) {
        int st;
        if (s->procs[c].ended || !is_zombie(r, s->procs[c].pid, &st))
            continue;
        if (tree_killed && st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
            continue; /* the test's kill, not a child left unreaped */
        out_line *o = say(s, end, c, 2, "zombie", "never reaped by its parent (a zombie)%s%s%s",
                          st == -1 ? "" : ": it ", st == -1 ? "" : WIFSIGNALED(st) ? "was " : "",
                          st == -1 ? "" : how_ended(st));
        msc_box(o, c, "box", o->text, "textbgcolour=\"#ffd0d0\"");
        if (st != -1)
            ended(s, c, end, st, false);
    }
    out_line *o = NULL;
    if (tree_killed)
        o = say(s, end, 0, 2, "end", "%s", unfinished
                ? "still running when the test ended: the test killed every process"
                : r->timed_out ? "still running at the deadline: the test killed every process"
                : "every process blocked, no progress: the test killed them all");
    else if (r->signaled && s->procs[0].death_sig == r->sig)
        ended(s, 0, end, r->sig, false);
    else if (r->signaled)
        o = say(s, end, 0, 2, "end", "killed by %s", sig_name(r->sig));
    else if (r->started)
        o = say(s, end, 0, r->status ? 2 : 1, "end", "exits with status %d", r->status);
    if (o)
        msc_box(o, 0, "box", o->text, r->signaled || r->status || tree_killed
                                          ? "textbgcolour=\"#ffd0d0\"" : NULL);
    s->procs[0].ended = true;
}

static int by_ms(const void *a, const void *b)
{
    const out_line *x = a, *y = b;
    return x->ms < y->ms ? -1 : x->ms > y->ms;
}

/* Read the trace of r and tell its story; false if there is none. */
static bool tell(story *s, const tl_result *r, const char *path)
{
    memset(s, 0, sizeof *s);
    s->r = r;
    if (!path || read_trace(path, &s->ev, &s->nev, &s->dropped) == -1 || s->nev == 0) {
        free(s->ev);
        return false;
    }
    /* The story starts at the program: r->pid, or, when the test ran it through a wrapper
     * that forks it (the exit probe), the first process that exec'd it; the wrapper's
     * own events are not the student's. */
    pid_t root = r->pid;
    int root_exec = -1;
    for (int i = 0; i < s->nev && root_exec < 0; i++)
        if (!strcmp(s->ev[i].kind, "exec") && s->ev[i].pid == r->pid)
            root_exec = i;
    if (root_exec < 0 || strncmp(s->ev[root_exec].args, r->prog, 15))
        for (int i = 0; i < s->nev; i++)
            if (!strcmp(s->ev[i].kind, "exec") && !strncmp(s->ev[i].args, r->prog, 15)) {
                root = s->ev[i].pid, root_exec = i;
                break;
            }
    s->root = root, s->wrapper = root == r->pid ? 0 : r->pid;
    s->t0 = root_exec >= 0 ? s->ev[root_exec].ms : s->ev[0].ms;
    for (int i = 0; i < s->nev; i++)
        s->ev[i].ms -= s->t0;
    add_proc(s, root, -1);
    bool forked = false;
    for (int i = 0; i < s->nev && !forked; i++)
        forked = !strcmp(s->ev[i].kind, "fork") && s->ev[i].pid == root;
    snprintf(s->procs[0].role, sizeof s->procs[0].role, "%.39s",
             named(root) ? named(root) : forked ? "parent" : r->prog);
    for (int i = 0; i < s->nev; i++)
        on_event(s, &s->ev[i]);
    run_end(s);
    /* signals sent to a process already killed by an earlier one */
    for (int i = 0; i < s->nout; i++) {
        out_line *o = &s->out[i];
        int t = o->target > 0 && !strcmp(o->kind, "kill") ? find_proc(s, o->target) : -1;
        if (t < 0 || !s->procs[t].dead || o->ms <= s->procs[t].death_ms ||
            strlen(o->text) + 20 > sizeof o->text)
            continue;
        strcat(o->text, "  (it is already dead)");
        char *arc = strstr(o->msc, " => ");
        if (arc)
            memcpy(arc, " -x ", 4);
    }
    /* stable: the order of the events at equal times */
    for (int i = 0; i < s->nout; i++)
        s->out[i].ms += i * 1e-9;
    qsort(s->out, (size_t)s->nout, sizeof *s->out, by_ms);
    return true;
}

static void forget(story *s)
{
    free(s->ev);
    free(s->out);
}

/* ---------- the three forms ---------- */

static int role_width(const story *s)
{
    int w = 6;
    for (int i = 0; i < s->nprocs && i < 24; i++)
        if ((int)strlen(s->procs[i].role) > w)
            w = (int)strlen(s->procs[i].role);
    return w > 14 ? 14 : w;
}

static size_t put_line(char *b, size_t cap, size_t n, const story *s, const out_line *o, int w)
{
    if (n >= cap)
        return n;
    int k = snprintf(b + n, cap - n, "  %7.1f  %-*.*s  %s\n", o->ms, w, w,
                     o->proc >= 0 ? s->procs[o->proc].role : "", o->text);
    return k < 0 ? n : n + (size_t)k < cap ? n + (size_t)k : cap;
}

/* "... 120 more events (40 kill, 40 handler, 20 pause)" for lines [from, to) not shown. */
static size_t put_summary(char *b, size_t cap, size_t n, const story *s, const bool *shown,
                          int from, int to)
{
    char kinds[8][16];
    int counts[8] = { 0 }, nk = 0, total = 0;
    for (int i = from; i < to; i++) {
        if (shown[i] || s->out[i].prio < 1)
            continue;
        total++;
        int k = 0;
        while (k < nk && strcmp(kinds[k], s->out[i].kind))
            k++;
        if (k == nk && nk < 8)
            snprintf(kinds[nk++], sizeof kinds[0], "%s", s->out[i].kind);
        if (k < 8)
            counts[k]++;
    }
    if (!total || n >= cap)
        return n;
    int k = snprintf(b + n, cap - n, "       ... %d more event%s (", total, total > 1 ? "s" : "");
    n = k < 0 ? n : n + (size_t)k;
    for (int i = 0; i < nk && n < cap; i++) {
        k = snprintf(b + n, cap - n, "%s%d %s", i ? ", " : "", counts[i], kinds[i]);
        n = k < 0 ? n : n + (size_t)k;
    }
    if (n < cap) {
        k = snprintf(b + n, cap - n, ")\n");
        n = k < 0 ? n : n + (size_t)k;
    }
    return n < cap ? n : cap;
}

/* The short timeline: every line of priority 2, then the first and the last of the
 * others, about SHORT_LINES in all, what is left out counted. */
static void short_timeline(char *b, size_t cap, const story *s)
{
    bool *shown = calloc((size_t)s->nout + 1, sizeof *shown);
    int must = 0, normal = 0, w = role_width(s);
    if (!shown)
        abort();
    for (int i = 0; i < s->nout; i++)
        must += s->out[i].prio == 2, normal += s->out[i].prio == 1;
    int room = SHORT_LINES - must - 1;
    if (room < 8)
        room = 8;
    int head = normal <= room ? normal : room / 2, tail = normal <= room ? 0 : room - head;
    for (int i = 0, seen = 0; i < s->nout; i++) {
        if (s->out[i].prio == 2)
            shown[i] = true;
        else if (s->out[i].prio == 1)
            shown[i] = seen < head || seen >= normal - tail, seen++;
    }
    size_t n = (size_t)snprintf(b, cap, "What your program did (times in ms):\n");
    int last = 0;
    for (int i = 0; i < s->nout; i++) {
        if (!shown[i])
            continue;
        n = put_summary(b, cap, n, s, shown, last, i);
        n = put_line(b, cap, n, s, &s->out[i], w);
        last = i + 1;
    }
    n = put_summary(b, cap, n, s, shown, last, s->nout);
    if (s->dropped && n < cap)
        n += (size_t)snprintf(b + n, cap - n, "  (%lu events of the middle of the run were not "
                              "recorded)\n", s->dropped);
    const struct criterion_test *t = &criterion_current_test ? criterion_current_test : NULL;
    if (t && t->name && t->category && n < cap)
        snprintf(b + n, cap - n, "  (every event, and a diagram: make trace TEST=%s/%s)\n",
                 t->category, t->name);
    free(shown);
}

static int write_txt(const story *s, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int w = role_width(s);
    char line[400];
    fprintf(f, "What the program did (pid %d, times in ms from its start; the pid of each "
            "role is listed at the end)\n", (int)s->root);
    for (int i = 0; i < s->nout; i++) {
        put_line(line, sizeof line, 0, s, &s->out[i], w);
        fputs(line, f);
    }
    if (s->dropped)
        fprintf(f, "  (%lu events of the middle of the run were not recorded)\n", s->dropped);
    /* after the events: a server that forked 200 children would bury them under its roles */
    fprintf(f, "\nRoles:");
    for (int i = 0; i < s->nprocs; i++)
        fprintf(f, "%s%s = pid %d", i % 6 ? ", " : "\n  ", s->procs[i].role,
                (int)s->procs[i].pid);
    fprintf(f, "\n");
    return fclose(f) == 0 ? 0 : -1;
}

static int write_msc(const story *s, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int n = s->nprocs <= MSC_LIFELINES ? s->nprocs : MSC_LIFELINES + 1;
    fprintf(f, "msc {\n  hscale = \"%s\", wordwraparcs = \"true\";\n",
            n > 4 ? "2.5" : n > 2 ? "1.8" : "1.4");
    for (int i = 0; i < n; i++) {
        if (i == MSC_LIFELINES)
            fprintf(f, ", %s [label=\"the %d others\"]", ent(i), s->nprocs - MSC_LIFELINES);
        else
            fprintf(f, "%s%s [label=\"%s (%d)\"]", i ? ", " : "  ", ent(i), s->procs[i].role,
                    (int)s->procs[i].pid);
    }
    fprintf(f, ";\n");
    int rows = 0;
    for (int i = 0; i < s->nout; i++) {
        if (!s->out[i].msc[0] || (s->out[i].prio == 0))
            continue;
        if (rows++ == MAX_MSC_ROWS) {
            fprintf(f, "  ... [label=\"%d more events: see the .txt\"];\n", s->nout - i);
            break;
        }
        fprintf(f, "%s\n", s->out[i].msc);
    }
    fprintf(f, "}\n");
    return fclose(f) == 0 ? 0 : -1;
}

int tl_trace_write(const tl_result *r, const char *path, const char *base)
{
    story *s = malloc(sizeof *s); /* large: not on the stack */
    char file[600];
    if (!s || !tell(s, r, path)) {
        free(s);
        return -1;
    }
    snprintf(file, sizeof file, "%s.txt", base);
    int rc = write_txt(s, file);
    snprintf(file, sizeof file, "%s.msc", base);
    rc |= write_msc(s, file);
    forget(s);
    free(s);
    return rc;
}

void tl_trace_started(const tl_result *r, const char *path)
{
    int i = nruns++ % 64;
    runs[i].pid = r->pid;
    runs[i].waited = false;
    snprintf(runs[i].path, sizeof runs[i].path, "%s", path);
    snprintf(runs[i].prog, sizeof runs[i].prog, "%s", r->prog);
}

void tl_trace_register(const tl_result *r, const char *path)
{
    int i = run_of(r->pid);
    if (i < 0) {
        tl_trace_started(r, path);
        i = run_of(r->pid);
    }
    runs[i].waited = true;
    const char *out = getenv("TL_TRACE_OUT");
    if (out && *out && !explained)
        tl_trace_write(r, path, out);
}

void tl_trace_flush(void)
{
    const char *out = getenv("TL_TRACE_OUT");
    for (int k = 0; k < nruns && k < 64 && out && *out && !explained; k++) {
        if (runs[k].waited)
            continue;
        tl_result r;
        memset(&r, 0, sizeof r);
        r.pid = runs[k].pid;
        r.started = true;
        r.hung = true; /* still running when the test ended */
        snprintf(r.prog, sizeof r.prog, "%s", runs[k].prog);
        unfinished = true;
        tl_trace_write(&r, runs[k].path, out);
        unfinished = false;
        break; /* the first one: the server, the program the others talk to */
    }
    nruns = 0;
    explained = false;
}

void tl_trace_update(const tl_result *r)
{
    const char *path = trace_of(r), *out = getenv("TL_TRACE_OUT");
    if (path && out && *out && !explained)
        tl_trace_write(r, path, out);
}

const char *tl_timeline(const tl_result *r)
{
    static char bufs[2][4096];
    static int turn;
    char *b = bufs[turn++ % 2];
    story *s = malloc(sizeof *s); /* large: not on the stack */
    b[0] = '\0';
    const char *path = trace_of(r), *out = getenv("TL_TRACE_OUT");
    if (!s || !tell(s, r, path)) {
        free(s);
        return b;
    }
    short_timeline(b, sizeof bufs[0], s);
    forget(s);
    free(s);
    if (out && *out) {
        tl_trace_write(r, path, out);
        explained = true;
    }
    return b;
}
