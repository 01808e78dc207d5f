/* The latency histogram (bucket bounds, quantiles within 1/64, merge, extremes) and the
 * constant-rate load generator (due times on schedule, lateness counted, not skipped). */
/* labels: unit */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "latency_hist.h"
#include "load_gen.h"
#include "testlib.h"

static void test_buckets(void) {
    /* every value falls inside its bucket; buckets are contiguous and ordered */
    uint64_t probes[] = {0, 1, 63, 64, 65, 127, 128, 1000, 123456789, UINT64_MAX / 3, UINT64_MAX};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        size_t b = exam_latency_bucket_index(probes[i]);
        CHECKF(b < EXAM_LATENCY_BUCKETS && exam_latency_bucket_low(b) <= probes[i] &&
                   probes[i] <= exam_latency_bucket_high(b),
               "value %llu bucket %zu", (unsigned long long)probes[i], b);
    }
    CHECK(exam_latency_bucket_index(UINT64_MAX) == EXAM_LATENCY_BUCKETS - 1);
    int contiguous = 1;
    for (size_t b = 1; b < EXAM_LATENCY_BUCKETS; b++) {
        contiguous &= exam_latency_bucket_low(b) == exam_latency_bucket_high(b - 1) + 1;
    }
    CHECK(contiguous);
    /* relative width stays under 1/64 above the exact range */
    size_t b = exam_latency_bucket_index(1000000);
    double w = (double)(exam_latency_bucket_high(b) - exam_latency_bucket_low(b) + 1);
    CHECK(w / 1e6 <= 1.0 / 64);
}

static void test_quantiles(void) {
    exam_latency_hist *h;
    CHECK(exam_latency_hist_init(&h) == EXAM_OK);
    exam_latency_summary s = exam_latency_hist_summary(h);
    CHECK(s.count == 0 && s.p99 == 0 && s.max == 0);
    CHECK(exam_latency_hist_quantile(h, 0.5) == 0);
    /* 1..100000 ns once each: the q-quantile is q·100000 */
    for (uint64_t v = 1; v <= 100000; v++) {
        exam_latency_hist_record(h, v);
    }
    s = exam_latency_hist_summary(h);
    CHECK(s.count == 100000 && s.min == 1 && s.max == 100000);
    CHECKF(fabs(s.mean - 50000.5) < 1e-6, "mean %f", s.mean);
    double want[] = {50000, 95000, 99000, 99900};
    double got[] = {s.p50, s.p95, s.p99, s.p999};
    for (int i = 0; i < 4; i++) {
        CHECKF(fabs(got[i] - want[i]) / want[i] <= 1.0 / 64, "quantile %d: %f vs %f", i, got[i],
               want[i]);
    }
    CHECK(exam_latency_hist_quantile(h, 0) == 1 && exam_latency_hist_quantile(h, 1) == 100000);
    CHECK(exam_latency_hist_quantile(h, 1.5) == 0 && exam_latency_hist_quantile(h, NAN) == 0);
    /* small values are exact */
    exam_latency_hist_reset(h);
    for (int i = 0; i < 10; i++) {
        exam_latency_hist_record(h, (uint64_t)i);
    }
    CHECK(exam_latency_hist_quantile(h, 0.5) == 4 && exam_latency_hist_quantile(h, 0.95) == 9);
    /* a long tail: one slow request in 1000 shows at p99.9 and max, not at p99 */
    exam_latency_hist_reset(h);
    for (int i = 0; i < 999; i++) {
        exam_latency_hist_record(h, 1000000);
    }
    exam_latency_hist_record(h, 500000000);
    s = exam_latency_hist_summary(h);
    CHECK(fabs(s.p99 - 1e6) / 1e6 <= 1.0 / 64 && s.max == 5e8);
    CHECKF(fabs(s.p999 - 1e6) / 1e6 <= 1.0 / 64, "p99.9 %f (rank 999 of 1000)", s.p999);
    exam_latency_hist_record(h, 500000000);
    CHECK(fabs(exam_latency_hist_quantile(h, 0.999) - 5e8) / 5e8 <= 1.0 / 64);
    /* merge equals recording everything in one */
    exam_latency_hist *a, *b2, *all;
    CHECK(exam_latency_hist_init(&a) == EXAM_OK && exam_latency_hist_init(&b2) == EXAM_OK &&
          exam_latency_hist_init(&all) == EXAM_OK);
    uint64_t x = 12345;
    for (int i = 0; i < 5000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t v = (x >> 40) + 1;
        exam_latency_hist_record(i % 2 ? a : b2, v);
        exam_latency_hist_record(all, v);
    }
    exam_latency_hist_merge(a, b2);
    exam_latency_summary sa = exam_latency_hist_summary(a), sall = exam_latency_hist_summary(all);
    CHECK(sa.count == sall.count && sa.min == sall.min && sa.max == sall.max &&
          sa.p50 == sall.p50 && sa.p99 == sall.p99 && sa.p999 == sall.p999);
    exam_latency_hist_record(all, UINT64_MAX);
    CHECK(exam_latency_hist_quantile(all, 1) == (double)UINT64_MAX);
    exam_latency_hist_free(a);
    exam_latency_hist_free(b2);
    exam_latency_hist_free(all);
    exam_latency_hist_free(h);
    exam_latency_hist_free(NULL);
}

