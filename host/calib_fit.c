/* The cohort fit: agreement statistics, bootstrap intervals, reliability table, Krippendorff's
 * alpha between judges, the isotonic map and the review list, as one JSON object. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agreement.h"
#include "calib.h"
#include "krippendorff.h"
#include "stats.h"

void exam_calib_options_default(exam_calib_options *o) {
    memset(o, 0, sizeof *o);
    o->bins = 10;
    o->boot_reps = 1000;
    o->level = 0.95;
    o->seed = 42;
}

/* A finite number, or null for an undefined one. */
static json_t *num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *interval(double lo, double hi) {
    if (!isfinite(lo) || !isfinite(hi)) return json_null();
    return json_pack("[ff]", lo, hi);
}

static int str_cmp(const char *a, const char *b) {
    return strcmp(a ? a : "", b ? b : "");
}

typedef struct keyed {
    const char *k1, *k2;
    size_t index;
} keyed;

static int compare_keyed(const void *pa, const void *pb) {
    const keyed *a = pa, *b = pb;
    int c = str_cmp(a->k1, b->k1);
    if (!c) c = str_cmp(a->k2, b->k2);
    if (!c) c = a->index < b->index ? -1 : a->index > b->index;
    return c;
}

/* Numbers the distinct (k1, k2) keys of n pairs: id[i] in 0..*count, in sorted key order. */
static int number_keys(keyed *k, size_t n, size_t *id, size_t *count) {
    qsort(k, n, sizeof *k, compare_keyed);
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && (str_cmp(k[i].k1, k[i - 1].k1) || str_cmp(k[i].k2, k[i - 1].k2))) c++;
        id[k[i].index] = c;
    }
    *count = n ? c + 1 : 0;
    return 1;
}

/* Krippendorff's interval alpha between the judges (source, model) over items they shared. */
static exam_status judges_alpha(const exam_calib_accum *a, json_t *out) {
    size_t n = exam_calib_accum_count(a), nj = 0, ni = 0;
    keyed *k = malloc((n ? n : 1) * sizeof *k);
    size_t *jid = malloc((n ? n : 1) * sizeof *jid), *iid = malloc((n ? n : 1) * sizeof *iid);
    double *m = NULL;
    exam_status st = EXAM_OK;
    if (!k || !jid || !iid) goto nomem;
    for (size_t i = 0; i < n; i++) {
        const exam_calib_pair *p = exam_calib_accum_get(a, i);
        k[i] = (keyed){p->source, p->model, i};
    }
    number_keys(k, n, jid, &nj);
    for (size_t i = 0; i < n; i++) k[i] = (keyed){exam_calib_accum_get(a, i)->item, NULL, i};
    number_keys(k, n, iid, &ni);
    double alpha = NAN;
    size_t shared = 0;
    if (nj >= 2) {
        m = malloc(nj * ni * sizeof *m);
        if (!m) goto nomem;
        for (size_t i = 0; i < nj * ni; i++) m[i] = NAN;
        /* a judge who scored an item twice counts with its later score */
        for (size_t i = 0; i < n; i++) m[jid[i] * ni + iid[i]] = exam_calib_accum_get(a, i)->judge;
        for (size_t u = 0; u < ni; u++) {
            size_t c = 0;
            for (size_t r = 0; r < nj; r++) c += !isnan(m[r * ni + u]);
            shared += c >= 2;
        }
        if ((st = exam_krippendorff_alpha_interval(m, nj, ni, &alpha)) != EXAM_OK) goto done;
    }
    json_object_set_new(out, "alpha", num(alpha));
    json_object_set_new(out, "alpha_judges", json_integer((json_int_t)nj));
    json_object_set_new(out, "alpha_items", json_integer((json_int_t)shared));
    goto done;
nomem:
    st = exam_error_set(EXAM_ERR_NOMEM, "out of memory for the judges' alpha");
done:
    free(k);
    free(jid);
    free(iid);
    free(m);
    return st;
}

