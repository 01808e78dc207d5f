/* The worker against hostile input, in process on a real redis-server: over a thousand malformed
 * jobs of 17 kinds each get an error result (when their id is readable) and exactly one dead
 * letter, valid jobs around them are graded, and the worker stays up. Also: entries of a dead
 * consumer are reclaimed, jobs delivered too often and entries trimmed while pending go to the
 * dead letters, and idle consumers with nothing pending are removed.
 * labels: redis */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "bank.h"
#include "encoder.h"
#include "grade.h"
#include "queue_keys.h"
#include "redis_conn.h"
#include "redis_server.h"
#include "testlib.h"
#include "worker.h"

#define PER_KIND 60
#define N_KINDS 17

static exam_queue_keys keys;

/* Runs one command and returns its reply (the caller frees it), or NULL. */
static redisReply *cmd(exam_redis *r, int argc, const char **argv, const size_t *lens) {
    redisReply *rep = NULL;
    if (exam_redis_argv(r, argc, argv, lens, &rep) != EXAM_OK) return NULL;
    return rep;
}

static long long int_of(exam_redis *r, int argc, const char **argv) {
    redisReply *rep = cmd(r, argc, argv, NULL);
    long long v = rep && rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
    freeReplyObject(rep);
    return v;
}

/* The string answer of a command ("" for nil) in a static buffer. */
static const char *str_of(exam_redis *r, int argc, const char **argv) {
    static char buf[4096];
    redisReply *rep = cmd(r, argc, argv, NULL);
    snprintf(buf, sizeof buf, "%s", rep && rep->type == REDIS_REPLY_STRING ? rep->str : "");
    freeReplyObject(rep);
    return buf;
}

/* Queues XADD jobs * <field> <payload> on the pipeline. */
static void add(exam_redis *r, const char *field, const char *payload, size_t len, int *queued) {
    const char *argv[] = {"XADD", keys.jobs, "*", field, payload};
    size_t lens[] = {4, strlen(keys.jobs), 1, strlen(field), len};
    CHECK(exam_redis_append_argv(r, 5, argv, lens) == EXAM_OK);
    ++*queued;
}

static void flush(exam_redis *r, int *queued) {
    for (; *queued > 0; --*queued) {
        redisReply *rep = NULL;
        CHECK(exam_redis_get_reply(r, &rep) == EXAM_OK && rep->type == REDIS_REPLY_STRING);
        freeReplyObject(rep);
    }
}

static const char *good_job(const char *id) {
    static char buf[512];
    snprintf(buf, sizeof buf,
             "{\"id\":\"%s\",\"cohort\":\"c1\",\"question_id\":\"py-gil\",\"answer\":\"The GIL "
             "is a mutex so only one thread runs Python bytecode at a time.\"}",
             id);
    return buf;
}

/* Writes malformed job `i` of kind k into buf; returns its length and whether it has a
 * readable id (then *id names it). */
