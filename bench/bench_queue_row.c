/* One queue benchmark row: worker thread, producer on the calling thread, collector thread.
 * Each job carries its scheduled send time in meta.bench_due_ns (the grader echoes meta into
 * the result), so the collector needs no shared table with the producer. */
#include "bench_queue_row.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_gen.h"
#include "queue_keys.h"
#include "redis_conn.h"
#include "worker.h"

#define QROW_QUEUE "qbench"

typedef struct qrow {
    const exam_qrow_config *cfg;
    exam_queue_keys keys;
    exam_redis *prod, *coll;
    char tag[32];     /* "qb<run>-": this row's job ids */
    char last_id[64]; /* the collector's position in the results stream */
    /* collector */
    exam_latency_hist *hist;
    uint64_t received, errors, last_ns;
    atomic_uint_least64_t deadline_ns; /* 0 while the producer still sends */
    atomic_int abort_collect;
    exam_status coll_status;
    char coll_msg[512];
    /* worker */
    exam_worker *w;
    exam_worker_metrics *m;
    volatile sig_atomic_t stop;
    atomic_int worker_done;
    exam_status worker_status;
    char worker_msg[512];
} qrow;

static void *worker_main(void *arg) {
    qrow *q = arg;
    q->worker_status = exam_worker_run(q->w, &q->stop);
    if (q->worker_status != EXAM_OK) {
        snprintf(q->worker_msg, sizeof q->worker_msg, "worker: %s", exam_error_message());
    }
    atomic_store(&q->worker_done, 1);
    return NULL;
}

static const redisReply *field(const redisReply *fields, const char *name) {
    for (size_t i = 0; fields && i + 1 < fields->elements; i += 2) {
        const redisReply *k = fields->element[i];
        if (k->type == REDIS_REPLY_STRING && strcmp(k->str, name) == 0) {
            return fields->element[i + 1];
        }
    }
    return NULL;
}

/* One entry of the results stream: ours when its id has the row's tag. */
static void collect_entry(qrow *q, const redisReply *e, uint64_t now) {
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
        e->element[0]->type != REDIS_REPLY_STRING) {
        return;
    }
    snprintf(q->last_id, sizeof q->last_id, "%s", e->element[0]->str);
    const redisReply *id = field(e->element[1], "id"), *res = field(e->element[1], "result");
    if (!id || id->type != REDIS_REPLY_STRING || strncmp(id->str, q->tag, strlen(q->tag)) != 0) {
        return;
    }
    q->received++;
    q->last_ns = now;
    json_t *obj =
        res && res->type == REDIS_REPLY_STRING ? json_loadb(res->str, res->len, 0, NULL) : NULL;
    json_t *due = json_object_get(json_object_get(obj, "meta"), "bench_due_ns");
    if (!json_is_integer(due) || json_object_get(obj, "error")) {
        q->errors++;
    } else {
        json_int_t d = json_integer_value(due);
        exam_latency_hist_record(q->hist, now > (uint64_t)d ? now - (uint64_t)d : 0);
    }
    json_decref(obj);
}

static void *collector_main(void *arg) {
    qrow *q = arg;
    while (q->received < q->cfg->n && !atomic_load(&q->abort_collect)) {
        uint64_t dl = atomic_load(&q->deadline_ns);
        if ((dl && exam_clock_ns() > dl) || atomic_load(&q->worker_done)) {
            break;
        }
        redisReply *rep = NULL;
        exam_status st = exam_redis_command(
            q->coll, &rep, "XREAD COUNT 512 BLOCK 100 STREAMS %s %s", q->keys.results, q->last_id);
        if (st == EXAM_OK) {
            st = exam_redis_reply_status(rep, "XREAD");
        }
        if (st != EXAM_OK) {
            q->coll_status = st;
            snprintf(q->coll_msg, sizeof q->coll_msg, "collector: %s", exam_error_message());
            freeReplyObject(rep);
            break;
        }
        uint64_t now = exam_clock_ns();
        if (rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
            rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements == 2) {
            const redisReply *entries = rep->element[0]->element[1];
            for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; i++) {
                collect_entry(q, entries->element[i], now);
            }
        }
        freeReplyObject(rep);
    }
    return NULL;
}

