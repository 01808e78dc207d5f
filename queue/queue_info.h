/* A snapshot of a queue for operators: the jobs stream, its consumer group and consumers,
 * results, dead letters and per-cohort aggregates, as one JSON object. */
#ifndef EXAM_QUEUE_INFO_H
#define EXAM_QUEUE_INFO_H

#include "error.h"
#include "queue_keys.h"
#include "redis_conn.h"

struct json_t;

/* Builds {"queue", "jobs": {"length", "first_id", "last_id", "entries_added"},
 * "group": {"name", "exists", "lag", "pending", "entries_read", "last_delivered_id",
 * "consumers": [{"name", "pending", "idle_ms", "inactive_ms"}]}, "results": {"length"},
 * "dead_letters", "cohorts": [{"cohort", "done", "failed", "mean", "submitted"}]} for the queue.
 * A missing stream or group reads as empty (length 0, "exists": false); "lag" is null when
 * the server cannot tell (Redis < 7, or after deletions it cannot account for). Cohorts are
 * those in examiner:{q}:cohorts, sorted by name; "mean" is null when nothing was graded;
 * "submitted" counts the ids `examiner submit` recorded. Errors as exam_redis_argv, EXAM_ERR_NOMEM.
 */
exam_status exam_queue_info(exam_redis *r, const exam_queue_keys *keys, struct json_t **out);

#endif