static size_t malformed(int k, int i, char *buf, size_t cap, char *id, size_t idcap, int *has_id) {
    *has_id = 0;
    int n = 0;
    switch (k) {
    case 0: /* not JSON */
        n = snprintf(buf, cap, "hello %d, this is not JSON", i);
        break;
    case 1: /* truncated JSON */
        n = snprintf(buf, cap, "{\"id\":\"bad-trunc-%d\",\"answer\":\"x", i);
        break;
    case 2: /* an array */
        n = snprintf(buf, cap, "[%d, 2, 3]", i);
        break;
    case 3: /* a number */
        n = snprintf(buf, cap, "%d", i);
        break;
    case 4: /* no id */
        n = snprintf(buf, cap, "{\"question_id\":\"py-gil\",\"answer\":\"x%d\"}", i);
        break;
    case 5: /* no answer */
        snprintf(id, idcap, "bad-noans-%d", i);
        n = snprintf(buf, cap, "{\"id\":\"%s\",\"question_id\":\"py-gil\"}", id);
        *has_id = 1;
        break;
    case 6: /* id not a string */
        n = snprintf(buf, cap, "{\"id\":%d,\"question_id\":\"py-gil\",\"answer\":\"x\"}", i);
        break;
    case 7: /* answer not a string */
        snprintf(id, idcap, "bad-ansnum-%d", i);
        n = snprintf(buf, cap, "{\"id\":\"%s\",\"question_id\":\"py-gil\",\"answer\":5}", id);
        *has_id = 1;
        break;
    case 8: /* invalid UTF-8 */
        n = snprintf(buf, cap,
                     "{\"id\":\"bad-utf8-%d\",\"question_id\":\"py-gil\",\"answer\":\"a\xff\xfe"
                     "b\xc3\"}",
                     i);
        break;
    case 9: { /* oversize: over the 4096-byte limit the test sets */
        snprintf(id, idcap, "bad-big-%d", i);
        n = snprintf(buf, cap, "{\"id\":\"%s\",\"question_id\":\"py-gil\",\"answer\":\"", id);
        while (n < 5000) buf[n++] = 'a';
        n += snprintf(buf + n, cap - (size_t)n, "\"}");
        *has_id = 1;
        break;
    }
    case 10: /* unknown question */
        snprintf(id, idcap, "bad-unkq-%d", i);
        n = snprintf(buf, cap, "{\"id\":\"%s\",\"question_id\":\"no-such-q\",\"answer\":\"x\"}",
                     id);
        *has_id = 1;
        break;
    case 11: /* judge score a string */
        snprintf(id, idcap, "bad-inf-%d", i);
        n = snprintf(buf, cap,
                     "{\"id\":\"%s\",\"question_id\":\"py-gil\",\"answer\":\"x\","
                     "\"judge\":{\"score\":\"inf\"}}",
                     id);
        *has_id = 1;
        break;
    case 12: /* judge score out of range */
        snprintf(id, idcap, "bad-range-%d", i);
        n = snprintf(buf, cap,
                     "{\"id\":\"%s\",\"question_id\":\"py-gil\",\"answer\":\"x\","
                     "\"judge\":{\"score\":99,\"scale_max\":10}}",
                     id);
        *has_id = 1;
        break;
    case 13: /* an escaped NUL (the parser refuses the whole payload, so no id) */
        n = snprintf(buf, cap,
                     "{\"id\":\"bad-nul-%d\",\"question_id\":\"py-gil\",\"answer\":\"a\\u0000b\"}",
                     i);
        break;
    case 14: { /* nesting deeper than the parser allows */
        int d = 0;
        while (d < 3000) buf[n++] = '[', d++;
        while (d-- > 0) buf[n++] = ']';
        buf[n] = '\0';
        break;
    }
    case 15: /* empty payload */
        n = 0;
        buf[0] = '\0';
        break;
    default: /* 16: lone surrogate escape */
        n = snprintf(buf, cap, "{\"id\":\"bad-sur-%d\",\"answer\":\"\\ud800\"}", i);
        break;
    }
    return (size_t)n;
}

typedef struct run_arg {
    exam_worker *w;
    volatile sig_atomic_t stop;
    exam_status st;
} run_arg;

static void *run_thread(void *p) {
    run_arg *a = p;
    a->st = exam_worker_run(a->w, &a->stop);
    return NULL;
}

/* Waits until XLEN dead reaches `dead` and every listed result exists, or times out. */
static int wait_for(exam_redis *r, long long dead, const char *const *ids, int n_ids,
                    double limit_s) {
    double t0 = exam_test_now();
    while (exam_test_now() - t0 < limit_s) {
        const char *xl[] = {"XLEN", keys.dead};
        int ok = int_of(r, 2, xl) >= dead;
        for (int i = 0; ok && i < n_ids; i++) {
            char *k = exam_queue_key_for(&keys, "result", ids[i]);
            const char *ex[] = {"EXISTS", k};
            ok = int_of(r, 2, ex) == 1;
            free(k);
        }
        if (ok) return 1;
        usleep(100000);
    }
    return 0;
}

