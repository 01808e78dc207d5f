/* The worker's threads: the reader (worker_read.c) fills a one-batch hand-off slot; the calling
 * thread grades each batch and commits it (worker_commit.c), and on stop drains within drain_s
 * or releases what is left; the heartbeat (worker_heartbeat.c) keeps the claim on all of it. */
#include "worker.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "queue_keys.h"
#include "queue_layout.h"
#include "redis_url.h"
#include "worker_calib.h"
#include "worker_internal.h"

double wk_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void wk_item_free(wk_item *it) {
    free(it->raw);
    free(it->id);
    free(it->cohort);
    free(it->result);
    free(it->calib_pair);
    exam_grade_prep_free(it->prep); /* before the job: it borrows the job's strings */
    exam_grade_job_free(&it->job);
    memset(it, 0, sizeof *it);
}

wk_item *wk_batch_push(wk_batch *b) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        wk_item *items = realloc(b->items, cap * sizeof *items);
        if (!items) return NULL;
        b->items = items;
        b->cap = cap;
    }
    wk_item *it = &b->items[b->n++];
    memset(it, 0, sizeof *it);
    return it;
}

void wk_batch_clear(wk_batch *b) {
    for (size_t i = 0; i < b->n; i++) wk_item_free(&b->items[i]);
    free(b->items);
    memset(b, 0, sizeof *b);
}

exam_status wk_batch_move(wk_batch *to, wk_batch *from) {
    for (size_t i = 0; i < from->n; i++) {
        wk_item *it = wk_batch_push(to);
        if (!it) {
            /* what was moved is in `to`; the rest stays in `from` */
            memmove(from->items, from->items + i, (from->n - i) * sizeof *from->items);
            from->n -= i;
            return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        }
        *it = from->items[i];
        to->tokens += it->tokens;
    }
    from->n = 0;
    from->tokens = 0;
    return EXAM_OK;
}

/* ---- setup ---- */

static void make_consumer_name(char *buf, size_t size) {
    char host[128] = "host";
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "host");
    host[sizeof host - 1] = '\0';
    for (char *p = host; *p; p++)
        if (*p == ' ' || *p == '"') *p = '_';
    unsigned int rnd = 0;
    if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
        rnd = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16) ^ (unsigned)clock();
    snprintf(buf, size, "%s-%ld-%08x", host, (long)getpid(), rnd);
}

static exam_status check_config(exam_worker_config *c) {
    if (!c->grader) return exam_error_set(EXAM_ERR_ARG, "the worker needs a grader");
    if (!c->redis_url) c->redis_url = EXAM_REDIS_DEFAULT_URL;
    if (!c->queue) c->queue = EXAM_QUEUE_DEFAULT_NAME;
    if (c->batch <= 0) c->batch = 32;
    if (c->batch > 4096) return exam_error_set(EXAM_ERR_ARG, "batch of %d > 4096", c->batch);
    if (c->max_batch_tokens <= 0) c->max_batch_tokens = 8192;
    if (c->wait_ms == 0) c->wait_ms = 5;
    if (c->wait_ms < 0) c->wait_ms = 0;
    if (c->idle_block_ms <= 0) c->idle_block_ms = 1000;
    if (c->claim_idle_ms <= 0) c->claim_idle_ms = 60000;
    if (c->claim_idle_ms < 100)
        return exam_error_set(EXAM_ERR_ARG, "claim idle time of %d ms is too short (>= 100)",
                              c->claim_idle_ms);
    if (c->max_deliveries <= 0) c->max_deliveries = 5;
    if (c->max_job_bytes <= 0) c->max_job_bytes = 65536;
    if (c->results_maxlen == 0) c->results_maxlen = 1000000;
    if (c->consumer_gc_idle_ms == 0) c->consumer_gc_idle_ms = 3600000;
    if (c->drain_s <= 0) c->drain_s = 20;
    return EXAM_OK;
}