typedef struct review {
    size_t index;
    double diff;
} review;

static int compare_review(const void *pa, const void *pb) {
    const review *a = pa, *b = pb;
    double x = fabs(a->diff), y = fabs(b->diff);
    if (x != y) return x > y ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static json_t *pair_json(const exam_calib_pair *p, double calibrated, double diff) {
    json_t *o = json_object();
    if (!o) return NULL;
    if (p->job_id) json_object_set_new(o, "id", json_string(p->job_id));
    if (p->candidate) json_object_set_new(o, "candidate", json_string(p->candidate));
    if (p->item) json_object_set_new(o, "item", json_string(p->item));
    json_object_set_new(o, "score", json_real(p->score));
    json_object_set_new(o, "score_calibrated", json_real(calibrated));
    json_object_set_new(o, "judge", json_real(p->judge));
    json_object_set_new(o, "diff", json_real(diff));
    if (p->source) json_object_set_new(o, "source", json_string(p->source));
    if (p->model) json_object_set_new(o, "model", json_string(p->model));
    return o;
}

exam_status exam_calib_fit(const exam_calib_accum *a, const exam_calib_options *opt, json_t **out) {
    *out = NULL;
    exam_calib_options def;
    if (!opt) {
        exam_calib_options_default(&def);
        opt = &def;
    }
    size_t n = exam_calib_accum_count(a);
    if (n == 0) return exam_error_set(EXAM_ERR_ARG, "no judged pairs to calibrate on");
    if (opt->bins == 0 || opt->boot_reps == 0 || !(opt->level > 0 && opt->level < 1))
        return exam_error_set(EXAM_ERR_ARG, "calibration options: bins, reps or level invalid");
    double scale = exam_calib_accum_scale(a);
    double threshold = opt->threshold > 0 ? opt->threshold : scale / 5.0;
    double *s = malloc(n * sizeof *s), *j = malloc(n * sizeof *j), *sr = malloc(n * sizeof *sr);
    double *cal = malloc(n * sizeof *cal);
    int *ia = malloc(n * sizeof *ia), *ib = malloc(n * sizeof *ib);
    exam_reliability_bin *bins = malloc(opt->bins * sizeof *bins);
    review *rv = malloc(n * sizeof *rv);
    exam_isotonic iso = {0};
    json_t *o = NULL;
    exam_status st = EXAM_OK;
    if (!s || !j || !sr || !cal || !ia || !ib || !bins || !rv) {
        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory fitting %zu pairs", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const exam_calib_pair *p = exam_calib_accum_get(a, i);
        s[i] = p->score;
        j[i] = p->judge;
        sr[i] = p->score * scale / 10.0;
        ia[i] = (int)floor(sr[i] + 0.5);
        ib[i] = (int)floor(p->judge + 0.5);
    }
    /* QWK needs an integer scale of at most 1000 labels */
    int int_scale = scale == floor(scale) && scale >= 1 && scale <= 1000;
    double qwk = NAN, qlo = NAN, qhi = NAN, plo, phi, ece;
    if (int_scale) {
        if ((st = exam_agreement_qwk(ia, ib, n, (int)scale, &qwk)) != EXAM_OK) goto done;
        if ((st = exam_agreement_bootstrap(EXAM_BOOT_QWK, sr, j, n, (int)scale, opt->boot_reps,
                                           opt->level, opt->seed, &qlo, &qhi)) != EXAM_OK)
            goto done;
    }
    if ((st = exam_agreement_bootstrap(EXAM_BOOT_PEARSON, s, j, n, 0, opt->boot_reps, opt->level,
                                       opt->seed, &plo, &phi)) != EXAM_OK ||
        (st = exam_agreement_ece(sr, j, n, scale, opt->bins, bins, &ece)) != EXAM_OK ||
        (st = exam_isotonic_fit(s, j, NULL, n, &iso)) != EXAM_OK)
        goto done;
    size_t nrev = 0;
    for (size_t i = 0; i < n; i++) {
        cal[i] = exam_isotonic_predict(&iso, s[i]);
        if (fabs(cal[i] - j[i]) > threshold) rv[nrev++] = (review){i, cal[i] - j[i]};
    }
    qsort(rv, nrev, sizeof *rv, compare_review);

    o = json_object();
    json_t *rel = json_array(), *kx = json_array(), *ky = json_array(), *dis = json_array();
    json_t *iso_o = json_object();
    if (!o || !rel || !kx || !ky || !dis || !iso_o) {
        json_decref(rel);
        json_decref(kx);
        json_decref(ky);
        json_decref(dis);
        json_decref(iso_o);
        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory building the calibration");
        goto done;
    }
    json_object_set_new(o, "version", json_integer(1));
    if (opt->cohort) json_object_set_new(o, "cohort", json_string(opt->cohort));
    json_object_set_new(o, "n", json_integer((json_int_t)n));
    json_object_set_new(o, "scale_max", json_real(scale));
    json_object_set_new(o, "pearson", num(exam_stats_pearson(s, j, n)));
    json_object_set_new(o, "pearson_ci", interval(plo, phi));
    json_object_set_new(o, "spearman", num(exam_stats_spearman(s, j, n)));
    json_object_set_new(o, "kendall_tau_b", num(exam_agreement_kendall_tau_b(s, j, n)));
    json_object_set_new(o, "qwk", num(qwk));
    json_object_set_new(o, "qwk_ci", interval(qlo, qhi));
    json_object_set_new(o, "mae", num(exam_agreement_mae(sr, j, n)));
    json_object_set_new(o, "rmse", num(exam_agreement_rmse(sr, j, n)));
    json_object_set_new(o, "bias", num(exam_agreement_bias(sr, j, n)));
    json_object_set_new(o, "mae_calibrated", num(exam_agreement_mae(cal, j, n)));
    json_object_set_new(o, "ece", num(ece));
    for (size_t b = 0; b < opt->bins; b++)
        json_array_append_new(rel, json_pack("{s:f,s:f,s:I,s:o,s:o}", "lo", bins[b].lo, "hi",
                                             bins[b].hi, "n", (json_int_t)bins[b].n,
                                             "mean_examiner", num(bins[b].mean_pred), "mean_judge",
                                             num(bins[b].mean_truth)));
    json_object_set_new(o, "reliability", rel);
    for (size_t i = 0; i < iso.n; i++) {
        json_array_append_new(kx, json_real(iso.x[i]));
        json_array_append_new(ky, json_real(iso.y[i]));
    }
    json_object_set_new(iso_o, "x", kx);
    json_object_set_new(iso_o, "y", ky);
    json_object_set_new(o, "isotonic", iso_o);
    if ((st = judges_alpha(a, o)) != EXAM_OK) goto done;
    json_object_set_new(o, "threshold", json_real(threshold));
    for (size_t r = 0; r < nrev; r++)
        json_array_append_new(
            dis, pair_json(exam_calib_accum_get(a, rv[r].index), cal[rv[r].index], rv[r].diff));
    json_object_set_new(o, "disagreements", dis);
    json_object_set_new(o, "bootstrap",
                        json_pack("{s:I,s:f,s:I}", "reps", (json_int_t)opt->boot_reps, "level",
                                  opt->level, "seed", (json_int_t)opt->seed));
    time_t t = opt->fitted_at ? (time_t)opt->fitted_at : time(NULL);
    struct tm tm;
    char when[32] = "";
    if (gmtime_r(&t, &tm)) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(o, "fitted_at", json_string(when));
done:
    if (st != EXAM_OK) {
        json_decref(o);
        o = NULL;
    }
    *out = o;
    exam_isotonic_free(&iso);
    free(s);
    free(j);
    free(sr);
    free(cal);
    free(ia);
    free(ib);
    free(bins);
    free(rv);
    return st;
}