/* The job JSON for sequence number seq, due at due_ns; the caller frees it. */
static char *make_job(qrow *q, uint64_t seq, uint64_t due_ns) {
    json_t *tmpl = json_array_get(q->cfg->jobs, seq % json_array_size(q->cfg->jobs));
    json_t *o = json_copy(tmpl);
    json_t *meta = json_object_get(tmpl, "meta");
    meta = json_is_object(meta) ? json_copy(meta) : json_object();
    char id[64];
    snprintf(id, sizeof id, "%s%llu", q->tag, (unsigned long long)seq);
    char *s = NULL;
    if (o && meta &&
        json_object_set_new(meta, "bench_due_ns", json_integer((json_int_t)due_ns)) == 0 &&
        json_object_set(o, "meta", meta) == 0 &&
        json_object_set_new(o, "id", json_string(id)) == 0) {
        s = json_dumps(o, JSON_COMPACT);
    }
    json_decref(meta);
    json_decref(o);
    return s;
}

static exam_status append_job(qrow *q, uint64_t seq, uint64_t due_ns) {
    char *job = make_job(q, seq, due_ns);
    if (!job) {
        return exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
    }
    const char *argv[] = {"XADD", q->keys.jobs, "*", "job", job};
    size_t lens[] = {4, strlen(q->keys.jobs), 1, 3, strlen(job)};
    exam_status st = exam_redis_append_argv(q->prod, 5, argv, lens);
    free(job);
    return st;
}

static exam_status read_reply(qrow *q) {
    redisReply *rep = NULL;
    exam_status st = exam_redis_get_reply(q->prod, &rep);
    if (st == EXAM_OK) {
        st = exam_redis_reply_status(rep, "XADD");
    }
    freeReplyObject(rep);
    return st;
}

static exam_status send_one(void *ctx, uint64_t seq, uint64_t due_ns) {
    qrow *q = ctx;
    exam_status st = append_job(q, seq, due_ns);
    return st == EXAM_OK ? read_reply(q) : st;
}

/* All n jobs at once, pipelined, every one due at t0. */
static exam_status send_burst(qrow *q, uint64_t t0) {
    exam_status st = EXAM_OK;
    uint64_t appended = 0;
    for (; appended < q->cfg->n && st == EXAM_OK; appended++) {
        st = append_job(q, appended, t0);
    }
    for (uint64_t i = 0; i < appended && st == EXAM_OK; i++) {
        st = read_reply(q);
    }
    return st;
}

/* Where the results stream ends now: the collector reads from there. */
static exam_status results_tail(qrow *q) {
    redisReply *rep = NULL;
    exam_status st = exam_redis_command(q->coll, &rep, "XREVRANGE %s + - COUNT 1", q->keys.results);
    if (st == EXAM_OK) {
        st = exam_redis_reply_status(rep, "XREVRANGE");
    }
    snprintf(q->last_id, sizeof q->last_id, "0-0");
    if (st == EXAM_OK && rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
        rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements >= 1 &&
        rep->element[0]->element[0]->type == REDIS_REPLY_STRING) {
        snprintf(q->last_id, sizeof q->last_id, "%s", rep->element[0]->element[0]->str);
    }
    freeReplyObject(rep);
    return st;
}

static exam_status start_worker(qrow *q, pthread_t *th) {
    exam_status st = exam_wm_init(&q->m);
    if (st != EXAM_OK) {
        return st;
    }
    char consumer[48];
    snprintf(consumer, sizeof consumer, "bench-%d", q->cfg->run);
    exam_worker_config wc = {0};
    wc.redis_url = q->cfg->redis_url;
    wc.queue = QROW_QUEUE;
    wc.consumer = consumer;
    wc.idle_block_ms = 200; /* a stop is seen within 0.2 s */
    wc.grader = q->cfg->grader;
    wc.tokenizer = q->cfg->tokenizer;
    wc.context = q->cfg->context;
    wc.metrics = q->m;
    st = exam_worker_init(&wc, &q->w);
    if (st == EXAM_OK && pthread_create(th, NULL, worker_main, q) != 0) {
        st = exam_error_set(EXAM_ERR_NOMEM, "bench: cannot start the worker thread");
    }
    return st;
}

