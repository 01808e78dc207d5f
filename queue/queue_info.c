/* The queue snapshot behind `examiner status`: XINFO STREAM/GROUPS/CONSUMERS, XLEN of the
 * results and dead-letter streams, and each cohort's aggregate hash. */
#include "queue_info.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "queue_fields.h"
#include "queue_reply.h"
#include "queue_results.h"

/* Runs a command; a "no such key" error reads as a nil reply. */
static exam_status command(exam_redis *r, redisReply **rep, const char *what, const char *fmt,
                           const char *a, const char *b) {
    exam_status st = exam_redis_command(r, rep, fmt, a, b);
    if (st != EXAM_OK) return st;
    if ((*rep)->type == REDIS_REPLY_ERROR && strstr((*rep)->str, "no such key")) {
        freeReplyObject(*rep);
        *rep = NULL;
        return EXAM_OK;
    }
    st = exam_redis_reply_status(*rep, what);
    if (st != EXAM_OK) {
        freeReplyObject(*rep);
        *rep = NULL;
    }
    return st;
}

static json_t *ll_or_null(const redisReply *v) {
    long long x;
    return exam_reply_ll(v, 0, &x) == 0 ? json_integer(x) : json_null();
}

static json_t *str_or_null(const redisReply *v) {
    const char *s = exam_reply_str(v);
    return s ? json_string(s) : json_null();
}

static exam_status xlen(exam_redis *r, const char *key, long long *n) {
    redisReply *rep = NULL;
    exam_status st = command(r, &rep, "XLEN", "XLEN %s", key, NULL);
    *n = rep && rep->type == REDIS_REPLY_INTEGER ? rep->integer : 0;
    freeReplyObject(rep);
    return st;
}

static exam_status jobs_info(exam_redis *r, const exam_queue_keys *keys, json_t *info) {
    redisReply *rep = NULL;
    exam_status st = command(r, &rep, "XINFO STREAM", "XINFO STREAM %s", keys->jobs, NULL);
    if (st != EXAM_OK) return st;
    json_t *jobs = json_object();
    const redisReply *first = exam_reply_field(rep, "first-entry");
    const redisReply *last = exam_reply_field(rep, "last-entry");
    json_object_set_new(jobs, "length",
                        rep ? ll_or_null(exam_reply_field(rep, "length")) : json_integer(0));
    json_object_set_new(jobs, "first_id",
                        first && first->type == REDIS_REPLY_ARRAY && first->elements
                            ? str_or_null(first->element[0])
                            : json_null());
    json_object_set_new(jobs, "last_id",
                        last && last->type == REDIS_REPLY_ARRAY && last->elements
                            ? str_or_null(last->element[0])
                            : json_null());
    json_object_set_new(jobs, "entries_added",
                        rep ? ll_or_null(exam_reply_field(rep, "entries-added")) : json_integer(0));
    freeReplyObject(rep);
    if (json_object_set_new(info, "jobs", jobs))
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    return EXAM_OK;
}

