/*
 * tl_procfs.h: what /proc says of a live process the test started (or of one of its
 * children): its children, their states, the sockets it holds, and waiting for its
 * descriptor count (tl_fd_count, tl.h) to reach a range. Part of tl.h.
 */
#ifndef TL_PROCFS_H
#define TL_PROCFS_H

#include <stdbool.h>
#include <sys/types.h>

/* The children of pid (every thread's), at most max into out; returns how many. */
int tl_proc_children(pid_t pid, pid_t *out, int max);
/* Its state as /proc/PID/stat says it: 'R', 'S', 'Z'...; '?' if unknown. */
char tl_proc_state(pid_t pid);
/* How many of its children are zombies (ended, not yet waited for). */
int tl_zombie_children(pid_t pid);
/* Does pid hold a descriptor on the socket with this inode (tl_tcp_listener_inode)? */
bool tl_holds_socket(pid_t pid, unsigned long inode);
/* Wait up to ms (scaled) until min <= tl_fd_count(pid) <= max; returns the last count
 * (-1 once the process is gone). */
int tl_wait_fd_count(pid_t pid, int min, int max, int ms);

#endif
