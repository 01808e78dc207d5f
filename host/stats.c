/* Pearson and Spearman correlation with tie-aware ranks. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

double exam_stats_pearson(const double *x, const double *y, size_t n) {
    if (n < 2) return NAN;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (sxx <= 0 || syy <= 0) return NAN;
    return sxy / sqrt(sxx * syy);
}

typedef struct indexed {
    double value;
    size_t index;
} indexed;

static int compare_indexed(const void *a, const void *b) {
    double x = ((const indexed *)a)->value, y = ((const indexed *)b)->value;
    return x < y ? -1 : x > y;
}

int exam_stats_rank(const double *x, size_t n, double *ranks) {
    indexed *v = malloc(sizeof *v * (n ? n : 1));
    if (!v) return -1;
    for (size_t i = 0; i < n; i++) v[i] = (indexed){x[i], i};
    qsort(v, n, sizeof *v, compare_indexed);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && v[j + 1].value == v[i].value) j++;
        double rank = (double)(i + j) / 2.0 + 1.0;
        for (size_t k = i; k <= j; k++) ranks[v[k].index] = rank;
        i = j + 1;
    }
    free(v);
    return 0;
}

double exam_stats_spearman(const double *x, const double *y, size_t n) {
    if (n < 2) return NAN;
    double *rx = malloc(sizeof *rx * n), *ry = malloc(sizeof *ry * n);
    double r = NAN;
    if (rx && ry && exam_stats_rank(x, n, rx) == 0 && exam_stats_rank(y, n, ry) == 0)
        r = exam_stats_pearson(rx, ry, n);
    free(rx);
    free(ry);
    return r;
}
