/* A line too large to hold, in the middle of the input of `embed`, `grade` and `submit`, under
 * an address-space limit below its size: it is reported as an error for that line (number and
 * size), the lines after it are still processed, and the exit status is 3 - never the silent
 * end of the input that getline's ENOMEM used to be (embed and submit; grade's bank embedding
 * needs more memory than the limit allows). The same with a small limit set by option, and a
 * read error (a folder as input) that exits 1 instead of 0.
 * labels: e2e */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "redis_server.h"
#include "testlib.h"

static char exe[512];
static char out[1 << 16];

/* Runs a shell command (sh -c), captures stdout+stderr into `out`, returns the exit code. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = exam_test_vrun(out, sizeof out, fmt, ap);
    va_end(ap);
    return rc;
}

/* 768 MiB of 'x' with no newline, on stdout: more than the process may map under LIMIT_KB. */
#define HUGE_BYTES "805306368"
#define HUGE "head -c " HUGE_BYTES " /dev/zero | tr '\\0' x"
/* The address-space limit (KiB): enough for the model and the bank, not for the huge line. */
#define LIMIT_KB "750000"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif

static void test_embed(const char *dir) {
#ifndef ASAN_BUILD
    int rc = run("ulimit -v " LIMIT_KB "; { printf 'first\\n'; " HUGE
                 "; printf '\\nthird\\n'; } | %s embed --batch 1",
                 exe);
    CHECKF(rc == 3, "embed, huge middle line: rc %d: %.400s", rc, out);
    CHECKF(exam_test_count(out, "\"embedding\"") == 2 && strstr(out, "\"index\":2,") != NULL,
           "embed: the lines after the huge one: %.400s", out);
    CHECKF(strstr(out, "\"index\":1,\"error\"") && strstr(out, "line 2: text of " HUGE_BYTES),
           "embed: error record for line 2: %.400s", out);
#else
    printf("SKIP embed under ulimit -v (AddressSanitizer reserves the address space)\n");
#endif
    /* the same with a small limit set by option */
    int rc2 = run("printf 'one\\n%%s\\nthree\\n' \"$(head -c 5000 /dev/zero | tr '\\0' y)\" | "
                  "%s embed --max-bytes 100",
                  exe);
    CHECKF(rc2 == 3 && exam_test_count(out, "\"embedding\"") == 2 && strstr(out, "\"index\":2,") &&
               strstr(out, "line 2: text of 5000 bytes exceeds --max-bytes 100"),
           "embed --max-bytes: rc %d: %.400s", rc2, out);
    /* a read error is a failure, not the end of the input */
    rc2 = run("%s embed %s", exe, dir);
    CHECKF(rc2 == 1 && strstr(out, "read error"), "embed of a folder: rc %d: %.300s", rc2, out);
}

static void write_jobs(const char *path, int huge) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "{ sed -n 1p data/cohorts/demo.jsonl; %s; printf '\\n'; sed -n 2p "
             "data/cohorts/demo.jsonl; } > %s",
             huge ? HUGE : "head -c 70000 /dev/zero | tr '\\0' z", path);
    CHECKF(system(cmd) == 0, "%s", cmd);
}

static void test_grade(const char *dir) {
    char jobs[512], res[512];
    snprintf(jobs, sizeof jobs, "%s/jobs.jsonl", dir);
    snprintf(res, sizeof res, "%s/results.jsonl", dir);
    /* (no address-space limit here: the bank's embedding needs more than the line would) */
    int rc = run("%s grade --bank data/bank --answers %s --out %s --quiet --cache-dir %s/cache",
                 exe, dir, res, dir);
    CHECKF(rc == 1 && strstr(out, "read error"), "grade of a folder: rc %d: %.300s", rc, out);
    write_jobs(jobs, 0); /* 70000 bytes against the default 65536-byte limit */
    int rc2 = run("%s grade --bank data/bank --answers %s --out %s --quiet --cache-dir %s/cache",
                  exe, jobs, res, dir);
    char *r2 = exam_test_read_file(res, NULL);
    CHECKF(rc2 == 3 && r2 && exam_test_count(r2, "\n") == 3 &&
               strstr(out, "line 2: job of 70000 bytes exceeds the 65536-byte limit"),
           "grade, long middle line: rc %d: %.400s", rc2, out);
    free(r2);
}

static void test_submit(const char *dir) {
    exam_test_redis srv;
    int rc = exam_test_redis_start(&srv, NULL);
    if (rc == 1) {
        printf("SKIP submit: redis-server is not installed\n");
        return;
    }
    CHECK(rc == 0);
    if (rc != 0) return;
    char jobs[512];
    snprintf(jobs, sizeof jobs, "%s/jobs.jsonl", dir);
#ifndef ASAN_BUILD
    write_jobs(jobs, 1);
    rc = run("ulimit -v " LIMIT_KB "; %s submit %s --redis %s --queue huge", exe, jobs, srv.url);
    CHECKF(rc == 3 && strstr(out, ":2: line has " HUGE_BYTES " bytes"),
           "submit, huge middle line: rc %d: %.400s", rc, out);
    const char *n = exam_test_redis_cli(&srv, "XLEN 'examiner:{huge}:jobs'");
    CHECKF(n && !strcmp(n, "2"), "jobs added: %s", n ? n : "(none)");
#else
    printf("SKIP submit under ulimit -v (AddressSanitizer reserves the address space)\n");
#endif
    write_jobs(jobs, 0);
    rc = run("%s submit %s --redis %s --queue small --max-job-bytes 1000", exe, jobs, srv.url);
    CHECKF(rc == 3 && strstr(out, ":2: line has 70000 bytes, more than the limit of 1000"),
           "submit --max-job-bytes: rc %d: %.400s", rc, out);
    const char *m = exam_test_redis_cli(&srv, "XLEN 'examiner:{small}:jobs'");
    CHECKF(m && !strcmp(m, "2"), "jobs added: %s", m ? m : "(none)");
    rc = run("%s submit %s --redis %s --queue small", exe, dir, srv.url);
    CHECKF(rc == 1 && strstr(out, "read error"), "submit of a folder: rc %d: %.300s", rc, out);
    exam_test_redis_free(&srv);
}

int main(void) {
    const char *bd = getenv("EXAMINER_BUILD_DIR");
    snprintf(exe, sizeof exe, "%s/examiner", bd && *bd ? bd : "build");
    if (access(exe, X_OK) != 0) {
        printf("SKIP ALL: %s not built\n", exe);
        return 0;
    }
    char dir[] = "/tmp/exam-huge-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    test_embed(dir);
    test_grade(dir);
    test_submit(dir);
    run("rm -rf %s", dir);
    return exam_test_finish();
}
