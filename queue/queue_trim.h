/* Safe trimming of the jobs stream: only entries every consumer group has acknowledged go. */
#ifndef EXAM_QUEUE_TRIM_H
#define EXAM_QUEUE_TRIM_H

#include <stdint.h>

#include "error.h"
#include "queue_keys.h"
#include "redis_conn.h"

/* A stream entry id "<ms>-<seq>". */
typedef struct exam_stream_id {
    uint64_t ms, seq;
} exam_stream_id;

/* Parses "<ms>-<seq>" (or "<ms>", seq 0). Returns 0, or -1 when malformed. */
int exam_stream_id_parse(const char *s, exam_stream_id *id);

/* -1, 0 or 1 as a is older than, the same as, or newer than b. */
int exam_stream_id_cmp(exam_stream_id a, exam_stream_id b);

/* The oldest entry id of the jobs stream that some consumer group may still need: for each
 * group its oldest pending entry, or the id just past its last-delivered-id when nothing is
 * pending; the smallest of these. *have is 0 when the stream has no group (then nothing may
 * be trimmed). Errors as exam_redis_argv; EXAM_ERR_FORMAT for a reply of the wrong shape. */
exam_status exam_queue_safe_point(exam_redis *r, const exam_queue_keys *keys, int *have,
                                  exam_stream_id *safe);

/* Removes every entry older than exam_queue_safe_point (XTRIM MINID, exact): nothing unread or
 * pending is ever removed. *removed (may be NULL) gets the count. Errors as
 * exam_queue_safe_point. */
exam_status exam_queue_trim_acknowledged(exam_redis *r, const exam_queue_keys *keys,
                                         long long *removed);

#endif
