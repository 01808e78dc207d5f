/* The worker's calibration side (private to queue/): judged results feed the cohort's pairs
 * hash inside the batch commit, results get score_calibrated from the cohort's stored map, and
 * a cohort is refitted after a commit once it has enough new pairs (docs/calibration.md). */
#ifndef EXAM_WORKER_CALIB_H
#define EXAM_WORKER_CALIB_H

#include "worker_internal.h"

/* Defaults of the worker's calibration options. */
#define WK_CALIB_MIN 20
#define WK_CALIB_EVERY 50

/* Before the commit: for each ok result, makes its judged pair (it->calib_pair, when the job
 * carried a judge) and adds "score_calibrated" and "calibration": {"n", "fitted_at"} to its
 * result JSON when the cohort has a calibration (loaded through the worker's connection and
 * cached for about a second). Calibration problems are logged, never fatal. Errors:
 * EXAM_ERR_NOMEM only. */
exam_status wk_calib_prepare(exam_worker *w, wk_batch *b);

/* Inside the batch's MULTI: queues `HSET <pairs of the cohort> <job id> <pair>` for an item
 * that has a pair, and counts it in *queued. Errors: those of exam_redis_append_argv. */
exam_status wk_calib_append(exam_worker *w, exam_redis *r, const wk_item *it, int *queued);

/* After a committed batch: for each cohort the batch added pairs to, refits and stores the
 * calibration when it has at least calib_min pairs and none is stored yet or calib_every pairs
 * arrived since the stored one. Failures are logged. */
void wk_calib_after_commit(exam_worker *w, const wk_batch *b);

/* Frees the worker's calibration cache (NULL is allowed). */
void wk_calib_free(struct wk_calib *c);

#endif
