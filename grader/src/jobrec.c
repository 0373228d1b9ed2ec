/*
 * jobrec.c: writing and reading JOBDIR/status (see jobrec.h).
 */
#include "jobrec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const step_names[NSTEPS] = { "build", "tests", "memcheck" };
static const char *const kinds[] = { "notsubmitted", "missing", "error", "warning", "memskip",
                                     NULL };

const char *jobrec_step_name(enum job_step s)
{
    return s < NSTEPS ? step_names[s] : "?";
}

int jobrec_step_index(const char *name)
{
    for (int i = 0; i < NSTEPS; i++)
        if (strcmp(name, step_names[i]) == 0)
            return i;
    return -1;
}

/* TEXT with '\\', '\n' and '\t' escaped, appended to B. */
static void escaped(struct buf *b, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '\\' || *p == '\n' || *p == '\t') {
            char e[2] = { '\\', *p == '\n' ? 'n' : *p == '\t' ? 't' : '\\' };
            buf_add(b, e, 2);
        } else {
            buf_add(b, p, 1);
        }
    }
}

/* In place: the reverse of escaped(). */
static void unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *o++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
        } else
            *o++ = *s;
    }
    *o = '\0';
}

static int append(const char *jd, const struct buf *line)
{
    char *path = xasprintf("%s/status", jd);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    free(path);
    if (fd == -1)
        return -1;
    int rc = write_all(fd, line->s, line->len);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int jobrec_note(const char *jd, const char *kind, const char *text)
{
    struct buf b = { 0 };
    buf_puts(&b, kind);
    if (strcmp(kind, "notsubmitted") != 0) {
        buf_puts(&b, "\t");
        escaped(&b, text);
    }
    buf_puts(&b, "\n");
    int rc = append(jd, &b);
    buf_free(&b);
    return rc;
}

int jobrec_step(const char *jd, enum job_step s, const struct job_outcome *o)
{
    struct buf b = { 0 };
    buf_printf(&b, "step\t%s\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%s\t%lld\t%d\t", jobrec_step_name(s),
               o->status, o->timed_out, o->log_capped, o->leftovers, o->secs, o->cpu_secs,
               o->vstatus[0] ? o->vstatus : "-", o->limit_at_ms, o->no_isolation);
    escaped(&b, o->message);
    buf_puts(&b, "\n");
    int rc = append(jd, &b);
    buf_free(&b);
    return rc;
}

int jobrec_queued(const char *jd, double secs)
{
    struct buf b = { 0 };
    buf_printf(&b, "queued\t%.3f\n", secs);
    int rc = append(jd, &b);
    buf_free(&b);
    return rc;
}

/* FIELDS[0..n) of a "step" record into R (12 fields; 11: an older record without CPU). */
static void read_step(char **f, int n, struct job_record *r)
{
    int i = n == 11 || n == 12 ? jobrec_step_index(f[1]) : -1;
    if (i < 0)
        return;
    struct job_outcome *o = &r->step[i];
    memset(o, 0, sizeof *o);
    o->status = atoi(f[2]);
    o->timed_out = atoi(f[3]);
    o->log_capped = atoi(f[4]);
    o->leftovers = atoi(f[5]);
    o->secs = atof(f[6]);
    if (n == 12)
        o->cpu_secs = atof(f[7]), f++;
    snprintf(o->vstatus, sizeof o->vstatus, "%s", strcmp(f[7], "-") == 0 ? "" : f[7]);
    o->limit_at_ms = atoll(f[8]);
    o->no_isolation = atoi(f[9]);
    unescape(f[10]);
    snprintf(o->message, sizeof o->message, "%s", f[10]);
    r->ran[i] = 1;
}

static void read_line(char *line, struct job_record *r)
{
    char *f[13];
    int n = 0;
    for (char *p = line; n < 13; ) {
        f[n++] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p++ = '\0';
    }
    if (strcmp(f[0], "step") == 0) {
        read_step(f, n, r);
        return;
    }
    if (strcmp(f[0], "queued") == 0 && n == 2) {
        r->queued_s = atof(f[1]);
        return;
    }
    struct buf *dest[] = { NULL, &r->missing, &r->errors, &r->warnings, &r->memskip };
    for (int k = 0; kinds[k]; k++) {
        if (strcmp(f[0], kinds[k]) != 0)
            continue;
        if (k == 0)
            r->notsubmitted = 1;
        else if (n == 2) {
            unescape(f[1]);
            buf_printf(dest[k], "%s\n", f[1]);
        }
    }
}

int jobrec_read(const char *jd, struct job_record *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < NSTEPS; i++)
        r->step[i].status = -1;
    char *path = xasprintf("%s/status", jd);
    char *text = read_text(path, 1 << 20, NULL);
    free(path);
    if (!text)
        return -1;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        read_line(l, r);
    free(text);
    return 0;
}

void jobrec_free(struct job_record *r)
{
    buf_free(&r->missing), buf_free(&r->errors), buf_free(&r->warnings), buf_free(&r->memskip);
}

int jobrec_exit_code(const struct job_outcome *o)
{
    if (o->status == -1)
        return -1;
    return WIFEXITED(o->status) ? WEXITSTATUS(o->status) : 128 + WTERMSIG(o->status);
}
