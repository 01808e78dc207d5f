/* The Redis key names of one queue. Every key carries the queue name as its hash tag,
 * `examiner:{<queue>}:...`, so all of a queue's keys live in one Redis Cluster slot and one
 * MULTI/EXEC may touch any of them. User-chosen names (cohorts, job ids) enter a key only
 * through the one naming rule below (key layout v2, docs/queue.md). */
#ifndef EXAM_QUEUE_KEYS_H
#define EXAM_QUEUE_KEYS_H

#include "error.h"

#define EXAM_QUEUE_NAME_MAX 64
#define EXAM_QUEUE_GROUP "examiner"
#define EXAM_QUEUE_DEFAULT_NAME "grading"
#define EXAM_QUEUE_KEYS_VERSION 2    /* the layout this code writes (meta hash `keys_version`) */
#define EXAM_QUEUE_COMPONENT_MAX 128 /* longest encoded name kept whole in a key */
#define EXAM_QUEUE_COMPONENT_HEAD 48 /* readable head kept before the hash of a longer one */

typedef struct exam_queue_keys {
    char queue[EXAM_QUEUE_NAME_MAX + 1];
    char prefix[EXAM_QUEUE_NAME_MAX + 16];         /* "examiner:{q}:" */
    char jobs[EXAM_QUEUE_NAME_MAX + 32];           /* stream of jobs (field "job") */
    char results[EXAM_QUEUE_NAME_MAX + 32];        /* stream of results (field "result") */
    char dead[EXAM_QUEUE_NAME_MAX + 32];           /* dead-letter stream */
    char cohorts[EXAM_QUEUE_NAME_MAX + 32];        /* set of cohort ids seen */
    char judge_requests[EXAM_QUEUE_NAME_MAX + 32]; /* answers an external judge should score */
    char meta[EXAM_QUEUE_NAME_MAX + 32];           /* hash: keys_version (queue_layout.h) */
} exam_queue_keys;

/* Fills keys for queue `name`: 1..64 characters from [A-Za-z0-9_.:-] (no braces, so the hash
 * tag is exactly the name). Errors: EXAM_ERR_ARG naming the bad character or length. */
exam_status exam_queue_keys_init(const char *name, exam_queue_keys *keys);

/* The key component of a user-chosen name (a cohort, a job id) of `len` bytes: every byte
 * outside [A-Za-z0-9._~-] becomes %XX (upper-case hex), so ':' '{' '}' '%' and spaces never
 * appear raw and distinct names give distinct components; a name needing no escape is its own
 * component. When the encoding is longer than EXAM_QUEUE_COMPONENT_MAX bytes the component is
 * its first (at most) EXAM_QUEUE_COMPONENT_HEAD bytes, cut between escapes, then '#' (never
 * produced by the encoding) and the 64 hex digits of the SHA-256 of the whole name. A new
 * string the caller frees; NULL when out of memory. */
char *exam_queue_name_encode(const char *name, size_t len);

/* Undoes exam_queue_name_encode for a component without a hash: a new NUL-terminated string
 * in *out (its length in *len when not NULL) that the caller frees. Errors: EXAM_ERR_FORMAT (a
 * hashed component, a bad escape, a byte that the encoding escapes), EXAM_ERR_NOMEM. */
exam_status exam_queue_name_decode(const char *component, char **out, size_t *len);

/* A new string "examiner:{q}:<kind>:<component of name>" (kind "result", "cohort", "calib";
 * the component as exam_queue_name_encode makes it); the caller frees it. NULL when out of
 * memory. */
char *exam_queue_key_for(const exam_queue_keys *keys, const char *kind, const char *name);

#endif
