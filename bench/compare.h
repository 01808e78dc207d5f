/* Comparing two Google Benchmark result files: per benchmark, the repetitions' samples of one
 * metric, a Mann-Whitney U test and the change of the median; new, missing and probably renamed
 * benchmarks are named. */
#ifndef EXAM_BENCH_COMPARE_H
#define EXAM_BENCH_COMPARE_H

#include <stddef.h>

#include "error.h"

struct json_t;

/* The samples of one benchmark (one per repetition). */
typedef struct exam_bench_series {
    char *name;
    double *v;
    size_t n;
    size_t cap;
} exam_bench_series;

typedef struct exam_bench_results {
    exam_bench_series *s;
    size_t n;
    size_t cap;
    int higher_is_better; /* from the metric: rates ("*_per_second") are better higher */
} exam_bench_results;

/* Collects `metric` ("real_time", "cpu_time" or a counter such as "bytes_per_second") of every
 * repetition (run_type "iteration", errors skipped) per run_name; times are converted to
 * nanoseconds. Errors: EXAM_ERR_FORMAT (no "benchmarks" array), EXAM_ERR_NOMEM. */
exam_status exam_bench_results_from_json(const struct json_t *root, const char *metric,
                                         exam_bench_results *out);

/* The same from a file. Errors also: EXAM_ERR_IO, EXAM_ERR_FORMAT naming line and column. */
exam_status exam_bench_results_load(const char *path, const char *metric, exam_bench_results *out);

/* Frees what the loaders filled in and zeroes it. */
void exam_bench_results_free(exam_bench_results *r);

/* The median of n values (0 when n is 0); v is not changed. */
double exam_bench_median(const double *v, size_t n);

typedef enum exam_cmp_verdict {
    EXAM_CMP_SAME = 0,    /* no significant change beyond the threshold */
    EXAM_CMP_REGRESSION,  /* significant and beyond the threshold in the bad direction */
    EXAM_CMP_IMPROVEMENT, /* significant and beyond the threshold in the good direction */
    EXAM_CMP_FEW,         /* fewer than min_reps samples on a side: not tested */
    EXAM_CMP_NEW,         /* only in the new file */
    EXAM_CMP_MISSING,     /* only in the base file */
    EXAM_CMP_RENAMED,     /* a missing and a new benchmark that look like one renamed */
} exam_cmp_verdict;

typedef struct exam_cmp_options {
    double threshold; /* relative change of the median, 0.05 for 5% */
    double alpha;     /* significance level of the U test */
    size_t min_reps;  /* samples needed on each side (10) */
} exam_cmp_options;

/* One row of the comparison. Names point into the results compared. */
typedef struct exam_cmp_row {
    const char *name;     /* the base name (the new one for EXAM_CMP_NEW) */
    const char *new_name; /* for EXAM_CMP_RENAMED: the name in the new file */
    double base_median, new_median;
    double change; /* (new - base) / |base|; positive means larger */
    double worse;  /* change in the bad direction (positive = worse) */
    double p;      /* U test p-value (1 when not tested) */
    size_t n_base, n_new;
    exam_cmp_verdict verdict;
} exam_cmp_row;

/* Defaults: 5%, alpha 0.01, 10 repetitions. */
exam_cmp_options exam_cmp_default_options(void);

/* Compares base with next (same metric): one row per benchmark of either, base order first.
 * A benchmark is a regression when the U test's p < alpha AND its median moved by more than
 * the threshold in the bad direction; renamed pairs are compared but never gate.
 * *rows is allocated (free()). Errors: EXAM_ERR_NOMEM, EXAM_ERR_ARG (metric directions differ). */
exam_status exam_bench_compare(const exam_bench_results *base, const exam_bench_results *next,
                               const exam_cmp_options *opts, exam_cmp_row **rows, size_t *n_rows);

/* The verdict's word in the table ("same", "REGRESSION", ...). */
const char *exam_cmp_verdict_name(exam_cmp_verdict v);

/* Edit distance between two names, scaled by the longer one's length (0 same, 1 unrelated). */
double exam_bench_name_distance(const char *a, const char *b);

#endif
