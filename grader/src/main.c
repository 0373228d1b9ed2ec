/*
 * main.c: grader [options] SUBMISSION...: grade a class's submissions against the
 * instructor tree (see README.md). Options, the job pool (one worker process per
 * submission and exercise, -j of them at a time) and the end of each submission.
 */
#include "archive.h"
#include "discover.h"
#include "exercise.h"
#include "grade.h"
#include "job.h"
#include "merge.h"
#include "progress.h"
#include "report.h"
#include "score.h"
#include "similarity.h"
#include "classreport.h"
#include "stage.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct options {
    const char *out, *tree, *only, *workdir;
    const char *time_scale, *sandbox;
    const char *similar_to;      /* --similar-to: prior terms' submissions */
    int sim_threshold;
    char *sandbox_path;          /* the sandbox in use (NULL: --no-isolation) */
    char *own_workdir;           /* the work directory we made (removed at the end) */
    int no_isolation, allow_no_isolation;
    int jobs, tl_jobs, timeout, regrade, no_merge, merge_only, autolab, keep, quiet, prepare;
    int max_jobs;                /* without -j: up to this many when the CPUs idle */
    int timings;
    struct discover_opts d;
};

struct run {
    struct options o;
    char *tree;
    struct exercise *ex;
    int nex;
    struct submission *subs;
    int nsubs;
    struct grade_ctx g;
    int *order;        /* exercises in the order their jobs start: longest first */
    int slot_base;     /* this grader's block of slots (claim_slots) */
    int failures;
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
    stop = sig;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: grader [options] SUBMISSION...   (directory, .tar, .tar.gz, .tgz, .zip,\n"
          "                                          or a folder of them: an LMS export)\n"
          "       grader --merge -o OUTDIR         (the class files from OUTDIR/*/)\n"
          "  -o, --output DIR      reports go to DIR/<id>/, class files to DIR (grades)\n"
          "  -T, --tree DIR        the instructor tree (the workbook holding this grader)\n"
          "  -e, --exercises LIST  grade only these exercises (comma-separated)\n"
          "  -j, --jobs N          exercises graded at once (default: as many as the CPUs\n"
          "                        stay busy with, from the number of CPUs up to 4 times it)\n"
          "      --test-jobs N     Criterion jobs inside one test run (its default)\n"
          "  -t, --timeout SECS    wall-clock limit of one exercise's test run (240)\n"
          "      --regrade         grade again submissions that already have results.json\n"
          "      --no-merge        do not build gradebook.csv and the summary\n"
          "      --merge           only build the class files (gradebook, summary, report)\n"
          "      --similarity-threshold PCT  list pairs of submissions at least PCT%% similar\n"
          "                        in similarity.csv and the report (%d; 101: none)\n"
          "      --similar-to DIR  also compare with prior terms' submissions in DIR\n"
          "      --lms             directories given are LMS exports (one entry per student)\n"
          "      --single          each argument is one submission\n"
          "      --id ID           the id of the (single) submission\n"
          "      --id-regex RE     the id is group 1 of RE matched on the entry's name\n"
          "      --autolab         print the feedback, then {\"scores\": {...}} last\n"
          "      --workdir DIR     staging and work copies, kept between runs (default: a\n"
          "                        directory of the grader's own in /var/tmp, removed)\n"
          "      --keep            keep the work copies and logs (debugging)\n"
          "      --prepare         only build the instructor tree's tests and reference\n"
          "      --time-scale K    multiply the tests' deadlines by K (slow machines)\n"
          "      --no-isolation    run the jobs without the sandbox (trusted code only)\n"
          "      --allow-no-isolation  if the sandbox cannot isolate, grade serially\n"
          "                        without it, with a NO ISOLATION warning in each report\n"
          "      --sandbox PATH    the sandbox (grader/sandbox/sandbox; $GRADER_SANDBOX)\n"
          "      --timings         print where the time went (per exercise and step)\n"
          "  -q, --quiet           no progress output\n", SIM_DEFAULT_THRESHOLD);
}

static int parse_int(const char *s, int min, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > 100000)
        return -1;
    *out = (int)v;
    return 0;
}

