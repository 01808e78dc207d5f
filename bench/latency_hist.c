/* The log-bucketed latency histogram: bucket arithmetic, recording, merging and quantiles. */
#include "latency_hist.h"

#include <stdlib.h>
#include <string.h>

size_t exam_latency_bucket_index(uint64_t value) {
    if (value < EXAM_LATENCY_SUB) {
        return (size_t)value;
    }
    int top = 63 - __builtin_clzll(value); /* >= SUB_BITS */
    int shift = top - EXAM_LATENCY_SUB_BITS;
    uint64_t sub = (value >> shift) - EXAM_LATENCY_SUB;
    return (size_t)(shift + 1) * EXAM_LATENCY_SUB + (size_t)sub;
}

uint64_t exam_latency_bucket_low(size_t i) {
    if (i < EXAM_LATENCY_SUB) {
        return i;
    }
    size_t shift = i / EXAM_LATENCY_SUB - 1;
    uint64_t sub = i % EXAM_LATENCY_SUB;
    return (EXAM_LATENCY_SUB + sub) << shift;
}

uint64_t exam_latency_bucket_high(size_t i) {
    if (i < EXAM_LATENCY_SUB) {
        return i;
    }
    size_t shift = i / EXAM_LATENCY_SUB - 1;
    return exam_latency_bucket_low(i) + ((UINT64_C(1) << shift) - 1);
}

exam_status exam_latency_hist_init(exam_latency_hist **out) {
    *out = NULL;
    exam_latency_hist *h = malloc(sizeof *h);
    if (!h) {
        return exam_error_set(EXAM_ERR_NOMEM, "latency histogram: out of memory");
    }
    exam_latency_hist_reset(h);
    *out = h;
    return EXAM_OK;
}

void exam_latency_hist_free(exam_latency_hist *h) {
    free(h);
}

void exam_latency_hist_reset(exam_latency_hist *h) {
    memset(h->counts, 0, sizeof h->counts);
    h->count = 0;
    h->min = UINT64_MAX;
    h->max = 0;
    h->sum = 0;
}

void exam_latency_hist_record(exam_latency_hist *h, uint64_t value) {
    h->counts[exam_latency_bucket_index(value)]++;
    h->count++;
    h->sum += (long double)value;
    if (value < h->min) {
        h->min = value;
    }
    if (value > h->max) {
        h->max = value;
    }
}

void exam_latency_hist_merge(exam_latency_hist *dst, const exam_latency_hist *src) {
    if (src->count == 0) {
        return;
    }
    for (size_t i = 0; i < EXAM_LATENCY_BUCKETS; i++) {
        dst->counts[i] += src->counts[i];
    }
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min) {
        dst->min = src->min;
    }
    if (src->max > dst->max) {
        dst->max = src->max;
    }
}

double exam_latency_hist_quantile(const exam_latency_hist *h, double q) {
    if (h->count == 0 || !(q >= 0.0 && q <= 1.0)) {
        return 0.0;
    }
    if (q == 0.0) {
        return (double)h->min;
    }
    if (q == 1.0) {
        return (double)h->max;
    }
    /* rank of the wanted value, 1-based: ceil(q·count), at least 1 */
    long double want = (long double)q * (long double)h->count;
    uint64_t rank = (uint64_t)want;
    if ((long double)rank < want) {
        rank++;
    }
    if (rank < 1) {
        rank = 1;
    }
    uint64_t seen = 0;
    for (size_t i = 0; i < EXAM_LATENCY_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            long double lo = (long double)exam_latency_bucket_low(i);
            long double hi = (long double)exam_latency_bucket_high(i);
            long double mid = (lo + hi) / 2;
            if (mid < (long double)h->min) {
                mid = (long double)h->min;
            }
            if (mid > (long double)h->max) {
                mid = (long double)h->max;
            }
            return (double)mid;
        }
    }
    return (double)h->max;
}

exam_latency_summary exam_latency_hist_summary(const exam_latency_hist *h) {
    exam_latency_summary s;
    memset(&s, 0, sizeof s);
    if (h->count == 0) {
        return s;
    }
    s.count = h->count;
    s.min = (double)h->min;
    s.max = (double)h->max;
    s.mean = (double)(h->sum / (long double)h->count);
    s.p50 = exam_latency_hist_quantile(h, 0.50);
    s.p95 = exam_latency_hist_quantile(h, 0.95);
    s.p99 = exam_latency_hist_quantile(h, 0.99);
    s.p999 = exam_latency_hist_quantile(h, 0.999);
    return s;
}
