/* The worker's calibration side: judged pairs into the batch commit, score_calibrated from the
 * cohort's stored map (cached per cohort, reloaded about once a second), and the refit after a
 * commit once a cohort has enough new pairs. Nothing here can fail a batch but running out of
 * memory: a calibration problem is logged and the results go out without score_calibrated. */
#include "worker_calib.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib_store.h"
#include "log.h"

#define RELOAD_S 1.0

/* One cohort's stored calibration as this worker last saw it. */
typedef struct wk_calib_entry {
    char *cohort;
    int has_map; /* 0: the cohort had no (readable) calibration at the last look */
    exam_calib_map map;
    long long n;          /* pairs the map was fitted on */
    long long pairs_read; /* pairs hash fields read by that fit */
    char fitted_at[40];
    double loaded_at; /* wk_now() of the last look */
    int warned;       /* a failed load was logged (once until one succeeds) */
} wk_calib_entry;

struct wk_calib {
    wk_calib_entry *e;
    size_t n, cap;
};

void wk_calib_free(struct wk_calib *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].cohort);
        exam_calib_map_free(&c->e[i].map);
    }
    free(c->e);
    free(c);
}

static long calib_min(const exam_worker *w) {
    return w->cfg.calib_min == 0 ? WK_CALIB_MIN : w->cfg.calib_min;
}

static long calib_every(const exam_worker *w) {
    return w->cfg.calib_every <= 0 ? WK_CALIB_EVERY : w->cfg.calib_every;
}

static wk_calib_entry *entry_for(exam_worker *w, const char *cohort) {
    if (!w->calib && !(w->calib = calloc(1, sizeof *w->calib))) return NULL;
    struct wk_calib *c = w->calib;
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->e[i].cohort, cohort)) return &c->e[i];
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        wk_calib_entry *e = realloc(c->e, cap * sizeof *e);
        if (!e) return NULL;
        c->e = e;
        c->cap = cap;
    }
    wk_calib_entry *e = &c->e[c->n];
    memset(e, 0, sizeof *e);
    if (!(e->cohort = strdup(cohort))) return NULL;
    e->loaded_at = -1e9;
    c->n++;
    return e;
}

/* Takes the map of a calibration object into the entry (calib NULL: none stored). */
static void entry_set(wk_calib_entry *e, const json_t *calib) {
    exam_calib_map_free(&e->map);
    e->has_map = 0;
    e->n = e->pairs_read = 0;
    e->fitted_at[0] = '\0';
    e->loaded_at = wk_now();
    if (!calib) return;
    if (exam_calib_map_from_json(calib, &e->map) != EXAM_OK) {
        char q[400];
        exam_log(EXAM_LOG_WARN, "calibration_unreadable", "cohort=%s error=%s",
                 exam_log_quote(e->cohort, q, 200),
                 exam_log_quote(exam_error_message(), q + 200, 200));
        return;
    }
    e->has_map = 1;
    e->n = (long long)json_integer_value(json_object_get(calib, "n"));
    json_t *pr = json_object_get(calib, "pairs_read");
    e->pairs_read = json_is_integer(pr) ? (long long)json_integer_value(pr) : e->n;
    const char *at = json_string_value(json_object_get(calib, "fitted_at"));
    snprintf(e->fitted_at, sizeof e->fitted_at, "%s", at ? at : "");
}

/* Reloads the entry from Redis when its last look is older than RELOAD_S. */
static void entry_refresh(exam_worker *w, wk_calib_entry *e) {
    if (wk_now() - e->loaded_at < RELOAD_S) return;
    json_t *calib = NULL;
    exam_status st = exam_calib_store_load(w->wr, &w->keys, e->cohort, &calib);
    if (st != EXAM_OK && st != EXAM_ERR_NOT_FOUND) {
        char q[400];
        if (!e->warned)
            exam_log(EXAM_LOG_WARN, "calibration_load_failed", "cohort=%s error=%s",
                     exam_log_quote(e->cohort, q, 200),
                     exam_log_quote(exam_error_message(), q + 200, 200));
        e->warned = 1;
        if (st == EXAM_ERR_UNAVAILABLE) return; /* keep what we had; the commit reconnects */
    } else {
        e->warned = 0;
    }
    entry_set(e, calib);
    json_decref(calib);
}

/* The result JSON with "score_calibrated" and "calibration" after "score"; NULL when out of
 * memory. */
static char *annotate(const char *result, double calibrated, const wk_calib_entry *e) {
    json_t *in = json_loads(result, 0, NULL), *out = json_object();
    char *text = NULL;
    if (json_is_object(in) && out) {
        const char *k;
        json_t *v;
        int ok = 1;
        json_object_foreach(in, k, v) {
            if (!strcmp(k, "score_calibrated") || !strcmp(k, "calibration")) continue;
            ok &= json_object_set(out, k, v) == 0;
            if (!strcmp(k, "score")) {
                ok &= json_object_set_new(out, "score_calibrated", json_real(calibrated)) == 0;
                ok &= json_object_set_new(out, "calibration",
                                          json_pack("{s:I, s:s}", "n", (json_int_t)e->n,
                                                    "fitted_at", e->fitted_at)) == 0;
            }
        }
        if (ok)
            text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    }
    json_decref(in);
    json_decref(out);
    return text;
}

