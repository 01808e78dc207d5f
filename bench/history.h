/* Benchmark history: every run's Google Benchmark JSON appended as one line to a JSONL file, and
 * an HTML page with one SVG trend chart per benchmark, regressions marked. */
#ifndef EXAM_BENCH_HISTORY_H
#define EXAM_BENCH_HISTORY_H

#include "compare.h"
#include "error.h"

/* Appends the result file `json_path` as one compact line to `dir`/runs.jsonl (the folder is
 * created when missing). Errors: EXAM_ERR_IO, EXAM_ERR_FORMAT (not a result file). */
exam_status exam_bench_history_append(const char *dir, const char *json_path);

/* Writes an HTML page to `out_html` from the history file `jsonl` (`dir`/runs.jsonl): per
 * benchmark, the median of `metric` over each run's repetitions, in run order, as an SVG line;
 * a point is marked red where exam_bench_compare (opts) finds a regression against the run
 * before it. Lines that are not result objects are counted and skipped.
 * Errors: EXAM_ERR_IO, EXAM_ERR_NOT_FOUND (no runs), EXAM_ERR_NOMEM. */
exam_status exam_bench_report_write(const char *jsonl, const char *metric,
                                    const exam_cmp_options *opts, const char *out_html);

#endif
