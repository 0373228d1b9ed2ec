/*
 * tl.h: the workbook's test-support library, used by every exercise's Criterion tests.
 *
 * A test never runs student code inside the Criterion worker: it execs the program
 * under test (in Criterion 2.4.1 a forked child that calls into Criterion blocks
 * forever; docs/measurements.md, "Fork, signals, child processes", instructor tree).
 * The library
 *   - starts a program with arguments, stdin and a clean environment, in its own
 *     process group, its stdout/stderr captured to files (capped by RLIMIT_FSIZE);
 *   - keeps a wall-clock deadline shorter than Criterion's timeout and, at the
 *     deadline or when the program ends, kills its whole process tree, daemonized
 *     grandchildren included (the worker is a child subreaper, so orphans come back
 *     to it);
 *   - reports how the program ended, which processes outlived it or stayed zombies,
 *     and which System V objects it created and left behind (via the trace shim);
 *   - gives every test a private temp directory, so suites run in parallel.
 *
 * Typical use:
 *   TestSuite(run, .init = tl_setup, .fini = tl_teardown, .timeout = 30);
 *   Test(run, prints) {
 *       tl_result r = tl_run(&(tl_opts){ .argv = TL_ARGV("prog", "-n", "3") });
 *       cr_assert(tl_exited_ok(&r), "%s", tl_explain(&r));
 *   }
 */
#ifndef TL_H
#define TL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TL_ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define TL_ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define TL_MAX_PIDS 64

typedef struct {
    const char *const *argv;     /* argv[0]: a program of $TD_BIN, or a path with '/' */
    const char *stdin_data;      /* NULL: stdin is /dev/null (unless stdin_pipe) */
    size_t stdin_len;            /* 0 with stdin_data: strlen(stdin_data) */
    bool stdin_pipe;             /* the test writes stdin through tl_stdin_fd() */
    int deadline_ms;             /* wall clock; 0: 5000 (scaled by $TL_TIME_SCALE) */
    const char *cwd;             /* NULL: the test's private directory tl_dir() */
    const char *const *env;      /* extra "NAME=value" entries */
    const char *perturb;         /* timing perturbation spec (see tl_preload.c), or NULL */
    long out_cap;                /* bytes per output file; 0: 16 MiB */
    const char *const *show_argv; /* argv as the Reproduce line shows it (NULL: argv), for
                                   * a test that runs the program through a wrapper; */
    const char *const *show_env;  /* then these variables are shown instead of env */
} tl_opts;

typedef struct {
    bool started;                /* false: the program could not be executed */
    bool exited;                 /* ended by exit(): status holds the code */
    int status;
    bool signaled;               /* ended by a signal: sig holds it */
    int sig;
    bool timed_out;              /* the deadline passed: the tree was killed */
    bool out_capped;             /* an output file reached the cap */
    double elapsed_ms;
    char *out, *err;             /* NUL-terminated captured output (never NULL) */
    size_t out_len, err_len;
    int n_leftover;              /* processes still alive when the program ended */
    int n_zombie;                /* children it left unreaped */
    pid_t leftover[TL_MAX_PIDS];
    pid_t zombie[TL_MAX_PIDS];
    char leftover_state[TL_MAX_PIDS];  /* /proc state of each: R running, S asleep, T stopped */
    int zombie_status[TL_MAX_PIDS];    /* wait status of each zombie: how it ended */
    int n_ipc_leak;              /* System V objects it created and did not remove */
    char ipc_leak[256];          /* e.g. "shm 32769, sem 5" */
    pid_t pid;                   /* the program's pid */
    bool forked;                 /* it called fork() (from the trace) */
    unsigned long child_deaths;  /* signals (bit N-1: signal N) that killed the processes
                                    it waited for (from the trace) */
    bool hung;                   /* timed out, or stopped as hung by the test (tl_mark_hung) */
    /* The Reproduce line: pasted into a shell in the exercise directory, it runs as
     * printed and recreates the conditions of the failure (preload and seed of a
     * perturbed run, its input, `| cat` when the program forked, `timeout` when it hung),
     * followed by a note on what to look at when the shell cannot show it (zombies...). */
    char cmd[2048];
    char seed_note[96];          /* perturbation seed, when perturbed */
    char look[320];              /* "then: ..." note appended to cmd; tl_set_look() */
    /* Internal: the parts cmd is composed from. */
    char prog[64], cmd_env[480], cmd_argv[1280], cmd_in[640];
    bool cmd_in_pipe;
    int cmd_timeout_s;
    unsigned long out_hash;      /* of stdout's lines, sorted, the run's pids blanked */
    unsigned long out_hash_raw;  /* the same, pids left as they are */
    unsigned long out_shape;     /* the same, every number blanked */
    char run_dir[64];            /* its copy of the test's directory, under $TL_REPRO_SHOW */
    bool peer;                   /* it ran alongside another program of the test */
    char no_replay[64];          /* why the Reproduce check cannot rerun it alone, if so */
    bool peer_in_line;           /* the test's part as its peer is in the line (tl_note_wrote) */
    int n_acts, act_ms[4];       /* what the test did to it while it ran, and when: */
    char acts[4][320];           /* shell commands on $! ("kill -TERM $!": tl_signal) */
    bool cmd_cd;                 /* the line runs in run_dir (the program uses its files) */
    /* With the other programs that ran alongside it (tl_wait), the one line that starts
     * them all, in one directory, at the times the test did; \003 stands for this
     * program's own command. Empty: it ran alone, or they cannot share a line. */
    char cmd_multi[1400];
    /* What the test saw looking at the running program from outside, as the line's
     * commands print it (tl_note_seen): part of the run's outcome, with its stdout. */
    char seen[256];
    /* The test's part as the program's server, which the line starts first on a port of
     * its own, $p (tl_note_server); empty: none. */
    char server_first[400];
} tl_result;