static void run(exam_test_redis *srv, exam_grader *g, const struct exam_tokenizer *tok) {
    CHECK(exam_queue_keys_init("mal", &keys) == EXAM_OK);
    exam_redis *r = NULL;
    CHECK(exam_redis_open(srv->url, NULL, &r) == EXAM_OK);
    if (!r) return;
    /* a dead consumer holding 3 good jobs, 2 jobs delivered too often and 2 that get trimmed */
    const char *create[] = {"XGROUP", "CREATE", keys.jobs, "examiner", "0", "MKSTREAM"};
    freeReplyObject(cmd(r, 6, create, NULL));
    int q = 0;
    char id[64];
    for (int i = 0; i < 7; i++) {
        snprintf(id, sizeof id, i < 3 ? "ghost-%d" : i < 5 ? "md-%d" : "trim-%d", i);
        const char *job = good_job(id);
        add(r, "job", job, strlen(job), &q);
    }
    flush(r, &q);
    const char *steal[] = {"XREADGROUP", "GROUP",   "examiner", "ghost", "COUNT",
                           "7",          "STREAMS", keys.jobs,  ">"};
    redisReply *got = cmd(r, 9, steal, NULL);
    CHECK(got && got->type == REDIS_REPLY_ARRAY && got->element[0]->element[1]->elements == 7);
    char entries[7][48];
    for (int i = 0; got && i < 7; i++)
        snprintf(entries[i], sizeof entries[i], "%s",
                 got->element[0]->element[1]->element[i]->element[0]->str);
    freeReplyObject(got);
    const char *retry[] = {"XCLAIM",   keys.jobs,  "examiner",   "ghost", "0",
                           entries[3], entries[4], "RETRYCOUNT", "10"};
    freeReplyObject(cmd(r, 9, retry, NULL));
    const char *del[] = {"XDEL", keys.jobs, entries[5], entries[6]};
    CHECK(int_of(r, 4, del) == 2);
    const char *mk[] = {"XGROUP", "CREATECONSUMER", keys.jobs, "examiner", "long-gone"};
    CHECK(int_of(r, 5, mk) == 1);
    usleep(20000);

    exam_worker_config cfg = {0};
    cfg.redis_url = srv->url;
    cfg.queue = "mal";
    cfg.batch = 16;
    cfg.claim_idle_ms = 500;
    cfg.idle_block_ms = 200;
    cfg.max_deliveries = 3;
    cfg.max_job_bytes = 4096;
    cfg.consumer_gc_idle_ms = 10;
    cfg.grader = g;
    cfg.tokenizer = tok;
    cfg.context.backend = "cpu";
    exam_worker *w = NULL;
    exam_status st = exam_worker_init(&cfg, &w);
    CHECKF(st == EXAM_OK, "init: %s", exam_error_message());
    if (!w) {
        exam_redis_close(r);
        return;
    }
    const char *cons[] = {"XINFO", "CONSUMERS", keys.jobs, "examiner"};
    redisReply *cr = cmd(r, 4, cons, NULL);
    int saw_gone = 0, saw_ghost = 0;
    for (size_t i = 0; cr && i < cr->elements; i++) {
        const char *name = cr->element[i]->element[1]->str;
        saw_gone |= !strcmp(name, "long-gone");
        saw_ghost |= !strcmp(name, "ghost");
    }
    freeReplyObject(cr);
    CHECKF(!saw_gone && saw_ghost,
           "idle consumer with nothing pending removed (%d), one with "
           "pending kept (%d)",
           saw_gone, saw_ghost);

    run_arg ra = {w, 0, EXAM_OK};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, run_thread, &ra) == 0);

    /* the malformed flood, with a good job every 50 entries */
    static char buf[16384];
    static char ids_buf[N_KINDS * PER_KIND][64];
    const char *with_id[N_KINDS * PER_KIND];
    int n_with_id = 0, n_bad = 0;
    static char good_ids[64][32];
    const char *goods[64];
    int n_good = 0;
    for (int i = 0; i < PER_KIND; i++)
        for (int k = 0; k < N_KINDS; k++) {
            int has_id;
            size_t len = malformed(k, i, buf, sizeof buf, ids_buf[n_with_id], 64, &has_id);
            add(r, k == 15 && i % 2 ? "payload" : "job", buf, len, &q);
            n_bad++;
            if (has_id) {
                with_id[n_with_id] = ids_buf[n_with_id];
                n_with_id++;
            }
            if (n_bad % 50 == 0 && n_good < 64) {
                snprintf(good_ids[n_good], sizeof good_ids[n_good], "good-%d", n_good);
                const char *job = good_job(good_ids[n_good]);
                add(r, "job", job, strlen(job), &q);
                goods[n_good] = good_ids[n_good];
                n_good++;
            }
            if (q >= 200) flush(r, &q);
        }
    flush(r, &q);
    CHECK(n_bad >= 1000);
    long long want_dead = n_bad + 2 + 2;
    int done = wait_for(r, want_dead, with_id, n_with_id, 240.0);
    CHECKF(done, "all %lld dead letters and %d error results within the time", want_dead,
           n_with_id);
    const char *ghosts[] = {"ghost-0", "ghost-1", "ghost-2"};
    CHECK(wait_for(r, want_dead, ghosts, 3, 30.0));
    CHECK(wait_for(r, want_dead, goods, n_good, 30.0));

    /* every malformed job with an id has an error result; the good ones have scores */
    int errors_ok = 0;
    for (int i = 0; i < n_with_id; i++) {
        char *k = exam_queue_key_for(&keys, "result", with_id[i]);
        const char *hg[] = {"HGET", k, "status"};
        errors_ok += !strcmp(str_of(r, 3, hg), "error");
        const char *hj[] = {"HGET", k, "json"};
        json_t *o = json_loads(str_of(r, 3, hj), 0, NULL);
        json_t *e = json_object_get(o, "error");
        if (!json_is_string(json_object_get(e, "code")) ||
            !json_is_string(json_object_get(e, "message")))
            CHECKF(0, "result of %s has no error code/message", with_id[i]);
        json_decref(o);
        free(k);
    }
    CHECKF(errors_ok == n_with_id, "%d of %d error results", errors_ok, n_with_id);
    for (int i = 0; i < n_good; i++) {
        char *k = exam_queue_key_for(&keys, "result", goods[i]);
        const char *hg[] = {"HGET", k, "status"};
        CHECKF(!strcmp(str_of(r, 3, hg), "ok"), "good job %s graded", goods[i]);
        free(k);
    }
    const char *xl[] = {"XLEN", keys.dead};
    CHECKF(int_of(r, 2, xl) == want_dead, "dead letters: %lld, want %lld", int_of(r, 2, xl),
           want_dead);
    /* reasons: 2 max_deliveries, 2 trimmed */
    const char *xr[] = {"XRANGE", keys.dead, "-", "+"};
    redisReply *dl = cmd(r, 4, xr, NULL);
    int md = 0, tr = 0, inv = 0;
    for (size_t i = 0; dl && i < dl->elements; i++) {
        const redisReply *f = dl->element[i]->element[1];
        for (size_t j = 0; j + 1 < f->elements; j += 2)
            if (!strcmp(f->element[j]->str, "reason")) {
                md += !strcmp(f->element[j + 1]->str, "max_deliveries");
                tr += !strcmp(f->element[j + 1]->str, "trimmed");
                inv += !strcmp(f->element[j + 1]->str, "invalid");
            }
    }
    freeReplyObject(dl);
    CHECKF(md == 2 && tr == 2 && inv == n_bad, "reasons: %d max_deliveries, %d trimmed, %d invalid",
           md, tr, inv);
    char *mdk = exam_queue_key_for(&keys, "result", "md-3");
    const char *mdj[] = {"HGET", mdk, "json"};
    CHECK(strstr(str_of(r, 3, mdj), "max_deliveries") != NULL);
    free(mdk);
    /* nothing left pending; the cohort counts each good job once */
    const char *pend[] = {"XPENDING", keys.jobs, "examiner"};
    redisReply *pr = cmd(r, 3, pend, NULL);
    CHECK(pr && pr->type == REDIS_REPLY_ARRAY && pr->element[0]->integer == 0);
    freeReplyObject(pr);
    char *ck = exam_queue_key_for(&keys, "cohort", "c1");
    const char *hd[] = {"HGET", ck, "done"};
    CHECKF(atoi(str_of(r, 3, hd)) == n_good + 3, "cohort c1 done = %s, want %d", str_of(r, 3, hd),
           n_good + 3);
    free(ck);

    /* still up: one more job is graded */
    CHECK(exam_worker_healthy(w));
    const char *job = good_job("after-flood");
    add(r, "job", job, strlen(job), &q);
    flush(r, &q);
    const char *after[] = {"after-flood"};
    CHECK(wait_for(r, want_dead, after, 1, 30.0));

    /* a later copy of a graded job id that fails (unknown question) keeps the graded result and
     * the cohort count; the failure is a dead letter */
    const char *bad_copy = "{\"id\": \"after-flood\", \"cohort\": \"c1\", \"question_id\": "
                           "\"no-such-question\", \"answer\": \"a late copy\"}";
    char *ck2 = exam_queue_key_for(&keys, "cohort", "c1");
    const char *hd2[] = {"HGET", ck2, "done"};
    const char *hf2[] = {"HGET", ck2, "failed"};
    int failed_before = atoi(str_of(r, 3, hf2));
    add(r, "job", bad_copy, strlen(bad_copy), &q);
    flush(r, &q);
    CHECK(wait_for(r, want_dead + 1, after, 1, 30.0));
    char *afk = exam_queue_key_for(&keys, "result", "after-flood");
    const char *afs[] = {"HGET", afk, "status"};
    CHECKF(!strcmp(str_of(r, 3, afs), "ok"), "graded result kept, status %s", str_of(r, 3, afs));
    const char *afsc[] = {"HEXISTS", afk, "score"};
    CHECK(int_of(r, 3, afsc) == 1);
    free(afk);
    CHECKF(atoi(str_of(r, 3, hd2)) == n_good + 4, "cohort c1 done = %s, want %d", str_of(r, 3, hd2),
           n_good + 4);
    CHECK(atoi(str_of(r, 3, hf2)) == failed_before);
    free(ck2);

    char *m = exam_wm_render(exam_worker_metrics_of(w), exam_worker_consumer(w));
    CHECK(m && strstr(m, "examiner_jobs_failed_total") &&
          strstr(m, "examiner_stage_seconds_bucket"));
    free(m);
    CHECK(exam_wm_get(exam_worker_metrics_of(w), EXAM_WM_RECLAIMED) >= 5);

    ra.stop = 1;
    pthread_join(th, NULL);
    CHECKF(ra.st == EXAM_OK, "run ended with %s", exam_status_name(ra.st));
    exam_worker_free(w);
    exam_redis_close(r);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    FILE *f = fopen(exam_test_path(exam_test_model_dir(), "config.json"), "r");
    if (!f) {
        printf("SKIP ALL: model not found in %s\n", exam_test_model_dir());
        return 0;
    }
    fclose(f);
    exam_test_redis srv;
    int rc = exam_test_redis_start(&srv, NULL);
    if (rc == 1) {
        printf("SKIP ALL: redis-server is not installed\n");
        return exam_test_finish();
    }
    CHECK(rc == 0);
    exam_test_grader tg;
    exam_test_grader_open(&tg);
    exam_encoder *enc = tg.enc;
    exam_grader *g = tg.g;
    if (rc == 0 && g) run(&srv, g, exam_encoder_tokenizer(enc));
    exam_test_grader_close(&tg);
    exam_test_redis_free(&srv);
    return exam_test_finish();
}
