/* Every calibration statistic against the reference values that tools/make_calib_reference.py
 * computed with scipy, scikit-learn and the krippendorff package (tests/fixtures/
 * calib_reference.json): Pearson, Spearman, Kendall tau-b, QWK over the whole label range, MAE,
 * RMSE, bias, ECE and its reliability table, the isotonic map (knots and clipped predictions)
 * and Krippendorff's interval alpha, on random data, ties, constant vectors, n = 1 and 2, large
 * n and the published examples; then whole cohort fits. GSL's own correlation and Spearman are
 * a second opinion on the shared stats code. */
/* labels: unit */
#include <gsl/gsl_statistics_double.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "calib.h"
#include "isotonic.h"
#include "krippendorff.h"
#include "stats.h"
#include "testlib.h"

#define TOL 1e-9

/* A JSON array of numbers (null -> NaN) as a new C array; *n its length. */
static double *numbers(const json_t *arr, size_t *n) {
    *n = json_array_size(arr);
    double *v = malloc((*n ? *n : 1) * sizeof *v);
    for (size_t i = 0; i < *n; i++) {
        json_t *e = json_array_get(arr, i);
        v[i] = json_is_number(e) ? json_number_value(e) : NAN;
    }
    return v;
}

/* got equals the reference value (null means got must be undefined, NaN). */
static void check_value(const char *what, const char *name, double got, const json_t *want) {
    if (!want || json_is_null(want)) {
        CHECKF(isnan(got), "%s %s: expected undefined, got %.17g", what, name, got);
        return;
    }
    double w = json_number_value(want);
    CHECKF(fabs(got - w) <= TOL * (1 + fabs(w)), "%s %s: got %.17g, want %.17g", what, name, got,
           w);
}

static void test_pairs(const json_t *cases) {
    size_t c;
    json_t *t;
    json_array_foreach(cases, c, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        size_t n, ny;
        double *x = numbers(json_object_get(t, "x"), &n),
               *y = numbers(json_object_get(t, "y"), &ny);
        check_value("pearson", name, exam_stats_pearson(x, y, n), json_object_get(t, "pearson"));
        check_value("spearman", name, exam_stats_spearman(x, y, n), json_object_get(t, "spearman"));
        check_value("kendall", name, exam_agreement_kendall_tau_b(x, y, n),
                    json_object_get(t, "kendall_tau_b"));
        check_value("mae", name, exam_agreement_mae(x, y, n), json_object_get(t, "mae"));
        check_value("rmse", name, exam_agreement_rmse(x, y, n), json_object_get(t, "rmse"));
        check_value("bias", name, exam_agreement_bias(x, y, n), json_object_get(t, "bias"));
        json_t *p = json_object_get(t, "pearson");
        if (json_is_number(p)) { /* GSL as a second opinion */
            double *work = malloc(2 * n * sizeof *work);
            check_value("gsl pearson", name, gsl_stats_correlation(x, 1, y, 1, n), p);
            check_value("gsl spearman", name, gsl_stats_spearman(x, 1, y, 1, n, work),
                        json_object_get(t, "spearman"));
            free(work);
        }
        free(x);
        free(y);
    }
}

static void test_qwk(const json_t *cases) {
    size_t c;
    json_t *t;
    json_array_foreach(cases, c, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        size_t n, nb;
        double *a = numbers(json_object_get(t, "a"), &n),
               *b = numbers(json_object_get(t, "b"), &nb);
        int *ia = malloc((n ? n : 1) * sizeof *ia), *ib = malloc((n ? n : 1) * sizeof *ib);
        for (size_t i = 0; i < n; i++) {
            ia[i] = (int)a[i];
            ib[i] = (int)b[i];
        }
        double k;
        int scale = (int)json_integer_value(json_object_get(t, "scale_max"));
        CHECKF(exam_agreement_qwk(ia, ib, n, scale, &k) == EXAM_OK, "qwk %s: %s", name,
               exam_error_message());
        check_value("qwk", name, k, json_object_get(t, "qwk"));
        json_t *pub = json_object_get(t, "published");
        json_t *digits = json_object_get(t, "published_digits"); /* a value stated rounded */
        if (pub && digits)
            CHECKF(fabs(k - json_number_value(pub)) <=
                       0.5 * pow(10, -(double)json_integer_value(digits)),
                   "qwk %s: %.9f vs published %g", name, k, json_number_value(pub));
        else if (pub)
            check_value("qwk (published)", name, k, pub);
        free(a);
        free(b);
        free(ia);
        free(ib);
    }
}