typedef struct send_log {
    uint64_t due[64];
    uint64_t n;
    int stall_at; /* sleep 20 ms at this request */
} send_log;

static exam_status record_send(void *ctx, uint64_t seq, uint64_t due_ns) {
    send_log *l = ctx;
    if (seq != l->n) {
        return exam_error_set(EXAM_ERR_ARG, "out of order");
    }
    l->due[l->n++] = due_ns;
    if ((int)seq == l->stall_at) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    return EXAM_OK;
}

static void test_loadgen(void) {
    exam_loadgen g;
    CHECK(exam_loadgen_init(&g, 0) == EXAM_ERR_ARG);
    CHECK(exam_loadgen_init(&g, -5) == EXAM_ERR_ARG);
    CHECK(exam_loadgen_init(&g, INFINITY) == EXAM_ERR_ARG);
    /* 1000/s for 50 requests: due times 1 ms apart, about 49 ms in all */
    send_log log = {.stall_at = -1};
    CHECK(exam_loadgen_init(&g, 1000) == EXAM_OK);
    uint64_t t0 = exam_clock_ns();
    CHECK(exam_loadgen_run(&g, 50, record_send, &log) == EXAM_OK);
    uint64_t took = exam_clock_ns() - t0;
    CHECK(log.n == 50 && g.sent == 50);
    int spaced = 1;
    for (int i = 1; i < 50; i++) {
        spaced &= log.due[i] - log.due[i - 1] >= 999999 && log.due[i] - log.due[i - 1] <= 1000001;
    }
    CHECK(spaced);
    CHECKF(took >= 49000000, "50 requests at 1000/s took %llu ns", (unsigned long long)took);
    /* open loop: a 20 ms stall does not move later due times; the overdue ones go at once */
    send_log slow = {.stall_at = 5};
    CHECK(exam_loadgen_init(&g, 1000) == EXAM_OK);
    CHECK(exam_loadgen_run(&g, 40, record_send, &slow) == EXAM_OK);
    CHECK(slow.due[39] - slow.due[0] >= 38999999 && slow.due[39] - slow.due[0] <= 39000001);
    CHECKF(g.late >= 10 && g.max_lag_ns >= 10000000, "late %llu, max lag %llu",
           (unsigned long long)g.late, (unsigned long long)g.max_lag_ns);
}

int main(void) {
    test_buckets();
    test_quantiles();
    test_loadgen();
    return exam_test_finish();
}