exam_status exam_worker_init(const exam_worker_config *cfg, exam_worker **out) {
    *out = NULL;
    exam_worker *w = calloc(1, sizeof *w);
    if (!w) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    w->cfg = *cfg;
    exam_status st = check_config(&w->cfg);
    if (st == EXAM_OK) st = exam_queue_keys_init(w->cfg.queue, &w->keys);
    if (st != EXAM_OK) {
        free(w);
        return st;
    }
    if (cfg->consumer && cfg->consumer[0])
        snprintf(w->consumer, sizeof w->consumer, "%s", cfg->consumer);
    else
        make_consumer_name(w->consumer, sizeof w->consumer);
    if (!w->cfg.context.worker) w->cfg.context.worker = w->consumer;
    w->cfg.consumer = w->consumer;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    pthread_mutex_init(&w->claim_mu, NULL);
    pthread_cond_init(&w->hb_cv, NULL);
    snprintf(w->claim_cursor, sizeof w->claim_cursor, "0-0");
    w->metrics = cfg->metrics;
    if (!w->metrics) {
        if ((st = exam_wm_init(&w->metrics)) != EXAM_OK) {
            exam_worker_free(w);
            return st;
        }
        w->own_metrics = 1;
    }
    exam_redis_options wo = {0};
    wo.io_timeout_s = 10.0;
    wo.client_name = w->consumer;
    exam_redis_options ro = wo;
    int longest = w->cfg.idle_block_ms > w->cfg.wait_ms ? w->cfg.idle_block_ms : w->cfg.wait_ms;
    ro.io_timeout_s = longest / 1000.0 + 2.0; /* above any BLOCK */
    if ((st = exam_redis_open(w->cfg.redis_url, &wo, &w->wr)) != EXAM_OK ||
        (st = exam_redis_open(w->cfg.redis_url, &ro, &w->rd)) != EXAM_OK ||
        (st = exam_redis_open(w->cfg.redis_url, &wo, &w->hb)) != EXAM_OK ||
        (st = exam_queue_layout_check(w->wr, &w->keys, 1)) != EXAM_OK ||
        (st = wk_group_ensure(w, w->wr)) != EXAM_OK) {
        exam_worker_free(w);
        return st;
    }
    int removed = 0;
    if ((st = wk_group_gc(w, w->wr, &removed)) != EXAM_OK) {
        exam_worker_free(w);
        return st;
    }
    w->last_alive = w->last_job = wk_now();
    exam_wm_set(w->metrics, EXAM_WM_REDIS_UP, 1);
    *out = w;
    return EXAM_OK;
}

const char *exam_worker_consumer(const exam_worker *w) {
    return w->consumer;
}

exam_worker_metrics *exam_worker_metrics_of(exam_worker *w) {
    return w->metrics;
}

int exam_worker_healthy(exam_worker *w) {
    pthread_mutex_lock(&w->mu);
    int ok = w->fatal == EXAM_OK && wk_now() - w->last_alive < 60.0;
    pthread_mutex_unlock(&w->mu);
    return ok && exam_redis_connected(w->wr);
}

void exam_worker_free(exam_worker *w) {
    if (!w) return;
    exam_redis_close(w->rd);
    exam_redis_close(w->wr);
    exam_redis_close(w->hb);
    free(w->tracked);
    if (w->ready) {
        wk_batch_clear(w->ready);
        free(w->ready);
    }
    wk_batch_clear(&w->carry);
    wk_calib_free(w->calib);
    if (w->own_metrics) exam_wm_free(w->metrics);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->hb_cv);
    pthread_mutex_destroy(&w->claim_mu);
    free(w);
}