exam_status wk_calib_prepare(exam_worker *w, wk_batch *b) {
    char q[400];
    for (size_t i = 0; i < b->n; i++) {
        wk_item *it = &b->items[i];
        if (!it->ok || !it->result || !it->id || !it->cohort || !it->cohort[0]) continue;
        free(it->calib_pair);
        it->calib_pair = NULL;
        exam_status st = exam_calib_pair_from_result(it->result, &it->calib_pair);
        if (st == EXAM_ERR_NOMEM) return st;
        if (st != EXAM_OK && st != EXAM_ERR_NOT_FOUND)
            exam_log(EXAM_LOG_WARN, "judge_pair_rejected", "id=%s error=%s",
                     exam_log_quote(it->id, q, 200),
                     exam_log_quote(exam_error_message(), q + 200, 200));
        wk_calib_entry *e = entry_for(w, it->cohort);
        if (!e) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        entry_refresh(w, e);
        if (!e->has_map) continue;
        double cal;
        if (exam_calib_map_apply(&e->map, it->score, &cal) != EXAM_OK) continue;
        char *text = annotate(it->result, cal, e);
        if (!text) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        free(it->result);
        it->result = text;
    }
    return EXAM_OK;
}

exam_status wk_calib_append(exam_worker *w, exam_redis *r, const wk_item *it, int *queued) {
    if (!it->calib_pair || !it->ok || !it->id || !it->cohort) return EXAM_OK;
    char *key = exam_calib_store_pairs_key(&w->keys, it->cohort);
    if (!key) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    const char *argv[] = {"HSET", key, it->id, it->calib_pair};
    exam_status st = exam_redis_append_argv(r, 4, argv, NULL);
    free(key);
    if (st == EXAM_OK) ++*queued;
    return st;
}

void wk_calib_after_commit(exam_worker *w, const wk_batch *b) {
    long min = calib_min(w);
    if (min < 0) return; /* automatic fits are off */
    char q[400];
    for (size_t i = 0; i < b->n; i++) {
        const wk_item *it = &b->items[i];
        if (!it->calib_pair) continue;
        int seen = 0; /* once per cohort */
        for (size_t j = 0; j < i && !seen; j++)
            seen = b->items[j].calib_pair && !strcmp(b->items[j].cohort, it->cohort);
        if (seen) continue;
        wk_calib_entry *e = entry_for(w, it->cohort);
        if (!e) return;
        long long n = 0;
        exam_status st = exam_calib_store_count(w->wr, &w->keys, it->cohort, &n);
        if (st == EXAM_ERR_DENIED) {
            /* calibration is optional: grading goes on; say it once, not every batch */
            if (!w->calib_denied_logged)
                exam_log(EXAM_LOG_WARN, "calibration_denied", "cohort=%s error=%s note=%s",
                         exam_log_quote(it->cohort, q, 200),
                         exam_log_quote(exam_error_message(), q + 200, 150),
                         "grading continues without calibration fits");
            w->calib_denied_logged = 1;
            return;
        }
        if (st != EXAM_OK) {
            exam_log(EXAM_LOG_WARN, "calibration_count_failed", "cohort=%s error=%s",
                     exam_log_quote(it->cohort, q, 200),
                     exam_log_quote(exam_error_message(), q + 200, 200));
            return;
        }
        if (n < min || (e->has_map && n - e->pairs_read < calib_every(w))) continue;
        exam_calib_options opt;
        exam_calib_options_default(&opt);
        if (w->cfg.calib_threshold > 0) opt.threshold = w->cfg.calib_threshold;
        json_t *calib = NULL;
        double t0 = wk_now();
        st = exam_calib_store_fit(w->wr, &w->keys, it->cohort, &opt, &calib);
        if (st != EXAM_OK) {
            exam_log(EXAM_LOG_WARN, "calibration_fit_failed", "cohort=%s pairs=%lld error=%s",
                     exam_log_quote(it->cohort, q, 200), n,
                     exam_log_quote(exam_error_message(), q + 200, 200));
            continue;
        }
        entry_set(e, calib);
        json_t *mae = json_object_get(calib, "mae_calibrated");
        exam_log(EXAM_LOG_INFO, "calibration_fitted",
                 "cohort=%s n=%lld pairs_read=%lld mae_calibrated=%.4g fit_s=%.3f",
                 exam_log_quote(it->cohort, q, sizeof q), e->n, e->pairs_read,
                 json_is_number(mae) ? json_number_value(mae) : -1.0, wk_now() - t0);
        json_decref(calib);
    }
}
