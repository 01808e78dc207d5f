/* A cohort's judged pairs and fitted calibration in Redis: pair JSON from a result, the pairs
 * read back in job-id order, the fit stored as the cohort's calibration JSON, and loading it. */
#include "calib_store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *exam_calib_store_key(const exam_queue_keys *keys, const char *cohort) {
    return exam_queue_key_for(keys, "calib", cohort);
}

char *exam_calib_store_pairs_key(const exam_queue_keys *keys, const char *cohort) {
    char *k = exam_queue_key_for(keys, "calib", cohort);
    size_t n = k ? strlen(k) + 8 : 0;
    char *p = k ? malloc(n) : NULL;
    if (p) snprintf(p, n, "%s:pairs", k);
    free(k);
    return p;
}

exam_status exam_calib_pair_from_result(const char *result_json, char **out) {
    *out = NULL;
    json_t *res = json_loads(result_json, 0, NULL);
    if (!json_is_object(res)) {
        json_decref(res);
        return exam_error_set(EXAM_ERR_FORMAT, "a result is not a JSON object");
    }
    exam_calib_accum *a = NULL;
    exam_status st = exam_calib_accum_init(&a);
    if (st == EXAM_OK) st = exam_calib_accum_add_result(a, res);
    json_t *state = st == EXAM_OK ? exam_calib_accum_to_json(a) : NULL;
    json_t *pair = json_array_get(json_object_get(state, "pairs"), 0);
    if (st == EXAM_OK && !(pair && (*out = json_dumps(pair, JSON_COMPACT | JSON_SORT_KEYS |
                                                                JSON_REAL_PRECISION(17)))))
        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    json_decref(state);
    json_decref(res);
    exam_calib_accum_free(a);
    return st;
}

/* One field of the pairs hash. */
typedef struct field {
    const char *id;
    json_t *pair; /* parsed value, NULL when malformed */
    double scale;
} field;

static int by_id(const void *a, const void *b) {
    return strcmp(((const field *)a)->id, ((const field *)b)->id);
}

/* Adds one stored pair through the accumulator's own JSON reader (same validation). */
static exam_status add_pair(exam_calib_accum *acc, json_t *pair) {
    json_t *state = json_pack("{s:i, s:[O]}", "version", 1, "pairs", pair);
    if (!state) return exam_error_set(EXAM_ERR_FORMAT, "a stored pair is malformed");
    exam_calib_accum *one = NULL;
    exam_status st = exam_calib_accum_from_json(state, &one);
    json_decref(state);
    if (st == EXAM_OK && exam_calib_accum_count(one) == 1)
        st = exam_calib_accum_add(acc, exam_calib_accum_get(one, 0));
    else if (st == EXAM_OK)
        st = exam_error_set(EXAM_ERR_FORMAT, "a stored pair is malformed");
    exam_calib_accum_free(one);
    return st;
}

exam_status exam_calib_store_read_pairs(exam_redis *r, const exam_queue_keys *keys,
                                        const char *cohort, exam_calib_accum **out, size_t *read,
                                        size_t *skipped) {
    *out = NULL;
    if (read) *read = 0;
    if (skipped) *skipped = 0;
    char *key = exam_calib_store_pairs_key(keys, cohort);
    if (!key) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    const char *argv[] = {"HGETALL", key};
    redisReply *rep = NULL;
    exam_status st = exam_redis_argv(r, 2, argv, NULL, &rep);
    free(key);
    if (st != EXAM_OK) return st;
    if ((st = exam_redis_reply_status(rep, "HGETALL")) != EXAM_OK) {
        freeReplyObject(rep);
        return st;
    }
    size_t n = rep->type == REDIS_REPLY_ARRAY ? rep->elements / 2 : 0;
    field *f = calloc(n + 1, sizeof *f);
    exam_calib_accum *acc = NULL;
    if (!f || exam_calib_accum_init(&acc) != EXAM_OK) {
        free(f);
        freeReplyObject(rep);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const redisReply *k = rep->element[2 * i], *v = rep->element[2 * i + 1];
        f[i].id = k->type == REDIS_REPLY_STRING ? k->str : "";
        f[i].pair = v->type == REDIS_REPLY_STRING ? json_loadb(v->str, v->len, 0, NULL) : NULL;
        json_t *s = json_object_get(f[i].pair, "scale_max");
        f[i].scale = json_is_number(s) ? json_number_value(s) : -1;
    }
    qsort(f, n, sizeof *f, by_id);
    /* the scale most pairs use (ties: the smaller scale) */
    double scale = -1;
    size_t best = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i].scale <= 0) continue;
        size_t c = 0;
        for (size_t j = 0; j < n; j++) c += f[j].scale == f[i].scale;
        if (c > best || (c == best && f[i].scale < scale)) {
            best = c;
            scale = f[i].scale;
        }
    }
    size_t bad = 0;
    st = EXAM_OK;
    for (size_t i = 0; i < n; i++) {
        if (st == EXAM_OK && f[i].pair && f[i].scale == scale) {
            exam_status ps = add_pair(acc, f[i].pair);
            if (ps == EXAM_ERR_NOMEM) st = ps;
            bad += ps != EXAM_OK;
        } else {
            bad++;
        }
        json_decref(f[i].pair);
    }
    free(f);
    freeReplyObject(rep);
    if (st != EXAM_OK) {
        exam_calib_accum_free(acc);
        return st;
    }
    if (read) *read = n;
    if (skipped) *skipped = bad;
    *out = acc;
    return EXAM_OK;
}