/* Without -j: jobs spend much of their time waiting (tests' deadlines, a sleeping
 * program, valgrind starting, a server waiting for its clients), so the pool may run up
 * to four times as many as there are CPUs while the CPUs idle (measured, issue 17: at
 * twice the CPUs, a class left them a third idle). Bounded by the memory (2 GiB per job:
 * the sandbox's 1 GiB for the tests plus the memory check's), by the pids budget (a job
 * may hold 256 processes, its memory check 256 more: half of what the kernel has left
 * goes to the grader) and by the slots of one grader. */
static int default_max_jobs(int cpus)
{
    long long avail = 0, pid_max = 0, threads_max = 0;
    FILE *f = fopen("/proc/meminfo", "re");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lld kB", &avail) == 1)
            break;
    if (f)
        fclose(f);
    if ((f = fopen("/proc/sys/kernel/pid_max", "re"))) {
        if (fscanf(f, "%lld", &pid_max) != 1)
            pid_max = 0;
        fclose(f);
    }
    if ((f = fopen("/proc/sys/kernel/threads-max", "re"))) {
        if (fscanf(f, "%lld", &threads_max) == 1 && threads_max > 0 &&
            (pid_max <= 0 || threads_max < pid_max))
            pid_max = threads_max;
        fclose(f);
    }
    int nprocs = 0;
    if ((f = fopen("/proc/loadavg", "re"))) {     /* "... running/total lastpid" */
        if (fscanf(f, "%*s %*s %*s %*d/%d", &nprocs) != 1)
            nprocs = 0;
        fclose(f);
    }
    int by_mem = avail > 0 ? (int)(avail / (2LL << 20)) : cpus;
    int by_pids = pid_max > nprocs ? (int)((pid_max - nprocs) / 2 / 512) : cpus;
    int n = 4 * cpus;
    n = n < by_mem ? n : by_mem;
    n = n < by_pids ? n : by_pids;
    n = n > 16 ? 16 : n;
    return n < cpus ? cpus : n;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longs[] = {
        { "output", 1, 0, 'o' }, { "tree", 1, 0, 'T' }, { "exercises", 1, 0, 'e' },
        { "jobs", 1, 0, 'j' }, { "timeout", 1, 0, 't' }, { "quiet", 0, 0, 'q' },
        { "help", 0, 0, 'h' }, { "test-jobs", 1, 0, 1 }, { "regrade", 0, 0, 2 },
        { "no-merge", 0, 0, 3 }, { "merge", 0, 0, 4 }, { "lms", 0, 0, 5 }, { "single", 0, 0, 6 },
        { "id", 1, 0, 7 }, { "id-regex", 1, 0, 8 }, { "autolab", 0, 0, 9 },
        { "workdir", 1, 0, 10 }, { "keep", 0, 0, 11 }, { "prepare", 0, 0, 12 },
        { "time-scale", 1, 0, 13 }, { "no-isolation", 0, 0, 14 },
        { "allow-no-isolation", 0, 0, 15 }, { "sandbox", 1, 0, 16 },
        { "similarity-threshold", 1, 0, 17 }, { "similar-to", 1, 0, 18 }, { "timings", 0, 0, 19 },
        { 0, 0, 0, 0 } };
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (struct options){ .out = "grades", .jobs = cpus > 0 ? (int)cpus : 1, .timeout = 240,
                           .sim_threshold = SIM_DEFAULT_THRESHOLD };
    o->max_jobs = default_max_jobs(o->jobs);
    int c, bad = 0;
    while (!bad && (c = getopt_long(argc, argv, "o:T:e:j:t:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'T': o->tree = optarg; break;
        case 'e': o->only = optarg; break;
        case 'j': bad = parse_int(optarg, 1, &o->jobs); o->max_jobs = o->jobs; break;
        case 't': bad = parse_int(optarg, 5, &o->timeout); break;
        case 'q': o->quiet = 1; break;
        case 'h': usage(stdout); exit(0);
        case 1: bad = parse_int(optarg, 0, &o->tl_jobs); break;
        case 2: o->regrade = 1; break;
        case 3: o->no_merge = 1; break;
        case 4: o->merge_only = 1; break;
        case 5: o->d.lms = 1; break;
        case 6: o->d.single = 1; break;
        case 7: o->d.id = optarg; break;
        case 8: o->d.id_regex = optarg; break;
        case 9: o->autolab = o->regrade = 1; break;
        case 10: o->workdir = optarg; break;
        case 11: o->keep = 1; break;
        case 12: o->prepare = 1; break;
        case 13: o->time_scale = optarg; bad = atof(optarg) <= 0; break;
        case 14: o->no_isolation = 1; break;
        case 15: o->allow_no_isolation = 1; break;
        case 16: o->sandbox = optarg; break;
        case 17: bad = parse_int(optarg, 0, &o->sim_threshold) || o->sim_threshold > 101; break;
        case 18: o->similar_to = optarg; break;
        case 19: o->timings = 1; break;
        default: bad = 1;
        }
    }
    if (bad || (!o->merge_only && !o->prepare && optind == argc)) {
        if (bad && optarg)
            fprintf(stderr, "grader: bad value '%s'\n", optarg);
        usage(stderr);
        return -1;
    }
    return 0;
}

/* The instructor tree by default: the directory above the one holding this program. */
static char *default_tree(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return xstrdup(".");
    self[n] = '\0';
    for (int i = 0; i < 2 && strrchr(self, '/'); i++)
        *strrchr(self, '/') = '\0';
    return xstrdup(*self ? self : "/");
}

static char *absolute(const char *path)
{
    char *r = realpath(path, NULL);
    return r ? r : xstrdup(path);
}

/* The sandbox: --sandbox, $GRADER_SANDBOX, or sandbox/sandbox beside the grader. It
 * must exist unless --no-isolation: without it student code would run as the grader
 * (root) on the host. Checked before anything is written. */
static int find_sandbox(struct options *o, char *err)
{
    if (o->no_isolation)
        return 0;
    const char *env = getenv("GRADER_SANDBOX");
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    if (strrchr(self, '/'))
        *strrchr(self, '/') = '\0';
    char *path = o->sandbox ? xstrdup(o->sandbox) : env && *env ? xstrdup(env)
                                                  : xasprintf("%s/sandbox/sandbox", self);
    if (access(path, X_OK) == -1) {
        snprintf(err, ERRLEN, "no sandbox at %.150s (%s): student code would run unconfined.\n"
                 "Build it: make -C %.100s/sandbox (or make at the top of the workbook); or, for "
                 "trusted code only, pass --no-isolation", path, strerror(errno), self);
        free(path);
        return -1;
    }
    o->sandbox_path = path;
    return 0;
}

/* Slots are uids (61000 + slot): two graders on one machine (GNU parallel, or an
 * instructor grading two classes) must not share one, or a job's kill(-1) and the
 * degraded mode's sweep of its uid would reach the other grader's jobs. Each grader
 * claims a block of 64 slots by holding a lock on /run/lock/workbook-grader-slots.K for
 * its lifetime (released by the kernel when it exits, however it exits). */
#define SLOT_BLOCK 64
#define SLOT_BLOCKS 31     /* job uids 61000..62983; memcheck's are 2000 above */
static int claim_slots(int *base, char *err)
{
    for (int k = 0; k < SLOT_BLOCKS; k++) {
        char path[64];
        snprintf(path, sizeof path, "/run/lock/workbook-grader-slots.%d", k);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd == -1 && k == 0 && errno != EACCES && errno != ELOOP) {
            snprintf(err, ERRLEN, "cannot create %s: %s", path, strerror(errno));
            return -1;
        }
        if (fd == -1)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            *base = k * SLOT_BLOCK;     /* fd stays open: the claim */
            return 0;
        }
        close(fd);
    }
    snprintf(err, ERRLEN, "%d graders already run on this machine (every block of slots "
             "is taken: /run/lock/workbook-grader-slots.*)", SLOT_BLOCKS);
    return -1;
}