typedef struct tl_proc tl_proc;

/* Suite hooks: per-test private directory, subreaper, cleanup of every process. */
void tl_setup(void);
void tl_teardown(void);
/* The test itself talks to the programs (reads their FIFO, is their client or server):
 * the runs it waits for from now on have no one-line reproduction, and say so. */
void tl_test_is_peer(void);

const char *tl_dir(void);                       /* the test's private directory */
const char *tl_path(const char *name);          /* tl_dir()/name (rotating static buffers) */
const char *tl_bin(const char *prog);           /* $TD_BIN/prog */
/* $TD_REF_BIN/prog: the reference build, for cross-pairing tests; NULL when the tree
 * has no reference (the student tree): such tests then cr_skip or use the test's own
 * reader/writer of the documented format. */
const char *tl_ref_bin(const char *prog);
int tl_deadline(int ms);                        /* ms scaled by $TL_TIME_SCALE */
unsigned tl_random_seed(void);                  /* a fresh seed, to pass as a program option */
double tl_now_ms(void);                         /* monotonic clock, in milliseconds */
void tl_sleep_ms(int ms);                       /* sleeps that resume after a signal */
void tl_sleep_us(long us);

tl_proc *tl_start(const tl_opts *o);            /* never NULL; see tl_result.started */
int tl_stdin_fd(tl_proc *p);                    /* write end of stdin (stdin_pipe), or -1 */
void tl_close_stdin(tl_proc *p);
pid_t tl_pid(tl_proc *p);
const char *tl_proc_cmd(tl_proc *p);            /* its Reproduce line, so far */
void tl_signal(tl_proc *p, int sig);            /* to the program (not its group) */
/* The test acted on the running program other than by tl_signal (e.g. killed its child):
 * the same as a shell command on $! (e.g. "pkill -KILL -P $!"), for its Reproduce line. */
void tl_note_action(tl_proc *p, const char *shell);
/* The test, as the program's peer, wrote len bytes of data into path (a FIFO...) / read
 * path to its end: its Reproduce line does the same ("cat SAVED > path", "cat path >&2"),
 * so that the line alone reproduces the run although the test talked to it. */
void tl_note_wrote(tl_proc *p, const char *path, const char *data, size_t len);
void tl_note_read(tl_proc *p, const char *path);
/* The test, as the program's peer, did what shell does (e.g. a socat client sending the
 * same lines: "printf 'ab\\n' | socat -t 2 - TCP:127.0.0.1:PORT"): the Reproduce line runs
 * it after starting the program ("PROG & sleep T; SHELL"), so the line alone reproduces
 * the run, and the Reproduce check replays it. The shell text must do the test's whole
 * part; at most 4 actions a run. */
void tl_note_peer(tl_proc *p, const char *shell);
/* The test looked at the running program from outside and saw what the shell command
 * `shell` prints there (on $!: "ls /proc/$!/task | wc -l" for its threads, "pgrep -P $!"
 * for its children...): `seen`, that output, the same text. The Reproduce line runs it
 * at that moment, its output on the line's stdout, and the run's outcome (tl_signature)
 * counts it with the program's stdout, numbers as they are: the Reproduce check then
 * sees the same wrong state again (a state no exit status shows: too many threads, a
 * child process, the system call it waits in). Left out (false) when the line has no
 * room for one more action. */
bool tl_note_seen(tl_proc *p, const char *shell, const char *seen);
/* The test was the program's server (a client's test): `start` is the shell commands
 * that start the same server in the background on port $p (it is then $!) and return
 * once it listens, e.g. a server that accepts and never answers:
 *   "socat TCP-LISTEN:$p,reuseaddr TCP-LISTEN:0 >&2 & until ss -ltn \"sport = :$p\" |
 *    grep -q LISTEN; do sleep 0.05; done"
 * The Reproduce line picks a port of its own as p (runs of the line side by side, as the
 * Reproduce check runs a hang's, do not meet), runs `start`, then the program with $p
 * instead of its argument `port` (the test's port), then ends the server and exits with
 * the program's status: the line alone reproduces the run, and the check replays it.
 * Call it before tl_wait; false (no server in the line) when port is not one of the
 * program's arguments. Not for a run composed with other programs (cmd_multi). */
