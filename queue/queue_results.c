/* A cohort's results from Redis: SSCAN the cohort's id set, HGET each id's result with
 * pipelining, decode and sort. */
#include "queue_results.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"
#include "queue_fields.h"

char *exam_queue_cohort_key(const exam_queue_keys *keys, const char *cohort, const char *suffix) {
    char *base = exam_queue_key_for(keys, EXAM_QK_COHORT, cohort);
    if (!base) return NULL;
    size_t n = strlen(base), m = strlen(suffix);
    char *s = realloc(base, n + m + 1);
    if (!s) {
        free(base);
        return NULL;
    }
    memcpy(s + n, suffix, m + 1);
    return s;
}

/* Adds every member of set `key` to `set` (SSCAN, so a large cohort does not block the
 * server). */
static exam_status scan_set(exam_redis *r, const char *key, json_t *set) {
    char cursor[32] = "0";
    exam_status st = EXAM_OK;
    do {
        redisReply *rep = NULL;
        st = exam_redis_command(r, &rep, "SSCAN %s %s COUNT 1000", key, cursor);
        if (st != EXAM_OK) break;
        st = exam_redis_reply_status(rep, "SSCAN");
        if (st == EXAM_OK && (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
                              rep->element[0]->type != REDIS_REPLY_STRING ||
                              rep->element[1]->type != REDIS_REPLY_ARRAY))
            st = exam_error_set(EXAM_ERR_FORMAT, "SSCAN %s: unexpected reply", key);
        if (st == EXAM_OK) {
            snprintf(cursor, sizeof cursor, "%s", rep->element[0]->str);
            const redisReply *m = rep->element[1];
            for (size_t i = 0; st == EXAM_OK && i < m->elements; i++)
                if (m->element[i]->type == REDIS_REPLY_STRING &&
                    json_object_set_new_nocheck(set, m->element[i]->str, json_true()))
                    st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        }
        freeReplyObject(rep);
    } while (st == EXAM_OK && strcmp(cursor, "0") != 0);
    return st;
}

