/* The consumer group's housekeeping: create it when missing, remove dead consumers, keep or
 * release the claim on entries in hand (XCLAIM ... JUSTID), and read its pending and lag. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "worker_internal.h"

exam_status wk_group_ensure(exam_worker *w, exam_redis *r) {
    const char *argv[] = {"XGROUP", "CREATE", w->keys.jobs, EXAM_QUEUE_GROUP, "0", "MKSTREAM"};
    redisReply *rep;
    exam_status st = exam_redis_argv(r, 6, argv, NULL, &rep);
    if (st != EXAM_OK) return st;
    if (rep->type == REDIS_REPLY_ERROR && rep->str && !strncmp(rep->str, "BUSYGROUP", 9)) {
        freeReplyObject(rep);
        return EXAM_OK;
    }
    st = exam_redis_reply_status(rep, "XGROUP CREATE");
    if (st == EXAM_OK)
        exam_log(EXAM_LOG_INFO, "group_created", "stream=%s group=%s start=0", w->keys.jobs,
                 EXAM_QUEUE_GROUP);
    freeReplyObject(rep);
    return st;
}

/* The integer value of `key` in a flat RESP2 map (name, value, name, value ...), or -1. */
static long long map_int(const redisReply *m, const char *key) {
    for (size_t k = 0; m->type == REDIS_REPLY_ARRAY && k + 1 < m->elements; k += 2)
        if (m->element[k]->type == REDIS_REPLY_STRING && !strcmp(m->element[k]->str, key))
            return m->element[k + 1]->type == REDIS_REPLY_INTEGER ? m->element[k + 1]->integer : -1;
    return -1;
}

static const char *map_str(const redisReply *m, const char *key) {
    for (size_t k = 0; m->type == REDIS_REPLY_ARRAY && k + 1 < m->elements; k += 2)
        if (m->element[k]->type == REDIS_REPLY_STRING && !strcmp(m->element[k]->str, key))
            return m->element[k + 1]->type == REDIS_REPLY_STRING ? m->element[k + 1]->str : NULL;
    return NULL;
}

exam_status wk_group_gc(exam_worker *w, exam_redis *r, int *removed) {
    *removed = 0;
    if (w->cfg.consumer_gc_idle_ms < 0) return EXAM_OK;
    const char *argv[] = {"XINFO", "CONSUMERS", w->keys.jobs, EXAM_QUEUE_GROUP};
    redisReply *rep;
    exam_status st = exam_redis_argv(r, 4, argv, NULL, &rep);
    if (st != EXAM_OK) return st;
    if ((st = exam_redis_reply_status(rep, "XINFO CONSUMERS")) != EXAM_OK) {
        freeReplyObject(rep);
        return st;
    }
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        const redisReply *c = rep->element[i];
        const char *name = map_str(c, "name");
        long long pending = map_int(c, "pending"), idle = map_int(c, "idle");
        /* Redis 7.2 adds "inactive" (time since the last successful read): prefer it */
        long long inactive = map_int(c, "inactive");
        if (inactive >= 0) idle = inactive;
        if (!name || !strcmp(name, w->consumer) || pending != 0 ||
            idle < w->cfg.consumer_gc_idle_ms)
            continue;
        const char *del[] = {"XGROUP", "DELCONSUMER", w->keys.jobs, EXAM_QUEUE_GROUP, name};
        redisReply *d;
        if ((st = exam_redis_argv(r, 5, del, NULL, &d)) != EXAM_OK) break;
        if (exam_redis_reply_status(d, "XGROUP DELCONSUMER") == EXAM_OK) {
            ++*removed;
            exam_log(EXAM_LOG_INFO, "consumer_removed", "consumer=%s idle_ms=%lld", name, idle);
        }
        freeReplyObject(d);
    }
    freeReplyObject(rep);
    return st;
}

exam_status wk_group_touch(exam_worker *w, exam_redis *r, const char *const *ids, size_t n,
                           long idle_ms) {
    enum { CHUNK = 256 };
    const char *argv[CHUNK + 8];
    char idle[32];
    snprintf(idle, sizeof idle, "%ld", idle_ms);
    for (size_t at = 0; at < n; at += CHUNK) {
        size_t m = n - at < CHUNK ? n - at : CHUNK;
        int argc = 0;
        argv[argc++] = "XCLAIM";
        argv[argc++] = w->keys.jobs;
        argv[argc++] = EXAM_QUEUE_GROUP;
        argv[argc++] = w->consumer;
        argv[argc++] = "0";
        for (size_t i = 0; i < m; i++) argv[argc++] = ids[at + i];
        if (idle_ms >= 0) {
            argv[argc++] = "IDLE";
            argv[argc++] = idle;
        }
        argv[argc++] = "JUSTID";
        redisReply *rep;
        exam_status st = exam_redis_argv(r, argc, argv, NULL, &rep);
        if (st != EXAM_OK) return st;
        st = exam_redis_reply_status(rep, "XCLAIM");
        freeReplyObject(rep);
        if (st != EXAM_OK) return st;
    }
    return EXAM_OK;
}

exam_status wk_group_stats(exam_worker *w, exam_redis *r) {
    const char *argv[] = {"XINFO", "GROUPS", w->keys.jobs};
    redisReply *rep;
    exam_status st = exam_redis_argv(r, 3, argv, NULL, &rep);
    if (st != EXAM_OK) return st;
    if ((st = exam_redis_reply_status(rep, "XINFO GROUPS")) != EXAM_OK) {
        freeReplyObject(rep);
        return st;
    }
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        const redisReply *g = rep->element[i];
        const char *name = map_str(g, "name");
        if (!name || strcmp(name, EXAM_QUEUE_GROUP) != 0) continue;
        long long pending = map_int(g, "pending"), lag = map_int(g, "lag");
        if (pending >= 0) exam_wm_set(w->metrics, EXAM_WM_PENDING, (double)pending);
        if (lag >= 0) exam_wm_set(w->metrics, EXAM_WM_LAG, (double)lag);
    }
    freeReplyObject(rep);
    return EXAM_OK;
}
