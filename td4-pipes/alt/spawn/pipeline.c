/*
 * pipeline.c: td4 alternative (instructor only, alt/spawn): every pipe is created first,
 * close-on-exec; each command is started with posix_spawnp() and two dup2 file actions
 * (dup2 clears close-on-exec on fds 0 and 1, every other end closes at exec); the
 * parent then closes all the ends and reaps with waitpid(-1) in any order. Runs a shell-style pipeline given as arguments,
 *     pipeline CMD [ARG...] '|' CMD [ARG...] ['|' ...]
 * with pipe(), fork(), dup2() and execvp(): the standard output of each command goes
 * through a pipe to the standard input of the next. Waits for every command and
 * exits with the status of the last one. The contract is in ../README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
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

extern char **environ;

/* Status of each command whose spawn failed (127), -1 for the others. */
static int spawn_status[MAX_COMMANDS];

/* Not used in this design: posix_spawnp's file actions do the child's part. */
__attribute__((unused)) static void exec_command(char **cmd, int in_fd, int out_fd, int unused_fd)
{
    (void)cmd, (void)in_fd, (void)out_fd, (void)unused_fd;
    _exit(127);
}

/* Close every descriptor of ends[0..n-1] that is open. */
static void close_all(int ends[][2], int n)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 2; k++)
            if (ends[i][k] != -1) {
                close(ends[i][k]);
                ends[i][k] = -1;
            }
}

/* Create the n-1 pipes at once, close-on-exec; 0, or -1 after a message. */
static int make_pipes(int ends[][2], int n)
{
    for (int i = 0; i < n; i++)
        ends[i][0] = ends[i][1] = -1;
    for (int i = 0; i < n - 1; i++) {
        if (pipe(ends[i]) == -1) {
            perror("pipeline: pipe");
            return -1;
        }
        for (int k = 0; k < 2; k++)
            if (fcntl(ends[i][k], F_SETFD, FD_CLOEXEC) == -1) {
                perror("pipeline: pipe");
                return -1;
            }
    }
    return 0;
}

/* Spawn a command with in_fd as stdin and out_fd as stdout (-1: keep ours); every
 * pipe end in ends[0..n-1] is closed in the new process after the dup2s (close-on-exec
 * would do it at exec, but a command that cannot be executed would still hold them
 * until its _exit). Returns the pid, 0 if the command cannot be executed (message
 * printed, status 127), or -1 if the process could not be created (message printed). */
static pid_t spawn_one(char **cmd, int in_fd, int out_fd, int ends[][2], int n)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int err = posix_spawn_file_actions_init(&fa);
    if (err == 0 && in_fd != -1)
        err = posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
    if (err == 0 && out_fd != -1)
        err = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    for (int i = 0; i < n - 1 && err == 0; i++)
        for (int k = 0; k < 2 && err == 0; k++)
            err = posix_spawn_file_actions_addclose(&fa, ends[i][k]);
    if (err == 0)
        err = posix_spawnp(&pid, cmd[0], &fa, NULL, cmd, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err == 0)
        return pid;
    errno = err;
    if (err == EAGAIN || err == ENOMEM) {
        perror("pipeline: fork");
        return -1;
    }
    exec_failed(cmd[0]); /* ENOENT, EACCES, ENOEXEC...: the command's own failure */
    return 0;
}

/* Make every pipe, spawn every command, close every end. Returns the number of
 * commands handled (n, or fewer after a pipe/fork failure). */
static int start_commands(char **cmds[], int n, pid_t pids[])
{
    int ends[MAX_COMMANDS][2];
    int started = 0;
    if (make_pipes(ends, n) == 0) {
        for (int i = 0; i < n; i++) {
            pid_t pid = spawn_one(cmds[i], i > 0 ? ends[i - 1][0] : -1,
                                  i < n - 1 ? ends[i][1] : -1, ends, n);
            if (pid == -1)
                break;
            pids[started] = pid;
            spawn_status[started++] = pid == 0 ? 127 : -1;
        }
    }
    close_all(ends, n);
    return started;
}

/* Reap every spawned command with waitpid(-1), in the order they end; the status is
 * the last command's (128 + S for a signal), 1 if waitpid fails. */
static int wait_commands(const pid_t pids[], int n)
{
    int left = 0, last = n > 0 && spawn_status[n - 1] != -1 ? spawn_status[n - 1] : 0;
    for (int i = 0; i < n; i++)
        left += pids[i] > 0;
    while (left > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid == -1 && errno == EINTR)
            continue;
        if (pid == -1) {
            perror("pipeline: waitpid");
            return 1;
        }
        for (int i = 0; i < n; i++)
            if (pids[i] == pid) {
                left--;
                if (i == n - 1)
                    last = WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                               : WEXITSTATUS(status);
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