static void test_isotonic(const json_t *cases) {
    size_t c;
    json_t *t;
    json_array_foreach(cases, c, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        size_t n, ny, nw = 0, nk, nky, nt, np;
        double *x = numbers(json_object_get(t, "x"), &n),
               *y = numbers(json_object_get(t, "y"), &ny);
        json_t *wj = json_object_get(t, "w");
        double *w = json_is_array(wj) ? numbers(wj, &nw) : NULL;
        double *kx = numbers(json_object_get(t, "knots_x"), &nk);
        double *ky = numbers(json_object_get(t, "knots_y"), &nky);
        double *tt = numbers(json_object_get(t, "t"), &nt);
        double *pred = numbers(json_object_get(t, "predict"), &np);
        exam_isotonic m;
        CHECKF(exam_isotonic_fit(x, y, w, n, &m) == EXAM_OK, "isotonic %s: %s", name,
               exam_error_message());
        CHECKF(m.n == nk, "isotonic %s: %zu knots, want %zu", name, m.n, nk);
        for (size_t i = 0; i < m.n && i < nk; i++) {
            CHECKF(fabs(m.x[i] - kx[i]) <= TOL, "isotonic %s knot x[%zu] %.17g vs %.17g", name, i,
                   m.x[i], kx[i]);
            CHECKF(fabs(m.y[i] - ky[i]) <= TOL * (1 + fabs(ky[i])),
                   "isotonic %s knot y[%zu] %.17g vs %.17g", name, i, m.y[i], ky[i]);
        }
        int bad = 0;
        for (size_t i = 0; i < nt; i++) {
            double got = exam_isotonic_predict(&m, tt[i]);
            if (!(fabs(got - pred[i]) <= TOL * (1 + fabs(pred[i])))) {
                if (!bad)
                    fprintf(stderr, "isotonic %s: predict(%g) = %.17g, want %.17g\n", name, tt[i],
                            got, pred[i]);
                bad++;
            }
        }
        CHECKF(bad == 0, "isotonic %s: %d of %zu predictions differ", name, bad, nt);
        exam_isotonic_free(&m);
        free(x);
        free(y);
        free(w);
        free(kx);
        free(ky);
        free(tt);
        free(pred);
    }
}

static void test_alpha(const json_t *cases) {
    size_t c;
    json_t *t;
    json_array_foreach(cases, c, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        json_t *rows = json_object_get(t, "data");
        size_t nr = json_array_size(rows), nu = json_array_size(json_array_get(rows, 0));
        double *d = malloc(nr * nu * sizeof *d);
        for (size_t r = 0; r < nr; r++) {
            size_t k;
            double *row = numbers(json_array_get(rows, r), &k);
            memcpy(d + r * nu, row, nu * sizeof *d);
            free(row);
        }
        double a;
        CHECK(exam_krippendorff_alpha_interval(d, nr, nu, &a) == EXAM_OK);
        check_value("alpha", name, a, json_object_get(t, "alpha"));
        json_t *pub = json_object_get(t, "published");
        if (pub) CHECKF(fabs(a - json_number_value(pub)) < 5e-4, "alpha %s: %.6f", name, a);
        free(d);
    }
}

static void test_ece(const json_t *cases) {
    size_t c;
    json_t *t;
    json_array_foreach(cases, c, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        size_t n, nt;
        double *p = numbers(json_object_get(t, "pred"), &n);
        double *tr = numbers(json_object_get(t, "truth"), &nt);
        size_t nb = (size_t)json_integer_value(json_object_get(t, "bins"));
        exam_reliability_bin *bins = malloc(nb * sizeof *bins);
        double e;
        CHECK(exam_agreement_ece(p, tr, n, json_number_value(json_object_get(t, "range")), nb, bins,
                                 &e) == EXAM_OK);
        check_value("ece", name, e, json_object_get(t, "ece"));
        json_t *rel = json_object_get(t, "reliability");
        for (size_t b = 0; b < nb; b++) {
            json_t *rb = json_array_get(rel, b);
            CHECKF(bins[b].n == (size_t)json_integer_value(json_object_get(rb, "n")),
                   "ece %s bin %zu count", name, b);
            check_value("ece mean_pred", name, bins[b].mean_pred, json_object_get(rb, "mean_pred"));
            check_value("ece mean_truth", name, bins[b].mean_truth,
                        json_object_get(rb, "mean_truth"));
        }
        free(bins);
        free(p);
        free(tr);
    }
}