exam_status exam_qrow_run(const exam_qrow_config *cfg, exam_qrow_result *out) {
    memset(out, 0, sizeof *out);
    qrow *q = calloc(1, sizeof *q);
    if (!q) {
        return exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
    }
    q->cfg = cfg;
    snprintf(q->tag, sizeof q->tag, "qb%d-", cfg->run);
    pthread_t worker_th, coll_th;
    int worker_up = 0, coll_up = 0;
    exam_status st = exam_latency_hist_init(&q->hist);
    if (st == EXAM_OK) {
        st = exam_queue_keys_init(QROW_QUEUE, &q->keys);
    }
    if (st == EXAM_OK) {
        st = exam_redis_open(cfg->redis_url, NULL, &q->prod);
    }
    if (st == EXAM_OK) {
        st = exam_redis_open(cfg->redis_url, NULL, &q->coll);
    }
    if (st == EXAM_OK) {
        st = results_tail(q);
    }
    if (st == EXAM_OK) {
        st = start_worker(q, &worker_th);
        worker_up = st == EXAM_OK;
    }
    if (st == EXAM_OK) {
        coll_up = pthread_create(&coll_th, NULL, collector_main, q) == 0;
        if (!coll_up) {
            st = exam_error_set(EXAM_ERR_NOMEM, "bench: cannot start the collector thread");
        }
    }
    uint64_t t0 = exam_clock_ns();
    if (st == EXAM_OK && cfg->rate > 0) {
        exam_loadgen g;
        st = exam_loadgen_init(&g, cfg->rate);
        t0 = g.start_ns;
        if (st == EXAM_OK) {
            st = exam_loadgen_run(&g, cfg->n, send_one, q);
        }
        out->late_sends = g.late;
        out->max_send_lag_s = (double)g.max_lag_ns * 1e-9;
    } else if (st == EXAM_OK) {
        st = send_burst(q, t0);
    }
    if (coll_up) {
        if (st != EXAM_OK) {
            atomic_store(&q->abort_collect, 1);
        }
        atomic_store(&q->deadline_ns, exam_clock_ns() + (uint64_t)(cfg->drain_limit_s * 1e9));
        pthread_join(coll_th, NULL);
    }
    if (worker_up) {
        q->stop = 1;
        pthread_join(worker_th, NULL);
    }
    if (st == EXAM_OK && q->coll_status != EXAM_OK) {
        st = exam_error_set(q->coll_status, "%s", q->coll_msg);
    }
    if (st == EXAM_OK && worker_up && q->worker_status != EXAM_OK) {
        st = exam_error_set(q->worker_status, "%s", q->worker_msg);
    }
    if (st == EXAM_OK && q->received < cfg->n) {
        st = exam_error_set(
            EXAM_ERR_LIMIT, "%llu of %llu results within %.0f s after the last send",
            (unsigned long long)q->received, (unsigned long long)cfg->n, cfg->drain_limit_s);
    }
    if (st == EXAM_OK && q->errors > 0) {
        st = exam_error_set(EXAM_ERR_FORMAT, "%llu error results (see the dead-letter stream)",
                            (unsigned long long)q->errors);
    }
    out->hist = q->hist;
    out->received = q->received;
    out->errors = q->errors;
    out->wall_s = q->last_ns > t0 ? (double)(q->last_ns - t0) * 1e-9 : 0;
    if (q->m) {
        out->redis_s = exam_wm_get(q->m, EXAM_WM_REDIS_SECONDS);
        out->grade_s = exam_wm_get(q->m, EXAM_WM_GRADE_SECONDS);
        out->batches = exam_wm_get(q->m, EXAM_WM_BATCHES);
        out->jobs_done = exam_wm_get(q->m, EXAM_WM_JOBS_DONE);
    }
    exam_worker_free(q->w);
    exam_wm_free(q->m);
    exam_redis_close(q->prod);
    exam_redis_close(q->coll);
    free(q);
    return st;
}

void exam_qrow_result_free(exam_qrow_result *r) {
    exam_latency_hist_free(r->hist);
    memset(r, 0, sizeof *r);
}