/* The runner of every job: the sandbox (probed), or the local one with --no-isolation.
 * -1 when the sandbox cannot isolate and --allow-no-isolation was not given. */
static int setup_isolation(struct run *r, char *err)
{
    if (r->o.no_isolation) {
        r->g.runner = job_local();
        return 0;
    }
    int degraded;
    r->g.runner = job_sandboxed(r->o.sandbox_path, r->o.allow_no_isolation, r->g.jobs,
                                r->slot_base, &degraded, err);
    if (!r->g.runner)
        return -1;
    if (degraded) {
        fprintf(stderr, "grader: WARNING: NO ISOLATION: namespaces are unavailable; grading "
                "serially (-j 1), each job as a uid of its own with limits; every report "
                "says so\n");
        r->o.jobs = r->o.max_jobs = 1;
    }
    return 0;
}

/* As root, the slot uids must traverse every directory above DIR: name the first
 * that they cannot, with the fix. */
static int check_reachable(const char *dir, char *err)
{
    if (geteuid() != 0)
        return 0;
    char *p = xstrdup(dir);
    int rc = 0;
    for (char *slash = strrchr(p, '/'); slash && rc == 0; slash = strrchr(p, '/')) {
        *slash = '\0';
        struct stat st;
        const char *d = *p ? p : "/";
        if (stat(d, &st) == 0 && !(st.st_mode & S_IXOTH)) {
            snprintf(err, ERRLEN, "--workdir %.100s: the sandbox's uids cannot reach it: %.100s "
                     "is mode %04o (not traversable by other users).\nFix: chmod o+x %.100s, "
                     "or leave out --workdir (the grader then works in a directory of its own "
                     "under /var/tmp)", dir, d, (unsigned)(st.st_mode & 07777), d);
            rc = -1;
        }
        if (!*p)
            break;
    }
    free(p);
    return rc;
}

