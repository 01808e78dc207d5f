/* Producing jobs: reads JSONL job lines, checks each against the job schema, and adds them to
 * the queue's jobs stream with pipelined XADDs, optionally at a constant rate, trimming only
 * what the consumer group has acknowledged. */
#ifndef EXAM_QUEUE_SUBMIT_H
#define EXAM_QUEUE_SUBMIT_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "queue_keys.h"
#include "redis_conn.h"

typedef struct exam_submit_options {
    int raw;          /* send lines unchecked (no job parsing, no duplicate-id check) */
    long long maxlen; /* backlog cap: 0 = none (see exam_queue_submit_file) */
    double rate;      /* jobs per second, 0 = as fast as possible */
    size_t chunk;     /* XADDs per pipeline round trip (default 256) */
    size_t max_line;  /* longest accepted line in bytes (default 65536) */
} exam_submit_options;

/* Called for each rejected line (1-based line number and why). */
typedef void (*exam_submit_reject_fn)(void *user, size_t line_no, const char *why);

typedef struct exam_submit_stats {
    size_t added;      /* entries added to the stream */
    size_t rejected;   /* lines refused (each reported) */
    size_t trimmed;    /* acknowledged entries removed by --maxlen trimming */
    char first_id[48]; /* stream id of the first entry added ("" when none) */
    char last_id[48];  /* stream id of the last */
    double seconds;    /* wall time of the adding */
} exam_submit_stats;

/* Creates the consumer group (EXAM_QUEUE_GROUP, reading from id 0, MKSTREAM) unless it exists,
 * so that jobs added before the first worker starts are read. Errors: as exam_redis_argv,
 * EXAM_ERR_DENIED when the ACL forbids it. */
exam_status exam_queue_ensure_group(exam_redis *r, const exam_queue_keys *keys);

/* Adds every non-blank line of `in` (named `name` in messages) as an entry {job: line} of the
 * jobs stream, and records each checked job's id in examiner:{q}:cohort:<c>:submitted and its
 * cohort in examiner:{q}:cohorts. Unless options->raw, a line must parse as a job
 * (exam_grade_job_from_json) with an id not used by an earlier line; other lines are reported
 * through reject (may be NULL) and skipped. options->maxlen > 0 caps the stream: before a
 * chunk that would take it past maxlen, acknowledged entries are trimmed
 * (exam_queue_trim_acknowledged); if unfinished work alone still fills it, it stops with
 * EXAM_ERR_LIMIT (what was added stays added and is counted in stats). options may be NULL.
 * Errors: EXAM_ERR_IO (reading), EXAM_ERR_LIMIT, Redis errors as exam_redis_argv. */
exam_status exam_queue_submit_file(exam_redis *r, const exam_queue_keys *keys, FILE *in,
                                   const char *name, const exam_submit_options *options,
                                   exam_submit_reject_fn reject, void *user,
                                   exam_submit_stats *stats);

#endif
