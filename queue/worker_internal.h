/* What the worker's files share: one stream entry in hand (wk_item), a batch of them, the
 * worker's state, and the functions of worker_read.c, worker_commit.c and worker_group.c.
 * Private to queue/. */
#ifndef EXAM_WORKER_INTERNAL_H
#define EXAM_WORKER_INTERNAL_H

#include <pthread.h>

#include "queue_keys.h"
#include "redis_conn.h"
#include "tokenizer.h"
#include "queue_outcome.h"
#include "worker.h"

/* What became of an entry. */
typedef enum wk_kind {
    WK_JOB = 0,        /* a valid job, to grade */
    WK_INVALID,        /* unreadable or invalid: error result (when it has an id) + dead letter */
    WK_MAX_DELIVERIES, /* delivered too often: error result + dead letter */
    WK_TRIMMED,        /* deleted from the stream while pending: dead letter only */
} wk_kind;

/* One stream entry in hand. */
typedef struct wk_item {
    char entry[48]; /* stream entry id */
    wk_kind kind;
    char *raw; /* the payload as received (field "job"), owned; "" when absent; of a payload
                  over max_job_bytes only its first EXAM_DEAD_JOB_PREFIX bytes */
    size_t raw_len;
    size_t raw_bytes;      /* the payload's length as received */
    int raw_truncated;     /* raw is a prefix */
    char *id;              /* the job id when it could be read (owned), else NULL */
    char *cohort;          /* the job's cohort when it could be read (owned), else NULL */
    exam_grade_job job;    /* WK_JOB only */
    exam_status err;       /* why, for WK_INVALID */
    char code[32];         /* error code of the result and dead letter */
    char message[320];     /* error message */
    long deliveries;       /* delivery count (1 for a first read) */
    int tokens;            /* answer wordpieces + 2 (the batch budget), from prep */
    exam_grade_prep *prep; /* WK_JOB: the job prepared by the reader (exam_grader_prepare) */
    double enqueue_ms;     /* the entry id's millisecond part */
    char *result;          /* result JSON text (after grading), owned; NULL for WK_TRIMMED */
    int ok;                /* the result has a score */
    double score;
    char *calib_pair; /* the judged pair for the cohort's pairs hash (worker_calib.c), owned */
    int id_conflict;  /* the id has a result in another cohort: a dead letter only (sticky) */
} wk_item;

typedef struct wk_batch {
    wk_item *items;
    size_t n, cap;
    long tokens;
    double read_s, decode_s; /* stage times (decode includes the jobs' prepare) */
    double prepare_s;        /* of decode_s, the time in exam_grader_prepare */
} wk_batch;

struct exam_worker {
    exam_worker_config cfg;
    exam_queue_keys keys;
    char consumer[160];
    exam_redis *rd; /* the reader thread's connection */
    exam_redis *wr; /* the committing thread's connection */
    exam_redis *hb; /* the heartbeat thread's connection (worker_heartbeat.c) */
    exam_worker_metrics *metrics;
    int own_metrics;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    wk_batch *ready;   /* read ahead, waiting for the grading thread */
    wk_batch *current; /* being graded/committed */
    volatile sig_atomic_t reader_stop;
    int reader_done;
    exam_status fatal; /* set by either thread on an unrecoverable error */
    char fatal_msg[512];
    int calib_denied_logged; /* the ACL refused the calibration commands: logged once */
    double last_alive;       /* monotonic time the main loop last went round */
    double last_job;         /* monotonic time a job was last in hand */

    /* the heartbeat (worker_heartbeat.c): the entries the reader holds outside ready/current
     * (the replies it is decoding and preparing, its carry), under mu; claim_mu keeps a release
     * from falling between a heartbeat's snapshot and its XCLAIM */
    char (*tracked)[48];
    size_t n_tracked, cap_tracked;
    pthread_mutex_t claim_mu;
    pthread_cond_t hb_cv;
    pthread_t hb_thread;
    int hb_running;
    volatile sig_atomic_t hb_stop;

    /* reader thread state */
    wk_batch carry;        /* read but over the token budget: the next batch starts with it */
    char claim_cursor[48]; /* XAUTOCLAIM cursor */
    int recover_own;       /* after a reconnect: re-read our own pending entries (a reply lost
                              with the connection may have delivered some to us) */
    char own_cursor[48];   /* where that re-read goes on */
    double next_claim, next_stats;

    struct wk_calib *calib; /* cohorts' calibration maps as last read (worker_calib.c) */
};

/* Monotonic seconds. */
double wk_now(void);

/* Frees an item's storage and zeroes it. */
void wk_item_free(wk_item *it);

/* Appends a zeroed item; NULL when out of memory. */
wk_item *wk_batch_push(wk_batch *b);

/* Frees every item and the array, and zeroes the batch. */
void wk_batch_clear(wk_batch *b);

