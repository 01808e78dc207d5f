/* The queue worker: reads jobs from the queue's stream as consumer group `examiner`, grades
 * them in batches and commits each batch (result hashes, results stream, cohort aggregates,
 * dead letters, XACK) in one MULTI/EXEC, following docs/queue.md. A reader thread with its own
 * connection reads, decodes, validates and tokenizes the next batch while the calling thread
 * grades and commits the current one; it also reclaims idle entries (XAUTOCLAIM). A third thread
 * with a third connection keeps the claim on everything in hand (XCLAIM ... JUSTID heartbeats),
 * however long preparing or grading takes. */
#ifndef EXAM_WORKER_H
#define EXAM_WORKER_H

#include <signal.h>

#include "error.h"
#include "grade.h"
#include "worker_metrics.h"

struct exam_tokenizer;

/* Worker settings; zero fields take the defaults in brackets. */
typedef struct exam_worker_config {
    const char *redis_url;    /* redis://[user:password@]host:port/db [redis://127.0.0.1:6379/0] */
    const char *queue;        /* queue name [grading] */
    const char *consumer;     /* consumer name [<hostname>-<pid>-<8 random hex digits>] */
    int batch;                /* most jobs per batch [32] */
    int max_batch_tokens;     /* most answer wordpieces per batch [8192] */
    int wait_ms;              /* after the first job of a batch, wait at most this long for
                                 more [5]; -1 means do not wait */
    int idle_block_ms;        /* BLOCK of a read while no job is in hand [1000] */
    int claim_idle_ms;        /* reclaim entries idle longer than this [60000] */
    int max_deliveries;       /* a job delivered more often goes to the dead letters [5] */
    long max_job_bytes;       /* larger payloads are invalid jobs [65536] */
    long results_maxlen;      /* MAXLEN ~ of the results stream [1000000]; -1: no trimming */
    long consumer_gc_idle_ms; /* at start, delete consumers idle longer than this whose pending
                                 list is empty [3600000]; -1: never */
    double drain_s;           /* on stop, finish the batches in hand within this long [20] */
    double idle_exit_s;       /* return after this long with no job at all [0: never] */
    exam_grader *grader;      /* required; the reader thread calls exam_grader_prepare on it
                                 (read only), the thread that calls run grades */
    exam_grade_context context; /* written into results; `worker` defaults to the consumer */
    const struct exam_tokenizer *tokenizer; /* unused: the token budget counts the wordpieces
                                               the grader's prepare found (kept for callers) */
    exam_worker_metrics *metrics;           /* where to count (NULL: the worker keeps its own) */
    long calib_min;         /* fit a cohort's calibration once it has this many judged pairs
                               [20]; -1: never fit automatically (pairs are still kept) */
    long calib_every;       /* refit after this many new pairs [50] */
    double calib_threshold; /* review threshold of the fits, judge points [scale_max / 5] */
    /* Test seam (NULL in production): called on the reader thread after each job's prepare,
     * e.g. to make preparation slow and check that the claim heartbeat does not wait for it. */
    void (*after_prepare)(void *arg, const exam_grade_job *job);
    void *after_prepare_arg;
} exam_worker_config;

typedef struct exam_worker exam_worker;

/* Connects (twice: reader and committer), creates the consumer group at id 0 with MKSTREAM when
 * it is missing, and removes dead consumers (see consumer_gc_idle_ms). Fails fast: a refused
 * password is EXAM_ERR_DENIED at once, an unreachable server EXAM_ERR_UNAVAILABLE.
 * Errors: EXAM_ERR_ARG (bad settings or URL), EXAM_ERR_DENIED, EXAM_ERR_UNAVAILABLE,
 * EXAM_ERR_NOMEM. */
exam_status exam_worker_init(const exam_worker_config *cfg, exam_worker **out);

/* Runs until *stop becomes non-zero (then stops reading, finishes the batches in hand within
 * drain_s or leaves them pending for others to reclaim, and returns EXAM_OK), or until
 * idle_exit_s passes without work (EXAM_OK). Redis outages are waited out with capped
 * exponential backoff. Errors: EXAM_ERR_DENIED (credentials or ACL refused after a reconnect),
 * EXAM_ERR_BACKEND or EXAM_ERR_NOMEM (the grader failed a whole batch; the batch is left
 * pending), EXAM_ERR_NOMEM. */
exam_status exam_worker_run(exam_worker *w, const volatile sig_atomic_t *stop);

/* The consumer name this worker reads as. */
const char *exam_worker_consumer(const exam_worker *w);

/* The metrics the worker updates. */
exam_worker_metrics *exam_worker_metrics_of(exam_worker *w);

/* 1 while the worker's loop is alive and Redis reachable (for /healthz). */
int exam_worker_healthy(exam_worker *w);

/* Closes the connections and frees the worker (NULL is allowed); the grader is not freed. */
void exam_worker_free(exam_worker *w);

#endif
