/* Mann-Whitney U: midranks, the exact null distribution (Gaussian binomial coefficients) and the
 * tie-corrected normal approximation (libm's erfc for the tail). */
#include "mwu.h"

#include <math.h>
#include <stdlib.h>

typedef struct ranked {
    double v;
    int from_x;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
    double x = ((const ranked *)a)->v, y = ((const ranked *)b)->v;
    return (x > y) - (x < y);
}

/* Number of arrangements with each U value: the coefficients of [m+n choose n]_q, built as
 * prod_{i=1..n} (1 - q^{m+i}) / (1 - q^i); each partial product is itself a polynomial. */
static double *u_counts(size_t m, size_t n) {
    size_t deg = m * n;
    double *c = calloc(deg + 1, sizeof *c);
    if (!c) {
        return NULL;
    }
    c[0] = 1;
    for (size_t i = 1; i <= n; i++) {
        size_t cur = m * i; /* degree after this step */
        for (size_t k = cur; k >= m + i; k--) {
            c[k] -= c[k - (m + i)];
        }
        for (size_t k = i; k <= cur; k++) {
            c[k] += c[k - i];
        }
    }
    return c;
}

double exam_mwu_exact_cdf(size_t m, size_t n, double u) {
    if (m == 0 || n == 0 || m > EXAM_MWU_EXACT_MAX || n > EXAM_MWU_EXACT_MAX) {
        return -1;
    }
    double *c = u_counts(m, n);
    if (!c) {
        return -1;
    }
    double total = 0, below = 0;
    for (size_t k = 0; k <= m * n; k++) {
        total += c[k];
        if ((double)k <= u + 1e-9) {
            below += c[k];
        }
    }
    free(c);
    return below / total;
}

exam_status exam_mwu_test(const double *x, size_t nx, const double *y, size_t ny, exam_mwu *out) {
    if (nx == 0 || ny == 0) {
        return exam_error_set(EXAM_ERR_ARG, "Mann-Whitney: an empty sample");
    }
    size_t n = nx + ny;
    ranked *r = malloc(n * sizeof *r);
    if (!r) {
        return exam_error_set(EXAM_ERR_NOMEM, "Mann-Whitney: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        r[i].v = i < nx ? x[i] : y[i - nx];
        r[i].from_x = i < nx;
        if (isnan(r[i].v)) {
            free(r);
            return exam_error_set(EXAM_ERR_ARG, "Mann-Whitney: a sample holds NaN");
        }
    }
    qsort(r, n, sizeof *r, cmp_ranked);
    double rank_x = 0, tie_term = 0;
    int ties = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && r[j + 1].v == r[i].v) {
            j++;
        }
        double t = (double)(j - i + 1);
        double mid = ((double)i + (double)j) / 2 + 1; /* 1-based midrank */
        for (size_t k = i; k <= j; k++) {
            if (r[k].from_x) {
                rank_x += mid;
            }
        }
        if (t > 1) {
            ties = 1;
            tie_term += t * t * t - t;
        }
        i = j + 1;
    }
    free(r);
    double u = rank_x - (double)nx * ((double)nx + 1) / 2;
    double mean = (double)nx * (double)ny / 2;
    out->u = u;
    out->ties = ties;
    if (!ties && nx <= EXAM_MWU_EXACT_MAX && ny <= EXAM_MWU_EXACT_MAX) {
        /* the null distribution is symmetric about mean: p = 2 P(U <= min(u, nx·ny - u)) */
        double lo = u < mean ? u : (double)nx * (double)ny - u;
        double cdf = exam_mwu_exact_cdf(nx, ny, lo);
        if (cdf < 0) {
            return exam_error_set(EXAM_ERR_NOMEM, "Mann-Whitney: out of memory");
        }
        out->p = fmin(1.0, 2 * cdf);
        out->exact = 1;
        return EXAM_OK;
    }
    double var =
        (double)nx * (double)ny / 12 * (((double)n + 1) - tie_term / ((double)n * ((double)n - 1)));
    out->exact = 0;
    if (var <= 0) {
        out->p = 1;
        return EXAM_OK;
    }
    double z = (fabs(u - mean) - 0.5) / sqrt(var);
    out->p = z <= 0 ? 1.0 : fmin(1.0, erfc(z / sqrt(2.0)));
    return EXAM_OK;
}
