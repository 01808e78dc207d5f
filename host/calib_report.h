/* Human-readable views of a calibration object (exam_calib_fit's JSON): a text table for the
 * terminal and an HTML section (agreement table, reliability diagram as inline SVG, the
 * isotonic map and the answers to review) for reports. */
#ifndef EXAM_CALIB_REPORT_H
#define EXAM_CALIB_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

struct json_t;

/* Prints the agreement table (undefined values as "undefined"), the reliability table, the
 * map's knots and the review list. */
void exam_calib_print_table(FILE *out, const struct json_t *calib);

/* Writes an HTML fragment (<section>...</section>, no document wrapper) showing the same, with
 * the reliability diagram drawn as SVG. Errors: EXAM_ERR_IO when writing fails. */
exam_status exam_calib_write_html(FILE *out, const struct json_t *calib);

/* Writes `calib` as a whole HTML page (document wrapper around exam_calib_write_html) to
 * `path`. Errors: EXAM_ERR_IO when the file cannot be written. */
exam_status exam_calib_write_page(const char *path, const struct json_t *calib);

/* Fits a calibration from result objects that carry a judge block (results without one are
 * skipped) with the default options; *calib is NULL, with EXAM_OK, when none carries one.
 * Errors: those of exam_calib_accum_add_result and exam_calib_fit. */
exam_status exam_calib_fit_results(struct json_t *const *results, size_t n, struct json_t **calib);

#endif
