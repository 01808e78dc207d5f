/* Percentile-bootstrap intervals for Pearson's r and QWK, drawn from GSL's MT19937 generator. */
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>

#include "agreement.h"
#include "stats.h"

static int round_rating(double v) {
    return (int)floor(v + 0.5);
}

exam_status exam_agreement_bootstrap(exam_boot_stat stat, const double *x, const double *y,
                                     size_t n, int scale_max, size_t reps, double level,
                                     unsigned long seed, double *lo, double *hi) {
    *lo = *hi = NAN;
    if (reps == 0 || !(level > 0 && level < 1))
        return exam_error_set(EXAM_ERR_ARG, "bootstrap needs reps > 0 and a level in (0, 1)");
    if (stat == EXAM_BOOT_QWK)
        for (size_t i = 0; i < n; i++) {
            int a = round_rating(x[i]), b = round_rating(y[i]);
            if (!(x[i] >= 0 && y[i] >= 0) || a > scale_max || b > scale_max)
                return exam_error_set(EXAM_ERR_ARG, "rating pair (%g, %g) is outside 0..%d", x[i],
                                      y[i], scale_max);
        }
    if (n < 2) return EXAM_OK;
    double *rx = malloc(n * sizeof *rx), *ry = malloc(n * sizeof *ry);
    int *ia = malloc(n * sizeof *ia), *ib = malloc(n * sizeof *ib);
    double *vals = malloc(reps * sizeof *vals);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    exam_status st = EXAM_OK;
    if (!rx || !ry || !ia || !ib || !vals || !rng) {
        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory for a bootstrap of %zu pairs", n);
        goto done;
    }
    gsl_rng_set(rng, seed);
    size_t m = 0;
    for (size_t r = 0; r < reps; r++) {
        for (size_t i = 0; i < n; i++) {
            size_t k = (size_t)gsl_rng_uniform_int(rng, (unsigned long)n);
            rx[i] = x[k];
            ry[i] = y[k];
            ia[i] = round_rating(x[k]);
            ib[i] = round_rating(y[k]);
        }
        double v = NAN;
        if (stat == EXAM_BOOT_PEARSON)
            v = exam_stats_pearson(rx, ry, n);
        else if ((st = exam_agreement_qwk(ia, ib, n, scale_max, &v)) != EXAM_OK)
            goto done;
        if (!isnan(v)) vals[m++] = v;
    }
    if (m * 2 >= reps) {
        gsl_sort(vals, 1, m);
        *lo = gsl_stats_quantile_from_sorted_data(vals, 1, m, (1 - level) / 2);
        *hi = gsl_stats_quantile_from_sorted_data(vals, 1, m, (1 + level) / 2);
    }
done:
    gsl_rng_free(rng);
    free(rx);
    free(ry);
    free(ia);
    free(ib);
    free(vals);
    return st;
}
