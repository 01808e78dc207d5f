/* Job parsing and result serialisation for the grader (the queue's JSON contracts). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

void exam_grade_job_free(exam_grade_job *job) {
    free(job->id);
    free(job->cohort);
    free(job->candidate);
    free(job->question_id);
    free(job->question);
    free(job->reference);
    free(job->answer);
    free(job->judge_source);
    free(job->judge_model);
    json_decref(job->meta);
    memset(job, 0, sizeof *job);
}

void exam_grade_result_free(exam_grade_result *r) {
    free(r->kp_best);
    free(r->alt_kp_best);
    free(r->alt_kp_off);
    exam_strlist_free(&r->covered);
    exam_strlist_free(&r->missed);
    exam_strlist_free(&r->misconceptions);
    exam_strlist_free(&r->flags);
    memset(r, 0, sizeof *r);
}

/* Copies optional string field `key`; a present non-string is an error. */
static exam_status opt_string(const json_t *obj, const char *key, char **dst, size_t *len) {
    json_t *v = json_object_get(obj, key);
    *dst = NULL;
    if (!v || json_is_null(v)) return EXAM_OK;
    if (!json_is_string(v))
        return exam_error_set(EXAM_ERR_FORMAT, "job field \"%s\" is not a string", key);
    size_t n = json_string_length(v);
    if (memchr(json_string_value(v), '\0', n))
        return exam_error_set(EXAM_ERR_FORMAT, "job field \"%s\" contains a NUL character", key);
    *dst = malloc(n + 1);
    if (!*dst) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    memcpy(*dst, json_string_value(v), n);
    (*dst)[n] = '\0';
    if (len) *len = n;
    return EXAM_OK;
}

exam_status exam_grade_job_from_json(const json_t *obj, exam_grade_job *job) {
    memset(job, 0, sizeof *job);
    if (!json_is_object(obj)) return exam_error_set(EXAM_ERR_FORMAT, "a job must be a JSON object");
    exam_status st = opt_string(obj, "id", &job->id, NULL);
    if (st != EXAM_OK) goto fail;
    if (!job->id || !job->id[0]) {
        st = exam_error_set(EXAM_ERR_FORMAT, "job has no \"id\"");
        goto fail;
    }
    if (strlen(job->id) > EXAM_JOB_ID_MAX) {
        st = exam_error_set(EXAM_ERR_LIMIT, "job id has %zu bytes, more than the limit of %d",
                            strlen(job->id), EXAM_JOB_ID_MAX);
        free(job->id); /* too long to address a result by */
        job->id = NULL;
        goto fail;
    }
    if ((st = opt_string(obj, "cohort", &job->cohort, NULL)) != EXAM_OK ||
        (st = opt_string(obj, "candidate", &job->candidate, NULL)) != EXAM_OK ||
        (st = opt_string(obj, "question_id", &job->question_id, NULL)) != EXAM_OK ||
        (st = opt_string(obj, "question", &job->question, NULL)) != EXAM_OK ||
        (st = opt_string(obj, "reference", &job->reference, NULL)) != EXAM_OK ||
        (st = opt_string(obj, "answer", &job->answer, &job->answer_len)) != EXAM_OK)
        goto fail;
    if (job->cohort && strlen(job->cohort) > EXAM_COHORT_NAME_MAX) {
        st = exam_error_set(EXAM_ERR_LIMIT, "job cohort has %zu bytes, more than the limit of %d",
                            strlen(job->cohort), EXAM_COHORT_NAME_MAX);
        goto fail;
    }
    if (!job->answer) {
        st = exam_error_set(EXAM_ERR_FORMAT, "job has no \"answer\" (use \"\" for an empty one)");
        goto fail;
    }
    if ((!job->question_id || !job->question_id[0]) && (!job->reference || !job->reference[0])) {
        st = exam_error_set(EXAM_ERR_FORMAT, "job needs a \"question_id\" or a \"reference\"");
        goto fail;
    }
    json_t *judge = json_object_get(obj, "judge");
    if (judge && !json_is_null(judge)) {
        if (!json_is_object(judge)) {
            st = exam_error_set(EXAM_ERR_FORMAT, "job field \"judge\" is not an object");
            goto fail;
        }
        json_t *s = json_object_get(judge, "score");
        if (!json_is_number(s) || !isfinite(json_number_value(s))) {
            st = exam_error_set(EXAM_ERR_FORMAT, "judge.score must be a finite number");
            goto fail;
        }
        job->has_judge = 1;
        job->judge_score = json_number_value(s);
        json_t *m = json_object_get(judge, "scale_max");
        job->judge_scale_max = 10.0;
        if (m && !json_is_null(m)) {
            if (!json_is_number(m) || !(json_number_value(m) > 0) ||
                !isfinite(json_number_value(m))) {
                st = exam_error_set(EXAM_ERR_FORMAT, "judge.scale_max must be a positive number");
                goto fail;
            }
            job->judge_scale_max = json_number_value(m);
        }
        if (job->judge_score < 0 || job->judge_score > job->judge_scale_max) {
            st = exam_error_set(EXAM_ERR_FORMAT, "judge.score %g is outside 0..%g",
                                job->judge_score, job->judge_scale_max);
            goto fail;
        }
        if ((st = opt_string(judge, "source", &job->judge_source, NULL)) != EXAM_OK ||
            (st = opt_string(judge, "model", &job->judge_model, NULL)) != EXAM_OK)
            goto fail;
    }
    json_t *meta = json_object_get(obj, "meta");
    if (meta && !json_is_null(meta)) job->meta = json_incref(meta);
    return EXAM_OK;
fail : {
    char *id = job->id;
    job->id = NULL;
    exam_grade_job_free(job);
    job->id = id;
    return st;
}
}