bool tl_note_server(tl_proc *p, const char *start, int port);
bool tl_alive(tl_proc *p);
/* Wait until the program's stdout contains needle; false at timeout or if it ended. */
bool tl_wait_output(tl_proc *p, const char *needle, int timeout_ms);
/* Current captured stdout (malloc'd, NUL-terminated). */
char *tl_peek_output(tl_proc *p);
/* Wait for the end (or the deadline), kill the tree, collect. Frees p. */
tl_result tl_wait(tl_proc *p);
tl_result tl_run(const tl_opts *o);             /* tl_start + tl_wait */
void tl_result_free(tl_result *r);

/* The test stopped the program as hung (e.g. a stall watcher killed it): its Reproduce
 * line gets `timeout`, its signature says "hang". */
void tl_mark_hung(tl_result *r);
/* Recompose r->cmd from its parts (after a test changed one). */
void tl_repro_update(tl_result *r);
/* Set the note on what to look at after the Reproduce line ("" removes it). */
void tl_set_look(tl_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Show argument `actual` of this run's Reproduce line as `shown` instead (e.g. a path
 * that only exists in the test). */
void tl_show_arg(tl_result *r, const char *actual, const char *shown);
/* How the run ended, as compared by the Reproduce check (tools/selftest, tl_replay):
 * "hang", "solo: WHY" (no one-line reproduction: it ran alongside programs its line
 * cannot start too, or see no_replay), or
 * "end STATUS" (128+N for signal N), then " zombies", " leftovers", " ipc", and
 * for a clean exit 0 " out HASH RAW SHAPE": hashes of stdout's lines, sorted, with the
 * run's pids blanked, as they are (a pid may also be a value it prints), and with every
 * number blanked (for an output that differs from run to run). What the test saw from
 * outside (tl_note_seen) counts as lines of stdout, and then no hash blanks every number
 * (the third is the first again): those numbers are the failure. */
const char *tl_signature(const tl_result *r);

/* Verdicts, in words a student understands. */
bool tl_exited_ok(const tl_result *r);          /* exit 0, no deadline, nothing left */
bool tl_clean(const tl_result *r);              /* nothing outlived it, no zombie, no IPC leak */
/* Both return static buffers, 4 of each in turn: one message may explain up to 4 runs. */
const char *tl_explain(const tl_result *r);     /* how it ended + leftovers + how to rerun */
const char *tl_ending(const tl_result *r);      /* "exited with status 1", ... */

/* Text helpers over captured output. */
int tl_count_lines(const char *text);
int tl_count_prefix(const char *text, const char *prefix);
bool tl_one_line(const char *text);             /* exactly one non-empty line */
/* Output made of lines "%d\n" only: the number of values (in a malloc'd *values), or -1
 * with the first offending line (quoted) in bad. */
long tl_parse_ints(const char *out, int **values, char *bad, size_t badcap);
/* Up to max bytes of text as one printable line for a message: newlines as \n, other
 * control characters as \xHH, "..." when cut (two rotating static buffers). */
const char *tl_shown_text(const char *text, size_t len, size_t max);
/* Does every line of text start with prefix and hold more? true for no text at all. */
bool tl_all_lines_start(const char *text, size_t len, const char *prefix);
/* Do a and b (n bytes each) hold the same bytes, in any order? */
bool tl_same_multiset(const char *a, const char *b, size_t n);
/* n lines of minlen..maxlen printable characters (letters, digits, punctuation, spaces,
 * tabs), drawn with rand_r(seed): the text (malloc'd, NUL-terminated, NULL when out of
 * memory) and its length in *len. */
char *tl_random_lines(unsigned *seed, int n, size_t minlen, size_t maxlen, size_t *len);
/* Names left in a directory other than those listed (NULL-terminated); "" if none. */
const char *tl_dir_extra(const char *dir, const char *const *expected);
/* Number of open descriptors of a live process (-1 if unknown). */
int tl_fd_count(pid_t pid);

/* The rest of the library, one concept per header (each also usable alone):
 *   tl_file.h   whole files, writes that finish or meet a deadline
 *   tl_child.h  stopping a program, waiting for a pair, running unprivileged
 *   tl_procfs.h /proc views of a live program: children, zombies, descriptors
 *   tl_ptree.h  a snapshot of a program's process tree with its pipe ends; the stall
 *               watcher that stops a deadlocked program early and says who holds what
 *   tl_exitprobe.h  what a program still holds at exit, and its read()/write() calls
 *   tl_fifo.h   the test as a FIFO's reader or writer, without blocking
 *   tl_net.h    the test as a client or a server (TCP on 127.0.0.1, Unix sockets)
 * Every wait in them has a deadline (scaled by $TL_TIME_SCALE); none calls Criterion:
 * they return an error and the test says what it means. */
#include "tl_file.h"
#include "tl_child.h"
#include "tl_procfs.h"
#include "tl_ptree.h"
#include "tl_exitprobe.h"
#include "tl_fifo.h"
#include "tl_net.h"

#endif
