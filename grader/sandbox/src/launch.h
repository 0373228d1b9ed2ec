/*
 * launch.h: starting the run. The child joins the run's cgroups, wires its descriptors
 * (stdin /dev/null, stdout/stderr to the capture pipes, the status pipe and the
 * --pass-fd descriptors kept, everything else closed), drops to the slot's uid, and
 * execs bubblewrap (or, without isolation, the sandbox's init directly).
 */
#ifndef SANDBOX_LAUNCH_H
#define SANDBOX_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "config.h"

/* Where the sandbox binary is bound inside bubblewrap's view. */
#define INIT_PATH "/run/sandbox-init"

struct launch_fds {
    int out;      /* write end for stdout */
    int err;      /* write end for stderr */
    int status;   /* write end of the init's status pipe */
};

/* Fork and exec the run: the child's pid, or -1 with ERR. ISOLATE: through bubblewrap.
 * TMPDIR (no isolation only): the private temporary directory. */
pid_t launch(const struct sb_config *c, const struct cgroups *cg, const struct launch_fds *fds,
             bool isolate, const char *tmpdir, char *err, size_t errlen);

/* Print the bubblewrap command line a run would use (for --dry-run / debugging). */
void print_bwrap_argv(const struct sb_config *c, FILE *f);

#endif
