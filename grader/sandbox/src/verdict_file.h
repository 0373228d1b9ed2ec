/*
 * verdict_file.h: the verdict file, the one record of how a sandboxed run ended. The
 * sandbox writes it (--verdict FILE); the grader reads it (grader/src/job.c). This module
 * is the format's only writer and only reader; both programs compile it.
 *
 * One line of JSON, one flat object, keys always in this order (numbers are -1 when
 * unknown; strings escape '"', '\\' and control characters as \uXXXX):
 *   {"status":"memory","limit":"memory","exit_code":-1,"signal":9,"wall_ms":69,
 *    "cpu_ms":52,"mem_peak_bytes":67108864,"pids_peak":1,"output_bytes":0,
 *    "disk_bytes":4096,"limit_at_ms":10093787,"leftovers":0,"isolation":"full",
 *    "message":"memory limit (64 MiB) exceeded","warning":""}
 * status: ok exit signal time memory pids output disk error; limit: wall cpu memory
 * pids output disk files fsize or ""; isolation: "full" or "NO ISOLATION".
 * See grader/sandbox/README.md (Verdict) for what each status means.
 */
#ifndef SANDBOX_VERDICT_FILE_H
#define SANDBOX_VERDICT_FILE_H

struct verdict_record {
    char status[16], limit[16];
    int exit_code, signal;
    long long wall_ms, cpu_ms, mem_peak, pids_peak, out_bytes, disk_bytes;
    long long limit_at_ms;     /* CLOCK_MONOTONIC ms when a limit was first seen; 0: none */
    int leftovers;
    int isolated;              /* 1: "full", 0: "NO ISOLATION" */
    char message[256], warning[768];
};

/* Write R to PATH as the one line above (mode 0600 when created): 0, or -1 with errno. */
int verdict_file_write(const char *path, const struct verdict_record *r);

/* Read PATH into R: 0, or -1 when it is missing or not a verdict line (R then holds
 * status "error" and a message saying so). Unknown keys are ignored. */
int verdict_file_read(const char *path, struct verdict_record *r);

#endif
