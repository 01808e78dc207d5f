/* Kendall's tau-b (Knight's merge-sort algorithm), quadratic weighted kappa, error measures and
 * the expected calibration error. */
#include "agreement.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct xy {
    double x, y;
} xy;

static int compare_xy(const void *pa, const void *pb) {
    const xy *a = pa, *b = pb;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    if (a->y != b->y) return a->y < b->y ? -1 : 1;
    return 0;
}

/* Sorts v[0..n) ascending through tmp, returning the number of strictly inverted pairs. */
static unsigned long long merge_count(double *v, double *tmp, size_t n) {
    unsigned long long swaps = 0;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                if (v[j] < v[i]) {
                    swaps += mid - i;
                    tmp[k++] = v[j++];
                } else {
                    tmp[k++] = v[i++];
                }
            }
            while (i < mid) tmp[k++] = v[i++];
            while (j < hi) tmp[k++] = v[j++];
        }
        memcpy(v, tmp, n * sizeof *v);
    }
    return swaps;
}

/* Sum over runs of equal values in sorted v of t(t-1)/2. */
static unsigned long long tied_pairs(const double *v, size_t n) {
    unsigned long long t = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && v[j] == v[i]) j++;
        unsigned long long run = j - i;
        t += run * (run - 1) / 2;
        i = j;
    }
    return t;
}

double exam_agreement_kendall_tau_b(const double *x, const double *y, size_t n) {
    if (n < 2) return NAN;
    xy *p = malloc(n * sizeof *p);
    double *v = malloc(n * sizeof *v), *tmp = malloc(n * sizeof *tmp);
    double tau = NAN;
    if (!p || !v || !tmp) goto done;
    for (size_t i = 0; i < n; i++) p[i] = (xy){x[i], y[i]};
    qsort(p, n, sizeof *p, compare_xy);
    unsigned long long xtie = 0, ntie = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && p[j].x == p[i].x) j++;
        unsigned long long run = j - i;
        xtie += run * (run - 1) / 2;
        for (size_t a = i; a < j;) { /* joint ties inside the x run */
            size_t b = a + 1;
            while (b < j && p[b].y == p[a].y) b++;
            unsigned long long r2 = b - a;
            ntie += r2 * (r2 - 1) / 2;
            a = b;
        }
        i = j;
    }
    for (size_t i = 0; i < n; i++) v[i] = p[i].y;
    unsigned long long dis = merge_count(v, tmp, n);
    unsigned long long ytie = tied_pairs(v, n);
    unsigned long long tot = (unsigned long long)n * (n - 1) / 2;
    if (xtie == tot || ytie == tot) goto done;
    double con_minus_dis =
        (double)tot - (double)xtie - (double)ytie + (double)ntie - 2.0 * (double)dis;
    tau = con_minus_dis / sqrt((double)(tot - xtie)) / sqrt((double)(tot - ytie));
    if (tau > 1) tau = 1;
    if (tau < -1) tau = -1;
done:
    free(p);
    free(v);
    free(tmp);
    return tau;
}

exam_status exam_agreement_qwk(const int *a, const int *b, size_t n, int scale_max, double *out) {
    *out = NAN;
    if (scale_max < 1 || scale_max > 1000)
        return exam_error_set(EXAM_ERR_ARG, "QWK scale_max %d is outside 1..1000", scale_max);
    for (size_t i = 0; i < n; i++)
        if (a[i] < 0 || a[i] > scale_max || b[i] < 0 || b[i] > scale_max)
            return exam_error_set(EXAM_ERR_ARG, "QWK rating pair (%d, %d) is outside 0..%d", a[i],
                                  b[i], scale_max);
    if (n < 2) return EXAM_OK;
    size_t k = (size_t)scale_max + 1;
    double *conf = calloc(k * k + 2 * k, sizeof *conf);
    if (!conf) return exam_error_set(EXAM_ERR_NOMEM, "out of memory for a %zu-label QWK", k);
    double *rows = conf + k * k, *cols = rows + k;
    for (size_t i = 0; i < n; i++) {
        conf[(size_t)a[i] * k + (size_t)b[i]] += 1;
        rows[a[i]] += 1;
        cols[b[i]] += 1;
    }
    double observed = 0, expected = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            double w = ((double)i - (double)j) * ((double)i - (double)j);
            observed += w * conf[i * k + j];
            expected += w * rows[i] * cols[j] / (double)n;
        }
    free(conf);
    if (expected > 0) *out = 1.0 - observed / expected;
    return EXAM_OK;
}

double exam_agreement_mae(const double *pred, const double *truth, size_t n) {
    if (n == 0) return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += fabs(pred[i] - truth[i]);
    return s / (double)n;
}

double exam_agreement_rmse(const double *pred, const double *truth, size_t n) {
    if (n == 0) return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (pred[i] - truth[i]) * (pred[i] - truth[i]);
    return sqrt(s / (double)n);
}

double exam_agreement_bias(const double *pred, const double *truth, size_t n) {
    if (n == 0) return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += pred[i] - truth[i];
    return s / (double)n;
}

exam_status exam_agreement_ece(const double *pred, const double *truth, size_t n, double range,
                               size_t n_bins, exam_reliability_bin *bins, double *ece) {
    *ece = NAN;
    if (n_bins == 0 || !(range > 0))
        return exam_error_set(EXAM_ERR_ARG, "ECE needs at least one bin and a positive range");
    double *sp = calloc(2 * n_bins, sizeof *sp);
    if (!sp) return exam_error_set(EXAM_ERR_NOMEM, "out of memory for %zu bins", n_bins);
    double *st = sp + n_bins;
    for (size_t b = 0; b < n_bins; b++) {
        bins[b].lo = range * (double)b / (double)n_bins;
        bins[b].hi = range * (double)(b + 1) / (double)n_bins;
        bins[b].n = 0;
    }
    for (size_t i = 0; i < n; i++) {
        double f = floor(pred[i] / range * (double)n_bins);
        size_t b = f < 0 ? 0 : f >= (double)n_bins ? n_bins - 1 : (size_t)f;
        bins[b].n++;
        sp[b] += pred[i];
        st[b] += truth[i];
    }
    double e = 0;
    for (size_t b = 0; b < n_bins; b++) {
        bins[b].mean_pred = bins[b].n ? sp[b] / (double)bins[b].n : NAN;
        bins[b].mean_truth = bins[b].n ? st[b] / (double)bins[b].n : NAN;
        if (bins[b].n)
            e += (double)bins[b].n / (double)n * fabs(bins[b].mean_pred - bins[b].mean_truth);
    }
    free(sp);
    if (n) *ece = e;
    return EXAM_OK;
}
