/* The worker's counters, gauges and histograms, rendered as Prometheus text. Every update and
 * the rendering take one mutex, so the reader thread, the grading thread and the HTTP thread may
 * all use the same set. */
#ifndef EXAM_WORKER_METRICS_H
#define EXAM_WORKER_METRICS_H

#include <stddef.h>

#include "error.h"

/* Histograms the worker keeps. */
typedef enum exam_wm_hist {
    EXAM_WM_BATCH_JOBS = 0, /* jobs per batch */
    EXAM_WM_BATCH_TOKENS,   /* answer wordpieces per batch */
    EXAM_WM_STAGE_READ,     /* seconds: XREADGROUP/XAUTOCLAIM until the batch was cut */
    EXAM_WM_STAGE_DECODE,   /* seconds: JSON decode, validation and tokenizing of a batch */
    EXAM_WM_STAGE_GRADE,    /* seconds: encoding and scoring of a batch */
    EXAM_WM_STAGE_COMMIT,   /* seconds: the WATCH/MULTI/EXEC commit of a batch */
    EXAM_WM_LATENCY,        /* seconds from the job's stream id (enqueue) to its commit */
    EXAM_WM_HIST_COUNT
} exam_wm_hist;

/* Counters the worker keeps. */
typedef enum exam_wm_counter {
    EXAM_WM_JOBS_DONE = 0, /* results with a score */
    EXAM_WM_JOBS_FAILED,   /* error results (invalid job, unknown question, ...) */
    EXAM_WM_DEAD_INVALID,  /* dead letters by reason */
    EXAM_WM_DEAD_MAX_DELIVERIES,
    EXAM_WM_DEAD_TRIMMED,
    EXAM_WM_DUPLICATES, /* results that overwrote an existing one (redeliveries) */
    EXAM_WM_RECLAIMED,  /* entries taken over with XAUTOCLAIM */
    EXAM_WM_BATCHES,
    EXAM_WM_COMMIT_RETRIES, /* EXEC answered nil (a watched result changed) */
    EXAM_WM_RECONNECTS,
    EXAM_WM_REDIS_ERRORS,       /* transport or server errors seen */
    EXAM_WM_REDIS_SECONDS,      /* time inside Redis calls that do not wait for work */
    EXAM_WM_REDIS_WAIT_SECONDS, /* time blocked in XREADGROUP waiting for jobs */
    EXAM_WM_GRADE_SECONDS,      /* time in the grader */
    EXAM_WM_COUNTER_COUNT
} exam_wm_counter;

/* Gauges the worker keeps. */
typedef enum exam_wm_gauge {
    EXAM_WM_LAG = 0,   /* entries of the stream not yet delivered to the group (XINFO GROUPS) */
    EXAM_WM_PENDING,   /* entries delivered to the group and not acknowledged */
    EXAM_WM_IN_FLIGHT, /* jobs this worker holds (being graded or read ahead) */
    EXAM_WM_REDIS_UP,  /* 1 while both connections are usable */
    EXAM_WM_GAUGE_COUNT
} exam_wm_gauge;

typedef struct exam_worker_metrics exam_worker_metrics;

/* Creates an empty set; the uptime gauge counts from now.
 * Errors: EXAM_ERR_NOMEM. */
exam_status exam_wm_init(exam_worker_metrics **out);

/* Frees the set (NULL is allowed). */
void exam_wm_free(exam_worker_metrics *m);

/* Adds `v` to a counter. */
void exam_wm_add(exam_worker_metrics *m, exam_wm_counter c, double v);

/* Sets a gauge. */
void exam_wm_set(exam_worker_metrics *m, exam_wm_gauge g, double v);

/* Records one observation in a histogram. */
void exam_wm_observe(exam_worker_metrics *m, exam_wm_hist h, double v);

/* The current value of a counter (for tests and the closing log line). */
double exam_wm_get(exam_worker_metrics *m, exam_wm_counter c);

/* Renders every metric in the Prometheus text format (version 0.0.4) with the `consumer`
 * label value on the uptime line; the caller frees the string. NULL when out of memory. */
char *exam_wm_render(exam_worker_metrics *m, const char *consumer);

#endif
