/* The id scope of a commit: job ids are global per queue, so a job whose id already has a
 * result in another cohort (in Redis, or from an earlier copy in the same batch) must not
 * overwrite it. Such a job becomes an error with code `id_conflict` that the commit records as a
 * dead letter only (docs/queue.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker_internal.h"

static void mark_conflict(wk_item *it, const char *other) {
    it->id_conflict = 1;
    it->ok = 0;
    it->kind = WK_INVALID;
    it->err = EXAM_ERR_ARG;
    snprintf(it->code, sizeof it->code, "id_conflict");
    snprintf(it->message, sizeof it->message,
             "job id '%.100s' already has a result in cohort '%.100s' (job ids are global per "
             "queue); this job of cohort '%.60s' was not graded into it",
             it->id, other, it->cohort ? it->cohort : "");
    free(it->calib_pair);
    it->calib_pair = NULL;
}

int wk_commit_id_conflict(wk_item *it, const exam_result_prev *prev) {
    if (it->id_conflict) return 1;
    if (!it->id || !prev || prev->state == EXAM_RESULT_NONE) return 0;
    const char *stored = prev->cohort ? prev->cohort : "";
    if (!strcmp(stored, it->cohort ? it->cohort : "")) return 0;
    mark_conflict(it, stored);
    return 1;
}
