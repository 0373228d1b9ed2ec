/*
 * scrub.h: after a run WITHOUT namespaces (degraded mode), remove what the slot's
 * dedicated uid left on the host: System V objects it owns or created, and files it owns at
 * the top of /tmp, /var/tmp and /dev/shm. (With namespaces these vanish by themselves.)
 */
#ifndef SANDBOX_SCRUB_H
#define SANDBOX_SCRUB_H

#include <sys/types.h>

/* Returns how many objects and files were removed. */
int scrub_uid(uid_t uid);

/* SIGKILL every process whose real, effective or saved uid is UID (never ours), until
 * none is left; returns how many were found alive at the first pass. */
int kill_uid(uid_t uid);

#endif
