/* Safe trimming of the jobs stream: the safe point is where the oldest unfinished entry of any
 * consumer group lies; XTRIM MINID removes only what lies before it. */
#include "queue_trim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue_reply.h"

int exam_stream_id_parse(const char *s, exam_stream_id *id) {
    if (!s || *s < '0' || *s > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long ms = strtoull(s, &end, 10), seq = 0;
    if (errno) return -1;
    if (*end == '-') {
        const char *p = end + 1;
        if (*p < '0' || *p > '9') return -1;
        seq = strtoull(p, &end, 10);
        if (errno) return -1;
    }
    if (*end) return -1;
    id->ms = ms;
    id->seq = seq;
    return 0;
}

int exam_stream_id_cmp(exam_stream_id a, exam_stream_id b) {
    if (a.ms != b.ms) return a.ms < b.ms ? -1 : 1;
    if (a.seq != b.seq) return a.seq < b.seq ? -1 : 1;
    return 0;
}

/* The safe point of one group (an element of XINFO GROUPS). */
static exam_status group_safe_point(exam_redis *r, const exam_queue_keys *keys,
                                    const redisReply *group, exam_stream_id *safe) {
    const char *name = exam_reply_str(exam_reply_field(group, "name"));
    const char *last = exam_reply_str(exam_reply_field(group, "last-delivered-id"));
    long long pending;
    exam_stream_id last_id;
    if (!name || !last || exam_stream_id_parse(last, &last_id) ||
        exam_reply_ll(exam_reply_field(group, "pending"), 0, &pending))
        return exam_error_set(EXAM_ERR_FORMAT, "XINFO GROUPS %s: unexpected reply", keys->jobs);
    if (pending == 0) {
        /* Everything up to last-delivered-id is acknowledged: keep from the next id on. */
        *safe = last_id;
        if (++safe->seq == 0) safe->ms++;
        return EXAM_OK;
    }
    redisReply *rep = NULL;
    exam_status st = exam_redis_command(r, &rep, "XPENDING %s %s", keys->jobs, name);
    if (st != EXAM_OK) return st;
    st = exam_redis_reply_status(rep, "XPENDING");
    if (st == EXAM_OK) {
        const char *min = rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2
                              ? exam_reply_str(rep->element[1])
                              : NULL;
        if (!min || exam_stream_id_parse(min, safe))
            st = exam_error_set(EXAM_ERR_FORMAT, "XPENDING %s %s: unexpected reply", keys->jobs,
                                name);
        /* An entry pending since before the last delivery bounds the safe point; otherwise
         * the last delivery does (the oldest pending one is never newer than it). */
    }
    freeReplyObject(rep);
    return st;
}

exam_status exam_queue_safe_point(exam_redis *r, const exam_queue_keys *keys, int *have,
                                  exam_stream_id *safe) {
    *have = 0;
    memset(safe, 0, sizeof *safe);
    redisReply *rep = NULL;
    exam_status st = exam_redis_command(r, &rep, "XINFO GROUPS %s", keys->jobs);
    if (st != EXAM_OK) return st;
    if (rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "no such key")) {
        freeReplyObject(rep);
        return EXAM_OK;
    }
    st = exam_redis_reply_status(rep, "XINFO GROUPS");
    if (st == EXAM_OK && rep->type != REDIS_REPLY_ARRAY)
        st = exam_error_set(EXAM_ERR_FORMAT, "XINFO GROUPS %s: not an array", keys->jobs);
    for (size_t i = 0; st == EXAM_OK && i < rep->elements; i++) {
        exam_stream_id g;
        st = group_safe_point(r, keys, rep->element[i], &g);
        if (st == EXAM_OK && (!*have || exam_stream_id_cmp(g, *safe) < 0)) {
            *safe = g;
            *have = 1;
        }
    }
    freeReplyObject(rep);
    return st;
}

exam_status exam_queue_trim_acknowledged(exam_redis *r, const exam_queue_keys *keys,
                                         long long *removed) {
    if (removed) *removed = 0;
    int have;
    exam_stream_id safe;
    exam_status st = exam_queue_safe_point(r, keys, &have, &safe);
    if (st != EXAM_OK || !have) return st;
    char minid[48];
    snprintf(minid, sizeof minid, "%llu-%llu", (unsigned long long)safe.ms,
             (unsigned long long)safe.seq);
    redisReply *rep = NULL;
    st = exam_redis_command(r, &rep, "XTRIM %s MINID %s", keys->jobs, minid);
    if (st != EXAM_OK) return st;
    st = exam_redis_reply_status(rep, "XTRIM");
    if (st == EXAM_OK && removed && rep->type == REDIS_REPLY_INTEGER) *removed = rep->integer;
    freeReplyObject(rep);
    return st;
}
