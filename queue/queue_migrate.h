/* Moving a queue written in key layout v1 (names used in keys as they are) to layout v2 (names
 * through exam_queue_name_encode), for `examiner migrate-keys`. */
#ifndef EXAM_QUEUE_MIGRATE_H
#define EXAM_QUEUE_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "queue_keys.h"
#include "redis_conn.h"

typedef struct exam_migrate_stats {
    int already;    /* the queue was in layout v2: nothing was done */
    size_t cohorts; /* cohorts (members of the cohorts set) looked at */
    size_t moved;   /* keys renamed (or, with dry_run, that would be) */
} exam_migrate_stats;

/* Finds the v1 keys whose v2 name differs: per cohort c of the cohorts set, cohort:<c> (hash),
 * cohort:<c>:ids and :submitted (sets), calib:<c> (string) and calib:<c>:pairs (hash), each only
 * when its type is the expected one (so a v1 collision is not moved twice); and every
 * result:<id> hash (SCAN). Unless dry_run, renames them in two passes through temporary names
 * (a v1 name may be another name's v2 key), sets `name` in each cohort hash and records
 * keys_version 2 in the meta hash. Each move is written to `log` (may be NULL) as "OLD -> NEW".
 * The queue's workers must be stopped. Errors: EXAM_ERR_FORMAT (another layout version, a
 * target key that exists), as exam_redis_argv, EXAM_ERR_NOMEM. */
exam_status exam_queue_migrate_keys(exam_redis *r, const exam_queue_keys *keys, int dry_run,
                                    FILE *log, exam_migrate_stats *stats);

#endif
