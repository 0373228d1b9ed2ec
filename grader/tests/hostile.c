/*
 * hostile.c: the grader's hostile corpus (tests/run.sh, test_hostile). run.sh makes a
 * td1-signals submission whose hello_signals.c is this file after two lines:
 * "#define HOSTILE_<kind> 1" and "#define STAGE "<staged tree>"", "#define SPY "<file>"" (a
 * file of another student's that the run must not read).
 * Every test of the exercise runs the program, so each attack runs many times.
 * A successful attack leaves a file LEAK-<what> in $TD_BIN (the build directory of the
 * work copy, kept with --keep): run.sh checks that none exists.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/ptrace.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#define KEY 0x47524431   /* "GRD1" */

__attribute__((unused)) static void leak(const char *what)
{
    const char *dir = getenv("TD_BIN");
    char p[4096];
    snprintf(p, sizeof p, "%s/LEAK-%s", dir ? dir : ".", what);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    if (fd != -1)
        close(fd);
}

__attribute__((unused)) static void daemonize(void)
{
    if (fork() != 0)
        exit(0);
    setsid();
    if (fork() != 0)
        _exit(0);
}

/* Try to read PATH; a success is a leak. */
__attribute__((unused)) static void try_read(const char *path, const char *what)
{
    char buf[64];
    int fd = open(path, O_RDONLY);
    if (fd != -1 && read(fd, buf, sizeof buf) > 0)
        leak(what);
    if (fd != -1)
        close(fd);
}

/* Every visible process: its fd 3 for writing, its memory, ptrace. */
__attribute__((unused)) static void tamper(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    const char line[] = "run/exits_cleanly\tPASS\t\n";
    while (d && (e = readdir(d))) {
        int pid = atoi(e->d_name);
        if (pid <= 0 || pid == getpid())
            continue;
        char p[300];
        snprintf(p, sizeof p, "/proc/%d/fd/3", pid);
        int fd = open(p, O_WRONLY | O_APPEND | O_NONBLOCK);
        if (fd != -1 && write(fd, line, sizeof line - 1) > 0)
            leak("fd");
        snprintf(p, sizeof p, "/proc/%d/mem", pid);
        int m = open(p, O_RDWR | O_NONBLOCK);
        if (m != -1)
            leak("mem");
        if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0) {
            leak("ptrace");
            ptrace(PTRACE_DETACH, pid, NULL, NULL);
        }
        if (fd != -1)
            close(fd);
        if (m != -1)
            close(m);
    }
    if (d)
        closedir(d);
}

int main(void)
{
#if defined HOSTILE_forkbomb
    for (;;)
        fork();
#elif defined HOSTILE_sleeper
    signal(SIGTERM, SIG_IGN), signal(SIGINT, SIG_IGN), signal(SIGHUP, SIG_IGN);
    for (;;)
        pause();
#elif defined HOSTILE_daemon
    daemonize();
    sleep(600);
#elif defined HOSTILE_flood
    static char junk[65536];
    memset(junk, 'x', sizeof junk);
    for (;;)
        if (write(1, junk, sizeof junk) == -1 && write(2, junk, sizeof junk) == -1)
            break;
#elif defined HOSTILE_sysv
    shmget(KEY, 4096, IPC_CREAT | 0666);
    semget(KEY, 1, IPC_CREAT | 0666);
    msgget(KEY, IPC_CREAT | 0666);
#elif defined HOSTILE_tmpfiles
    close(open("/tmp/hostile-grader-file", O_WRONLY | O_CREAT, 0666));
    mkfifo("/tmp/hostile-grader-fifo", 0666);
    close(open("/dev/shm/hostile-grader-shm", O_WRONLY | O_CREAT, 0666));
#elif defined HOSTILE_port
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(8080) };
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 && listen(s, 5) == 0) {
        daemonize();
        sleep(600);
    }
#elif defined HOSTILE_readsecret
    try_read(STAGE "/td1-signals/solution/hello_signals.c", "solution");
    try_read(STAGE "/td1-signals/rubric.tsv", "rubric");
    try_read(STAGE "/td1-signals/build/solution/hello_signals", "reference-binary");
    try_read(STAGE "/td1-signals/tests/test_hello_signals.c", "tests");
    try_read(STAGE "/td1-signals/MODEL_ANSWERS.md", "model-answers");
    try_read(STAGE "/td1-signals/build/solution/obj/hello_signals.o", "reference-object");
    try_read(STAGE "/stage-td1-signals-tests.log", "stage-log");
    try_read(SPY, "spy");
    try_read("/etc/shadow", "shadow");
#elif defined HOSTILE_tamper
    tamper();
#elif defined HOSTILE_busyloop
    for (volatile unsigned long i = 0;; i++)
        ;
#elif defined HOSTILE_memhog
    for (int i = 0; i < 256; i++) {      /* 4 GiB, 16 MiB at a time, every page touched */
        char *p = malloc(16 << 20);
        if (p)
            memset(p, 1, 16 << 20);
    }
#elif defined HOSTILE_diskfill
    static char block[1 << 16];
    int f = open("fill.bin", O_WRONLY | O_CREAT | O_APPEND, 0644);
    int t = open("/tmp/fill.bin", O_WRONLY | O_CREAT | O_APPEND, 0644);
    for (int i = 0; i < 32768; i++)      /* up to 2 GiB each */
        if (write(f, block, sizeof block) <= 0 && write(t, block, sizeof block) <= 0)
            break;
#elif defined HOSTILE_stopper
    kill(0, SIGSTOP);
    raise(SIGSTOP);
#elif defined HOSTILE_killer
    kill(getppid(), SIGKILL);
    kill(1, SIGKILL);
    kill(-1, SIGKILL);
#endif
    return 0;
}
