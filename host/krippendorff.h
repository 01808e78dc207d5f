/* Krippendorff's alpha with the interval metric: agreement among several judges who scored
 * (some of) the same answers, missing scores allowed. */
#ifndef EXAM_KRIPPENDORFF_H
#define EXAM_KRIPPENDORFF_H

#include <stddef.h>

#include "error.h"

/* Interval alpha of a reliability matrix: data[r * n_units + u] is judge r's score of unit u,
 * NaN where judge r did not score it. Only units with at least two scores count. Writes NaN to
 * *alpha when fewer than two units' worth of pairable scores exist or every pairable score is
 * the same (no expected disagreement). Errors: EXAM_ERR_ARG for an infinite score,
 * EXAM_ERR_NOMEM. */
exam_status exam_krippendorff_alpha_interval(const double *data, size_t n_raters, size_t n_units,
                                             double *alpha);

#endif
