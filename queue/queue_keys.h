/* The Redis key names of one queue. Every key carries the queue name as its hash tag,
 * `examiner:{<queue>}:...`, so all of a queue's keys live in one Redis Cluster slot and one
 * MULTI/EXEC may touch any of them. */
#ifndef EXAM_QUEUE_KEYS_H
#define EXAM_QUEUE_KEYS_H

#include "error.h"

#define EXAM_QUEUE_NAME_MAX 64
#define EXAM_QUEUE_GROUP "examiner"
#define EXAM_QUEUE_DEFAULT_NAME "grading"

typedef struct exam_queue_keys {
    char queue[EXAM_QUEUE_NAME_MAX + 1];
    char prefix[EXAM_QUEUE_NAME_MAX + 16];         /* "examiner:{q}:" */
    char jobs[EXAM_QUEUE_NAME_MAX + 32];           /* stream of jobs (field "job") */
    char results[EXAM_QUEUE_NAME_MAX + 32];        /* stream of results (field "result") */
    char dead[EXAM_QUEUE_NAME_MAX + 32];           /* dead-letter stream */
    char cohorts[EXAM_QUEUE_NAME_MAX + 32];        /* set of cohort ids seen */
    char judge_requests[EXAM_QUEUE_NAME_MAX + 32]; /* answers an external judge should score */
} exam_queue_keys;

/* Fills keys for queue `name`: 1..64 characters from [A-Za-z0-9_.:-] (no braces, so the hash
 * tag is exactly the name). Errors: EXAM_ERR_ARG naming the bad character or length. */
exam_status exam_queue_keys_init(const char *name, exam_queue_keys *keys);

/* A new string "examiner:{q}:<kind>:<id>" (e.g. kind "result", "cohort", "calib"); the caller
 * frees it. NULL when out of memory. */
char *exam_queue_key_for(const exam_queue_keys *keys, const char *kind, const char *id);

#endif
