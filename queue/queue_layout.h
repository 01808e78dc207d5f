/* The key layout version of a queue (docs/queue.md, "Key layout v2"): the meta hash
 * examiner:{q}:meta records `keys_version`; a queue that holds data written by an older
 * examiner (names used in keys unescaped) is refused until `examiner migrate-keys` moves it. */
#ifndef EXAM_QUEUE_LAYOUT_H
#define EXAM_QUEUE_LAYOUT_H

#include "error.h"
#include "queue_keys.h"
#include "redis_conn.h"

/* Checks that the queue's keys are in layout EXAM_QUEUE_KEYS_VERSION. A queue whose meta hash
 * has no `keys_version` is new when neither its cohorts set nor its results stream exists (a
 * jobs stream alone holds no key names): with `claim` set, the version is then recorded
 * (HSETNX), so writers mark the queue before they add anything. Errors: EXAM_ERR_FORMAT for
 * old data without a version or another version (the message names `examiner migrate-keys`),
 * else as exam_redis_argv. */
exam_status exam_queue_layout_check(exam_redis *r, const exam_queue_keys *keys, int claim);

#endif
