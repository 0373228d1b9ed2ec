/* tamper.c (hostile): try to change what grades it.
 *   tamper write DIR...   create, append to, rename, chmod and delete files in each DIR
 *                         (the read-only instructor tree), and make a nested user
 *                         namespace (root inside it): exit 3 if anything worked.
 *   tamper runner FD      play the Criterion runner: become non-dumpable (as tl_report.c
 *                         does), start "tamper attack PID FD" as a child, then write the
 *                         one true record to FD. The attacker (same uid) tries
 *                         /proc/PID/fd/FD, the same descriptor in every other process
 *                         (a dumpable parent such as make or sh holding it is a hole),
 *                         /proc/1/fd/N (the sandbox's init) and ptrace; the results must
 *                         hold only the runner's record.
 *   tamper runner FD landlock   the same, the attacker first entering a Landlock domain
 *                         of its own (what closes the dumpable-parent hole). */
#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int tries_in(const char *dir)
{
    char p[4096], q[4096];
    int won = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    snprintf(p, sizeof p, "%s/planted.c", dir);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    won += fd >= 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        snprintf(q, sizeof q, "%s/%s.moved", dir, e->d_name);
        int f = open(p, O_WRONLY | O_APPEND);
        won += f >= 0 && write(f, "//x\n", 4) == 4;
        won += chmod(p, 0777) == 0;
        won += rename(p, q) == 0;
        won += unlink(p) == 0;
    }
    if (d)
        closedir(d);
    printf("%s: %d changes succeeded\n", dir, won);
    return won;
}

/* Put this process in a Landlock domain of its own (as a test library's preload shim
 * could do for the program under test): it can then no longer ptrace, or open the memory
 * of, processes outside that domain. 0, or -1 if Landlock is unavailable. */
static int enter_landlock(void)
{
    struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_CHAR };
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (rs < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
        syscall(SYS_landlock_restrict_self, rs, 0) == -1)
        return -1;
    close(rs);
    return 0;
}

static int attack(pid_t runner, int fd)
{
    char p[128];
    int won = 0;
    snprintf(p, sizeof p, "/proc/%d/fd/%d", (int)runner, fd);
    int f = open(p, O_WRONLY | O_APPEND);
    if (f >= 0 && write(f, "FORGED\tPASS\t\n", 13) == 13)
        won++, printf("wrote through %s\n", p);
    DIR *d = opendir("/proc");           /* every other process holding FD: a parent */
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int pid = atoi(e->d_name);
        if (pid <= 1 || pid == runner || pid == getpid())
            continue;
        snprintf(p, sizeof p, "/proc/%d/fd/%d", pid, fd);
        int h = open(p, O_WRONLY | O_APPEND);
        if (h >= 0 && write(h, "FORGED-VIA-PARENT\tPASS\t\n", 23) == 23)
            won++, printf("wrote through %s\n", p);
        snprintf(p, sizeof p, "/proc/%d/mem", pid);
        if (open(p, O_RDWR) >= 0)
            won++, printf("opened %s for writing\n", p);
        if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0) {
            won++, printf("ptrace attached to %d\n", pid);
            ptrace(PTRACE_DETACH, pid, NULL, NULL);
        }
    }
    if (d)
        closedir(d);
    for (int i = 0; i < 64; i++) {
        snprintf(p, sizeof p, "/proc/1/fd/%d", i);
        int g = open(p, O_WRONLY | O_APPEND);
        if (g >= 0 && write(g, "exit 0\n", 7) == 7)
            won++, printf("wrote through %s\n", p);
    }
    snprintf(p, sizeof p, "/proc/%d/mem", (int)runner);
    if (open(p, O_RDWR) >= 0)
        won++, printf("opened %s for writing\n", p);
    if (ptrace(PTRACE_ATTACH, runner, NULL, NULL) == 0)
        won++, printf("ptrace attached to the runner\n");
    if (ptrace(PTRACE_ATTACH, 1, NULL, NULL) == 0)
        won++, printf("ptrace attached to init\n");
    printf("attack: %d succeeded (%s)\n", won, strerror(errno));
    return won ? 3 : 0;
}

static int runner(char *self, int fd, const char *landlock)
{
    prctl(PR_SET_DUMPABLE, 0);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    pid_t me = getpid(), p = fork();
    if (p == 0) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%d", (int)me);
        snprintf(b, sizeof b, "%d", fd);
        execl(self, self, "attack", a, b, landlock, (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(p, &st, 0);
    (void)!write(fd, "runner-record\n", 14);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "runner") == 0)
        return runner(argv[0], atoi(argv[2]), argc > 3 ? argv[3] : NULL);
    if (argc >= 4 && strcmp(argv[1], "attack") == 0) {
        if (argc > 4 && strcmp(argv[4], "landlock") == 0 && enter_landlock() == -1)
            perror("landlock");
        return attack((pid_t)atoi(argv[2]), atoi(argv[3]));
    }
    int won = 0;
    for (int i = 2; i < argc; i++)
        won += tries_in(argv[i]);
    if (unshare(CLONE_NEWUSER) == 0)        /* root again, in a nested user namespace */
        won++, printf("created a nested user namespace\n");
    return won ? 3 : 0;
}