/* The work directory (stage and work copies): --workdir DIR, kept between runs (the
 * stage is rebuilt only where the tree changed); by default a new directory of the
 * grader's own in /var/tmp (not under OUTDIR, which may lie in a 0700 home), removed at
 * the end unless --keep. Root's, mode 0711: the slot uids traverse it, list nothing. */
static char *make_workdir(struct options *o, char *err)
{
    char *work;
    if (o->workdir) {
        if (mkdir_p(o->workdir, err) == -1)
            return NULL;
        work = absolute(o->workdir);
        if (!o->no_isolation && check_reachable(work, err) == -1) {
            free(work);
            return NULL;
        }
    } else {
        work = xstrdup("/var/tmp/grader-XXXXXX");
        if (!mkdtemp(work)) {
            snprintf(err, ERRLEN, "cannot create a work directory in /var/tmp: %s",
                     strerror(errno));
            free(work);
            return NULL;
        }
        o->own_workdir = xstrdup(work);
    }
    chmod(work, 0711);
    return work;
}

/* Unpack an archive and find the exercise directories; errors go in s->error. */
static void open_submission(struct run *r, struct submission *s)
{
    char err[ERRLEN] = "";
    char *root = s->path;
    char *unpacked = NULL;
    if (s->archive) {
        unpacked = xasprintf("%s/%s/_submission", r->g.jobs, s->id);
        rm_rf(unpacked);
        if (extract_archive(s->path, unpacked, &s->notes, err) == -1) {
            s->error = xstrdup(err);
            free(unpacked);
            return;
        }
        root = unpacked;
    }
    s->base = find_base(root, r->ex, r->nex, 3);
    if (!s->base)
        s->error = xasprintf("no exercise directory in it (expected %s/ at its top, or under "
                             "one folder)", r->ex[0].name);
    free(unpacked);
}