/* Moves the items of `from` to the end of `to` (from ends empty). Errors: EXAM_ERR_NOMEM. */
exam_status wk_batch_move(wk_batch *to, wk_batch *from);

/* worker.c: records a fatal error (the first one wins) and stops the reader. */
void wk_set_fatal(exam_worker *w, exam_status st);

/* worker_heartbeat.c: the reader holds the entries of this reply (an array of [id, fields]):
 * the heartbeat keeps their claim from now on, while they are decoded and prepared. */
void wk_track_entries(exam_worker *w, const redisReply *entries);

/* worker_heartbeat.c: what the reader holds outside ready/current is now exactly `held` (its
 * carry; NULL: nothing). Call it after handing a batch over or releasing entries. */
void wk_track_reset(exam_worker *w, const wk_batch *held);

/* worker_heartbeat.c: starts the heartbeat thread (XCLAIM ... JUSTID on everything held, every
 * claim-idle/3, on connection w->hb, reconnecting with backoff). Errors: EXAM_ERR_NOMEM. */
exam_status wk_heartbeat_start(exam_worker *w);

/* worker_heartbeat.c: stops and joins the heartbeat thread (no-op when not started). */
void wk_heartbeat_stop(exam_worker *w);

/* worker_read.c: decodes stream entry `e` (an array [id, [field, value, ...]]) delivered
 * `deliveries` times into *it: a valid job, or an invalid one with its code and message.
 * Errors: EXAM_ERR_NOMEM only (every bad input is an invalid item). A valid job is not yet
 * prepared (see wk_prepare_item). */
exam_status wk_decode_entry(exam_worker *w, const redisReply *e, long deliveries, wk_item *it);

/* worker_read.c: prepares a valid job for grading on the calling (reader) thread: question,
 * signals, sentences and wordpieces (exam_grader_prepare), and sets it->tokens from the
 * prepared answer. Errors: EXAM_ERR_NOMEM. */
exam_status wk_prepare_item(exam_worker *w, wk_item *it);

/* worker_read.c: fills b with the next batch (carried-over items, reclaimed entries, then new
 * ones) cut by count, token budget and wait window. An empty batch means nothing arrived within
 * idle_block_ms. Errors: EXAM_ERR_UNAVAILABLE (connection lost: reconnect and call again),
 * EXAM_ERR_DENIED, EXAM_ERR_NOMEM, EXAM_ERR_FORMAT (an unexpected server reply). */
exam_status wk_read_batch(exam_worker *w, wk_batch *b);

/* worker.c: grades the batch's valid jobs (their preps) and writes every item's result text:
 * the graded result, or the error result of an invalid one with an id (none for trimmed or
 * id-less items). Errors: EXAM_ERR_NOMEM, the grader's (EXAM_ERR_BACKEND). */
exam_status wk_grade_batch(exam_worker *w, wk_batch *b);

/* worker_commit.c: commits the items (each with its result, or a trimmed dead letter) as
 * docs/queue.md says, repeating when EXEC answers nil. *duplicates counts results that already
 * existed. Errors: EXAM_ERR_UNAVAILABLE (connection lost; the commit may or may not have
 * happened: calling again is safe), EXAM_ERR_DENIED, EXAM_ERR_FORMAT (a server error reply). */
exam_status wk_commit(exam_worker *w, wk_item *items, size_t n, long *duplicates);

/* worker_commit_ids.c: given the result hash of it's id as the commit sees it (read under
 * WATCH, or as an earlier copy of the id in the same batch left it), marks `it` as an
 * id_conflict error when that result belongs to another cohort (it->id_conflict, ok 0, code and
 * message set, no calibration pair) and returns 1; the commit then writes it as a dead letter
 * only and leaves the other cohort's result alone. Sticky: a marked item stays marked. */
int wk_commit_id_conflict(wk_item *it, const exam_result_prev *prev);

/* worker_group.c: XGROUP CREATE <jobs> examiner 0 MKSTREAM unless the group exists. */
exam_status wk_group_ensure(exam_worker *w, exam_redis *r);

/* worker_group.c: deletes consumers idle longer than consumer_gc_idle_ms with empty pending
 * lists (never this worker's own); returns how many through *removed. */
exam_status wk_group_gc(exam_worker *w, exam_redis *r, int *removed);

/* worker_group.c: XCLAIM <jobs> examiner <me> 0 <ids> [IDLE idle_ms] JUSTID in chunks: with
 * idle_ms < 0 it resets the entries' idle time (heartbeat: the claim stays ours); with
 * idle_ms >= 0 it marks them idle that long so another worker reclaims them at once (release). */
exam_status wk_group_touch(exam_worker *w, exam_redis *r, const char *const *ids, size_t n,
                           long idle_ms);

/* worker_group.c: reads the group's pending and lag counts (XINFO GROUPS) into the gauges. */
exam_status wk_group_stats(exam_worker *w, exam_redis *r);

#endif
