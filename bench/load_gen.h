/* An open-loop, constant-rate load generator: request k is due at start + k/rate whether or not
 * earlier requests have finished, so latency measured from the due time includes queueing
 * (no coordinated omission). */
#ifndef EXAM_LOAD_GEN_H
#define EXAM_LOAD_GEN_H

#include <stdint.h>

#include "error.h"

typedef struct exam_loadgen {
    double rate;       /* requests per second */
    uint64_t start_ns; /* monotonic clock at the first due time */
    uint64_t sent;     /* requests handed out so far */
    uint64_t late;     /* requests handed out after their due time had already passed */
    uint64_t max_lag_ns;
} exam_loadgen;

/* Called for request seq (0-based) once it is due; due_ns is its scheduled time on the
 * monotonic clock (use it, not the time of sending, as the start of its latency). A non-OK
 * status stops exam_loadgen_run and is returned. */
typedef exam_status (*exam_loadgen_send_fn)(void *ctx, uint64_t seq, uint64_t due_ns);

/* The monotonic clock in nanoseconds. */
uint64_t exam_clock_ns(void);

/* Starts a generator at `rate` requests per second (finite, > 0, at most 1e9); the first
 * request is due now. Errors: EXAM_ERR_ARG. */
exam_status exam_loadgen_init(exam_loadgen *g, double rate);

/* The due time of the next request. */
uint64_t exam_loadgen_next_due(const exam_loadgen *g);

/* Sleeps until the next request is due (not at all when it is overdue), counts it, and
 * returns its due time; *seq (may be NULL) receives its number. */
uint64_t exam_loadgen_wait(exam_loadgen *g, uint64_t *seq);

/* Issues n requests at the generator's rate through send(ctx, ...). Returns EXAM_OK or the
 * first error send returned. */
exam_status exam_loadgen_run(exam_loadgen *g, uint64_t n, exam_loadgen_send_fn send, void *ctx);

#endif