static void finish_submission(struct run *r, struct submission *s)
{
    char err[ERRLEN];
    struct ex_result *res = xmalloc((size_t)r->nex * sizeof *res);
    for (int k = 0; k < r->nex; k++) {
        char *jd = job_dir(&r->g, s, &r->ex[k]);
        score_exercise(jd, &r->ex[k], &res[k]);
        free(jd);
    }
    if (similarity_keep(r->o.out, s->id, s->base, r->ex, r->nex, err) == -1 ||
        write_reports(r->o.out, s, res, r->nex, err) == -1) {
        fprintf(stderr, "grader: %s: %s\n", s->id, err);
        r->failures++;
    }
    double max, got = total_score(res, r->nex, &max);
    char what[64];
    snprintf(what, sizeof what, "%g/%g", got, max);
    progress_step(s->id, what);
    if (r->o.autolab) {
        char *fb = xasprintf("%s/%s/feedback.md", r->o.out, s->id), *text = read_text(fb, 1 << 20, NULL);
        char *line = autolab_line(res, r->nex);
        printf("%s\n%s\n", text ? text : "", line);
        free(fb), free(text), free(line);
    }
    for (int k = 0; k < r->nex; k++)
        free_ex_result(&res[k]);
    free(res);
    char *dir = xasprintf("%s/%s", r->g.jobs, s->id);
    if (!r->o.keep)
        rm_rf(dir);
    free(dir);
}

static int already_graded(const struct run *r, const struct submission *s)
{
    char *p = xasprintf("%s/%s/results.json", r->o.out, s->id);
    int done = !r->o.regrade && is_file(p);
    free(p);
    return done;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fork the worker for job J (submission J / nex, exercise J % nex) in SLOT. */
static pid_t start_worker(struct run *r, int j, int slot)
{
    struct submission *s = &r->subs[j / r->nex];
    if (s->pending == 0) {
        s->pending = r->nex;
        s->started = mono_now();
        open_submission(r, s);
    }
    r->g.queued_s = mono_now() - s->started;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char err[ERRLEN];
        signal(SIGINT, SIG_IGN);
        r->g.slot = r->slot_base + slot;
        const struct exercise *ex = &r->ex[r->order[j % r->nex]];
        if (job_init_worker(err) == -1 || grade_exercise(&r->g, s, ex) == -1)
            _exit(1);
        _exit(0);
    }
    return pid;
}

/* A worker ended: its submission is finished when its last exercise is. */
static int worker_done(struct run *r, pid_t *slots, int *slot_job, pid_t pid)
{
    for (int k = 0; k < r->o.max_jobs; k++)
        if (slots[k] == pid) {
            struct submission *s = &r->subs[slot_job[k] / r->nex];
            slots[k] = 0;
            if (--s->pending == 0 && !stop)
                finish_submission(r, s);
            return 1;
        }
    return 0;
}

static void stop_workers(pid_t *slots, int n)
{
    for (int k = 0; k < n; k++)
        if (slots[k] > 0)
            kill(slots[k], SIGTERM);
}

struct proc_cpu {
    pid_t pid, ppid;
    double cpu;
};

static int by_pid(const void *a, const void *b)
{
    pid_t x = ((const struct proc_cpu *)a)->pid, y = ((const struct proc_cpu *)b)->pid;
    return (x > y) - (x < y);
}

/* Every process's parent and CPU seconds (its own and its reaped children's), sorted by
 * pid, into *OUT (to free); returns how many. */
static size_t read_procs(struct proc_cpu **out)
{
    size_t n = 0, cap = 1024;
    struct proc_cpu *v = malloc(cap * sizeof *v);
    long tick = sysconf(_SC_CLK_TCK);
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (v && d && (e = readdir(d))) {
        char path[64], buf[512];
        long pid = strtol(e->d_name, NULL, 10);
        if (pid <= 0)
            continue;
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t len = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (len <= 0)
            continue;
        buf[len] = '\0';
        char *p = strrchr(buf, ')');     /* the name may hold spaces and parentheses */
        int ppid;
        unsigned long long ut, st, cut, cst;
        if (!p || sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
                         &ppid, &ut, &st, &cut, &cst) != 5)
            continue;
        if (n == cap) {
            struct proc_cpu *w = realloc(v, 2 * cap * sizeof *v);
            if (!w)
                break;
            v = w, cap *= 2;
        }
        v[n++] = (struct proc_cpu){ (pid_t)pid, ppid,
                                    (double)(ut + st + cut + cst) / (double)(tick > 0 ? tick : 100) };
    }
    if (d)
        closedir(d);
    if (v)
        qsort(v, n, sizeof *v, by_pid);
    *out = v;
    return v ? n : 0;
}

