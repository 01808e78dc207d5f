/* The two-sided Mann-Whitney U test: exact p-values for small samples without ties, the normal
 * approximation with tie and continuity corrections otherwise. */
#ifndef EXAM_MWU_H
#define EXAM_MWU_H

#include <stddef.h>

#include "error.h"

/* Samples up to this size on both sides, without ties, get the exact distribution. */
#define EXAM_MWU_EXACT_MAX 50

typedef struct exam_mwu {
    double u;  /* U of the first sample: pairs (x, y) with x > y, ties counting 1/2 */
    double p;  /* two-sided p-value */
    int exact; /* 1: exact distribution, 0: normal approximation */
    int ties;  /* 1 when some values were tied */
} exam_mwu;

/* Tests whether x[0..nx) and y[0..ny) come from the same distribution. NaNs are an error.
 * Errors: EXAM_ERR_ARG (an empty sample or a NaN), EXAM_ERR_NOMEM. */
exam_status exam_mwu_test(const double *x, size_t nx, const double *y, size_t ny, exam_mwu *out);

/* P(U <= u) under the null hypothesis for samples of m and n without ties (exact; m, n <=
 * EXAM_MWU_EXACT_MAX). Returns a negative value on bad arguments or no memory. */
double exam_mwu_exact_cdf(size_t m, size_t n, double u);

#endif
