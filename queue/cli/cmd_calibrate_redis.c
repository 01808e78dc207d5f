/* `examiner calibrate show|fit|suggest COHORT`: the cohort's calibration kept in Redis by the
 * worker (examiner:{q}:calib:<c> and its pairs hash): show it (table, JSON, HTML page), refit
 * it now, or name the answers whose judging would most improve the map and push them to the
 * judge-requests stream. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "calib_report.h"
#include "calib_store.h"
#include "cli.h"
#include "queue_cli.h"
#include "queue_keys.h"
#include "queue_layout.h"
#include "redis_conn.h"

#define DEFAULT_SUGGEST 10

static int fail(const char *verb, exam_status st) {
    fprintf(stderr, "examiner calibrate %s: %s\n", verb, exam_error_message());
    return exam_queue_cli_exit(st);
}

static void print_json(const json_t *o) {
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    if (text) puts(text);
    free(text);
}

/* Prints the calibration (table or JSON) and writes the page when asked. */
static int present(const exam_cli_calib_request *q, const json_t *calib) {
    if (q->json)
        print_json(calib);
    else
        exam_calib_print_table(stdout, calib);
    if (q->report && exam_calib_write_page(q->report, calib) != EXAM_OK)
        return fail(q->verb, EXAM_ERR_IO);
    return EXAM_EXIT_OK;
}

static int show(const exam_cli_calib_request *q, exam_redis *r, const exam_queue_keys *k) {
    json_t *calib = NULL;
    exam_status st = exam_calib_store_load(r, k, q->cohort, &calib);
    if (st == EXAM_ERR_NOT_FOUND) {
        long long n = 0;
        if (exam_calib_store_count(r, k, q->cohort, &n) != EXAM_OK) n = -1;
        fprintf(stderr,
                "examiner calibrate show: cohort '%s' has no calibration yet: %lld judged "
                "pairs so far; the worker fits once there are --calib-min (default 20), or "
                "run `examiner calibrate fit %s`\n",
                q->cohort, n, q->cohort);
        return EXAM_EXIT_FAILURE;
    }
    if (st != EXAM_OK) return fail(q->verb, st);
    int rc = present(q, calib);
    json_decref(calib);
    return rc;
}

static int fit(const exam_cli_calib_request *q, exam_redis *r, const exam_queue_keys *k) {
    exam_calib_options opt = *q->options;
    if (!q->threshold_given) { /* keep the threshold the stored calibration was fitted with */
        json_t *old = NULL;
        if (exam_calib_store_load(r, k, q->cohort, &old) == EXAM_OK) {
            json_t *t = json_object_get(old, "threshold");
            if (json_is_number(t)) opt.threshold = json_number_value(t);
        }
        json_decref(old);
    }
    json_t *calib = NULL;
    exam_status st = exam_calib_store_fit(r, k, q->cohort, &opt, &calib);
    if (st != EXAM_OK) return fail(q->verb, st);
    int rc = present(q, calib);
    json_decref(calib);
    return rc;
}

/* One answer of the cohort that has an ok result. */
typedef struct answer {
    char *id, *candidate, *question_id, *entry;
    double score;
    int judged;
} answer;

static int by_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *dup_str(const char *s) {
    return strdup(s ? s : "");
}