/* The CPU time of this grader's whole tree: every live descendant's own and reaped
 * children's time (/proc/PID/stat), plus what this process reaped (its workers, which
 * reap everything below them: they are subreapers). */
static double tree_cpu(void)
{
    struct proc_cpu *v;
    size_t n = read_procs(&v);
    pid_t self = getpid();
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        pid_t p = v[i].ppid;
        for (int depth = 0; p > 1 && p != self && depth < 64; depth++) {
            struct proc_cpu key = { .pid = p }, *up = bsearch(&key, v, n, sizeof *v, by_pid);
            p = up ? up->ppid : 0;
        }
        if (p == self)
            sum += v[i].cpu;
    }
    free(v);
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
        sum += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    return sum;
}

/* How busy the jobs keep the CPUs: their CPU seconds per second over the last second,
 * sampled by the pool at every tick. */
#define LOAD_SAMPLES 5     /* ticks of 250 ms: the last sample and 4 before it */
struct load_meter {
    double cpu[LOAD_SAMPLES], at[LOAD_SAMPLES];
    int n;                 /* samples taken */
};

static void load_sample(struct load_meter *m, double now)
{
    if (m->n && now - m->at[(m->n - 1) % LOAD_SAMPLES] > 0.5)
        m->n = 0;          /* not sampled for a while: start a new second */
    int k = m->n++ % LOAD_SAMPLES;
    m->cpu[k] = tree_cpu(), m->at[k] = now;
}

/* The CPUs the jobs used over the last second (1.5: one and a half busy), or -1 before
 * a second of samples. */
static double jobs_load(const struct load_meter *m)
{
    if (m->n < LOAD_SAMPLES)
        return -1;
    int last = (m->n - 1) % LOAD_SAMPLES, first = m->n % LOAD_SAMPLES;
    double dt = m->at[last] - m->at[first], used = m->cpu[last] - m->cpu[first];
    return dt > 0.5 ? (used > 0 ? used / dt : 0) : -1;
}

/* May one more job start now? Always up to -j (by default: the CPUs); past it (up to
 * max_jobs, without -j) when the jobs kept less than three quarters of the CPUs busy
 * over the last second and no job started in the last half second (a new job takes a
 * moment to load the CPUs: its build). The jobs' own CPU time is what counts, not the
 * machine's idle time: with other work on the machine the jobs would otherwise wait for
 * a slot while theirs sleep (measured: 98 s of slot waits for one submission at load 8). */
static int may_start(const struct run *r, int running, const struct load_meter *m,
                     double *last_start)
{
    if (running < r->o.jobs)
        return 1;
    if (running >= r->o.max_jobs)
        return 0;
    double now = mono_now();
    if (now - *last_start < 0.5)
        return 0;
    double used = jobs_load(m);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (used < 0 || used >= 0.75 * (double)(cpus > 0 ? cpus : 1))
        return 0;
    *last_start = now;
    return 1;
}

/* Run every (submission, exercise) job: -j at a time, or (without -j) as many as keep
 * the CPUs busy, up to max_jobs. */
