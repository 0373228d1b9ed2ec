/*
 * tl_trace.h: the run recorder's trace files, their one reader, and what the tests
 * show of them: a short timeline in every failure message, the whole timeline and an
 * mscgen sequence diagram for `make trace`.
 *
 * The writer is testlib/tl_preload.c (loaded into every program a test runs, with
 * TL_TRACE=FILE); nothing else parses the files. The format, one event per line, each
 * written with one write():
 *
 *     SEC.USEC SEQ PID KIND ARGS...
 *
 * SEC.USEC: CLOCK_MONOTONIC; SEQ: the event's number in the run (a counter shared by
 * the processes forked from the program: gaps are dropped events); PID: the process
 * the event happened in. A descriptor TOKEN is p:INODE:MODE (pipe or FIFO), s:INODE:MODE
 * (socket), MODE r/w/+, or - (not IPC). SET is a hexadecimal signal mask (bit N-1 for
 * signal N). RC ERRNO: the call's result and its errno (0 on success). KIND ARGS:
 *
 *   exec NAME                  a process image starts with the recorder (the program)
 *   fork CHILD ERRNO (CHILD -1: it failed)   execve PATH [FD=TOKEN...] (the IPC descriptors it keeps)
 *   exec-failed ERRNO          exit STATUS (exit() or _exit() called)
 *   kill TARGET SIG RC ERRNO   handler SIG SENDER_PID     handler-end SIG
 *   sigaction SIG h|i|d FLAGS RC ERRNO (handler, ignore, default; FLAGS hex)
 *   mask block|unblock|set SET RC ERRNO
 *   pause  pause-end  sigsuspend SET  sigsuspend-end  sigwait SET  sigwait-end SIG RC
 *   wait PID OPTIONS           (a wait that may block)
 *   waited PID RESULT STATUS ERRNO
 *   pipe RFD WFD TOKEN FLAGS   close FD TOKEN RC ERRNO
 *   dup2 OLD NEW OLD_TOKEN NEW_TOKEN RC ERRNO   (dup: NEW is -1, the new fd is RC)
 *   mkfifo RC ERRNO PATH       open FD TOKEN PATH (FIFOs and sockets only)
 *   socket FD TOKEN DOMAIN TYPE ERRNO      socketpair FD1 FD2 TOKEN1 TOKEN2
 *   bind FD RC ERRNO ADDR      listen FD RC ERRNO     accept LFD FD TOKEN ERRNO PEER
 *   connect FD TOKEN RC ERRNO ADDR         shutdown FD TOKEN HOW RC ERRNO
 *   mmap ADDR LEN PROT FLAGS FD PATH (shared or file mappings)   munmap ADDR LEN RC ERRNO
 *   shm ID  sem ID  msg ID     (System V objects created)
 *   shmat ID ADDR ERRNO        shmdt ADDR RC ERRNO    rmid shm|sem|msg ID RC ERRNO
 *   setsockopt FD TOKEN OPT VALUE RC ERRNO   (SOL_SOCKET, SO_REUSEPORT only)
 *   select N  pselect N  poll N  ppoll N  epoll_wait N  epoll_pwait N
 *                              (the FIRST call of each in this process, before it
 *                              blocks; N: nfds, or maxevents for epoll)
 *   cond_wait TID  cond_timedwait TID  thread_accept TID
 *                              (the FIRST pthread_cond_wait(), pthread_cond_timedwait(),
 *                              accept() or accept4() in this process by a thread other
 *                              than its main one, TID that thread's id)
 *   epoll_ctl_et OP FD EVENTS RC ERRNO   epoll_ctl_lt OP FD EVENTS RC ERRNO
 *                              (the FIRST EPOLL_CTL_ADD/MOD of this process with
 *                              EPOLLET, and the first without; EVENTS hex)
 *
 * Past 10,000 events the recorder keeps the last 5,000 to 10,000 in FILE.tail0 and
 * FILE.tail1 (which one is older: their sequence numbers say); fork, exec, the System
 * V creations, setsockopt, the first waits and the first epoll_ctls always go to FILE.
 * With TL_TIMELINE=0 it records only those.
 */
#ifndef TL_TRACE_H
#define TL_TRACE_H

#include <stdbool.h>
#include <sys/types.h>

#include "tl.h"

/* Name the process pid in the timelines of this test ("server", "client 2"...); by
 * default the program is "parent" (or its name if it never forked) and the processes
 * it forks "child 1", "child 2"... in the order of their fork (their children
 * "child 1.1"...). */
void tl_trace_name(pid_t pid, const char *role);

/* The timeline of run r, for a failure message: "What your program did (times in ms):"
 * and at most about 25 lines (the rest summarised), or "" when the run was not traced.
 * With $TL_TRACE_OUT=BASE it also writes BASE.txt (every event) and BASE.msc. Static
 * buffers, 2 in turn. */
const char *tl_timeline(const tl_result *r);

/* Called by tl_start() for every program started (r: its pid and name so far), then by
 * tl_wait() once it is over: remembers where its trace is (for tl_timeline()), and with
 * $TL_TRACE_OUT writes its files. Which run the files tell: the one a failure message
 * explains (tl_timeline()), else a run never waited for (a server the test left running:
 * tl_trace_flush(), from tl_teardown()), else the last one waited for. */
void tl_trace_started(const tl_result *r, const char *path);
void tl_trace_register(const tl_result *r, const char *path);
void tl_trace_flush(void);

/* The test changed r after tl_wait() (tl_mark_hung): $TL_TRACE_OUT's files follow. */
void tl_trace_update(const tl_result *r);

/* For tl.c: the pids of the run (pids[0]: self, or with self_name the first process
 * that exec'd that program; then both sides of every fork); returns the fork count. */
int tl_trace_pids(const char *path, pid_t self, const char *self_name, pid_t *pids, int *n,
                  int max);
/* For tl.c: the System V objects the run created, "shm"/"sem"/"msg" in kinds[i] (a
 * static string) and the id in ids[i]; returns how many (at most max). */
/* The signals (bit N-1: signal N) that killed processes the run waited for: the
 * "waited" events whose status says killed by a signal. 0 if none or no trace. */
unsigned long tl_trace_deaths(const char *path);

int tl_trace_created(const char *path, const char **kinds, int *ids, int max);

/* Which mechanism a program uses, for a test that looks at a live server: the
 * processes of the run started as pid (by tl_start in this test) that called kind
 * ("select", "poll", "epoll_wait"..., "epoll_ctl_et", "epoll_ctl_lt": the first-wait
 * and first-epoll_ctl events above), at most max into
 * who; returns how many, or -1 if the run has no trace. */
int tl_trace_callers(pid_t run, const char *kind, pid_t *who, int max);
/* The sockets of that run on which SO_REUSEPORT was set successfully: their inodes (at
 * most max) and the process that set it; returns how many, or -1 without a trace. */
int tl_trace_reuseport(pid_t run, unsigned long *inodes, pid_t *who, int max);

/* The kill() calls of that run aimed at a process outside it: a positive target that is
 * none of the run's processes (not one that recorded an event, not a child one of them
 * forked), e.g. init (pid 1: the recorder refuses it) for a table slot set to 1. Their
 * targets (at most max) into out; returns how many, or -1 without a trace. */
int tl_trace_stray_kills(pid_t run, pid_t *out, int max);

/* Write the whole timeline of r (trace at path) to BASE.txt and its diagram to BASE.msc;
 * 0 or -1. */
int tl_trace_write(const tl_result *r, const char *path, const char *base);

#endif
