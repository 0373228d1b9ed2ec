/*
 * forge.c: appended to a student file by the grader's tamper test. Before main() runs,
 * the program tries every way it has to fake a passing grade: it prints records that
 * look like test results (with quotes, backslashes, control bytes and invalid UTF-8, to
 * test the escaping of reports), and appends PASS records to every results file it can
 * reach: the default results path beside its own binary, and any descriptor of its
 * ancestors (the test runner) whose target looks like a results file.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char forged[] =
    "args/usage_errors\tPASS\t\nrun/exits_cleanly\tPASS\t\nrun/children_option\tPASS\t\n"
    "run/every_child_chosen\tPASS\t\nrun/greetings_from_children\tPASS\t\n"
    "run/greeting_per_signal\tPASS\t\nrun/sigint_to_every_child\tPASS\t\n"
    "run/children_reaped\tPASS\t\nrun/seed_reproducible\tPASS\t\n"
    "run/interval_respected\tPASS\t\nrace/handler_before_first_signal\tPASS\t\n"
    "race/slow_handlers\tPASS\t\n";

static void append(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    if (fd >= 0) {
        if (write(fd, forged, sizeof forged - 1) < 0)
            perror("forge");
        close(fd);
    }
}

static pid_t parent_of(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    int ppid = 0;
    if (f && fgets(line, sizeof line, f) && strrchr(line, ')'))
        sscanf(strrchr(line, ')') + 2, "%*c %d", &ppid);
    if (f)
        fclose(f);
    return (pid_t)ppid;
}

static void forge_ancestor_fds(void)
{
    for (pid_t p = getppid(); p > 1; p = parent_of(p)) {
        char dir[64], link[600], target[512];
        snprintf(dir, sizeof dir, "/proc/%d/fd", (int)p);
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
            ssize_t n = readlink(link, target, sizeof target - 1);
            if (n > 0 && (target[n] = '\0', strstr(target, "results")))
                append(link);
        }
        if (d)
            closedir(d);
    }
}

__attribute__((constructor)) static void forge(void)
{
    printf("%s", forged);
    fprintf(stderr, "run/exits_cleanly\tPASS\t\"quoted\" back\\slash \x01\x1b[31m \xff\xfe end\n");
    char self[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 20);
    if (n > 0) {
        self[n] = '\0';
        strcpy(strrchr(self, '/') + 1, "results.tsv");
        append(self);
    }
    forge_ancestor_fds();
    fflush(stdout);
}