static exam_status consumers_info(exam_redis *r, const exam_queue_keys *keys, json_t *list) {
    redisReply *rep = NULL;
    exam_status st =
        command(r, &rep, "XINFO CONSUMERS", "XINFO CONSUMERS %s %s", keys->jobs, EXAM_QUEUE_GROUP);
    if (st != EXAM_OK || !rep || rep->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(rep);
        return st;
    }
    for (size_t i = 0; i < rep->elements; i++) {
        const redisReply *c = rep->element[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", str_or_null(exam_reply_field(c, "name")));
        json_object_set_new(o, "pending", ll_or_null(exam_reply_field(c, "pending")));
        json_object_set_new(o, "idle_ms", ll_or_null(exam_reply_field(c, "idle")));
        json_object_set_new(o, "inactive_ms", ll_or_null(exam_reply_field(c, "inactive")));
        if (json_array_append_new(list, o)) st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    freeReplyObject(rep);
    return st;
}

static exam_status group_info(exam_redis *r, const exam_queue_keys *keys, json_t *info) {
    redisReply *rep = NULL;
    exam_status st = command(r, &rep, "XINFO GROUPS", "XINFO GROUPS %s", keys->jobs, NULL);
    if (st != EXAM_OK) return st;
    const redisReply *g = NULL;
    for (size_t i = 0; rep && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        const char *name = exam_reply_str(exam_reply_field(rep->element[i], "name"));
        if (name && !strcmp(name, EXAM_QUEUE_GROUP)) g = rep->element[i];
    }
    json_t *group = json_object(), *consumers = json_array();
    json_object_set_new(group, "name", json_string(EXAM_QUEUE_GROUP));
    json_object_set_new(group, "exists", json_boolean(g != NULL));
    json_object_set_new(group, "lag", g ? ll_or_null(exam_reply_field(g, "lag")) : json_null());
    json_object_set_new(group, "pending",
                        g ? ll_or_null(exam_reply_field(g, "pending")) : json_integer(0));
    json_object_set_new(group, "entries_read",
                        g ? ll_or_null(exam_reply_field(g, "entries-read")) : json_null());
    json_object_set_new(group, "last_delivered_id",
                        g ? str_or_null(exam_reply_field(g, "last-delivered-id")) : json_null());
    freeReplyObject(rep);
    if (g) st = consumers_info(r, keys, consumers);
    json_object_set_new(group, "consumers", consumers);
    if (json_object_set_new(info, "group", group) && st == EXAM_OK)
        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    return st;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static exam_status cohort_info(exam_redis *r, const exam_queue_keys *keys, const char *cohort,
                               json_t *list) {
    char *key = exam_queue_key_for(keys, EXAM_QK_COHORT, cohort);
    char *ids = exam_queue_cohort_key(keys, cohort, EXAM_QK_COHORT_SUBMITTED_SUFFIX);
    exam_status st = EXAM_OK;
    redisReply *rep = NULL, *card = NULL;
    if (!key || !ids) st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    if (st == EXAM_OK) st = command(r, &rep, "HGETALL", "HGETALL %s", key, NULL);
    if (st == EXAM_OK) st = command(r, &card, "SCARD", "SCARD %s", ids, NULL);
    if (st == EXAM_OK) {
        long long done, failed;
        double sum;
        exam_reply_ll(exam_reply_field(rep, EXAM_QF_COHORT_DONE), 0, &done);
        exam_reply_ll(exam_reply_field(rep, EXAM_QF_COHORT_FAILED), 0, &failed);
        exam_reply_double(exam_reply_field(rep, EXAM_QF_COHORT_SUM), 0, &sum);
        json_t *o = json_object();
        json_object_set_new(o, "cohort", json_string(cohort));
        json_object_set_new(o, "done", json_integer(done));
        json_object_set_new(o, "failed", json_integer(failed));
        json_object_set_new(o, "mean", done > 0 ? json_real(sum / (double)done) : json_null());
        json_object_set_new(
            o, "submitted",
            json_integer(card && card->type == REDIS_REPLY_INTEGER ? card->integer : 0));
        if (json_array_append_new(list, o)) st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    freeReplyObject(rep);
    freeReplyObject(card);
    free(key);
    free(ids);
    return st;
}

static exam_status cohorts_info(exam_redis *r, const exam_queue_keys *keys, json_t *info) {
    redisReply *rep = NULL;
    exam_status st = command(r, &rep, "SMEMBERS", "SMEMBERS %s", keys->cohorts, NULL);
    json_t *list = json_array();
    if (st == EXAM_OK && rep && rep->type == REDIS_REPLY_ARRAY && rep->elements) {
        char **names = malloc(rep->elements * sizeof *names);
        size_t n = 0;
        if (!names) st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        for (size_t i = 0; names && i < rep->elements; i++)
            if (rep->element[i]->type == REDIS_REPLY_STRING) names[n++] = rep->element[i]->str;
        if (names) qsort(names, n, sizeof *names, by_name);
        for (size_t i = 0; st == EXAM_OK && i < n; i++) st = cohort_info(r, keys, names[i], list);
        free(names);
    }
    freeReplyObject(rep);
    if (json_object_set_new(info, "cohorts", list) && st == EXAM_OK)
        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    return st;
}

exam_status exam_queue_info(exam_redis *r, const exam_queue_keys *keys, json_t **out) {
    *out = NULL;
    json_t *info = json_object();
    if (!info) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    json_object_set_new(info, "queue", json_string(keys->queue));
    exam_status st = jobs_info(r, keys, info);
    if (st == EXAM_OK) st = group_info(r, keys, info);
    long long results = 0, dead = 0;
    if (st == EXAM_OK) st = xlen(r, keys->results, &results);
    if (st == EXAM_OK) st = xlen(r, keys->dead, &dead);
    if (st == EXAM_OK) {
        json_t *res = json_object();
        json_object_set_new(res, "length", json_integer(results));
        json_object_set_new(info, "results", res);
        json_object_set_new(info, "dead_letters", json_integer(dead));
        st = cohorts_info(r, keys, info);
    }
    if (st != EXAM_OK) {
        json_decref(info);
        return st;
    }
    *out = info;
    return EXAM_OK;
}
