/*
 * tl_record_main.c: tl-record, one record of the test records format (tl_results.h, its
 * one writer and reader) written from a shell tool, with the human view printed from
 * that record. tools/memcheck uses it: one record per valgrind scenario, which the
 * grader's scorer reads back with tl_results_read (memcheck.tsv).
 *
 *   tl-record [--fd N] NAME STATUS < MESSAGE
 *
 * STATUS is PASS, FAIL, SKIP or TIMEOUT. MESSAGE's first line is what ran (the scenario);
 * the lines after it say what was wrong. The record goes to descriptor N (none without
 * --fd) in one write(); the human view goes to stdout:
 *   "  ok    SCENARIO"                    PASS
 *   "  skip  SCENARIO  (not started)"     SKIP
 *   "  FAIL  SCENARIO" + each further line indented by 8 spaces      FAIL, TIMEOUT
 * Exit status 0; 2 with one line on stderr for a usage error or a failed write.
 */
#include "tl_results.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CAP (1 << 16)

static int usage(void)
{
    fprintf(stderr, "usage: tl-record [--fd N] NAME PASS|FAIL|SKIP|TIMEOUT < MESSAGE\n");
    return 2;
}

/* The human view of one record. */
static void show(const char *status, char *msg)
{
    char *rest = strchr(msg, '\n');
    if (rest)
        *rest++ = '\0';
    if (strcmp(status, "PASS") == 0)
        printf("  ok    %s\n", msg);
    else if (strcmp(status, "SKIP") == 0)
        printf("  skip  %s  (not started)\n", msg);
    else
        printf("  FAIL  %s\n", msg);
    while (rest && *rest && strcmp(status, "PASS") != 0 && strcmp(status, "SKIP") != 0) {
        char *nl = strchr(rest, '\n');
        if (nl)
            *nl++ = '\0';
        printf("        %s\n", rest);
        rest = nl;
    }
}

int main(int argc, char **argv)
{
    int fd = -1, a = 1;
    if (argc > 2 && strcmp(argv[1], "--fd") == 0)
        fd = atoi(argv[2]), a = 3;
    if (argc - a != 2)
        return usage();
    const char *name = argv[a], *status = argv[a + 1];
    if (strcmp(status, "PASS") && strcmp(status, "FAIL") && strcmp(status, "SKIP") &&
        strcmp(status, "TIMEOUT"))
        return usage();
    static char msg[CAP], line[2 * CAP + 512];
    size_t n = fread(msg, 1, CAP - 1, stdin);
    while (n > 0 && msg[n - 1] == '\n')
        n--;
    msg[n] = '\0';
    size_t len = tl_results_head(line, sizeof line, name, status);
    len = tl_results_escape(line, len, sizeof line - 1, msg);
    line[len++] = '\n';
    if (fd >= 0) {
        ssize_t w;
        do
            w = write(fd, line, len);   /* one write: records from concurrent writers stay whole */
        while (w == -1 && errno == EINTR);
        if (w != (ssize_t)len) {
            fprintf(stderr, "tl-record: cannot write the record to descriptor %d\n", fd);
            return 2;
        }
    }
    show(status, msg);
    return 0;
}