static void run_pool(struct run *r)
{
    pid_t *slots = calloc((size_t)r->o.max_jobs, sizeof *slots);
    int *slot_job = calloc((size_t)r->o.max_jobs, sizeof *slot_job);
    int njobs = r->nsubs * r->nex, next = 0, running = 0;
    double last_start = 0, last_sample = 0;
    struct load_meter meter = { 0 };
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    for (;;) {
        /* the jobs' load matters only while one more could start */
        if (running >= r->o.jobs && running < r->o.max_jobs && next < njobs &&
            mono_now() - last_sample >= 0.24) {
            last_sample = mono_now();
            load_sample(&meter, last_sample);
        }
        while (next < njobs && r->subs[next / r->nex].skip)
            next++;
        int k = 0;
        while (k < r->o.max_jobs && slots[k])
            k++;
        if (!stop && next < njobs && k < r->o.max_jobs &&
            may_start(r, running, &meter, &last_start)) {
            slot_job[k] = next;
            slots[k] = start_worker(r, next++, k);
            if (slots[k] == -1) {
                fprintf(stderr, "grader: cannot fork: %s\n", strerror(errno));
                worker_done(r, slots, slot_job, -1);
            } else
                running++;
            continue;
        }
        if (running == 0)
            break;
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid == 0) {     /* nothing ended: wait for one, or look at the CPUs again */
            struct timespec tick = { 0, 250000000 };
            sigtimedwait(&chld, NULL, &tick);
            if (stop)
                stop_workers(slots, r->o.max_jobs);
            continue;
        }
        if (pid == -1 && errno == EINTR && stop)
            stop_workers(slots, r->o.max_jobs);
        if (pid > 0 && worker_done(r, slots, slot_job, pid))
            running--;
    }
    free(slots);
    free(slot_job);
}

/* An exercise's expected job length: its tests, plus 20 for valgrind scenarios (measured,
 * --timings on a class, issue 17: td7's 106 tests take longest, build and tests; then
 * td6 and td5, whose memory check follows their tests). */
static int job_weight(const struct exercise *e)
{
    return e->nrubric + (e->has_memcheck ? 20 : 0);
}

/* Start the longest jobs first, so that one submission's exercises end close together
 * and the last submission's do not leave the CPUs idle at the end. */
static void order_jobs(struct run *r)
{
    r->order = xmalloc((size_t)r->nex * sizeof *r->order);
    for (int i = 0; i < r->nex; i++)
        r->order[i] = i;
    for (int i = 1; i < r->nex; i++)
        for (int k = i; k > 0; k--) {
            const struct exercise *a = &r->ex[r->order[k - 1]], *b = &r->ex[r->order[k]];
            if (job_weight(a) >= job_weight(b))
                break;
            int t = r->order[k];
            r->order[k] = r->order[k - 1];
            r->order[k - 1] = t;
        }
}

static void mark_skipped(struct run *r)
{
    int skipped = 0;
    for (int i = 0; i < r->nsubs; i++)
        if (already_graded(r, &r->subs[i])) {
            r->subs[i].skip = 1;
            skipped++;
        }
    progress_start(r->nsubs - skipped, r->o.quiet);
    if (skipped && !r->o.quiet)
        fprintf(stderr, "grader: %d submission(s) already graded in %s (--regrade to grade "
                "them again)\n", skipped, r->o.out);
}

static int setup(struct run *r, int argc, char **argv, char *err)
{
    char *tree = r->tree = r->o.tree ? absolute(r->o.tree) : default_tree();
    char *mk = xasprintf("%s/mk/exercise.mk", tree);
    int ok = is_file(mk);
    free(mk);
    if (!ok) {
        snprintf(err, ERRLEN, "%s is not the workbook's instructor tree (no mk/exercise.mk); "
                 "use --tree", tree);
        return -1;
    }
    if (load_exercises(tree, r->o.only, &r->ex, &r->nex, err) == -1 ||
        discover(argv + optind, argc - optind, &r->o.d, r->ex, r->nex, &r->subs, &r->nsubs,
                 err) == -1 || mkdir_p(r->o.out, err) == -1)
        return -1;
    char *work = make_workdir(&r->o, err);
    if (!work)
        return -1;
    char *stage = xasprintf("%s/stage", work), *jobs = xasprintf("%s/jobs", work);
    if (mkdir_p(jobs, err) == -1)
        return -1;
    chmod(jobs, 0711);
    r->g = (struct grade_ctx){ .stage = stage, .jobs = jobs,
                               .timeout_s = r->o.timeout, .tl_jobs = r->o.tl_jobs,
                               .time_scale = r->o.time_scale,
                               .keep = r->o.keep };
    if (!r->o.quiet)
        fprintf(stderr, "grader: %d submission(s), %d exercise(s) from %s\n", r->nsubs, r->nex,
                tree);
    return stage_prepare(tree, stage, r->ex, r->nex, err);
}

