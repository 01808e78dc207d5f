/* A fitted calibration map read back from its JSON and applied to examiner scores. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"

exam_status exam_calib_map_from_json(const json_t *calib, exam_calib_map *m) {
    memset(m, 0, sizeof *m);
    json_t *iso = json_object_get(calib, "isotonic");
    json_t *xs = json_object_get(iso, "x"), *ys = json_object_get(iso, "y");
    json_t *scale = json_object_get(calib, "scale_max"), *n = json_object_get(calib, "n");
    if (!json_is_object(calib) || !json_is_array(xs) || !json_is_array(ys) ||
        !json_is_number(scale) || !json_is_integer(n))
        return exam_error_set(EXAM_ERR_FORMAT, "calibration needs \"isotonic\": {\"x\": [...], "
                                               "\"y\": [...]}, \"scale_max\" and \"n\"");
    size_t k = json_array_size(xs);
    if (k == 0 || k != json_array_size(ys))
        return exam_error_set(EXAM_ERR_FORMAT, "calibration knots: x and y must have the same "
                                               "non-zero length");
    double *x = malloc(k * sizeof *x), *y = malloc(k * sizeof *y);
    exam_status st = EXAM_OK;
    if (!x || !y) {
        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory for %zu knots", k);
        goto done;
    }
    for (size_t i = 0; i < k; i++) {
        json_t *xi = json_array_get(xs, i), *yi = json_array_get(ys, i);
        if (!json_is_number(xi) || !json_is_number(yi)) {
            st = exam_error_set(EXAM_ERR_FORMAT, "calibration knot %zu is not a number pair", i);
            goto done;
        }
        x[i] = json_number_value(xi);
        y[i] = json_number_value(yi);
    }
    if ((st = exam_isotonic_from_knots(x, y, k, &m->iso)) != EXAM_OK) {
        st = exam_error_set(EXAM_ERR_FORMAT, "calibration knots: %s", exam_error_message());
        goto done;
    }
    m->scale_max = json_number_value(scale);
    m->n = (size_t)json_integer_value(n);
done:
    free(x);
    free(y);
    return st;
}

exam_status exam_calib_map_apply(const exam_calib_map *m, double score, double *calibrated) {
    *calibrated = NAN;
    if (!isfinite(score)) return exam_error_set(EXAM_ERR_ARG, "score %g is not finite", score);
    if (!m->iso.n) return exam_error_set(EXAM_ERR_ARG, "the calibration map is empty");
    *calibrated = exam_isotonic_predict(&m->iso, score);
    return EXAM_OK;
}

void exam_calib_map_free(exam_calib_map *m) {
    exam_isotonic_free(&m->iso);
    memset(m, 0, sizeof *m);
}
