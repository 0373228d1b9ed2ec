/*
 * pipeline.c: td4 skeleton. Runs a shell-style pipeline given as arguments,
 *     pipeline CMD [ARG...] '|' CMD [ARG...] ['|' ...]
 * with pipe(), fork(), dup2() and execvp(): the standard output of each command goes
 * through a pipe to the standard input of the next. Waits for every command and
 * exits with the status of the last one. The contract is in README.md.
 *
 * Implement the functions below the "Functions you implement" line; the helpers
 * above it are provided and must not change. `make check` runs the tests.
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
__attribute__((unused))
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
__attribute__((unused))
static void exec_command(char **cmd, int in_fd, int out_fd, int unused_fd)
{
    (void)cmd;
    (void)in_fd;
    (void)out_fd;
    (void)unused_fd;
    // TODO(student): dup2() in_fd onto STDIN_FILENO and out_fd onto STDOUT_FILENO when
    // they are not already there, close the originals and unused_fd, execvp(); if it
    // returns, exec_failed(cmd[0]) and _exit(127).
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
    (void)cmds;
    (void)n;
    (void)pids;
    // TODO(student): for each command: pipe() unless it is the last, fork(), the child
    // calls exec_command(); the parent records the pid and closes the pipe ends it
    // handed to that child, keeping only the read end for the next command.
    fprintf(stderr, "pipeline: start_commands is not implemented\n");
    return 0;
}

/* Wait for every command started (pids[0..n-1]), retrying after EINTR. Returns the
 * exit status of pipeline: the last command's exit status, or 128 + the number of
 * the signal that killed it (as a shell does); 1 if waitpid fails. */
static int wait_commands(const pid_t pids[], int n)
{
    (void)pids;
    (void)n;
    // TODO(student): waitpid() each pid (again after EINTR); convert the LAST command's
    // status: WEXITSTATUS, or 128 + WTERMSIG if a signal killed it.
    return 1;
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
