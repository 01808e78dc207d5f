/* A log-bucketed latency histogram (HDR-style: 64 linear sub-buckets per power of two, so any
 * quantile is within 1/64 of the true value) with exact count, min, max and mean. */
#ifndef EXAM_LATENCY_HIST_H
#define EXAM_LATENCY_HIST_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define EXAM_LATENCY_SUB_BITS 6
#define EXAM_LATENCY_SUB (1u << EXAM_LATENCY_SUB_BITS)
/* Buckets needed to cover every uint64_t value. */
#define EXAM_LATENCY_BUCKETS ((64 - EXAM_LATENCY_SUB_BITS + 1) * EXAM_LATENCY_SUB)

/* Records are not synchronised: give each thread its own histogram and merge them. */
typedef struct exam_latency_hist {
    uint64_t counts[EXAM_LATENCY_BUCKETS];
    uint64_t count;
    uint64_t min;
    uint64_t max;
    long double sum;
} exam_latency_hist;

/* What a latency report shows; values in the unit that was recorded (nanoseconds). */
typedef struct exam_latency_summary {
    uint64_t count;
    double min, mean, p50, p95, p99, p999, max;
} exam_latency_summary;

/* Allocates an empty histogram. Errors: EXAM_ERR_NOMEM. */
exam_status exam_latency_hist_init(exam_latency_hist **out);

/* Frees a histogram (NULL is allowed). */
void exam_latency_hist_free(exam_latency_hist *h);

/* Empties a histogram. */
void exam_latency_hist_reset(exam_latency_hist *h);

/* Records one value (any uint64_t). */
void exam_latency_hist_record(exam_latency_hist *h, uint64_t value);

/* Adds src's records to dst. */
void exam_latency_hist_merge(exam_latency_hist *dst, const exam_latency_hist *src);

/* The value at quantile q in [0, 1]: 0 gives the exact minimum, 1 the exact maximum, others
 * the middle of the bucket holding the ceil(q·count)-th smallest value, clamped to
 * [min, max] (relative error below 1/64). 0 for an empty histogram or a q outside [0, 1]. */
double exam_latency_hist_quantile(const exam_latency_hist *h, double q);

/* Count, min, mean, p50, p95, p99, p99.9 and max in one call (zeros when empty). */
exam_latency_summary exam_latency_hist_summary(const exam_latency_hist *h);

/* The bucket index of a value and the lowest and highest values of bucket i (for tests and
 * for writing the buckets out). */
size_t exam_latency_bucket_index(uint64_t value);
uint64_t exam_latency_bucket_low(size_t i);
uint64_t exam_latency_bucket_high(size_t i);

#endif
