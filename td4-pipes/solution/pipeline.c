/*
 * pipeline.c: td4 reference. Runs a shell-style pipeline given as arguments,
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

/* In the child: make in_fd its standard input and out_fd its standard output with
 * dup2() (an fd already in place stays), close every other pipe end it holds (the
 * originals, and unused_fd unless it is -1), then execvp(cmd[0], cmd). If exec
 * fails: exec_failed(cmd[0]) and _exit(127). Never returns. */
static void exec_command(char **cmd, int in_fd, int out_fd, int unused_fd)
{
    if (unused_fd != -1)
        close(unused_fd);
    if (in_fd != STDIN_FILENO) {
        if (dup2(in_fd, STDIN_FILENO) == -1)
            _exit(127);
        close(in_fd);
    }
    if (out_fd != STDOUT_FILENO) {
        if (dup2(out_fd, STDOUT_FILENO) == -1)
            _exit(127);
        close(out_fd);
    }
    execvp(cmd[0], cmd);
    exec_failed(cmd[0]);
    _exit(127);
}

/* Start the n commands: command i reads the pipe filled by command i-1 (the first
 * reads our standard input) and writes the pipe read by command i+1 (the last
 * writes our standard output). The parent keeps no pipe end once the commands that
 * use it are forked. Stores the pids in pids[]; returns how many commands were
 * started: n, or fewer after printing "pipeline: pipe: <reason>" or
 * "pipeline: fork: <reason>". */
static int start_commands(char **cmds[], int n, pid_t pids[])
{
    int in_fd = STDIN_FILENO, started = 0;
    for (int i = 0; i < n; i++) {
        int fds[2] = { -1, STDOUT_FILENO }; /* the last command writes our stdout */
        if (i < n - 1 && pipe(fds) == -1) {
            perror("pipeline: pipe");
            break;
        }
        pid_t pid = fork();
        if (pid == -1) {
            perror("pipeline: fork");
            if (fds[0] != -1) {
                close(fds[0]);
                close(fds[1]);
            }
            break;
        }
        if (pid == 0)
            exec_command(cmds[i], in_fd, fds[1], fds[0]);
        pids[started++] = pid;
        if (in_fd != STDIN_FILENO)
            close(in_fd); /* command i has it: its reader */
        if (fds[1] != STDOUT_FILENO)
            close(fds[1]); /* command i has it: its writer */
        in_fd = fds[0]; /* for command i + 1 */
    }
    if (in_fd != STDIN_FILENO && in_fd != -1)
        close(in_fd); /* a pipe whose reader could not be started */
    return started;
}

/* Wait for every command started (pids[0..n-1]), retrying after EINTR. Returns the
 * exit status of pipeline: the last command's exit status, or 128 + the number of
 * the signal that killed it (as a shell does); 1 if waitpid fails. */
static int wait_commands(const pid_t pids[], int n)
{
    int status = 0, last = 0;
    for (int i = 0; i < n; i++) {
        while (waitpid(pids[i], &status, 0) == -1) {
            if (errno != EINTR) {
                perror("pipeline: waitpid");
                return 1;
            }
        }
        if (i == n - 1)
            last = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
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
