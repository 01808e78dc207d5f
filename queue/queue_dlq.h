/* Dead letters: listing them, and replaying them into the jobs stream so that the cohort
 * aggregates stay right (the job's error result and its `failed` count are undone in the same
 * transaction). */
#ifndef EXAM_QUEUE_DLQ_H
#define EXAM_QUEUE_DLQ_H

#include <stddef.h>

#include "error.h"
#include "queue_keys.h"
#include "redis_conn.h"

struct json_t;

/* The oldest `limit` dead letters (0: all) as a new JSON array of objects: "dlq_id" (the
 * dead-letter stream id, what replay takes) plus every field of the entry ("job" as the verbatim
 * text, "error" decoded when it is JSON); *total (may be NULL) gets the stream's length. Errors as
 * exam_redis_argv, EXAM_ERR_NOMEM. */
exam_status exam_queue_dlq_list(exam_redis *r, const exam_queue_keys *keys, size_t limit,
                                struct json_t **out, long long *total);

/* Replays dead letter `entry`: in one WATCH/MULTI/EXEC it adds the original job payload to
 * the jobs stream, deletes the dead letter and, when examiner:{q}:result:<id> holds an error
 * result (status "error"), deletes that hash, removes the id from cohort:<c>:ids and takes 1
 * from the cohort's `failed` count, so the worker grades and counts the job afresh (it counts
 * a job only when its result hash does not exist). Retries when a concurrent write touched those
 * keys. new_id (may be NULL) gets the new jobs-stream id. Errors: EXAM_ERR_NOT_FOUND (no such dead
 * letter), EXAM_ERR_FORMAT (the entry has no job payload), EXAM_ERR_UNAVAILABLE when it kept
 * conflicting, Redis errors as exam_redis_argv. */
exam_status exam_queue_dlq_replay(exam_redis *r, const exam_queue_keys *keys, const char *entry,
                                  char *new_id, size_t new_id_size);

/* Replays every dead letter present when it starts (later ones, e.g. jobs that fail again,
 * are left for the next call); *replayed gets the count, *skipped the entries without a job
 * payload (left in place). Errors as exam_queue_dlq_replay. */
exam_status exam_queue_dlq_replay_all(exam_redis *r, const exam_queue_keys *keys, size_t *replayed,
                                      size_t *skipped);

#endif
