/* Reading a cohort's results back: the job ids recorded for the cohort, each one's result hash,
 * sorted for people (candidate, then question). */
#ifndef EXAM_QUEUE_RESULTS_H
#define EXAM_QUEUE_RESULTS_H

#include <stddef.h>

#include "error.h"
#include "queue_keys.h"
#include "redis_conn.h"

struct json_t;

/* The key "examiner:{q}:cohort:<cohort><suffix>" (suffix "" for the aggregates hash,
 * EXAM_QK_COHORT_IDS_SUFFIX, EXAM_QK_COHORT_SUBMITTED_SUFFIX); the caller frees it. NULL when
 * out of memory. */
char *exam_queue_cohort_key(const exam_queue_keys *keys, const char *cohort, const char *suffix);

/* The cohort's job ids are those `examiner submit` recorded (cohort:<c>:submitted) together with
 * those the worker recorded with their result (cohort:<c>:ids), less ids longer than
 * EXAM_JOB_ID_MAX (no result can exist for them). Counts them (*total) and those without a
 * result hash yet (*missing). Errors as exam_redis_argv, EXAM_ERR_NOMEM. */
exam_status exam_queue_cohort_progress(exam_redis *r, const exam_queue_keys *keys,
                                       const char *cohort, size_t *total, size_t *missing);

/* The cohort's results: a new JSON array of result objects (decoded from the result hash of
 * each of the cohort's job ids, as exam_queue_cohort_progress takes them), sorted by candidate,
 * then question_id, then id; ids without a result are counted in *missing (may be NULL), a hash
 * whose JSON does not parse becomes an error object
 * {"id", "error": {"code": "format", ...}} so nothing is silently dropped.
 * Errors as exam_redis_argv, EXAM_ERR_NOMEM. */
exam_status exam_queue_cohort_results(exam_redis *r, const exam_queue_keys *keys,
                                      const char *cohort, struct json_t **out, size_t *missing);

#endif
