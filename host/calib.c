/* The calibration accumulator: judged pairs of one cohort, validated on the way in, saved to
 * and restored from JSON so that a worker can keep them in Redis. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"

struct exam_calib_accum {
    exam_calib_pair *pairs; /* strings owned */
    size_t n, cap;
    double scale_max;
};

exam_status exam_calib_accum_init(exam_calib_accum **out) {
    *out = calloc(1, sizeof **out);
    if (!*out) return exam_error_set(EXAM_ERR_NOMEM, "out of memory for an accumulator");
    return EXAM_OK;
}

static void pair_free(exam_calib_pair *p) {
    free((char *)p->source);
    free((char *)p->model);
    free((char *)p->job_id);
    free((char *)p->candidate);
    free((char *)p->item);
}

void exam_calib_accum_free(exam_calib_accum *a) {
    if (!a) return;
    for (size_t i = 0; i < a->n; i++) pair_free(&a->pairs[i]);
    free(a->pairs);
    free(a);
}

static int copy_str(const char *s, const char **dst) {
    *dst = NULL;
    if (!s) return 1;
    char *c = strdup(s);
    *dst = c;
    return c != NULL;
}

exam_status exam_calib_accum_add(exam_calib_accum *a, const exam_calib_pair *p) {
    if (!isfinite(p->judge) || !isfinite(p->scale_max))
        return exam_error_set(EXAM_ERR_ARG, "judge score %g / %g is not a finite number", p->judge,
                              p->scale_max);
    if (!(p->scale_max > 0))
        return exam_error_set(EXAM_ERR_ARG, "judge scale_max %g is not positive", p->scale_max);
    if (p->judge < 0 || p->judge > p->scale_max)
        return exam_error_set(EXAM_ERR_ARG, "judge score %g is outside 0..%g", p->judge,
                              p->scale_max);
    if (!(p->score >= 0 && p->score <= 10))
        return exam_error_set(EXAM_ERR_ARG, "examiner score %g is not a number in 0..10", p->score);
    if (a->n && p->scale_max != a->scale_max)
        return exam_error_set(EXAM_ERR_ARG,
                              "judge scale_max %g differs from this cohort's %g; calibrate "
                              "each judge scale as its own cohort",
                              p->scale_max, a->scale_max);
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 64;
        exam_calib_pair *np = realloc(a->pairs, cap * sizeof *np);
        if (!np) return exam_error_set(EXAM_ERR_NOMEM, "out of memory for %zu pairs", cap);
        a->pairs = np;
        a->cap = cap;
    }
    exam_calib_pair c = *p;
    const char *item = p->item ? p->item : p->job_id;
    if (!copy_str(p->source, &c.source) || !copy_str(p->model, &c.model) ||
        !copy_str(p->job_id, &c.job_id) || !copy_str(p->candidate, &c.candidate) ||
        !copy_str(item, &c.item)) {
        pair_free(&c);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory for a pair's labels");
    }
    a->pairs[a->n++] = c;
    a->scale_max = p->scale_max;
    return EXAM_OK;
}

size_t exam_calib_accum_count(const exam_calib_accum *a) {
    return a->n;
}

const exam_calib_pair *exam_calib_accum_get(const exam_calib_accum *a, size_t i) {
    return i < a->n ? &a->pairs[i] : NULL;
}

double exam_calib_accum_scale(const exam_calib_accum *a) {
    return a->n ? a->scale_max : 0;
}

/* Reads optional string `key` of o into *dst (borrowed); 0 when present but not a string. */
static int opt_str(const json_t *o, const char *key, const char **dst) {
    json_t *v = json_object_get(o, key);
    *dst = NULL;
    if (!v || json_is_null(v)) return 1;
    if (!json_is_string(v)) return 0;
    *dst = json_string_value(v);
    return 1;
}

