/* The calibration library's behaviour beyond the reference values: bootstrap intervals (contain
 * the estimate, ordered, reproducible from the seed), Kendall's tau-b against an O(n^2) count,
 * rejection of NaN/inf judge scores and mixed scales, undefined statistics written as null, the
 * accumulator's JSON round trip, the map's JSON round trip and its bad inputs, the review list,
 * Krippendorff's alpha between judges inside a fit, and the suggest criterion. */
/* labels: unit */
#include <gsl/gsl_rng.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "calib.h"
#include "stats.h"
#include "testlib.h"

static double brute_tau_b(const double *x, const double *y, size_t n) {
    double con = 0, dis = 0, tx = 0, ty = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double dx = x[i] - x[j], dy = y[i] - y[j];
            if (dx == 0 && dy == 0) continue;
            if (dx == 0)
                tx++;
            else if (dy == 0)
                ty++;
            else if (dx * dy > 0)
                con++;
            else
                dis++;
        }
    return (con - dis) / sqrt((con + dis + tx) * (con + dis + ty));
}

static void test_kendall_brute(void) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    for (int rep = 0; rep < 20; rep++) {
        size_t n = 2 + gsl_rng_uniform_int(r, 300);
        double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        for (size_t i = 0; i < n; i++) {
            x[i] = (double)gsl_rng_uniform_int(r, rep % 2 ? 5 : 1000);
            y[i] = x[i] * 0.3 + (double)gsl_rng_uniform_int(r, rep % 3 ? 4 : 1000);
        }
        double want = brute_tau_b(x, y, n), got = exam_agreement_kendall_tau_b(x, y, n);
        CHECKF((isnan(want) && isnan(got)) || fabs(got - want) < 1e-12,
               "tau-b n=%zu: %.15g vs brute %.15g", n, got, want);
        free(x);
        free(y);
    }
    gsl_rng_free(r);
}

static void test_bootstrap(void) {
    enum { N = 60 };
    double x[N], y[N];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    for (int i = 0; i < N; i++) {
        x[i] = floor(gsl_rng_uniform(r) * 11);
        y[i] = fmin(10, fmax(0, x[i] + floor(gsl_rng_uniform(r) * 5) - 2));
    }
    gsl_rng_free(r);
    double lo, hi, lo2, hi2, lo3, hi3;
    CHECK(exam_agreement_bootstrap(EXAM_BOOT_PEARSON, x, y, N, 0, 1000, 0.95, 42, &lo, &hi) ==
          EXAM_OK);
    double p = exam_stats_pearson(x, y, N);
    CHECKF(lo <= p && p <= hi && lo < hi, "pearson %g outside [%g, %g]", p, lo, hi);
    CHECK(hi <= 1 && lo >= -1);
    CHECK(exam_agreement_bootstrap(EXAM_BOOT_PEARSON, x, y, N, 0, 1000, 0.95, 42, &lo2, &hi2) ==
          EXAM_OK);
    CHECK(lo == lo2 && hi == hi2); /* same seed, same interval */
    CHECK(exam_agreement_bootstrap(EXAM_BOOT_PEARSON, x, y, N, 0, 1000, 0.95, 43, &lo3, &hi3) ==
          EXAM_OK);
    CHECK(lo3 != lo || hi3 != hi); /* another seed, another draw */
    CHECK(exam_agreement_bootstrap(EXAM_BOOT_PEARSON, x, y, N, 0, 1000, 0.5, 42, &lo3, &hi3) ==
          EXAM_OK);
    CHECK(lo3 >= lo && hi3 <= hi); /* a 50% interval sits inside the 95% one */
    int a[N], b[N];
    for (int i = 0; i < N; i++) {
        a[i] = (int)x[i];
        b[i] = (int)y[i];
    }
    double q;
    CHECK(exam_agreement_qwk(a, b, N, 10, &q) == EXAM_OK);
    CHECK(exam_agreement_bootstrap(EXAM_BOOT_QWK, x, y, N, 10, 1000, 0.95, 42, &lo, &hi) ==
          EXAM_OK);
    CHECKF(lo <= q && q <= hi && lo < hi, "qwk %g outside [%g, %g]", q, lo, hi);
    /* undefined: n < 2, a constant side */
    CHECK(exam_agreement_bootstrap(EXAM_BOOT_PEARSON, x, y, 1, 0, 100, 0.95, 42, &lo, &hi) ==
          EXAM_OK);
    CHECK(isnan(lo) && isnan(hi));
    double c[N];
    for (int i = 0; i < N; i++) c[i] = 4;
    CHECK(exam_agreement_bootstrap(EXAM_BOOT_PEARSON, c, y, N, 0, 100, 0.95, 42, &lo, &hi) ==
          EXAM_OK);
    CHECK(isnan(lo) && isnan(hi));
    CHECK(exam_agreement_bootstrap(EXAM_BOOT_PEARSON, x, y, N, 0, 0, 0.95, 42, &lo, &hi) ==
          EXAM_ERR_ARG);
    CHECK(exam_agreement_bootstrap(EXAM_BOOT_QWK, x, y, N, 5, 100, 0.95, 42, &lo, &hi) ==
          EXAM_ERR_ARG); /* ratings above the scale */
    int bad[2] = {0, 11};
    CHECK(exam_agreement_qwk(bad, bad, 2, 10, &q) == EXAM_ERR_ARG);
}