void wk_set_fatal(exam_worker *w, exam_status st) {
    pthread_mutex_lock(&w->mu);
    if (w->fatal == EXAM_OK) {
        w->fatal = st;
        snprintf(w->fatal_msg, sizeof w->fatal_msg, "%s", exam_error_message());
    }
    w->reader_stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Entry ids of the given batches (not trimmed ones), for XCLAIM. */
static const char **collect_ids(wk_batch *const *bs, int nb, size_t *n) {
    size_t total = 0;
    for (int k = 0; k < nb; k++)
        if (bs[k]) total += bs[k]->n;
    const char **ids = malloc((total + 1) * sizeof *ids);
    *n = 0;
    if (!ids) return NULL;
    for (int k = 0; k < nb; k++)
        for (size_t i = 0; bs[k] && i < bs[k]->n; i++)
            if (bs[k]->items[i].kind != WK_TRIMMED) ids[(*n)++] = bs[k]->items[i].entry;
    return ids;
}

/* Marks the batches' entries idle past claim_idle so another worker reclaims them at once
 * (Redis has no negative acknowledgement). The batches must no longer be where the heartbeat
 * looks (ready, current, tracked); claim_mu orders this after a heartbeat already under way. */
static void release(exam_worker *w, exam_redis *r, wk_batch *const *bs, int nb) {
    size_t n;
    const char **ids = collect_ids(bs, nb, &n);
    if (!ids || n == 0) {
        free(ids);
        return;
    }
    pthread_mutex_lock(&w->claim_mu);
    exam_status st = wk_group_touch(w, r, ids, n, (long)w->cfg.claim_idle_ms * 2);
    pthread_mutex_unlock(&w->claim_mu);
    if (st == EXAM_OK)
        exam_log(EXAM_LOG_INFO, "released", "entries=%zu consumer=%s", n, w->consumer);
    else
        exam_log(EXAM_LOG_WARN, "release_failed",
                 "entries=%zu consumer=%s note=\"reclaimed after claim-idle\"", n, w->consumer);
    free(ids);
}

/* ---- the reader thread ---- */

/* Handles a failed Redis call of the reader: reconnect, recreate the group, or give up. */
static void reader_recover(exam_worker *w, exam_status st) {
    char q[600];
    exam_wm_add(w->metrics, EXAM_WM_REDIS_ERRORS, 1);
    if (st == EXAM_ERR_UNAVAILABLE) {
        exam_wm_set(w->metrics, EXAM_WM_REDIS_UP, 0);
        exam_log(EXAM_LOG_WARN, "redis_lost", "conn=reader error=%s",
                 exam_log_quote(exam_error_message(), q, sizeof q));
        st = exam_redis_reconnect_backoff(w->rd, &w->reader_stop, 0);
        if (st == EXAM_OK) {
            exam_wm_add(w->metrics, EXAM_WM_RECONNECTS, 1);
            exam_wm_set(w->metrics, EXAM_WM_REDIS_UP, 1);
            exam_log(EXAM_LOG_INFO, "redis_reconnected", "conn=reader redis=%s",
                     exam_redis_describe(w->rd));
            w->recover_own = 1;
            snprintf(w->own_cursor, sizeof w->own_cursor, "0");
            st = wk_group_ensure(w, w->rd);
            if (st == EXAM_ERR_UNAVAILABLE) return;
        }
        if (st == EXAM_ERR_UNAVAILABLE) return; /* stopped */
    } else if (st == EXAM_ERR_NOT_FOUND) {
        exam_log(EXAM_LOG_WARN, "group_missing", "stream=%s note=\"recreating at 0\"",
                 w->keys.jobs);
        st = wk_group_ensure(w, w->rd);
        if (st == EXAM_ERR_UNAVAILABLE) return;
        snprintf(w->claim_cursor, sizeof w->claim_cursor, "0-0");
    } else if (st == EXAM_ERR_FORMAT) {
        exam_log(EXAM_LOG_ERROR, "redis_error", "conn=reader error=%s",
                 exam_log_quote(exam_error_message(), q, sizeof q));
        sleep_s(1.0);
        return;
    }
    if (st != EXAM_OK) {
        exam_log(EXAM_LOG_ERROR, "reader_fatal", "error=%s",
                 exam_log_quote(exam_error_message(), q, sizeof q));
        wk_set_fatal(w, st);
    }
}

static void *reader_main(void *arg) {
    exam_worker *w = arg;
    wk_batch next = {0};
    while (!w->reader_stop) {
        double now = wk_now();
        if (now >= w->next_stats) {
            double t0 = wk_now();
            exam_status st = wk_group_stats(w, w->rd);
            exam_wm_add(w->metrics, EXAM_WM_REDIS_SECONDS, wk_now() - t0);
            if (st != EXAM_OK) reader_recover(w, st);
            w->next_stats = now + 5.0;
        }
        /* one batch ahead at most */
        pthread_mutex_lock(&w->mu);
        int full = w->ready != NULL;
        if (full) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            long ns = ts.tv_nsec + 200000000L;
            ts.tv_sec += ns / 1000000000L;
            ts.tv_nsec = ns % 1000000000L;
            pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        }
        pthread_mutex_unlock(&w->mu);
        if (full) continue;
        exam_status st = wk_read_batch(w, &next);
        if (st != EXAM_OK) {
            /* keep what was read (it is in our pending list) for the next try */
            wk_batch_move(&w->carry, &next);
            wk_track_reset(w, &w->carry);
            reader_recover(w, st);
            continue;
        }
        if (next.n == 0) continue;
        wk_batch *b = malloc(sizeof *b);
        if (!b) {
            wk_batch_move(&w->carry, &next);
            wk_set_fatal(w, exam_error_set(EXAM_ERR_NOMEM, "out of memory"));
            break;
        }
        *b = next;
        memset(&next, 0, sizeof next);
        exam_wm_observe(w->metrics, EXAM_WM_STAGE_READ, b->read_s);
        exam_wm_observe(w->metrics, EXAM_WM_STAGE_DECODE, b->decode_s);
        pthread_mutex_lock(&w->mu);
        w->ready = b;
        w->last_job = wk_now();
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        wk_track_reset(w, &w->carry);
    }
    /* stopping: what the reader still holds goes back to the group */
    wk_batch_move(&w->carry, &next);
    wk_batch_clear(&next);
    wk_track_reset(w, NULL);
    if (w->carry.n && exam_redis_connected(w->rd)) {
        wk_batch *bs[1] = {&w->carry};
        release(w, w->rd, bs, 1);
    }
    pthread_mutex_lock(&w->mu);
    w->reader_done = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- grading and committing ---- */

static char *error_result(const wk_item *it) {
    json_t *o = json_object(), *e = json_object();
    char *s = NULL;
    if (o && e) {
        json_object_set_new(o, "id", it->id ? json_string(it->id) : json_null());
        json_object_set_new(e, "code", json_string(it->code));
        json_object_set_new(e, "message", json_string(it->message));
        json_object_set_new(o, "error", e);
        e = NULL;
        s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    json_decref(e);
    json_decref(o);
    return s;
}

exam_status wk_grade_batch(exam_worker *w, wk_batch *b) {
    size_t nj = 0;
    for (size_t i = 0; i < b->n; i++) nj += b->items[i].kind == WK_JOB;
    exam_grade_job *jobs = calloc(nj + 1, sizeof *jobs);
    exam_grade_result *res = calloc(nj + 1, sizeof *res);
    if (!jobs || !res) {
        free(jobs);
        free(res);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    /* the items' preps (made on the reader thread) gathered into one batch, in item order */
    exam_grade_prep *prep = NULL;
    exam_status st = exam_grade_prep_new(&prep);
    size_t k = 0;
    for (size_t i = 0; i < b->n && st == EXAM_OK; i++) {
        wk_item *it = &b->items[i];
        if (it->kind != WK_JOB) continue;
        jobs[k++] = it->job; /* shallow: items own */
        if (!it->prep) st = wk_prepare_item(w, it);
        if (st == EXAM_OK) st = exam_grade_prep_append(prep, it->prep);
    }
    b->prepare_s = exam_grade_prep_seconds(prep);
    double t0 = wk_now();
    if (st == EXAM_OK && nj) st = exam_grader_grade_prepared(w->cfg.grader, prep, res);
    exam_grade_prep_free(prep);
    double dt = wk_now() - t0;
    exam_wm_observe(w->metrics, EXAM_WM_STAGE_GRADE, dt);
    exam_wm_add(w->metrics, EXAM_WM_GRADE_SECONDS, dt);
    k = 0;
    for (size_t i = 0; i < b->n && st == EXAM_OK; i++) {
        wk_item *it = &b->items[i];
        if (it->kind == WK_TRIMMED) continue;
        if (it->kind != WK_JOB) {
            if (it->id && !(it->result = error_result(it)))
                st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
            continue;
        }
        exam_grade_result *r = &res[k++];
        json_t *o = exam_grade_result_to_json(&it->job, r, &w->cfg.context);
        it->result =
            o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
        json_decref(o);
        if (!it->result) st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        it->ok = r->status == EXAM_OK;
        it->score = r->score;
        if (!it->ok) {
            it->err = r->status;
            snprintf(it->code, sizeof it->code, "%s", exam_status_name(r->status));
            snprintf(it->message, sizeof it->message, "%s", r->error);
        }
    }
    for (size_t i = 0; i < nj; i++) exam_grade_result_free(&res[i]);
    free(jobs);
    free(res);
    return st;
}

/* Commits until it succeeds, the credentials are refused, or (when stopping) the drain
 * deadline passes; returns EXAM_ERR_UNAVAILABLE in that last case (the batch stays pending). */
static exam_status commit_batch(exam_worker *w, wk_batch *b, const volatile sig_atomic_t *stop,
                                double deadline) {
    char q[600];
    for (;;) {
        long dups = 0;
        double t0 = wk_now();
        exam_status st = wk_commit(w, b->items, b->n, &dups);
        double dt = wk_now() - t0;
        exam_wm_add(w->metrics, EXAM_WM_REDIS_SECONDS, dt);
        if (st == EXAM_OK) {
            exam_wm_observe(w->metrics, EXAM_WM_STAGE_COMMIT, dt);
            exam_wm_add(w->metrics, EXAM_WM_DUPLICATES, (double)dups);
            return EXAM_OK;
        }
        exam_wm_add(w->metrics, EXAM_WM_REDIS_ERRORS, 1);
        if (st == EXAM_ERR_DENIED || st == EXAM_ERR_NOMEM) return st;
        exam_log(st == EXAM_ERR_UNAVAILABLE ? EXAM_LOG_WARN : EXAM_LOG_ERROR, "commit_failed",
                 "jobs=%zu error=%s", b->n, exam_log_quote(exam_error_message(), q, sizeof q));
        for (;;) {
            if (*stop && deadline <= 0) deadline = wk_now() + w->cfg.drain_s;
            if (*stop && wk_now() > deadline)
                return exam_error_set(EXAM_ERR_UNAVAILABLE,
                                      "could not commit within the drain time");
            if (st != EXAM_ERR_UNAVAILABLE && exam_redis_connected(w->wr)) {
                sleep_s(0.5);
                break;
            }
            exam_wm_set(w->metrics, EXAM_WM_REDIS_UP, 0);
            exam_status rs = exam_redis_reconnect_backoff(w->wr, NULL, 1.0);
            if (rs == EXAM_OK) {
                exam_wm_add(w->metrics, EXAM_WM_RECONNECTS, 1);
                exam_wm_set(w->metrics, EXAM_WM_REDIS_UP, 1);
                exam_log(EXAM_LOG_INFO, "redis_reconnected", "conn=committer redis=%s",
                         exam_redis_describe(w->wr));
                break;
            }
            if (rs == EXAM_ERR_DENIED || rs == EXAM_ERR_NOMEM) return rs;
        }
    }
}

static void count_results(exam_worker *w, const wk_batch *b) {
    double now = wall_ms();
    long done = 0, failed = 0;
    for (size_t i = 0; i < b->n; i++) {
        const wk_item *it = &b->items[i];
        if (it->kind == WK_TRIMMED) {
            exam_wm_add(w->metrics, EXAM_WM_DEAD_TRIMMED, 1);
            continue;
        }
        if (it->ok) {
            done++;
        } else {
            failed++;
            exam_wm_add(w->metrics,
                        it->kind == WK_MAX_DELIVERIES ? EXAM_WM_DEAD_MAX_DELIVERIES
                                                      : EXAM_WM_DEAD_INVALID,
                        1);
        }
        if (it->enqueue_ms > 0)
            exam_wm_observe(w->metrics, EXAM_WM_LATENCY, (now - it->enqueue_ms) / 1e3);
    }
    exam_wm_add(w->metrics, EXAM_WM_JOBS_DONE, (double)done);
    exam_wm_add(w->metrics, EXAM_WM_JOBS_FAILED, (double)failed);
    exam_wm_add(w->metrics, EXAM_WM_BATCHES, 1);
    exam_wm_observe(w->metrics, EXAM_WM_BATCH_JOBS, (double)b->n);
    exam_wm_observe(w->metrics, EXAM_WM_BATCH_TOKENS, (double)b->tokens);
    exam_log(EXAM_LOG_DEBUG, "batch", "jobs=%zu ok=%ld failed=%ld tokens=%ld prepare_ms=%.3f", b->n,
             done, failed, b->tokens, b->prepare_s * 1e3);
    for (size_t i = 0; i < b->n; i++)
        if (!b->items[i].ok && b->items[i].kind != WK_TRIMMED) {
            char q[400];
            exam_log(EXAM_LOG_INFO, "job_failed", "id=%s entry=%s code=%s message=%s",
                     b->items[i].id ? b->items[i].id : "-", b->items[i].entry, b->items[i].code,
                     exam_log_quote(b->items[i].message, q, sizeof q));
        }
}

static exam_status process(exam_worker *w, wk_batch *b, const volatile sig_atomic_t *stop,
                           double deadline) {
    pthread_mutex_lock(&w->mu);
    w->current = b;
    pthread_mutex_unlock(&w->mu);
    exam_wm_set(w->metrics, EXAM_WM_IN_FLIGHT, (double)b->n);
    exam_status st = wk_grade_batch(w, b);
    if (st == EXAM_OK) st = wk_calib_prepare(w, b);
    if (st == EXAM_OK) st = commit_batch(w, b, stop, deadline);
    if (st == EXAM_OK) count_results(w, b);
    if (st == EXAM_OK) wk_calib_after_commit(w, b);
    pthread_mutex_lock(&w->mu);
    w->current = NULL;
    pthread_mutex_unlock(&w->mu);
    exam_wm_set(w->metrics, EXAM_WM_IN_FLIGHT, 0);
    return st;
}

/* Deletes this worker's consumer when it holds nothing pending. */
static void remove_self(exam_worker *w) {
    const char *argv[] = {"XPENDING", w->keys.jobs, EXAM_QUEUE_GROUP, "-", "+", "1", w->consumer};
    redisReply *rep;
    if (exam_redis_argv(w->wr, 7, argv, NULL, &rep) != EXAM_OK) return;
    int empty = rep->type == REDIS_REPLY_ARRAY && rep->elements == 0;
    freeReplyObject(rep);
    if (!empty) return;
    const char *del[] = {"XGROUP", "DELCONSUMER", w->keys.jobs, EXAM_QUEUE_GROUP, w->consumer};
    if (exam_redis_argv(w->wr, 5, del, NULL, &rep) == EXAM_OK) freeReplyObject(rep);
}

exam_status exam_worker_run(exam_worker *w, const volatile sig_atomic_t *stop) {
    static const volatile sig_atomic_t never = 0;
    if (!stop) stop = &never;
    pthread_t reader;
    w->reader_stop = 0;
    w->reader_done = 0;
    exam_status hs = wk_heartbeat_start(w);
    if (hs != EXAM_OK) return hs;
    if (pthread_create(&reader, NULL, reader_main, w) != 0) {
        wk_heartbeat_stop(w);
        return exam_error_set(EXAM_ERR_NOMEM, "cannot start the reader thread");
    }
    exam_log(EXAM_LOG_INFO, "worker_started",
             "consumer=%s queue=%s redis=%s batch=%d max_batch_tokens=%d wait_ms=%d "
             "claim_idle_ms=%d max_deliveries=%d",
             w->consumer, w->keys.queue, exam_redis_describe(w->wr), w->cfg.batch,
             w->cfg.max_batch_tokens, w->cfg.wait_ms, w->cfg.claim_idle_ms, w->cfg.max_deliveries);
    int stopping = 0;
    double deadline = 0;
    exam_status result = EXAM_OK;
    for (;;) {
        double now = wk_now();
        pthread_mutex_lock(&w->mu);
        w->last_alive = now;
        int idle_exit =
            w->cfg.idle_exit_s > 0 && !w->ready && now - w->last_job > w->cfg.idle_exit_s;
        pthread_mutex_unlock(&w->mu);
        if ((*stop || idle_exit) && !stopping) {
            stopping = 1;
            deadline = now + w->cfg.drain_s;
            exam_log(EXAM_LOG_INFO, "draining", "reason=%s drain_s=%g", *stop ? "signal" : "idle",
                     w->cfg.drain_s);
            pthread_mutex_lock(&w->mu);
            w->reader_stop = 1;
            pthread_cond_broadcast(&w->cv);
            pthread_mutex_unlock(&w->mu);
        }
        pthread_mutex_lock(&w->mu);
        if (!w->ready && !w->reader_done && w->fatal == EXAM_OK) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            long ns = ts.tv_nsec + 200000000L;
            ts.tv_sec += ns / 1000000000L;
            ts.tv_nsec = ns % 1000000000L;
            pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        }
        wk_batch *b = w->ready;
        w->ready = NULL;
        if (b) pthread_cond_broadcast(&w->cv);
        int done = w->reader_done, fatal = w->fatal != EXAM_OK;
        pthread_mutex_unlock(&w->mu);
        if (b) {
            exam_status st;
            if (stopping && wk_now() > deadline) {
                wk_batch *bs[1] = {b};
                release(w, w->wr, bs, 1);
                st = EXAM_OK;
            } else {
                st = process(w, b, stop, stopping ? deadline : 0);
            }
            if (st != EXAM_OK) {
                char q[600];
                exam_log(EXAM_LOG_ERROR, "batch_failed", "jobs=%zu error=%s", b->n,
                         exam_log_quote(exam_error_message(), q, sizeof q));
                if (exam_redis_connected(w->wr)) {
                    wk_batch *bs[1] = {b};
                    release(w, w->wr, bs, 1);
                }
                if (!(stopping && st == EXAM_ERR_UNAVAILABLE)) wk_set_fatal(w, st);
            }
            wk_batch_clear(b);
            free(b);
            continue;
        }
        if (fatal) {
            pthread_mutex_lock(&w->mu);
            w->reader_stop = 1;
            pthread_mutex_unlock(&w->mu);
        }
        if (done) break;
    }
    pthread_join(reader, NULL);
    wk_heartbeat_stop(w); /* nothing is held any more but what is released below */
    if (w->ready) {       /* published after the last look */
        wk_batch *bs[1] = {w->ready};
        if (exam_redis_connected(w->wr)) release(w, w->wr, bs, 1);
        wk_batch_clear(w->ready);
        free(w->ready);
        w->ready = NULL;
    }
    if (w->fatal != EXAM_OK) {
        result = exam_error_set(w->fatal, "%s", w->fatal_msg);
    } else if (exam_redis_connected(w->wr)) {
        remove_self(w);
    }
    double grade_s = exam_wm_get(w->metrics, EXAM_WM_GRADE_SECONDS),
           redis_s = exam_wm_get(w->metrics, EXAM_WM_REDIS_SECONDS);
    exam_log(EXAM_LOG_INFO, "worker_stopped",
             "consumer=%s jobs_done=%.0f jobs_failed=%.0f batches=%.0f grade_s=%.3f "
             "redis_s=%.3f redis_share=%.4f status=%s",
             w->consumer, exam_wm_get(w->metrics, EXAM_WM_JOBS_DONE),
             exam_wm_get(w->metrics, EXAM_WM_JOBS_FAILED), exam_wm_get(w->metrics, EXAM_WM_BATCHES),
             grade_s, redis_s, grade_s + redis_s > 0 ? redis_s / (grade_s + redis_s) : 0.0,
             exam_status_name(w->fatal));
    return result;
}