exam_status exam_calib_accum_add_result(exam_calib_accum *a, const json_t *result) {
    if (!json_is_object(result))
        return exam_error_set(EXAM_ERR_FORMAT, "a result is not an object");
    const json_t *judge = json_object_get(result, "judge");
    if (json_object_get(result, "error") || !judge || json_is_null(judge))
        return exam_error_set(EXAM_ERR_NOT_FOUND, "result has no judge score");
    const char *id = json_string_value(json_object_get(result, "id"));
    if (!json_is_object(judge))
        return exam_error_set(EXAM_ERR_FORMAT, "result %s: \"judge\" is not an object",
                              id ? id : "?");
    json_t *s = json_object_get(result, "score"), *js = json_object_get(judge, "score");
    json_t *sm = json_object_get(judge, "scale_max");
    if (!json_is_number(s) || !json_is_number(js) || (sm && !json_is_number(sm)))
        return exam_error_set(EXAM_ERR_FORMAT,
                              "result %s: score, judge.score and judge.scale_max must be numbers",
                              id ? id : "?");
    exam_calib_pair p = {.score = json_number_value(s),
                         .judge = json_number_value(js),
                         .scale_max = sm ? json_number_value(sm) : 10.0,
                         .job_id = id};
    const char *qid = NULL;
    if (!opt_str(judge, "source", &p.source) || !opt_str(judge, "model", &p.model) ||
        !opt_str(result, "candidate", &p.candidate) || !opt_str(result, "question_id", &qid))
        return exam_error_set(EXAM_ERR_FORMAT, "result %s: a label field is not a string",
                              id ? id : "?");
    char *item = NULL;
    if (p.candidate && qid && qid[0]) {
        size_t len = strlen(p.candidate) + strlen(qid) + 2;
        item = malloc(len);
        if (!item) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        snprintf(item, len, "%s/%s", p.candidate, qid);
        p.item = item;
    }
    exam_status st = exam_calib_accum_add(a, &p);
    free(item);
    return st;
}

static int set_str(json_t *o, const char *key, const char *v) {
    return !v || json_object_set_new(o, key, json_string(v)) == 0;
}

json_t *exam_calib_accum_to_json(const exam_calib_accum *a) {
    json_t *o = json_object(), *arr = json_array();
    int ok = o && arr;
    ok = ok && json_object_set_new(o, "version", json_integer(1)) == 0;
    ok = ok && json_object_set_new(o, "scale_max", json_real(exam_calib_accum_scale(a))) == 0;
    for (size_t i = 0; ok && i < a->n; i++) {
        const exam_calib_pair *p = &a->pairs[i];
        json_t *e = json_object();
        ok = e && json_object_set_new(e, "score", json_real(p->score)) == 0 &&
             json_object_set_new(e, "judge", json_real(p->judge)) == 0 &&
             json_object_set_new(e, "scale_max", json_real(p->scale_max)) == 0 &&
             set_str(e, "source", p->source) && set_str(e, "model", p->model) &&
             set_str(e, "job_id", p->job_id) && set_str(e, "candidate", p->candidate) &&
             set_str(e, "item", p->item);
        ok = json_array_append_new(arr, e) == 0 && ok;
    }
    if (ok && json_object_set(o, "pairs", arr) == 0) {
        json_decref(arr);
        return o;
    }
    json_decref(arr);
    json_decref(o);
    return NULL;
}

exam_status exam_calib_accum_from_json(const json_t *state, exam_calib_accum **out) {
    *out = NULL;
    json_t *pairs = json_object_get(state, "pairs");
    if (!json_is_object(state) || !json_is_array(pairs))
        return exam_error_set(EXAM_ERR_FORMAT, "calibration state has no \"pairs\" array");
    exam_calib_accum *a;
    exam_status st = exam_calib_accum_init(&a);
    if (st != EXAM_OK) return st;
    size_t i;
    json_t *e;
    json_array_foreach(pairs, i, e) {
        exam_calib_pair p = {0};
        json_t *s = json_object_get(e, "score"), *j = json_object_get(e, "judge");
        json_t *m = json_object_get(e, "scale_max");
        if (!json_is_number(s) || !json_is_number(j) || !json_is_number(m) ||
            !opt_str(e, "source", &p.source) || !opt_str(e, "model", &p.model) ||
            !opt_str(e, "job_id", &p.job_id) || !opt_str(e, "candidate", &p.candidate) ||
            !opt_str(e, "item", &p.item)) {
            exam_calib_accum_free(a);
            return exam_error_set(EXAM_ERR_FORMAT, "calibration state: pair %zu is malformed", i);
        }
        p.score = json_number_value(s);
        p.judge = json_number_value(j);
        p.scale_max = json_number_value(m);
        if ((st = exam_calib_accum_add(a, &p)) != EXAM_OK) {
            exam_calib_accum_free(a);
            return st;
        }
    }
    *out = a;
    return EXAM_OK;
}
