/* Krippendorff's interval alpha from per-unit and pooled sums of squares:
 * D_o = (1/N) sum_u 2 m_u SS_u / (m_u - 1),  D_e = 2 SS_pooled / (N - 1),  alpha = 1 - D_o / D_e,
 * where m_u is the number of scores of unit u (units with m_u >= 2) and N = sum m_u. */
#include "krippendorff.h"

#include <math.h>
#include <stdlib.h>

exam_status exam_krippendorff_alpha_interval(const double *data, size_t n_raters, size_t n_units,
                                             double *alpha) {
    *alpha = NAN;
    for (size_t i = 0; i < n_raters * n_units; i++)
        if (isinf(data[i])) return exam_error_set(EXAM_ERR_ARG, "judge score %zu is infinite", i);
    double n_total = 0, pooled_sum = 0;
    for (size_t u = 0; u < n_units; u++) {
        size_t m = 0;
        for (size_t r = 0; r < n_raters; r++)
            if (!isnan(data[r * n_units + u])) m++;
        if (m < 2) continue;
        n_total += (double)m;
        for (size_t r = 0; r < n_raters; r++)
            if (!isnan(data[r * n_units + u])) pooled_sum += data[r * n_units + u];
    }
    if (n_total < 2) return EXAM_OK;
    double pooled_mean = pooled_sum / n_total, ss_pooled = 0, d_o = 0;
    for (size_t u = 0; u < n_units; u++) {
        size_t m = 0;
        double s = 0;
        for (size_t r = 0; r < n_raters; r++)
            if (!isnan(data[r * n_units + u])) {
                m++;
                s += data[r * n_units + u];
            }
        if (m < 2) continue;
        double mean = s / (double)m, ss = 0;
        for (size_t r = 0; r < n_raters; r++) {
            double v = data[r * n_units + u];
            if (isnan(v)) continue;
            ss += (v - mean) * (v - mean);
            ss_pooled += (v - pooled_mean) * (v - pooled_mean);
        }
        d_o += 2.0 * (double)m * ss / (double)(m - 1);
    }
    d_o /= n_total;
    double d_e = 2.0 * ss_pooled / (n_total - 1);
    if (d_e > 0) *alpha = 1.0 - d_o / d_e;
    return EXAM_OK;
}