static void test_rejects(void) {
    exam_calib_accum *a;
    CHECK(exam_calib_accum_init(&a) == EXAM_OK);
    exam_calib_pair p = {.score = 5, .judge = NAN, .scale_max = 10, .job_id = "j1"};
    CHECK(exam_calib_accum_add(a, &p) == EXAM_ERR_ARG);
    CHECK(strstr(exam_error_message(), "finite") != NULL);
    p.judge = INFINITY;
    CHECK(exam_calib_accum_add(a, &p) == EXAM_ERR_ARG);
    p.judge = 11;
    CHECK(exam_calib_accum_add(a, &p) == EXAM_ERR_ARG);
    p.judge = 3;
    p.scale_max = 0;
    CHECK(exam_calib_accum_add(a, &p) == EXAM_ERR_ARG);
    p.scale_max = 10;
    p.score = NAN;
    CHECK(exam_calib_accum_add(a, &p) == EXAM_ERR_ARG);
    p.score = 5;
    CHECK(exam_calib_accum_add(a, &p) == EXAM_OK);
    p.scale_max = 5;
    CHECK(exam_calib_accum_add(a, &p) == EXAM_ERR_ARG); /* a second scale in one cohort */
    CHECK(exam_calib_accum_count(a) == 1);
    json_t *fit = NULL;
    CHECK(exam_calib_fit(a, NULL, &fit) == EXAM_OK); /* n = 1: everything relational is null */
    const char *null_keys[] = {"pearson",    "spearman", "kendall_tau_b", "qwk",
                               "pearson_ci", "qwk_ci",   "alpha"};
    for (size_t k = 0; k < sizeof null_keys / sizeof null_keys[0]; k++)
        CHECKF(json_is_null(json_object_get(fit, null_keys[k])), "n=1: %s not null", null_keys[k]);
    CHECK(fabs(json_number_value(json_object_get(fit, "mae")) - 2.0) < 1e-12);
    json_decref(fit);
    exam_calib_accum_free(a);
    CHECK(exam_calib_accum_init(&a) == EXAM_OK);
    CHECK(exam_calib_fit(a, NULL, &fit) == EXAM_ERR_ARG && fit == NULL);
    /* a result without a judge adds nothing; a NaN smuggled in as a string is a format error */
    json_t *r = json_pack("{s:s,s:f}", "id", "x", "score", 4.0);
    CHECK(exam_calib_accum_add_result(a, r) == EXAM_ERR_NOT_FOUND);
    json_object_set_new(r, "judge", json_pack("{s:s}", "score", "NaN"));
    CHECK(exam_calib_accum_add_result(a, r) == EXAM_ERR_FORMAT);
    json_object_set_new(
        r, "judge", json_pack("{s:f,s:f,s:s}", "score", 6.0, "scale_max", 10.0, "source", "llm"));
    json_object_set_new(r, "candidate", json_string("cand"));
    json_object_set_new(r, "question_id", json_string("q1"));
    CHECK(exam_calib_accum_add_result(a, r) == EXAM_OK);
    CHECK(strcmp(exam_calib_accum_get(a, 0)->item, "cand/q1") == 0);
    json_decref(r);
    exam_calib_accum_free(a);
}

static exam_calib_accum *demo_accum(void) {
    exam_calib_accum *a;
    exam_calib_accum_init(&a);
    static const double s[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 9.5};
    static const double j[] = {2, 3, 3, 5, 6, 6, 8, 1, 9, 10}; /* answer 8 disagrees badly */
    char id[16], item[16];
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof id, "job-%d", i);
        snprintf(item, sizeof item, "item-%d", i);
        exam_calib_pair p = {.score = s[i],
                             .judge = j[i],
                             .scale_max = 10,
                             .source = "llm",
                             .model = "judge-a",
                             .job_id = id,
                             .candidate = "c",
                             .item = item};
        exam_calib_accum_add(a, &p);
        if (i < 6) { /* a second judge on the first six answers */
            p.model = "judge-b";
            p.judge = fmin(10, j[i] + (i % 2));
            exam_calib_accum_add(a, &p);
        }
    }
    return a;
}

