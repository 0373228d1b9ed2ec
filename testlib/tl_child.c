/*
 * tl_child.c: helpers around the programs a test runs (see tl_child.h).
 */
#define _GNU_SOURCE
#include "tl.h"

#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

tl_result tl_stop(tl_proc *p, int sig, int grace_ms, double *took_ms, bool *late)
{
    double t0 = tl_now_ms();
    if (sig)
        tl_signal(p, sig);
    while (tl_alive(p) && tl_now_ms() - t0 < tl_deadline(grace_ms))
        tl_sleep_ms(2);
    if (took_ms)
        *took_ms = tl_now_ms() - t0;
    bool alive = tl_alive(p);
    if (late)
        *late = alive;
    if (alive && sig != SIGKILL)
        tl_signal(p, SIGKILL); /* collect it now, not at its deadline */
    return tl_wait(p);
}

void tl_wait_pair(tl_proc *a, tl_proc *b, int grace_ms, tl_result *ra, tl_result *rb)
{
    bool a_alive = true, b_alive = true;
    while (a_alive && b_alive) {
        a_alive = tl_alive(a);
        b_alive = tl_alive(b);
        if (a_alive && b_alive)
            tl_sleep_ms(1);
    }
    /* One has ended: the other must follow soon or never will. */
    tl_proc *other = a_alive ? a : b;
    double ended = tl_now_ms();
    while (tl_alive(other) && tl_now_ms() - ended < tl_deadline(grace_ms))
        tl_sleep_ms(1);
    if (tl_alive(other))
        tl_signal(other, SIGKILL);
    *ra = tl_wait(a);
    *rb = tl_wait(b);
}

/* Copy src to dst with mode 0755. */
static bool copy_exec(const char *src, const char *dst)
{
    size_t len;
    unsigned char *data = tl_read_file(src, &len);
    bool ok = data && tl_write_file(dst, data, len, 0755) == 0 && chmod(dst, 0755) == 0;
    free(data);
    return ok;
}

bool tl_run_unprivileged(const tl_opts *o, tl_result *r, const char **how)
{
    if (geteuid() != 0) {
        *how = "as yourself";
        *r = tl_run(o);
        return true;
    }
    const char *setpriv = "/usr/bin/setpriv";
    if (access(setpriv, X_OK) != 0)
        return false;
    static char base[512], copy[600];
    snprintf(base, sizeof base, "%s", tl_dir());
    /* The private tl-XXXXXX directory (0700) becomes 0711 so that uid 65534 can reach
     * tl_dir() (0755, root's: it can read there, not create or remove). */
    char *parent = dirname(base);
    snprintf(copy, sizeof copy, "%s/%s", parent, o->argv[0]);
    if (chmod(parent, 0711) == -1 || !copy_exec(tl_bin(o->argv[0]), copy))
        return false;
    const char *argv[64] = { setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                             "--", copy };
    int n = 6;
    for (int i = 1; o->argv[i] && n < 63; i++)
        argv[n++] = o->argv[i];
    argv[n] = NULL;
    tl_opts p = *o;
    p.argv = argv;
    p.show_argv = o->argv;
    p.show_env = o->env;
    *r = tl_run(&p);
    snprintf(r->no_replay, sizeof r->no_replay, "ran as uid 65534");
    tl_set_look(r, "as root, permission bits do not apply: as yourself (not root) the line "
                "shows the failure");
    *how = "as uid 65534 (the tests run as root, who ignores permission bits)";
    return true;
}

const char *tl_self_exe(void)
{
    static char path[512];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    path[n > 0 ? n : 0] = '\0';
    return path;
}

const char *tl_shown_bin(const char *prog)
{
    static char bufs[4][512];
    static int next;
    char *b = bufs[next++ % 4];
    const char *dir = getenv("TD_BIN_SHOW");
    if (dir && *dir)
        snprintf(b, 512, "%s%s/%s", dir[0] == '/' ? "" : "./", dir, prog);
    else
        snprintf(b, 512, "%s", tl_bin(prog));
    return b;
}