exam_status exam_calib_store_count(exam_redis *r, const exam_queue_keys *keys, const char *cohort,
                                   long long *n) {
    *n = 0;
    char *key = exam_calib_store_pairs_key(keys, cohort);
    if (!key) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    const char *argv[] = {"HLEN", key};
    redisReply *rep = NULL;
    exam_status st = exam_redis_argv(r, 2, argv, NULL, &rep);
    free(key);
    if (st != EXAM_OK) return st;
    st = exam_redis_reply_status(rep, "HLEN");
    if (st == EXAM_OK) *n = rep->type == REDIS_REPLY_INTEGER ? rep->integer : 0;
    freeReplyObject(rep);
    return st;
}

exam_status exam_calib_store_fit(exam_redis *r, const exam_queue_keys *keys, const char *cohort,
                                 const exam_calib_options *options, json_t **out) {
    if (out) *out = NULL;
    exam_calib_accum *acc = NULL;
    size_t read = 0, skipped = 0;
    exam_status st = exam_calib_store_read_pairs(r, keys, cohort, &acc, &read, &skipped);
    if (st != EXAM_OK) return st;
    if (exam_calib_accum_count(acc) == 0) {
        exam_calib_accum_free(acc);
        return exam_error_set(EXAM_ERR_NOT_FOUND, "cohort '%s' has no judged pair yet", cohort);
    }
    exam_calib_options opt;
    if (options)
        opt = *options;
    else
        exam_calib_options_default(&opt);
    opt.cohort = cohort;
    json_t *calib = NULL;
    st = exam_calib_fit(acc, &opt, &calib);
    exam_calib_accum_free(acc);
    if (st != EXAM_OK) return st;
    json_object_set_new(calib, "pairs_read", json_integer((json_int_t)read));
    char *text = json_dumps(calib, JSON_COMPACT | JSON_REAL_PRECISION(17));
    char *key = exam_calib_store_key(keys, cohort);
    if (!text || !key) {
        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    } else {
        const char *argv[] = {"SET", key, text};
        redisReply *rep = NULL;
        st = exam_redis_argv(r, 3, argv, NULL, &rep);
        if (st == EXAM_OK) st = exam_redis_reply_status(rep, "SET");
        freeReplyObject(rep);
    }
    free(text);
    free(key);
    if (st == EXAM_OK && out)
        *out = calib;
    else
        json_decref(calib);
    return st;
}

exam_status exam_calib_store_load(exam_redis *r, const exam_queue_keys *keys, const char *cohort,
                                  json_t **out) {
    *out = NULL;
    char *key = exam_calib_store_key(keys, cohort);
    if (!key) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    const char *argv[] = {"GET", key};
    redisReply *rep = NULL;
    exam_status st = exam_redis_argv(r, 2, argv, NULL, &rep);
    if (st == EXAM_OK) st = exam_redis_reply_status(rep, "GET");
    if (st == EXAM_OK && rep->type != REDIS_REPLY_STRING)
        st = exam_error_set(EXAM_ERR_NOT_FOUND, "cohort '%s' has no calibration yet (%s)", cohort,
                            key);
    if (st == EXAM_OK) {
        json_error_t err;
        *out = json_loadb(rep->str, rep->len, 0, &err);
        if (!json_is_object(*out)) {
            json_decref(*out);
            *out = NULL;
            st = exam_error_set(EXAM_ERR_FORMAT, "%s does not hold a calibration object", key);
        }
    }
    freeReplyObject(rep);
    free(key);
    return st;
}