static void test_fit(const json_t *cases) {
    size_t c;
    json_t *t;
    json_array_foreach(cases, c, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        size_t n, nj;
        double *s = numbers(json_object_get(t, "score"), &n);
        double *j = numbers(json_object_get(t, "judge"), &nj);
        double scale = json_number_value(json_object_get(t, "scale_max"));
        exam_calib_accum *a;
        CHECK(exam_calib_accum_init(&a) == EXAM_OK);
        for (size_t i = 0; i < n; i++) {
            exam_calib_pair p = {.score = s[i], .judge = j[i], .scale_max = scale};
            CHECK(exam_calib_accum_add(a, &p) == EXAM_OK);
        }
        exam_calib_options o;
        exam_calib_options_default(&o);
        o.boot_reps = 200;
        json_t *fit = NULL;
        CHECKF(exam_calib_fit(a, &o, &fit) == EXAM_OK, "fit %s: %s", name, exam_error_message());
        json_t *want = json_object_get(t, "expected");
        const char *keys[] = {"pearson", "spearman", "kendall_tau_b",  "qwk", "mae",
                              "rmse",    "bias",     "mae_calibrated", "ece"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            json_t *g = json_object_get(fit, keys[k]);
            CHECKF(g != NULL, "fit %s has no %s", name, keys[k]);
            check_value(keys[k], name, json_is_number(g) ? json_number_value(g) : NAN,
                        json_object_get(want, keys[k]));
        }
        CHECK(json_integer_value(json_object_get(fit, "n")) ==
              json_integer_value(json_object_get(want, "n")));
        size_t nk, nkw;
        double *kx = numbers(json_object_get(json_object_get(fit, "isotonic"), "x"), &nk);
        double *kw = numbers(json_object_get(json_object_get(want, "isotonic"), "x"), &nkw);
        CHECKF(nk == nkw, "fit %s: %zu knots, want %zu", name, nk, nkw);
        /* the map read back from the JSON reproduces scikit-learn's calibrated scores */
        exam_calib_map m;
        CHECK(exam_calib_map_from_json(fit, &m) == EXAM_OK);
        json_t *wiso = json_object_get(want, "isotonic");
        size_t nwx, nwy;
        double *wx = numbers(json_object_get(wiso, "x"), &nwx);
        double *wy = numbers(json_object_get(wiso, "y"), &nwy);
        for (size_t i = 0; i < nwx; i++) {
            double got;
            CHECK(exam_calib_map_apply(&m, wx[i], &got) == EXAM_OK);
            CHECKF(fabs(got - wy[i]) <= TOL, "fit %s: map(%g) = %g, want %g", name, wx[i], got,
                   wy[i]);
        }
        exam_calib_map_free(&m);
        free(wx);
        free(wy);
        free(kx);
        free(kw);
        json_decref(fit);
        exam_calib_accum_free(a);
        free(s);
        free(j);
    }
}

int main(void) {
    json_error_t err;
    json_t *doc = json_load_file("tests/fixtures/calib_reference.json", 0, &err);
    CHECKF(doc != NULL, "cannot read the fixture: %s", err.text);
    if (!doc) return exam_test_finish();
    test_pairs(json_object_get(doc, "pairs"));
    test_qwk(json_object_get(doc, "qwk"));
    test_isotonic(json_object_get(doc, "isotonic"));
    test_alpha(json_object_get(doc, "alpha"));
    test_ece(json_object_get(doc, "ece"));
    test_fit(json_object_get(doc, "fit"));
    json_decref(doc);
    return exam_test_finish();
}
