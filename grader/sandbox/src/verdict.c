/*
 * verdict.c: deciding and writing the verdict of a run (see verdict.h).
 */
#include "verdict.h"
#include "verdict_file.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void set(struct verdict *v, const char *status, const char *limit)
{
    v->status = status;
    v->limit = limit;
}

/* The limit that fired, if any: status and sentence. */
static bool limit_fired(const struct sb_config *c, const struct run_result *r,
                        const struct cg_stats *st, struct verdict *v)
{
    char a[64];
    if (r->interrupted) {
        set(v, "error", "");
        snprintf(v->message, sizeof v->message, "the grader stopped the run (signal %d)",
                 r->interrupted);
    } else if (r->killed_output) {
        format_size(c->lim.output, a, sizeof a);
        set(v, "output", "output");
        snprintf(v->message, sizeof v->message, "output limit (%s) exceeded", a);
    } else if (r->killed_disk && r->disk_files > c->lim.files) {
        set(v, "disk", "files");
        snprintf(v->message, sizeof v->message, "too many files written (limit %ld)",
                 c->lim.files);
    } else if (r->killed_disk) {
        format_size(c->lim.disk, a, sizeof a);
        set(v, "disk", "disk");
        snprintf(v->message, sizeof v->message, "disk space limit (%s) exceeded", a);
    } else if (st->oom_kills > 0) {
        format_size(c->lim.mem, a, sizeof a);
        set(v, "memory", "memory");
        snprintf(v->message, sizeof v->message, "memory limit (%s) exceeded", a);
    } else if (st->pids_refused > 0) {
        set(v, "pids", "pids");
        snprintf(v->message, sizeof v->message, "too many processes (limit %ld)", c->lim.pids);
    } else if (r->killed_time) {
        format_seconds(c->lim.wall_s, a, sizeof a);
        set(v, "time", "wall");
        snprintf(v->message, sizeof v->message, "time limit (%s) exceeded", a);
    } else if (r->killed_cpu || (r->have_status && r->signaled && r->code == SIGXCPU)) {
        format_seconds(r->killed_cpu ? c->lim.cpu_total_s : c->lim.cpu_s, a, sizeof a);
        set(v, "time", "cpu");
        snprintf(v->message, sizeof v->message, "CPU time limit (%s) exceeded", a);
    } else {
        return false;
    }
    return true;
}

static void how_it_ended(const struct sb_config *c, const struct run_result *r, struct verdict *v)
{
    char a[64];
    if (!r->started) {
        set(v, "error", "");
        snprintf(v->message, sizeof v->message, "the sandbox could not start the command: %.*s",
                 (int)strcspn(r->errhead, "\n"), r->errhead_len ? r->errhead : "(no message)");
    } else if (!r->have_status) {
        set(v, "error", "");
        snprintf(v->message, sizeof v->message,
                 "the sandbox lost track of the command (its init was killed)");
    } else if (r->signaled && r->code == SIGXFSZ) {
        format_size(c->lim.fsize, a, sizeof a);
        set(v, "signal", "fsize");
        snprintf(v->message, sizeof v->message, "file size limit (%s) exceeded (signal %d)", a,
                 r->code);
    } else if (r->signaled) {
        set(v, "signal", "");
        snprintf(v->message, sizeof v->message, "killed by signal %d (%s)", r->code,
                 strsignal(r->code));
    } else if (r->code != 0) {
        set(v, "exit", "");
        snprintf(v->message, sizeof v->message, "exited with status %d", r->code);
    } else {
        set(v, "ok", "");
        snprintf(v->message, sizeof v->message, "ran to completion (exit status 0)");
    }
}

void verdict_decide(const struct sb_config *c, const struct run_result *r,
                    const struct cg_stats *st, bool isolated, struct verdict *v)
{
    char keep_warning[sizeof v->warning];
    memcpy(keep_warning, v->warning, sizeof keep_warning);
    memset(v, 0, sizeof *v);
    memcpy(v->warning, keep_warning, sizeof keep_warning);
    v->exit_code = r->have_status && !r->signaled ? r->code : -1;
    v->signal = r->have_status && r->signaled ? r->code : 0;
    v->wall_ms = (long long)r->wall_ms;
    v->cpu_ms = st->cpu_us >= 0 ? st->cpu_us / 1000 : -1;
    v->mem_peak = st->mem_peak;
    v->pids_peak = st->pids_peak;
    v->out_bytes = r->out_bytes;
    v->disk_bytes = r->disk_bytes;
    v->isolated = isolated;
    v->leftovers = r->leftovers;
    if (limit_fired(c, r, st, v))
        v->limit_at_ms = (long long)(r->limit_at_ms > 0 ? r->limit_at_ms : now_ms());
    else
        how_it_ended(c, r, v);
    if (v->leftovers > 0 && !r->killed_time && !r->killed_cpu && !r->killed_output &&
        !r->killed_disk) {
        size_t n = strlen(v->message);
        snprintf(v->message + n, sizeof v->message - n,
                 "; it left %d process%s running (killed by the sandbox)", v->leftovers,
                 v->leftovers > 1 ? "es" : "");
    }
}

void verdict_error(struct verdict *v, const char *message)
{
    v->status = "error";
    v->limit = "";
    v->exit_code = -1;
    v->wall_ms = v->cpu_ms = v->mem_peak = v->pids_peak = v->disk_bytes = -1;
    snprintf(v->message, sizeof v->message, "%s", message);
}

void verdict_warn(struct verdict *v, const char *text)
{
    size_t n = strlen(v->warning);
    snprintf(v->warning + n, sizeof v->warning - n, "%s%s", n ? "; " : "", text);
}

int verdict_write(const struct verdict *v, const char *path)
{
    struct verdict_record r = { .exit_code = v->exit_code, .signal = v->signal,
        .wall_ms = v->wall_ms, .cpu_ms = v->cpu_ms, .mem_peak = v->mem_peak,
        .pids_peak = v->pids_peak, .out_bytes = v->out_bytes, .disk_bytes = v->disk_bytes,
        .limit_at_ms = v->limit_at_ms, .leftovers = v->leftovers, .isolated = v->isolated };
    snprintf(r.status, sizeof r.status, "%s", v->status);
    snprintf(r.limit, sizeof r.limit, "%s", v->limit);
    snprintf(r.message, sizeof r.message, "%s", v->message);
    snprintf(r.warning, sizeof r.warning, "%s", v->warning);
    return verdict_file_write(path, &r);
}

int verdict_exit_status(const struct verdict *v)
{
    if (strcmp(v->status, "ok") == 0)
        return 0;
    if (strcmp(v->status, "exit") == 0)
        return v->exit_code;
    if (strcmp(v->status, "signal") == 0)
        return 128 + v->signal;
    if (strcmp(v->status, "error") == 0)
        return 125;
    return 124;
}
