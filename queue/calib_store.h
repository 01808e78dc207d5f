/* A cohort's calibration kept in Redis: the judged pairs (hash examiner:{q}:calib:<c>:pairs,
 * one field per job id holding the pair as JSON) and the fitted calibration JSON (string
 * examiner:{q}:calib:<c>). Reads the pairs back in a fixed order, fits and stores the result,
 * and loads the stored calibration. See docs/queue.md and docs/calibration.md. */
#ifndef EXAM_CALIB_STORE_H
#define EXAM_CALIB_STORE_H

#include <stddef.h>

#include "calib.h"
#include "error.h"
#include "queue_keys.h"
#include "redis_conn.h"

struct json_t;

/* New strings (the caller frees them) for the cohort's calibration key and pairs hash; NULL
 * when out of memory. */
char *exam_calib_store_key(const exam_queue_keys *keys, const char *cohort);
char *exam_calib_store_pairs_key(const exam_queue_keys *keys, const char *cohort);

/* The pair a result JSON text carries, as the JSON text stored in the pairs hash (one pair of
 * exam_calib_accum_to_json), in *out (the caller frees it). EXAM_ERR_NOT_FOUND, with *out NULL,
 * for an error result or one without a judge block. Errors: EXAM_ERR_FORMAT (not a result
 * object), the errors of exam_calib_accum_add_result, EXAM_ERR_NOMEM. */
exam_status exam_calib_pair_from_result(const char *result_json, char **out);

/* Reads the cohort's pairs hash into a new accumulator, in job-id order (so a fit of the same
 * pairs gives the same bootstrap intervals on every worker). Pairs whose judge scale differs
 * from the scale most pairs use, and malformed values, are left out and counted in *skipped
 * (may be NULL); *read (may be NULL) is the number of hash fields. An empty hash gives an
 * empty accumulator. Errors: EXAM_ERR_UNAVAILABLE, EXAM_ERR_DENIED, EXAM_ERR_FORMAT (a server
 * error reply), EXAM_ERR_NOMEM. */
exam_status exam_calib_store_read_pairs(exam_redis *r, const exam_queue_keys *keys,
                                        const char *cohort, exam_calib_accum **out, size_t *read,
                                        size_t *skipped);

/* Number of judged pairs the cohort holds (HLEN of its pairs hash). Errors as above. */
exam_status exam_calib_store_count(exam_redis *r, const exam_queue_keys *keys, const char *cohort,
                                   long long *n);

/* Fits the cohort from its pairs (options may be NULL for the defaults; the cohort name is set
 * here), adds "pairs_read" (the hash fields read, skipped ones included), stores the JSON at
 * examiner:{q}:calib:<c> and returns it in *out when out is not NULL (the caller decrefs it).
 * Errors: EXAM_ERR_NOT_FOUND when the cohort has no usable pair, the errors of
 * exam_calib_fit and of the Redis calls. */
exam_status exam_calib_store_fit(exam_redis *r, const exam_queue_keys *keys, const char *cohort,
                                 const exam_calib_options *options, struct json_t **out);

/* Loads the stored calibration JSON of a cohort into *out (the caller decrefs it).
 * Errors: EXAM_ERR_NOT_FOUND when there is none, EXAM_ERR_FORMAT when it is not a JSON object,
 * and the errors of the Redis calls. */
exam_status exam_calib_store_load(exam_redis *r, const exam_queue_keys *keys, const char *cohort,
                                  struct json_t **out);

#endif
