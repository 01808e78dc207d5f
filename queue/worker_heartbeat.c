/* The claim heartbeat: its own thread with its own Redis connection, so that neither preparing
 * a batch (reader thread) nor grading one (main thread) can delay it. Every claim-idle/3 it runs
 * XCLAIM ... JUSTID on every entry the worker holds: the batch in the hand-off slot, the batch
 * being graded, and what the reader tracks (the entries of the replies it is decoding and
 * preparing, and its carry-over). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "worker_internal.h"

typedef char entry_id[48];

/* Appends one id to the tracked list; mu held. Out of memory drops it (the entry is then only
 * kept by the heartbeats once its batch is handed over). */
static void track_locked(exam_worker *w, const char *id) {
    if (w->n_tracked == w->cap_tracked) {
        size_t cap = w->cap_tracked ? w->cap_tracked * 2 : 64;
        entry_id *t = realloc(w->tracked, cap * sizeof *t);
        if (!t) return;
        w->tracked = t;
        w->cap_tracked = cap;
    }
    snprintf(w->tracked[w->n_tracked++], sizeof(entry_id), "%s", id);
}

void wk_track_entries(exam_worker *w, const redisReply *entries) {
    if (!entries || entries->type != REDIS_REPLY_ARRAY) return;
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < entries->elements; i++) {
        const redisReply *e = entries->element[i];
        if (e->type == REDIS_REPLY_ARRAY && e->elements >= 1 &&
            e->element[0]->type == REDIS_REPLY_STRING)
            track_locked(w, e->element[0]->str);
    }
    pthread_mutex_unlock(&w->mu);
}

void wk_track_reset(exam_worker *w, const wk_batch *held) {
    pthread_mutex_lock(&w->mu);
    w->n_tracked = 0;
    for (size_t i = 0; held && i < held->n; i++)
        if (held->items[i].kind != WK_TRIMMED) track_locked(w, held->items[i].entry);
    pthread_mutex_unlock(&w->mu);
}

/* Copies the ids of everything held into a new array; mu held. */
static entry_id *snapshot_locked(exam_worker *w, size_t *n) {
    const wk_batch *bs[2] = {w->ready, w->current};
    size_t total = w->n_tracked;
    for (int k = 0; k < 2; k++) total += bs[k] ? bs[k]->n : 0;
    *n = 0;
    entry_id *ids = total ? malloc(total * sizeof *ids) : NULL;
    if (!ids) return NULL;
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; bs[k] && i < bs[k]->n; i++)
            if (bs[k]->items[i].kind != WK_TRIMMED)
                snprintf(ids[(*n)++], sizeof(entry_id), "%s", bs[k]->items[i].entry);
    for (size_t i = 0; i < w->n_tracked; i++) memcpy(ids[(*n)++], w->tracked[i], sizeof(entry_id));
    return ids;
}

/* One heartbeat; a lost connection is reopened here (with backoff, until the stop). */
static void beat(exam_worker *w) {
    char q[600];
    /* claim_mu: a release (worker.c) cannot fall between our snapshot and our XCLAIM, where the
     * XCLAIM would take back an entry just handed to other workers */
    pthread_mutex_lock(&w->claim_mu);
    pthread_mutex_lock(&w->mu);
    size_t n = 0;
    entry_id *copy = snapshot_locked(w, &n);
    pthread_mutex_unlock(&w->mu);
    exam_status st = EXAM_OK;
    if (n) {
        const char **ids = malloc(n * sizeof *ids);
        if (ids) {
            for (size_t i = 0; i < n; i++) ids[i] = copy[i];
            double t0 = wk_now();
            st = wk_group_touch(w, w->hb, ids, n, -1);
            exam_wm_add(w->metrics, EXAM_WM_REDIS_SECONDS, wk_now() - t0);
            free(ids);
        }
    }
    pthread_mutex_unlock(&w->claim_mu);
    free(copy);
    if (st == EXAM_OK) {
        if (n) exam_log(EXAM_LOG_DEBUG, "heartbeat", "entries=%zu", n);
        return;
    }
    exam_wm_add(w->metrics, EXAM_WM_REDIS_ERRORS, 1);
    exam_log(EXAM_LOG_WARN, "heartbeat_failed", "entries=%zu error=%s", n,
             exam_log_quote(exam_error_message(), q, sizeof q));
    if (st == EXAM_ERR_DENIED) {
        wk_set_fatal(w, st);
    } else if (st == EXAM_ERR_UNAVAILABLE) {
        st = exam_redis_reconnect_backoff(w->hb, &w->hb_stop, 0);
        if (st == EXAM_OK) {
            exam_wm_add(w->metrics, EXAM_WM_RECONNECTS, 1);
            exam_log(EXAM_LOG_INFO, "redis_reconnected", "conn=heartbeat redis=%s",
                     exam_redis_describe(w->hb));
        } else if (st == EXAM_ERR_DENIED) {
            wk_set_fatal(w, st);
        }
    }
    /* NOGROUP and other server errors: the reader recreates the group; try again next time */
}

static void *heartbeat_main(void *arg) {
    exam_worker *w = arg;
    double every = w->cfg.claim_idle_ms / 3000.0;
    double next = wk_now() + every;
    pthread_mutex_lock(&w->mu);
    while (!w->hb_stop) {
        double wait = next - wk_now();
        if (wait > 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            long ns = ts.tv_nsec + (long)((wait - (double)(long)wait) * 1e9);
            ts.tv_sec += (time_t)wait + ns / 1000000000L;
            ts.tv_nsec = ns % 1000000000L;
            pthread_cond_timedwait(&w->hb_cv, &w->mu, &ts);
            continue;
        }
        pthread_mutex_unlock(&w->mu);
        beat(w);
        next = wk_now() + every;
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

exam_status wk_heartbeat_start(exam_worker *w) {
    w->hb_stop = 0;
    if (pthread_create(&w->hb_thread, NULL, heartbeat_main, w) != 0)
        return exam_error_set(EXAM_ERR_NOMEM, "cannot start the heartbeat thread");
    w->hb_running = 1;
    return EXAM_OK;
}

void wk_heartbeat_stop(exam_worker *w) {
    if (!w->hb_running) return;
    pthread_mutex_lock(&w->mu);
    w->hb_stop = 1;
    pthread_cond_broadcast(&w->hb_cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->hb_thread, NULL);
    w->hb_running = 0;
}
