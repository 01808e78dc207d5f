/* Calibration of examiner's scores against an external judge (an LLM or human graders), per
 * cohort: an accumulator of (examiner score, judge score) pairs that can be saved and restored
 * as JSON, a fit that turns the pairs into the calibration JSON (agreement statistics, bootstrap
 * intervals, reliability table, Krippendorff's alpha between judges, the isotonic map onto the
 * judge's scale and the answers to review), the map loaded back from that JSON and applied to a
 * score, and the choice of answers whose judging would most improve the map.
 * See docs/calibration.md for the definitions and the JSON schema. */
#ifndef EXAM_CALIB_H
#define EXAM_CALIB_H

#include <stddef.h>

#include "error.h"
#include "isotonic.h"

struct json_t;

/* One judged answer. Strings are borrowed by exam_calib_accum_add (it copies them). */
typedef struct exam_calib_pair {
    double score;          /* examiner's score, 0..10 */
    double judge;          /* the judge's score, 0..scale_max */
    double scale_max;      /* the judge's scale (the same for every pair of a cohort) */
    const char *source;    /* "llm" or "human"; NULL when unknown */
    const char *model;     /* the judge model or grader; NULL when unknown */
    const char *job_id;    /* NULL when unknown */
    const char *candidate; /* NULL when unknown */
    const char *item;      /* the answer that was judged: pairs with the same item and different
                              judges feed Krippendorff's alpha; NULL means job_id */
} exam_calib_pair;

typedef struct exam_calib_accum exam_calib_accum;

/* Makes an empty accumulator. Errors: EXAM_ERR_NOMEM. */
exam_status exam_calib_accum_init(exam_calib_accum **out);

/* Frees the accumulator (NULL is allowed). */
void exam_calib_accum_free(exam_calib_accum *a);

/* Adds a pair (strings copied). Errors: EXAM_ERR_ARG when the judge score or scale is NaN or
 * infinite, the scale is not positive, the judge score lies outside 0..scale_max, the examiner
 * score is not a number in 0..10, or scale_max differs from the pairs already held; the
 * accumulator is unchanged then. EXAM_ERR_NOMEM. */
exam_status exam_calib_accum_add(exam_calib_accum *a, const exam_calib_pair *p);

/* Adds the pair carried by a result object of `examiner grade` / the worker (its "score" and
 * echoed "judge" block; item = "<candidate>/<question_id>" when both are present, else its id).
 * Returns EXAM_ERR_NOT_FOUND, adding nothing, for a result without a judge block or with an
 * "error"; other errors as exam_calib_accum_add (EXAM_ERR_FORMAT for wrongly typed fields). */
exam_status exam_calib_accum_add_result(exam_calib_accum *a, const struct json_t *result);

/* Number of pairs held, and pair i (valid until the next add or free). */
size_t exam_calib_accum_count(const exam_calib_accum *a);
const exam_calib_pair *exam_calib_accum_get(const exam_calib_accum *a, size_t i);

/* The judge scale of the pairs held (0 when empty). */
double exam_calib_accum_scale(const exam_calib_accum *a);

/* The pairs as JSON, to persist: {"version": 1, "scale_max": S, "pairs": [{"score", "judge",
 * "scale_max", "source", "model", "job_id", "candidate", "item"}, ...]} (absent strings left
 * out). NULL when out of memory. */
struct json_t *exam_calib_accum_to_json(const exam_calib_accum *a);

/* Restores an accumulator saved by exam_calib_accum_to_json. Errors: EXAM_ERR_FORMAT naming
 * the first bad field or pair (nothing is returned then), the errors of exam_calib_accum_add. */
exam_status exam_calib_accum_from_json(const struct json_t *state, exam_calib_accum **out);

/* Settings of a fit. */
typedef struct exam_calib_options {
    const char *cohort;  /* written as "cohort" when not NULL */
    double threshold;    /* review when |calibrated - judge| > threshold (judge units);
                            <= 0 means scale_max / 5 */
    size_t bins;         /* reliability bins (default 10) */
    size_t boot_reps;    /* bootstrap resamples (default 1000) */
    double level;        /* interval level (default 0.95) */
    unsigned long seed;  /* bootstrap seed (default 42) */
    long long fitted_at; /* Unix time written as fitted_at; 0 means now */
} exam_calib_options;

/* The defaults above. */
void exam_calib_options_default(exam_calib_options *o);

/* Fits the cohort's calibration from the pairs held and returns its JSON object in *out
 * (schema in docs/calibration.md); statistics that are undefined for these pairs (fewer than
 * two, a constant side) are null. Errors: EXAM_ERR_ARG when there are no pairs or an option
 * is invalid, EXAM_ERR_NOMEM. */
exam_status exam_calib_fit(const exam_calib_accum *a, const exam_calib_options *o,
                           struct json_t **out);

/* A fitted map from examiner's 0..10 score onto the judge's scale. */
typedef struct exam_calib_map {
    exam_isotonic iso;
    double scale_max;
    size_t n; /* pairs it was fitted on */
} exam_calib_map;

/* Loads the map of a calibration object (its "isotonic" knots, "scale_max" and "n").
 * Errors: EXAM_ERR_FORMAT when a field is missing or wrongly typed, or the knots are not
 * ordered; EXAM_ERR_NOMEM. *m is zeroed on error. */
exam_status exam_calib_map_from_json(const struct json_t *calib, exam_calib_map *m);

/* The calibrated score (judge scale) of an examiner score. Errors: EXAM_ERR_ARG for a score
 * that is not a finite number, or an empty map. */
exam_status exam_calib_map_apply(const exam_calib_map *m, double score, double *calibrated);

/* Frees the map and zeroes it. */
void exam_calib_map_free(exam_calib_map *m);

/* Chooses up to k answers of a pool to send to the judge next: pool_scores[i] is answer i's
 * examiner score, pool_judged[i] non-zero when it already has a judge score (may be NULL).
 * Greedy farthest-point choice: each pick is the answer whose score lies farthest from every
 * judged score and every earlier pick (the map is least supported there); ties go to the
 * answer with fewer judged pairs within 0.5 points, then to an unjudged answer, then to the
 * earlier one. Writes the chosen pool indices, in order of choice, to picked[0..*n_picked).
 * Errors: EXAM_ERR_ARG for a score that is not finite, EXAM_ERR_NOMEM. */
exam_status exam_calib_suggest(const exam_calib_accum *a, const double *pool_scores,
                               const int *pool_judged, size_t n_pool, size_t k, size_t *picked,
                               size_t *n_picked);

#endif
