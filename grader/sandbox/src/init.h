/*
 * init.h: the sandbox's init, the first process inside the sandbox (pid 1 of its pid
 * namespace under bubblewrap's --as-pid-1). It applies the per-process rlimits, runs the
 * command, reaps every orphan, reports how the command ended on a status pipe that the
 * command never holds (bubblewrap only reports 128+N), and by exiting ends the namespace
 * and every process in it.
 *
 * Status pipe protocol, one line each: "start", then "exit N" or "signal N", then
 * "left N" (processes the command left running, killed by the sandbox).
 */
#ifndef SANDBOX_INIT_H
#define SANDBOX_INIT_H

#include "config.h"

/* The argv that starts the init (PATH is where the sandbox binary is inside); it ends
 * with the command. Returns the number of entries written (ARGV is NULL-ended). */
int init_argv(const struct sb_config *c, const char *path, int status_fd, bool subreaper,
              char **argv, int cap, char *store, size_t storelen);

/* True if ARGV asks for the init (argv[1] == "--init"). */
bool is_init_call(int argc, char **argv);

/* The init's main: never returns. */
int init_main(int argc, char **argv);

#endif
