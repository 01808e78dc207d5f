/* Correlation statistics shared by the STS evaluation and the judge-calibration code. */
#ifndef EXAM_STATS_H
#define EXAM_STATS_H

#include <stddef.h>

/* Pearson correlation of x and y (n ≥ 2); NaN when either side is constant or n < 2. */
double exam_stats_pearson(const double *x, const double *y, size_t n);

/* Spearman rank correlation (Pearson of average ranks, ties shared); NaN as for Pearson. */
double exam_stats_spearman(const double *x, const double *y, size_t n);

/* Writes 1-based average ranks of x into ranks (ties get the mean of their positions).
 * Returns 0, or -1 when memory runs out. */
int exam_stats_rank(const double *x, size_t n, double *ranks);

#endif
