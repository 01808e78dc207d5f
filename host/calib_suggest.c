/* Which answers to judge next: greedy farthest-point choice over examiner's score axis, so that
 * each new judge score lands where the calibration map has the fewest nearby pairs. */
#include <math.h>
#include <stdlib.h>

#include "calib.h"

/* Judged pairs within this many points of a score count as its local support. */
#define SUPPORT_RADIUS 0.5

exam_status exam_calib_suggest(const exam_calib_accum *a, const double *pool_scores,
                               const int *pool_judged, size_t n_pool, size_t k, size_t *picked,
                               size_t *n_picked) {
    *n_picked = 0;
    for (size_t i = 0; i < n_pool; i++)
        if (!isfinite(pool_scores[i]))
            return exam_error_set(EXAM_ERR_ARG, "pool score %zu is not finite", i);
    size_t np = exam_calib_accum_count(a);
    double *gap = malloc((n_pool ? n_pool : 1) * sizeof *gap);
    size_t *support = malloc((n_pool ? n_pool : 1) * sizeof *support);
    char *taken = calloc(n_pool ? n_pool : 1, 1);
    if (!gap || !support || !taken) {
        free(gap);
        free(support);
        free(taken);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory for a pool of %zu", n_pool);
    }
    for (size_t i = 0; i < n_pool; i++) {
        gap[i] = INFINITY;
        support[i] = 0;
        for (size_t p = 0; p < np; p++) {
            double d = fabs(pool_scores[i] - exam_calib_accum_get(a, p)->score);
            if (d < gap[i]) gap[i] = d;
            support[i] += d <= SUPPORT_RADIUS;
        }
    }
    while (*n_picked < k) {
        size_t best = n_pool;
        for (size_t i = 0; i < n_pool; i++) {
            if (taken[i]) continue;
            if (best == n_pool) {
                best = i;
                continue;
            }
            int judged_i = pool_judged && pool_judged[i],
                judged_b = pool_judged && pool_judged[best];
            if (gap[i] > gap[best] ||
                (gap[i] == gap[best] && (support[i] < support[best] ||
                                         (support[i] == support[best] && judged_i < judged_b))))
                best = i;
        }
        if (best == n_pool) break;
        taken[best] = 1;
        picked[(*n_picked)++] = best;
        for (size_t i = 0; i < n_pool; i++) { /* the pick will be judged: it supports its region */
            double d = fabs(pool_scores[i] - pool_scores[best]);
            if (d < gap[i]) gap[i] = d;
            support[i] += d <= SUPPORT_RADIUS;
        }
    }
    free(gap);
    free(support);
    free(taken);
    return EXAM_OK;
}