/* The cohort's job ids (submitted and with a result), as a new JSON array of strings. */
static exam_status cohort_ids(exam_redis *r, const exam_queue_keys *keys, const char *cohort,
                              json_t **out) {
    *out = NULL;
    char *submitted = exam_queue_cohort_key(keys, cohort, EXAM_QK_COHORT_SUBMITTED_SUFFIX);
    char *with_result = exam_queue_cohort_key(keys, cohort, EXAM_QK_COHORT_IDS_SUFFIX);
    json_t *set = json_object(), *ids = json_array();
    exam_status st = EXAM_OK;
    if (!submitted || !with_result || !set || !ids)
        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    if (st == EXAM_OK) st = scan_set(r, submitted, set);
    if (st == EXAM_OK) st = scan_set(r, with_result, set);
    const char *id;
    json_t *v;
    json_object_foreach(set, id, v) {
        /* an id over the limit can never get a result (the worker dead-letters its job with an
         * empty id); older submits recorded such ids, and waiting for them would never end */
        if (strlen(id) > EXAM_JOB_ID_MAX) continue;
        if (st == EXAM_OK && json_array_append_new(ids, json_string_nocheck(id)))
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    free(submitted);
    free(with_result);
    json_decref(set);
    if (st != EXAM_OK) {
        json_decref(ids);
        return st;
    }
    *out = ids;
    return EXAM_OK;
}

/* Pipelines `HGET result:<id> result` (with_value) or `EXISTS result:<id>` for ids[from..to)
 * and hands each reply to `take`. */
typedef exam_status (*reply_fn)(void *user, const char *id, const redisReply *rep);

static exam_status each_result(exam_redis *r, const exam_queue_keys *keys, json_t *ids,
                               int with_value, reply_fn take, void *user) {
    const size_t chunk = 512;
    size_t n = json_array_size(ids);
    exam_status st = EXAM_OK;
    for (size_t from = 0; st == EXAM_OK && from < n; from += chunk) {
        size_t to = from + chunk < n ? from + chunk : n, sent = 0;
        for (size_t i = from; st == EXAM_OK && i < to; i++) {
            char *key =
                exam_queue_key_for(keys, EXAM_QK_RESULT, json_string_value(json_array_get(ids, i)));
            if (!key) {
                st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
                break;
            }
            const char *hget[] = {"HGET", key, EXAM_QF_RESULT_JSON};
            const char *exists[] = {"EXISTS", key};
            st = with_value ? exam_redis_append_argv(r, 3, hget, NULL)
                            : exam_redis_append_argv(r, 2, exists, NULL);
            free(key);
            if (st == EXAM_OK) sent++;
        }
        for (size_t k = 0; k < sent; k++) {
            redisReply *rep = NULL;
            exam_status rs = exam_redis_get_reply(r, &rep);
            if (rs != EXAM_OK) return rs;
            rs = exam_redis_reply_status(rep, with_value ? "HGET" : "EXISTS");
            if (rs == EXAM_OK && st == EXAM_OK)
                rs = take(user, json_string_value(json_array_get(ids, from + k)), rep);
            if (st == EXAM_OK) st = rs;
            freeReplyObject(rep);
        }
    }
    return st;
}

static exam_status count_missing(void *user, const char *id, const redisReply *rep) {
    (void)id;
    if (rep->type == REDIS_REPLY_INTEGER && rep->integer == 0) (*(size_t *)user)++;
    return EXAM_OK;
}

exam_status exam_queue_cohort_progress(exam_redis *r, const exam_queue_keys *keys,
                                       const char *cohort, size_t *total, size_t *missing) {
    *total = *missing = 0;
    json_t *ids;
    exam_status st = cohort_ids(r, keys, cohort, &ids);
    if (st != EXAM_OK) return st;
    *total = json_array_size(ids);
    st = each_result(r, keys, ids, 0, count_missing, missing);
    json_decref(ids);
    return st;
}

typedef struct collect_ctx {
    json_t *results;
    size_t missing;
} collect_ctx;

static exam_status collect_result(void *user, const char *id, const redisReply *rep) {
    collect_ctx *c = user;
    if (rep->type != REDIS_REPLY_STRING) {
        c->missing++;
        return EXAM_OK;
    }
    json_error_t jerr;
    json_t *obj = json_loadb(rep->str, (size_t)rep->len, 0, &jerr);
    if (!obj || !json_is_object(obj)) {
        json_decref(obj);
        char msg[256];
        snprintf(msg, sizeof msg, "stored result is not a JSON object: %s", jerr.text);
        obj = exam_grade_error_json(id, EXAM_ERR_FORMAT, msg);
    }
    if (!obj || json_array_append_new(c->results, obj))
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    return EXAM_OK;
}

static const char *field_or_empty(const json_t *o, const char *name) {
    const char *s = json_string_value(json_object_get(o, name));
    return s ? s : "";
}

static int by_candidate_question(const void *pa, const void *pb) {
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    static const char *const keys[] = {"candidate", "question_id", "id"};
    for (size_t i = 0; i < 3; i++) {
        int c = strcmp(field_or_empty(a, keys[i]), field_or_empty(b, keys[i]));
        if (c) return c;
    }
    return 0;
}

exam_status exam_queue_cohort_results(exam_redis *r, const exam_queue_keys *keys,
                                      const char *cohort, json_t **out, size_t *missing) {
    *out = NULL;
    if (missing) *missing = 0;
    json_t *ids;
    exam_status st = cohort_ids(r, keys, cohort, &ids);
    if (st != EXAM_OK) return st;
    collect_ctx c = {json_array(), 0};
    if (!c.results) st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    if (st == EXAM_OK) st = each_result(r, keys, ids, 1, collect_result, &c);
    json_decref(ids);
    if (st != EXAM_OK) {
        json_decref(c.results);
        return st;
    }
    /* Sort the array's items in place through a temporary vector of borrowed pointers. */
    size_t n = json_array_size(c.results);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    json_t *sorted = json_array();
    if (!v || !sorted) {
        free(v);
        json_decref(sorted);
        json_decref(c.results);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(c.results, i);
    qsort(v, n, sizeof *v, by_candidate_question);
    for (size_t i = 0; i < n && st == EXAM_OK; i++)
        if (json_array_append(sorted, v[i])) st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    free(v);
    json_decref(c.results);
    if (st != EXAM_OK) {
        json_decref(sorted);
        return st;
    }
    if (missing) *missing = c.missing;
    *out = sorted;
    return EXAM_OK;
}
