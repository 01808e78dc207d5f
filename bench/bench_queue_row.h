/* One row of the queue benchmark: a worker thread, a producer (a closed burst or an open-loop
 * constant rate) and a collector thread that times every job from its scheduled send time to
 * its result on the results stream. */
#ifndef EXAM_BENCH_QUEUE_ROW_H
#define EXAM_BENCH_QUEUE_ROW_H

#include <stdint.h>

#include "error.h"
#include "grade.h"
#include "latency_hist.h"

struct json_t;
struct exam_tokenizer;

typedef struct exam_qrow_config {
    const char *redis_url;
    exam_grader *grader; /* used by the row's worker thread only */
    const struct exam_tokenizer *tokenizer;
    exam_grade_context context;
    struct json_t *jobs;  /* array of job objects, cycled; ids and meta are replaced */
    double rate;          /* jobs per second; 0: all n at once (pipelined) */
    uint64_t n;           /* jobs in the row */
    int run;              /* row number: job ids are "qb<run>-<seq>" */
    double drain_limit_s; /* after the last send, wait this long at most for the results */
} exam_qrow_config;

typedef struct exam_qrow_result {
    exam_latency_hist *hist; /* nanoseconds from each job's due time to its result */
    uint64_t received;       /* results of this row seen */
    uint64_t errors;         /* of which error results */
    uint64_t late_sends;     /* sends after their due time (the producer fell behind) */
    double max_send_lag_s;   /* the latest send, behind its due time */
    double wall_s;           /* first due time to the last result */
    double redis_s, grade_s; /* the worker's time in Redis calls and in the grader */
    double batches, jobs_done;
} exam_qrow_result;

/* Runs one row against the Redis at cfg->redis_url (queue "qbench"): starts a worker, sends
 * cfg->n jobs, waits for all their results, stops the worker. out is filled (free it with
 * exam_qrow_result_free, also after an error). Errors: EXAM_ERR_UNAVAILABLE (Redis),
 * EXAM_ERR_FORMAT (a Redis error reply), EXAM_ERR_LIMIT (results missing after drain_limit_s), the
 * worker's errors, EXAM_ERR_NOMEM. */
exam_status exam_qrow_run(const exam_qrow_config *cfg, exam_qrow_result *out);

/* Frees a row's histogram and zeroes it. */
void exam_qrow_result_free(exam_qrow_result *r);

#endif