static json_t *strlist_json(const exam_strlist *l) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->count; i++)
        if (json_array_append_new(a, json_string(l->items[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* Rounds to 4 decimals so results are stable text across runs and readable. */
static json_t *num4(double x) {
    return json_real(round(x * 10000.0) / 10000.0);
}

json_t *exam_grade_error_json(const char *id, exam_status status, const char *message) {
    json_t *o = json_object();
    json_t *e = json_object();
    if (!o || !e) {
        json_decref(o);
        json_decref(e);
        return NULL;
    }
    json_object_set_new(o, "id", id ? json_string(id) : json_null());
    json_object_set_new(e, "code", json_string(exam_status_name(status)));
    json_object_set_new(e, "message", json_string(message ? message : ""));
    json_object_set_new(o, "error", e);
    return o;
}

json_t *exam_grade_result_to_json(const exam_grade_job *job, const exam_grade_result *r,
                                  const exam_grade_context *ctx) {
    if (r->status != EXAM_OK) return exam_grade_error_json(job->id, r->status, r->error);
    json_t *o = json_object();
    if (!o) return NULL;
    const char *qid = r->question_id ? r->question_id : (job->question_id ? job->question_id : "");
    int ok = 1;
    ok &= json_object_set_new(o, "id", json_string(job->id)) == 0;
    ok &= json_object_set_new(o, "cohort", json_string(job->cohort ? job->cohort : "")) == 0;
    ok &=
        json_object_set_new(o, "candidate", json_string(job->candidate ? job->candidate : "")) == 0;
    ok &= json_object_set_new(o, "question_id", json_string(qid)) == 0;
    ok &= json_object_set_new(o, "score", json_real(r->score)) == 0;
    json_t *f = json_object();
    if (f) {
        json_object_set_new(f, "cosine", num4(r->features.cosine));
        json_object_set_new(f, "bert_p", num4(r->features.bert_p));
        json_object_set_new(f, "bert_r", num4(r->features.bert_r));
        json_object_set_new(f, "bert_f", num4(r->features.bert_f));
        json_object_set_new(f, "coverage", num4(r->features.coverage));
        json_object_set_new(f, "misconception", num4(r->features.misconception));
    }
    ok &= f && json_object_set_new(o, "features", f) == 0;
    ok &= json_object_set_new(o, "covered", strlist_json(&r->covered)) == 0;
    ok &= json_object_set_new(o, "missed", strlist_json(&r->missed)) == 0;
    ok &= json_object_set_new(o, "misconceptions", strlist_json(&r->misconceptions)) == 0;
    ok &= json_object_set_new(o, "flags", strlist_json(&r->flags)) == 0;
    json_t *kp = json_array();
    for (size_t i = 0; kp && i < r->n_kp; i++) json_array_append_new(kp, num4(r->kp_best[i]));
    ok &= kp && json_object_set_new(o, "key_point_scores", kp) == 0;
    if (r->n_alt) {
        json_t *alt = json_array();
        for (size_t a = 0; alt && a < r->n_alt; a++) {
            json_t *one = json_array();
            for (int k = r->alt_kp_off[a]; one && k < r->alt_kp_off[a + 1]; k++)
                json_array_append_new(one, num4(r->alt_kp_best[k]));
            json_array_append_new(alt, one);
        }
        ok &= alt && json_object_set_new(o, "alt_key_point_scores", alt) == 0;
    }
    json_t *sig = json_object();
    if (sig) {
        json_object_set_new(sig, "model_score", num4(r->model_score));
        json_object_set_new(sig, "relevance", num4(r->features.relevance));
        json_object_set_new(sig, "question_cosine", num4(r->question_cosine));
        json_object_set_new(sig, "demoted_p", num4(r->features.demoted_p));
        json_object_set_new(sig, "demoted_r", num4(r->features.demoted_r));
        json_object_set_new(sig, "demoted_f", num4(r->features.demoted_f));
        json_object_set_new(sig, "negation_mismatch", json_integer(r->negation_mismatch));
        json_object_set_new(sig, "stuffing", num4(r->stuffing));
        json_object_set_new(sig, "copy_ratio", num4(r->copy_ratio));
        json_object_set_new(sig, "novel_words", json_integer((json_int_t)r->novel_words));
        json_object_set_new(sig, "injected_sentences",
                            json_integer((json_int_t)r->injected_sentences));
    }
    ok &= sig && json_object_set_new(o, "signals", sig) == 0;
    if (job->has_judge) {
        json_t *j = json_object();
        if (j) {
            json_object_set_new(j, "score", json_real(job->judge_score));
            json_object_set_new(j, "scale_max", json_real(job->judge_scale_max));
            if (job->judge_source) json_object_set_new(j, "source", json_string(job->judge_source));
            if (job->judge_model) json_object_set_new(j, "model", json_string(job->judge_model));
        }
        ok &= j && json_object_set_new(o, "judge", j) == 0;
    }
    if (job->meta) ok &= json_object_set(o, "meta", job->meta) == 0;
    if (ctx) {
        ok &= json_object_set_new(o, "backend", json_string(ctx->backend ? ctx->backend : "")) == 0;
        ok &= json_object_set_new(o, "model", json_string(ctx->model ? ctx->model : "")) == 0;
        ok &= json_object_set_new(o, "bank",
                                  json_string(ctx->bank_version ? ctx->bank_version : "")) == 0;
        ok &= json_object_set_new(o, "latency_ms", num4(r->latency_ms)) == 0;
        ok &= json_object_set_new(o, "worker", json_string(ctx->worker ? ctx->worker : "")) == 0;
        ok &= json_object_set_new(o, "version", json_string(ctx->version ? ctx->version : "")) == 0;
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}
