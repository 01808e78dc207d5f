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

exam_status wk_commit_id_conflicts(exam_worker *w, wk_item *items, size_t n, char *const *keys,
                                   const int *had) {
    exam_redis *r = w->wr;
    char **stored = calloc(n + 1, sizeof *stored); /* the existing result's cohort */
    if (!stored) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    exam_status st = EXAM_OK;
    size_t sent = 0;
    for (size_t i = 0; i < n && st == EXAM_OK; i++) {
        if (!keys[i] || !had[i]) continue;
        const char *argv[] = {"HGET", keys[i], "cohort"};
        if ((st = exam_redis_append_argv(r, 3, argv, NULL)) == EXAM_OK) sent++;
    }
    for (size_t i = 0, k = 0; k < sent && i < n; i++) {
        if (!keys[i] || !had[i]) continue;
        redisReply *rep = NULL;
        exam_status rs = exam_redis_get_reply(r, &rep);
        if (rs != EXAM_OK) {
            st = rs;
            break;
        }
        k++;
        if (rs == EXAM_OK) rs = exam_redis_reply_status(rep, "HGET");
        if (rs == EXAM_OK && rep->type == REDIS_REPLY_STRING && !(stored[i] = strdup(rep->str)))
            rs = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        if (st == EXAM_OK) st = rs;
        freeReplyObject(rep);
    }
    for (size_t i = 0; i < n && st == EXAM_OK; i++) {
        wk_item *it = &items[i];
        if (!keys[i] || it->id_conflict) continue;
        const char *first = stored[i];
        for (size_t j = 0; !first && !had[i] && j < i; j++)
            if (keys[j] && !items[j].id_conflict && !strcmp(keys[i], keys[j]))
                first = items[j].cohort ? items[j].cohort : "";
        if (first && strcmp(first, it->cohort ? it->cohort : "") != 0) mark_conflict(it, first);
    }
    for (size_t i = 0; i < n; i++) free(stored[i]);
    free(stored);
    return st;
}
