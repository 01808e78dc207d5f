/* Pool-adjacent-violators with scikit-learn's treatment of ties (x values closer than 1e-15 are
 * one point carrying the weighted mean of their y) and its knot trimming and clipping. */
#include "isotonic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct point {
    double x, y, w;
} point;

static int compare_point(const void *pa, const void *pb) {
    const point *a = pa, *b = pb;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    if (a->y != b->y) return a->y < b->y ? -1 : 1;
    return 0;
}

/* numpy.finfo(float64).resolution: scikit-learn merges x values closer than this. */
#define TIE_EPS 1e-15

exam_status exam_isotonic_fit(const double *x, const double *y, const double *w, size_t n,
                              exam_isotonic *out) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(y[i]) || (w && (!isfinite(w[i]) || w[i] < 0)))
            return exam_error_set(EXAM_ERR_ARG,
                                  "isotonic point %zu is not finite (or its weight "
                                  "is negative)",
                                  i);
    point *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) return exam_error_set(EXAM_ERR_NOMEM, "out of memory for %zu points", n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!w || w[i] > 0) p[m++] = (point){x[i], y[i], w ? w[i] : 1.0};
    if (m == 0) {
        free(p);
        return exam_error_set(EXAM_ERR_ARG, "isotonic fit needs a point with positive weight");
    }
    qsort(p, m, sizeof *p, compare_point);
    /* merge tied x: u[0..k) with y the weighted mean */
    size_t k = 0;
    double cx = p[0].x, cy = 0, cw = 0;
    for (size_t j = 0; j < m; j++) {
        if (p[j].x - cx >= TIE_EPS) {
            p[k++] = (point){cx, cy / cw, cw};
            cx = p[j].x;
            cw = p[j].w;
            cy = p[j].y * p[j].w;
        } else {
            cw += p[j].w;
            cy += p[j].y * p[j].w;
        }
    }
    p[k++] = (point){cx, cy / cw, cw};
    /* PAV: blocks on a stack, each with its weighted sum, weight and the index it ends at */
    double *bwy = malloc(k * sizeof *bwy), *bw = malloc(k * sizeof *bw);
    size_t *bend = malloc(k * sizeof *bend);
    double *vals = malloc(k * sizeof *vals);
    out->x = malloc(k * sizeof *out->x);
    out->y = malloc(k * sizeof *out->y);
    exam_status st = EXAM_OK;
    if (!bwy || !bw || !bend || !vals || !out->x || !out->y) {
        exam_isotonic_free(out);
        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory for %zu points", k);
        goto done;
    }
    size_t top = 0;
    for (size_t i = 0; i < k; i++) {
        bwy[top] = p[i].y * p[i].w;
        bw[top] = p[i].w;
        bend[top] = i;
        top++;
        while (top > 1 && bwy[top - 2] / bw[top - 2] >= bwy[top - 1] / bw[top - 1]) {
            bwy[top - 2] += bwy[top - 1];
            bw[top - 2] += bw[top - 1];
            bend[top - 2] = bend[top - 1];
            top--;
        }
    }
    size_t start = 0;
    for (size_t b = 0; b < top; b++) {
        double v = bwy[b] / bw[b];
        for (size_t i = start; i <= bend[b]; i++) vals[i] = v;
        start = bend[b] + 1;
    }
    /* keep the ends and every point that differs from a neighbour */
    size_t nk = 0;
    for (size_t i = 0; i < k; i++) {
        int keep = i == 0 || i == k - 1 || vals[i] != vals[i - 1] || vals[i] != vals[i + 1];
        if (!keep) continue;
        out->x[nk] = p[i].x;
        out->y[nk] = vals[i];
        nk++;
    }
    out->n = nk;
done:
    free(vals);
    free(p);
    free(bwy);
    free(bw);
    free(bend);
    return st;
}

exam_status exam_isotonic_from_knots(const double *x, const double *y, size_t n,
                                     exam_isotonic *out) {
    memset(out, 0, sizeof *out);
    if (n == 0) return exam_error_set(EXAM_ERR_ARG, "an isotonic map needs at least one knot");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return exam_error_set(EXAM_ERR_ARG, "isotonic knot %zu is not finite", i);
        if (i && (x[i] <= x[i - 1] || y[i] < y[i - 1]))
            return exam_error_set(EXAM_ERR_ARG,
                                  "isotonic knot %zu breaks the order (x must increase, y must "
                                  "not decrease)",
                                  i);
    }
    out->x = malloc(n * sizeof *out->x);
    out->y = malloc(n * sizeof *out->y);
    if (!out->x || !out->y) {
        exam_isotonic_free(out);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory for %zu knots", n);
    }
    memcpy(out->x, x, n * sizeof *x);
    memcpy(out->y, y, n * sizeof *y);
    out->n = n;
    return EXAM_OK;
}

double exam_isotonic_predict(const exam_isotonic *m, double t) {
    if (!m->n || isnan(t)) return NAN;
    if (m->n == 1) return m->y[0];
    if (t < m->x[0]) t = m->x[0];
    if (t > m->x[m->n - 1]) t = m->x[m->n - 1];
    /* first knot >= t (numpy searchsorted, side left), kept inside 1..n-1 */
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->x[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t i = lo < 1 ? 1 : lo > m->n - 1 ? m->n - 1 : lo;
    double slope = (m->y[i] - m->y[i - 1]) / (m->x[i] - m->x[i - 1]);
    return slope * (t - m->x[i - 1]) + m->y[i - 1];
}

void exam_isotonic_free(exam_isotonic *m) {
    free(m->x);
    free(m->y);
    memset(m, 0, sizeof *m);
}