/* The class files from every OUTDIR/<id>/: gradebook and summary (merge.c), then code
 * similarity (similarity.c) and the class report (classreport.c), by every grading run
 * and by --merge. Without the tree's exercises (--merge, tree unreadable) the report has
 * no hints and no similarity; a similarity failure (no sim_c) is a warning. */
static int class_files(struct run *r, char *err)
{
    if (merge_outputs(r->o.out, r->o.timings, err) == -1)
        return -1;
    struct sim_result sim = { 0 };
    char serr[ERRLEN];
    int have_sim = r->nex > 0 && similarity_run(r->o.out, r->tree, r->ex, r->nex, r->o.similar_to,
                                                r->o.sim_threshold, &sim, serr) == 0;
    if (r->nex > 0 && !have_sim)
        fprintf(stderr, "grader: warning: no similarity check: %s\n", serr);
    else if (have_sim && !r->o.quiet)
        fprintf(stderr, "grader: similarity: %d pair(s) compared, %d at or above %d%%, in %.1f s\n",
                sim.compared, sim.npairs, sim.threshold, sim.secs);
    int rc = class_report(r->o.out, r->ex, r->nex, have_sim ? &sim : NULL, err);
    similarity_free(&sim);
    return rc;
}

/* Everything after the options: 0, 1 (some submission could not be reported), 2 (ERR
 * says why: nothing graded), 130 (interrupted). */
static int grade_run(struct run *r, int argc, char **argv, char *err)
{
    if (setup(r, argc, argv, err) == -1)
        return 2;
    if (r->o.prepare)
        return 0;
    if (r->o.max_jobs > SLOT_BLOCK)
        r->o.max_jobs = SLOT_BLOCK;
    if (r->o.jobs > SLOT_BLOCK)
        r->o.jobs = SLOT_BLOCK;
    if (!r->o.no_isolation && geteuid() == 0 && claim_slots(&r->slot_base, err) == -1)
        return 2;
    if (setup_isolation(r, err) == -1)
        return 2;
    mark_skipped(r);
    order_jobs(r);
    run_pool(r);
    progress_end();
    if (stop) {
        fprintf(stderr, "grader: interrupted; the submissions not finished are not graded\n");
        return 130;
    }
    if (!r->o.no_merge && class_files(r, err) == -1) {
        fprintf(stderr, "grader: %s\n", err);
        r->failures++;
    }
    return r->failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct run r = { 0 };
    char err[ERRLEN];
    if (parse_options(argc, argv, &r.o) == -1)
        return 2;
    /* Root-only unless opened up on purpose (the stage: lock_stage; job directories:
     * make_job_dir): where namespaces are refused, file modes alone keep the reports,
     * the grades and the instructor's files away from the slots' uids. */
    umask(077);
    if (r.o.merge_only) {
        r.tree = r.o.tree ? absolute(r.o.tree) : default_tree();
        if (load_exercises(r.tree, r.o.only, &r.ex, &r.nex, err) == -1) {
            fprintf(stderr, "grader: warning: %s: the report has no hints, no similarity\n", err);
            r.nex = 0;
        }
        int rc = class_files(&r, err);
        if (rc == -1)
            fprintf(stderr, "grader: %s\n", err);
        return rc == -1;
    }
    if (find_sandbox(&r.o, err) == -1) {
        fprintf(stderr, "grader: %s\n", err);
        return 2;
    }
    if (r.o.prepare && !r.o.workdir) {
        fprintf(stderr, "grader: --prepare needs --workdir (the stage it builds is kept there)\n");
        return 2;
    }
    if (job_init_worker(err) == -1)
        fprintf(stderr, "grader: warning: %s\n", err);
    struct sigaction sa = { .sa_handler = on_stop };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int rc = grade_run(&r, argc, argv, err);
    if (rc == 2)
        fprintf(stderr, "grader: %s\n", err);
    if (r.o.own_workdir && !r.o.keep)
        rm_rf(r.o.own_workdir);
    else if (r.o.own_workdir && !r.o.quiet)
        fprintf(stderr, "grader: work directory kept (--keep): %s\n", r.o.own_workdir);
    return rc;
}
