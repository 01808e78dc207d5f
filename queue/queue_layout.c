/* The layout check every writer and reader of a queue runs when it connects: HGET of the meta
 * hash's keys_version, EXISTS of the keys only an older examiner's writes would leave. */
#include "queue_layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static exam_status run(exam_redis *r, int argc, const char **argv, const char *what,
                       redisReply **out) {
    redisReply *rep = NULL;
    exam_status st = exam_redis_argv(r, argc, argv, NULL, &rep);
    if (st == EXAM_OK) st = exam_redis_reply_status(rep, what);
    if (st != EXAM_OK || !out)
        freeReplyObject(rep);
    else
        *out = rep;
    return st;
}

exam_status exam_queue_layout_check(exam_redis *r, const exam_queue_keys *keys, int claim) {
    char want[16];
    snprintf(want, sizeof want, "%d", EXAM_QUEUE_KEYS_VERSION);
    redisReply *rep = NULL;
    const char *hget[] = {"HGET", keys->meta, "keys_version"};
    exam_status st = run(r, 3, hget, "HGET", &rep);
    if (st != EXAM_OK) return st;
    if (rep->type == REDIS_REPLY_STRING) {
        st = strcmp(rep->str, want) == 0
                 ? EXAM_OK
                 : exam_error_set(EXAM_ERR_FORMAT,
                                  "queue '%s' is in key layout v%.20s (%s keys_version), this "
                                  "examiner reads and writes v%s only",
                                  keys->queue, rep->str, keys->meta, want);
        freeReplyObject(rep);
        return st;
    }
    freeReplyObject(rep);
    rep = NULL;
    const char *exists[] = {"EXISTS", keys->cohorts, keys->results};
    if ((st = run(r, 3, exists, "EXISTS", &rep)) != EXAM_OK) return st;
    long long old = rep->type == REDIS_REPLY_INTEGER ? rep->integer : 0;
    freeReplyObject(rep);
    if (old > 0)
        return exam_error_set(EXAM_ERR_FORMAT,
                              "queue '%s' holds data in key layout v1 (an older examiner: names "
                              "in keys unescaped) and no %s keys_version; stop its workers and "
                              "run `examiner migrate-keys --queue %s` (docs/queue.md)",
                              keys->queue, keys->meta, keys->queue);
    if (!claim) return EXAM_OK;
    const char *hsetnx[] = {"HSETNX", keys->meta, "keys_version", want};
    return run(r, 4, hsetnx, "HSETNX", NULL);
}