/* The cohort's answers with an ok result, in id order. */
static exam_status read_pool(exam_redis *r, const exam_queue_keys *k, const char *cohort,
                             answer **out, size_t *n_out) {
    *out = NULL;
    *n_out = 0;
    char *ck = exam_queue_key_for(k, "cohort", cohort);
    size_t len = ck ? strlen(ck) + 8 : 0;
    char *ids_key = ck ? malloc(len) : NULL;
    if (ids_key) snprintf(ids_key, len, "%s:ids", ck);
    free(ck);
    if (!ids_key) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    const char *argv[] = {"SMEMBERS", ids_key};
    redisReply *rep = NULL;
    exam_status st = exam_redis_argv(r, 2, argv, NULL, &rep);
    free(ids_key);
    if (st == EXAM_OK) st = exam_redis_reply_status(rep, "SMEMBERS");
    if (st != EXAM_OK) {
        freeReplyObject(rep);
        return st;
    }
    size_t n = rep->type == REDIS_REPLY_ARRAY ? rep->elements : 0;
    char **ids = calloc(n + 1, sizeof *ids);
    answer *pool = calloc(n + 1, sizeof *pool);
    if (!ids || !pool) st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == EXAM_OK && i < n; i++) ids[i] = rep->element[i]->str;
    if (st == EXAM_OK) qsort(ids, n, sizeof *ids, by_str);
    /* pipelined HMGET of each result hash */
    for (size_t i = 0; st == EXAM_OK && i < n; i++) {
        char *rk = exam_queue_key_for(k, "result", ids[i]);
        if (!rk) {
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
            break;
        }
        const char *hm[] = {"HMGET", rk, "status", "score", "json", "entry"};
        st = exam_redis_append_argv(r, 6, hm, NULL);
        free(rk);
    }
    size_t m = 0;
    for (size_t i = 0; st == EXAM_OK && i < n; i++) {
        redisReply *h = NULL;
        if ((st = exam_redis_get_reply(r, &h)) != EXAM_OK) break;
        st = exam_redis_reply_status(h, "HMGET");
        if (st == EXAM_OK && h->type == REDIS_REPLY_ARRAY && h->elements == 4 &&
            h->element[0]->type == REDIS_REPLY_STRING && !strcmp(h->element[0]->str, "ok") &&
            h->element[1]->type == REDIS_REPLY_STRING) {
            json_t *res = h->element[2]->type == REDIS_REPLY_STRING
                              ? json_loads(h->element[2]->str, 0, NULL)
                              : NULL;
            answer *a = &pool[m++];
            a->id = strdup(ids[i]);
            a->score = strtod(h->element[1]->str, NULL);
            a->candidate = dup_str(json_string_value(json_object_get(res, "candidate")));
            a->question_id = dup_str(json_string_value(json_object_get(res, "question_id")));
            a->entry =
                dup_str(h->element[3]->type == REDIS_REPLY_STRING ? h->element[3]->str : NULL);
            json_decref(res);
            if (!a->id || !a->candidate || !a->question_id || !a->entry || !isfinite(a->score))
                st = exam_error_set(isfinite(a->score) ? EXAM_ERR_NOMEM : EXAM_ERR_FORMAT,
                                    "result %s: unreadable", ids[i]);
        }
        freeReplyObject(h);
    }
    free(ids);
    freeReplyObject(rep);
    *out = pool;
    *n_out = m;
    return st;
}

static void pool_free(answer *pool, size_t n) {
    for (size_t i = 0; pool && i < n; i++) {
        free(pool[i].id);
        free(pool[i].candidate);
        free(pool[i].question_id);
        free(pool[i].entry);
    }
    free(pool);
}

/* The job JSON of a stream entry, NULL when the entry is gone (trimmed) or unreadable. */
static json_t *job_of(exam_redis *r, const exam_queue_keys *k, const char *entry) {
    if (!entry[0]) return NULL;
    const char *argv[] = {"XRANGE", k->jobs, entry, entry};
    redisReply *rep = NULL;
    if (exam_redis_argv(r, 4, argv, NULL, &rep) != EXAM_OK) return NULL;
    json_t *job = NULL;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1) {
        const redisReply *f = rep->element[0]->element[1];
        for (size_t i = 0; f && i + 1 < f->elements; i += 2)
            if (!strcmp(f->element[i]->str, "job"))
                job = json_loadb(f->element[i + 1]->str, f->element[i + 1]->len, 0, NULL);
    }
    freeReplyObject(rep);
    return job;
}

/* XADDs one pick to judge-requests; *had_text tells whether the job's text was found. */
static exam_status push_one(exam_redis *r, const exam_queue_keys *k, const char *cohort,
                            const answer *a, int *had_text) {
    json_t *job = job_of(r, k, a->entry);
    *had_text = job != NULL;
    char score[40];
    snprintf(score, sizeof score, "%.10g", a->score);
    const char *argv[24];
    int argc = 0;
    argv[argc++] = "XADD";
    argv[argc++] = k->judge_requests;
    argv[argc++] = "*";
    const char *pairs[][2] = {{"id", a->id},
                              {"cohort", cohort},
                              {"candidate", a->candidate},
                              {"question_id", a->question_id},
                              {"score", score}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        argv[argc++] = pairs[i][0];
        argv[argc++] = pairs[i][1];
    }
    const char *texts[] = {"answer", "question", "reference"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = json_string_value(json_object_get(job, texts[i]));
        if (!v) continue;
        argv[argc++] = texts[i];
        argv[argc++] = v;
    }
    if (!job) {
        argv[argc++] = "note";
        argv[argc++] = "the job's stream entry is gone (trimmed): no text";
    }
    redisReply *rep = NULL;
    exam_status st = exam_redis_argv(r, argc, argv, NULL, &rep);
    if (st == EXAM_OK) st = exam_redis_reply_status(rep, "XADD");
    freeReplyObject(rep);
    json_decref(job);
    return st;
}

