/* Agreement statistics between two score vectors (examiner vs a judge): Kendall's tau-b, quadratic
 * weighted kappa, error measures, expected calibration error with its reliability table, and
 * percentile-bootstrap intervals. Undefined values are NaN; callers print them as null. */
#ifndef EXAM_AGREEMENT_H
#define EXAM_AGREEMENT_H

#include <stddef.h>

#include "error.h"

/* Kendall's tau-b of x and y (Knight's O(n log n) algorithm, ties corrected as scipy's
 * kendalltau(variant="b")). NaN when n < 2, when x or y is constant, or out of memory. */
double exam_agreement_kendall_tau_b(const double *x, const double *y, size_t n);

/* Quadratic weighted kappa of two integer ratings a, b in 0..scale_max, with every label of
 * the scale counted (as scikit-learn's cohen_kappa_score(weights="quadratic",
 * labels=range(scale_max + 1))). Writes NaN to *out when n < 2 or when the expected
 * disagreement is zero (both raters constant on the same label).
 * Errors: EXAM_ERR_ARG for a rating outside 0..scale_max or scale_max < 1 or > 1000,
 * EXAM_ERR_NOMEM. */
exam_status exam_agreement_qwk(const int *a, const int *b, size_t n, int scale_max, double *out);

/* Mean absolute error, root mean squared error and mean bias (mean of pred - truth) of pred
 * against truth. NaN when n == 0. */
double exam_agreement_mae(const double *pred, const double *truth, size_t n);
double exam_agreement_rmse(const double *pred, const double *truth, size_t n);
double exam_agreement_bias(const double *pred, const double *truth, size_t n);

/* One bin of a reliability table: predictions in [lo, hi) (the last bin includes hi). */
typedef struct exam_reliability_bin {
    double lo, hi;
    size_t n;
    double mean_pred;  /* NaN for an empty bin */
    double mean_truth; /* NaN for an empty bin */
} exam_reliability_bin;

/* Expected calibration error for scores on a 0..range scale: pred is cut into n_bins equal
 * bins over [0, range] (values outside are put in the end bins); ECE = sum over bins of
 * (bin count / n) * |mean pred - mean truth|, in the scale's units. Fills bins[0..n_bins).
 * Writes NaN to *ece when n == 0. Errors: EXAM_ERR_ARG when n_bins == 0 or range <= 0. */
exam_status exam_agreement_ece(const double *pred, const double *truth, size_t n, double range,
                               size_t n_bins, exam_reliability_bin *bins, double *ece);

/* Which statistic a bootstrap resamples. */
typedef enum exam_boot_stat {
    EXAM_BOOT_PEARSON, /* of x and y */
    EXAM_BOOT_QWK,     /* of round(x) and round(y) on 0..scale_max */
} exam_boot_stat;

/* Percentile bootstrap interval: draws `reps` resamples of the n pairs with replacement from
 * GSL's MT19937 generator seeded with `seed`, computes the statistic on each, drops resamples
 * where it is undefined, and reports the (1-level)/2 and (1+level)/2 quantiles of the rest.
 * Writes NaN to *lo and *hi when n < 2 or when fewer than half the resamples were defined.
 * The same inputs and seed give the same interval. Errors: EXAM_ERR_ARG (reps == 0, level not
 * in (0,1), ratings out of scale for QWK), EXAM_ERR_NOMEM. */
exam_status exam_agreement_bootstrap(exam_boot_stat stat, const double *x, const double *y,
                                     size_t n, int scale_max, size_t reps, double level,
                                     unsigned long seed, double *lo, double *hi);

#endif
