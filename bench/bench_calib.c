/* Calibration benchmarks: the whole cohort fit (statistics, 1000 bootstrap resamples, the
 * isotonic map, review list) over cohorts of n judged answers, and applying a fitted map. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_env.h"
#include "bench_shim.h"
#include "calib.h"

/* A cohort of n judged answers on a 0..10 judge scale: the judge follows examiner's score
 * through a monotone curve plus rounding noise, from a fixed xorshift sequence. */
static exam_status make_cohort(int n, exam_calib_accum **out) {
    exam_status st = exam_calib_accum_init(out);
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int i = 0; st == EXAM_OK && i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        double u = (double)(s >> 11) / 9007199254740992.0;
        double score = 10.0 * u;
        double noise = (double)((s >> 3) % 5) - 2.0;
        double judge = fmin(10.0, fmax(0.0, round(10.0 * sqrt(u) + noise)));
        exam_calib_pair p = {.score = score, .judge = judge, .scale_max = 10, .source = "llm"};
        st = exam_calib_accum_add(*out, &p);
    }
    return st;
}

static void fail_status(exam_bench_state *st) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", exam_error_message());
    exam_bench_fail(st, msg);
}

static void bm_fit(exam_bench_state *st, void *ctx) {
    (void)ctx;
    int n = (int)exam_bench_arg(st, 0);
    exam_calib_accum *a = NULL;
    exam_status rc = make_cohort(n, &a);
    exam_calib_options o;
    exam_calib_options_default(&o);
    o.fitted_at = 1; /* no clock read inside the loop */
    while (rc == EXAM_OK && exam_bench_batch(st, 1) > 0) {
        json_t *fit = NULL;
        rc = exam_calib_fit(a, &o, &fit);
        json_decref(fit);
    }
    if (rc != EXAM_OK)
        fail_status(st);
    else
        exam_bench_set_items(st, (int64_t)n * exam_bench_iterations(st));
    exam_calib_accum_free(a);
}

static void bm_apply(exam_bench_state *st, void *ctx) {
    (void)ctx;
    exam_calib_accum *a = NULL;
    exam_status rc = make_cohort(1000, &a);
    exam_calib_options o;
    exam_calib_options_default(&o);
    o.boot_reps = 10;
    json_t *fit = NULL;
    exam_calib_map m = {0};
    if (rc == EXAM_OK) rc = exam_calib_fit(a, &o, &fit);
    if (rc == EXAM_OK) rc = exam_calib_map_from_json(fit, &m);
    double sink = 0, x = 0;
    const int64_t per = 4096;
    while (rc == EXAM_OK && exam_bench_batch(st, per) > 0) {
        for (int64_t i = 0; i < per && rc == EXAM_OK; i++) {
            double y;
            x = x >= 10.0 ? 0.0 : x + 0.0137;
            rc = exam_calib_map_apply(&m, x, &y);
            sink += y;
        }
    }
    if (rc != EXAM_OK)
        fail_status(st);
    else
        exam_bench_set_items(st, exam_bench_iterations(st));
    exam_bench_counter(st, "checksum", sink > 0 ? 1.0 : 0.0, 0);
    exam_calib_map_free(&m);
    json_decref(fit);
    exam_calib_accum_free(a);
}

exam_status exam_bench_calib_register(exam_bench_env *env) {
    (void)env;
    static const char *const names[] = {"pairs"};
    exam_bench_def *b = exam_bench_register("calib/fit", bm_fit, NULL);
    exam_bench_arg_names(b, names, 1);
    exam_bench_set_unit(b, EXAM_BENCH_MS);
    static const int64_t sizes[] = {50, 500, 5000};
    for (int i = 0; i < 3; i++) exam_bench_args(b, &sizes[i], 1);
    b = exam_bench_register("calib/apply", bm_apply, NULL);
    exam_bench_set_unit(b, EXAM_BENCH_NS);
    return EXAM_OK;
}