static void test_roundtrip_and_review(void) {
    exam_calib_accum *a = demo_accum(), *b;
    CHECK(exam_calib_accum_count(a) == 16);
    json_t *state = exam_calib_accum_to_json(a);
    char *text = json_dumps(state, 0);
    json_t *back = json_loads(text, 0, NULL);
    CHECK(exam_calib_accum_from_json(back, &b) == EXAM_OK);
    CHECK(exam_calib_accum_count(b) == 16);
    exam_calib_options o;
    exam_calib_options_default(&o);
    o.fitted_at = 1700000000;
    o.cohort = "demo";
    json_t *f1, *f2;
    CHECK(exam_calib_fit(a, &o, &f1) == EXAM_OK);
    CHECK(exam_calib_fit(b, &o, &f2) == EXAM_OK);
    CHECK(json_equal(f1, f2)); /* restored pairs give the same calibration */
    CHECK(strcmp(json_string_value(json_object_get(f1, "fitted_at")), "2023-11-14T22:13:20Z") == 0);
    /* two judges shared six answers: alpha is defined and counts them */
    CHECK(json_integer_value(json_object_get(f1, "alpha_judges")) == 2);
    CHECK(json_integer_value(json_object_get(f1, "alpha_items")) == 6);
    double alpha = json_number_value(json_object_get(f1, "alpha"));
    CHECKF(alpha > 0.8 && alpha <= 1, "alpha %g", alpha);
    /* the review list: job-7 (examiner 8, judge 1) first */
    json_t *dis = json_object_get(f1, "disagreements");
    CHECK(json_array_size(dis) >= 1);
    CHECK(strcmp(json_string_value(json_object_get(json_array_get(dis, 0), "id")), "job-7") == 0);
    double thr = json_number_value(json_object_get(f1, "threshold"));
    CHECK(thr == 2.0);
    size_t i;
    json_t *e;
    json_array_foreach(dis, i, e) CHECK(fabs(json_number_value(json_object_get(e, "diff"))) > thr);
    CHECK(json_array_size(json_object_get(f1, "reliability")) == 10);
    /* the map read back applies and is monotone, clipped */
    exam_calib_map m;
    CHECK(exam_calib_map_from_json(f1, &m) == EXAM_OK);
    double prev = -1, v;
    for (double s = -2; s <= 12; s += 0.25) {
        CHECK(exam_calib_map_apply(&m, s, &v) == EXAM_OK);
        CHECK(v >= prev && v >= 0 && v <= 10);
        prev = v;
    }
    CHECK(exam_calib_map_apply(&m, NAN, &v) == EXAM_ERR_ARG);
    exam_calib_map_free(&m);
    /* bad maps are format errors */
    json_t *bad = json_deep_copy(f1);
    json_array_set_new(json_object_get(json_object_get(bad, "isotonic"), "y"), 0, json_real(99));
    CHECK(exam_calib_map_from_json(bad, &m) == EXAM_ERR_FORMAT);
    json_object_del(bad, "isotonic");
    CHECK(exam_calib_map_from_json(bad, &m) == EXAM_ERR_FORMAT);
    json_decref(bad);
    /* a malformed state restores nothing */
    json_array_append_new(json_object_get(back, "pairs"), json_pack("{s:s}", "score", "x"));
    exam_calib_accum *c = NULL;
    CHECK(exam_calib_accum_from_json(back, &c) == EXAM_ERR_FORMAT && c == NULL);
    json_decref(f1);
    json_decref(f2);
    json_decref(state);
    json_decref(back);
    free(text);
    exam_calib_accum_free(a);
    exam_calib_accum_free(b);
}

static void test_suggest(void) {
    exam_calib_accum *a;
    exam_calib_accum_init(&a);
    const double judged[] = {1, 1.2, 2, 5, 5.5, 6}; /* nothing judged above 6 */
    for (size_t i = 0; i < 6; i++) {
        exam_calib_pair p = {.score = judged[i], .judge = judged[i], .scale_max = 10};
        exam_calib_accum_add(a, &p);
    }
    const double pool[] = {1.1, 5.2, 9.5, 3.5, 8.0, 6.0, 9.4};
    const int pj[] = {1, 0, 0, 0, 0, 1, 0};
    size_t picked[7], n;
    CHECK(exam_calib_suggest(a, pool, pj, 7, 3, picked, &n) == EXAM_OK);
    CHECK(n == 3);
    CHECK(picked[0] == 2); /* 9.5: 3.5 from anything judged */
    CHECK(picked[1] == 3); /* 3.5 and 8.0 both lie 1.5 from support: the earlier wins */
    CHECK(picked[2] == 4); /* 8.0 */
    CHECK(exam_calib_suggest(a, pool, pj, 7, 20, picked, &n) == EXAM_OK && n == 7);
    double badpool[] = {NAN};
    CHECK(exam_calib_suggest(a, badpool, NULL, 1, 1, picked, &n) == EXAM_ERR_ARG);
    exam_calib_accum_free(a);
}

int main(void) {
    test_kendall_brute();
    test_bootstrap();
    test_rejects();
    test_roundtrip_and_review();
    test_suggest();
    return exam_test_finish();
}
