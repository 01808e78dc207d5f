/* A small test harness: checks that count, a summary line, and paths to the model and data. */
#ifndef EXAM_TESTLIB_H
#define EXAM_TESTLIB_H

#include <stdarg.h>
#include <stddef.h>

#include <stdio.h>

#include "grade.h"

extern int exam_test_passed;
extern int exam_test_failed;

/* Records one check; prints the failing expression with file:line. */
void exam_test_check(int ok, const char *expr, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define CHECK(cond) exam_test_check(!!(cond), #cond, __FILE__, __LINE__, NULL)
#define CHECKF(cond, ...) exam_test_check(!!(cond), #cond, __FILE__, __LINE__, __VA_ARGS__)

/* Prints "N passed, N failed" and returns the process exit code (0 only when nothing failed
 * and at least one check ran). */
int exam_test_finish(void);

/* The model folder: $EXAMINER_MODEL_DIR or models/all-MiniLM-L6-v2 (tests run from the
 * project root). */
const char *exam_test_model_dir(void);

/* Builds "<dir>/<name>" into a static buffer (valid until the next call). */
const char *exam_test_path(const char *dir, const char *name);

/* The shared datasets folder (../shared/datasets or $EXAMINER_DATASETS), NULL if absent. */
const char *exam_test_datasets_dir(void);

/* Runs `examiner sts` on the STS-B test split (with `--backend NAME` when backend is not NULL)
 * and checks its last line: cosine Spearman 0.8203 ± 0.0005 over 1379 pairs. */
void exam_test_check_sts_figure(const char *datasets, const char *backend);

/* The grader most grading tests use: data/bank on the CPU backend with the model of
 * exam_test_model_dir(), bank vectors computed afresh (no cache). */
typedef struct exam_test_grader {
    exam_bank bank;
    exam_backend *be;
    exam_encoder *enc;
    exam_grader *g; /* NULL when a step failed (each step is a recorded check) */
} exam_test_grader;

/* Builds it; returns 0 when t->g is ready. */
int exam_test_grader_open(exam_test_grader *t);

/* Frees what exam_test_grader_open made. */
void exam_test_grader_close(exam_test_grader *t);

/* Seconds on a monotonic clock. */
double exam_test_now(void);

/* A whole file in a new NUL-terminated buffer (the caller frees it; *len, when not NULL, gets
 * its length without the NUL), or NULL when it cannot be read. */
char *exam_test_read_file(const char *path, size_t *len);

/* Copies the model folder of exam_test_model_dir() into `dir` (created) with every element of
 * the F32 tensor `tensor` of model.safetensors set to `value` (NaN, an overflowing number...):
 * a hostile model. Returns 0, or -1 with the reason on stderr. */
int exam_test_model_poison(const char *dir, const char *tensor, float value);

/* Runs the shell command made from fmt and ap with " 2>&1" appended, keeps up to cap-1 bytes of
 * its output in out (NUL-terminated) and returns its exit code, or -1 when it could not run or
 * did not exit normally. */
int exam_test_vrun(char *out, size_t cap, const char *fmt, va_list ap);

/* How many times needle occurs in s (overlapping occurrences counted). */
int exam_test_count(const char *s, const char *needle);

#endif
