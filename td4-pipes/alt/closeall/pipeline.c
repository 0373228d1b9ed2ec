/*
 * pipeline.c: td4 alternative (instructor only, alt/closeall): each child, after its
 * dup2s, closes EVERY descriptor from 3 up (whatever it inherited), instead of naming
 * the pipe ends; the parent reaps with wait() in any order, remembering the last pid. Runs a shell-style pipeline given as arguments,
 *     pipeline CMD [ARG...] '|' CMD [ARG...] ['|' ...]
 * with pipe(), fork(), dup2() and execvp(): the standard output of each command goes
 * through a pipe to the standard input of the next. Waits for every command and
 * exits with the status of the last one. The contract is in ../README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/resource.h>

#define MAX_COMMANDS 64

/* ===================== Helpers provided (DO NOT CHANGE) ===================== */

static void usage(void)
{
    fprintf(stderr, "usage: pipeline CMD [ARG...] ['|' CMD [ARG...]]...\n");
}

/* Split argv[1..] at the "|" arguments, in place: cmds[i] becomes the argv (NULL
 * terminated) of command i. Returns the number of commands, or -1 after printing the
 * usage line (no command, an empty command, more than MAX_COMMANDS commands). */
static int split_commands(int argc, char **argv, char **cmds[MAX_COMMANDS])
{
    int n = 0;
    char **start = argv + 1;
    for (int i = 1; i <= argc; i++) {
        if (i < argc && strcmp(argv[i], "|") != 0)
            continue;
        if (&argv[i] == start || n == MAX_COMMANDS) {
            usage();
            return -1;
        }
        cmds[n++] = start;
        argv[i] = NULL; /* argv[argc] is already NULL */
        start = argv + i + 1;
    }
    return n;
}

/* Print "pipeline: cannot execute NAME: <reason>" with one write(); for a child
 * whose exec failed (it must then _exit(127), never return or exit()). */
static void exec_failed(const char *name)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "pipeline: cannot execute %s: %s\n", name,
                     strerror(errno));
    if (n > 0 && write(STDERR_FILENO, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1) < 0)
        n = 0;
}

/* ======================= Functions you implement ======================= */

/* Close every descriptor from 3 to the limit: whatever the child inherited beyond its
 * standard streams (every pipe end, and anything else) must not reach the command. */
static void close_from_3(void)
{
    struct rlimit rl;
    long top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                   ? (long)rl.rlim_cur : 4096;
    if (top > 65536)
        top = 65536;
    for (long fd = 3; fd < top; fd++)
        close((int)fd);
}

/* In the child: in_fd -> 0, out_fd -> 1, then close everything from 3. */
static void exec_command(char **cmd, int in_fd, int out_fd, int unused_fd)
{
    (void)unused_fd; /* closed with the rest */
    if ((in_fd != STDIN_FILENO && dup2(in_fd, STDIN_FILENO) == -1) ||
        (out_fd != STDOUT_FILENO && dup2(out_fd, STDOUT_FILENO) == -1)) {
        exec_failed(cmd[0]);
        _exit(127);
    }
    close_from_3();
    execvp(cmd[0], cmd);
    exec_failed(cmd[0]);
    _exit(127);
}

/* The loop of pipe and fork; the parent closes, after each fork, the previous read
 * end and the new write end. */
static int start_commands(char **cmds[], int n, pid_t pids[])
{
    int prev = -1, i;
    for (i = 0; i < n; i++) {
        int p[2] = { -1, -1 };
        if (i + 1 < n && pipe(p) == -1) {
            perror("pipeline: pipe");
            break;
        }
        pid_t pid = fork();
        if (pid == 0)
            exec_command(cmds[i], prev == -1 ? STDIN_FILENO : prev,
                         p[1] == -1 ? STDOUT_FILENO : p[1], p[0]);
        if (prev != -1)
            close(prev);
        if (p[1] != -1)
            close(p[1]);
        prev = p[0];
        if (pid == -1) {
            perror("pipeline: fork");
            break;
        }
        pids[i] = pid;
    }
    if (prev != -1)
        close(prev);
    return i;
}

/* wait() for all of them, in the order they end; the last command's status counts. */
static int wait_commands(const pid_t pids[], int n)
{
    int last = 0;
    for (int left = n; left > 0;) {
        int status;
        pid_t pid = wait(&status);
        if (pid == -1) {
            if (errno == EINTR)
                continue;
            perror("pipeline: waitpid");
            return 1;
        }
        for (int i = 0; i < n; i++)
            if (pids[i] == pid) {
                left--;
                if (i == n - 1)
                    last = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
            }
    }
    return last;
}

/* (DO NOT CHANGE) */
int main(int argc, char **argv)
{
    char **cmds[MAX_COMMANDS];
    pid_t pids[MAX_COMMANDS];
    int n = split_commands(argc, argv, cmds);
    if (n == -1)
        return 2;
    int started = start_commands(cmds, n, pids);
    int status = wait_commands(pids, started);
    return started == n ? status : 1;
}