static int by_ptr_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int suggest(const exam_cli_calib_request *q, exam_redis *r, const exam_queue_keys *k) {
    exam_calib_accum *acc = NULL;
    answer *pool = NULL;
    size_t n = 0, np = 0;
    exam_status st = exam_calib_store_read_pairs(r, k, q->cohort, &acc, NULL, NULL);
    if (st == EXAM_OK) st = read_pool(r, k, q->cohort, &pool, &n);
    if (st != EXAM_OK) {
        exam_calib_accum_free(acc);
        pool_free(pool, n);
        return fail(q->verb, st);
    }
    size_t na = exam_calib_accum_count(acc);
    const char **judged_ids = calloc(na + 1, sizeof *judged_ids);
    double *scores = calloc(n + 1, sizeof *scores);
    int *judged = calloc(n + 1, sizeof *judged);
    size_t *picked = calloc(n + 1, sizeof *picked);
    int rc = EXAM_EXIT_OK;
    if (!judged_ids || !scores || !judged || !picked) {
        rc = fail(q->verb, exam_error_set(EXAM_ERR_NOMEM, "out of memory"));
        goto done;
    }
    size_t nj = 0;
    for (size_t i = 0; i < na; i++) {
        const char *id = exam_calib_accum_get(acc, i)->job_id;
        if (id) judged_ids[nj++] = id;
    }
    qsort(judged_ids, nj, sizeof *judged_ids, by_ptr_str);
    for (size_t i = 0; i < n; i++) {
        scores[i] = pool[i].score;
        const char *key = pool[i].id;
        judged[i] = pool[i].judged =
            bsearch(&key, judged_ids, nj, sizeof *judged_ids, by_ptr_str) != NULL;
    }
    size_t want = q->n > 0 ? (size_t)q->n : DEFAULT_SUGGEST;
    if ((st = exam_calib_suggest(acc, scores, judged, n, want, picked, &np)) != EXAM_OK) {
        rc = fail(q->verb, st);
        goto done;
    }
    json_t *arr = q->json ? json_array() : NULL;
    if (!q->json)
        printf("cohort %s: %zu answers with a result, %zu judged pairs; judge next (%zu):\n",
               q->cohort, n, na, np);
    size_t pushed = 0, textless = 0;
    for (size_t p = 0; p < np; p++) {
        const answer *a = &pool[picked[p]];
        /* why: the distance to the nearest judged score or earlier pick */
        double gap = INFINITY;
        for (size_t i = 0; i < na; i++)
            gap = fmin(gap, fabs(a->score - exam_calib_accum_get(acc, i)->score));
        for (size_t e = 0; e < p; e++) gap = fmin(gap, fabs(a->score - pool[picked[e]].score));
        char why[96];
        if (isinf(gap))
            snprintf(why, sizeof why, "no judged score yet");
        else
            snprintf(why, sizeof why, "nearest judged score %.2f points away%s", gap,
                     a->judged ? "; already judged once" : "");
        if (arr)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:f, s:b, s:s}", "id", a->id,
                                                 "candidate", a->candidate, "question_id",
                                                 a->question_id, "score", a->score, "judged",
                                                 a->judged, "why", why));
        else
            printf("  %-24s %-16s %-12s score %5.2f  %s\n", a->id, a->candidate, a->question_id,
                   a->score, why);
        if (q->push) {
            int had_text = 0;
            if ((st = push_one(r, k, q->cohort, a, &had_text)) != EXAM_OK) {
                rc = fail(q->verb, st);
                break;
            }
            pushed++;
            textless += !had_text;
        }
    }
    if (arr) {
        print_json(arr);
        json_decref(arr);
    }
    if (q->push)
        fprintf(stderr, "examiner calibrate suggest: pushed %zu to %s%s\n", pushed,
                k->judge_requests,
                textless ? " (some without text: their job entries were trimmed)" : "");
done:
    free(judged_ids);
    free(scores);
    free(judged);
    free(picked);
    pool_free(pool, n);
    exam_calib_accum_free(acc);
    return rc;
}

int exam_cli_calibrate_redis(const exam_cli_calib_request *q) {
    exam_queue_keys keys;
    exam_status st = exam_queue_keys_init(q->queue ? q->queue : EXAM_QUEUE_DEFAULT_NAME, &keys);
    if (st != EXAM_OK) {
        fprintf(stderr, "examiner calibrate %s: %s\n", q->verb, exam_error_message());
        return EXAM_EXIT_USAGE;
    }
    if (q->push && strcmp(q->verb, "suggest")) {
        fprintf(stderr, "examiner calibrate %s: --push belongs to suggest\n", q->verb);
        return EXAM_EXIT_USAGE;
    }
    char *url = exam_cli_redis_url(q->verb, q->redis, q->redis_password_file);
    if (!url) return EXAM_EXIT_USAGE;
    exam_redis *r = NULL;
    st = exam_redis_open(url, NULL, &r);
    free(url);
    if (st != EXAM_OK) return fail(q->verb, st);
    if ((st = exam_queue_layout_check(r, &keys, 0)) != EXAM_OK) {
        exam_redis_close(r);
        return fail(q->verb, st);
    }
    int rc = !strcmp(q->verb, "show")  ? show(q, r, &keys)
             : !strcmp(q->verb, "fit") ? fit(q, r, &keys)
                                       : suggest(q, r, &keys);
    exam_redis_close(r);
    return rc;
}
