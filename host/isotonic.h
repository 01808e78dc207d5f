/* Isotonic (non-decreasing) regression by pool-adjacent-violators, fitted and applied as
 * scikit-learn's IsotonicRegression(increasing=True, out_of_bounds="clip") does: tied x values
 * are merged into their weighted mean first, the fitted steps are kept as knots (inner points
 * equal to both neighbours dropped), predictions interpolate linearly between knots and clip
 * to the fitted x range. */
#ifndef EXAM_ISOTONIC_H
#define EXAM_ISOTONIC_H

#include <stddef.h>

#include "error.h"

/* A fitted map: knots x[0..n) strictly increasing with y[0..n) non-decreasing. */
typedef struct exam_isotonic {
    double *x, *y;
    size_t n;
} exam_isotonic;

/* Fits y on x with optional sample weights w (NULL means all 1; zero-weight points are
 * ignored). Errors: EXAM_ERR_ARG when no point has positive weight, or an x, y or w is not
 * finite or w is negative; EXAM_ERR_NOMEM. *out is zeroed on error. */
exam_status exam_isotonic_fit(const double *x, const double *y, const double *w, size_t n,
                              exam_isotonic *out);

/* Builds a map from given knots (copied). Errors: EXAM_ERR_ARG when n == 0, a value is not
 * finite, x is not strictly increasing or y decreases; EXAM_ERR_NOMEM. */
exam_status exam_isotonic_from_knots(const double *x, const double *y, size_t n,
                                     exam_isotonic *out);

/* The map at t: t is clipped to [x[0], x[n-1]], then interpolated linearly between knots.
 * NaN for a NaN t or an empty map. */
double exam_isotonic_predict(const exam_isotonic *m, double t);

/* Frees the knots and zeroes the map (a zeroed map is allowed). */
void exam_isotonic_free(exam_isotonic *m);

#endif
