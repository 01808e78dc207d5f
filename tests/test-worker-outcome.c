/* One job, one final state: worker instances driven step by step in process (read, grade,
 * commit called by the test, no threads, no sleeps) against a real redis-server.
 * - A stalled holder commits its ok result after a peer reclaimed the entry past
 *   --max-deliveries and recorded the error: the ok result supersedes it (hash ok, cohort
 *   done/failed exact, results stream ends ok, no dead letter left), and status and results
 *   agree. The reverse order leaves no trace of the redundant failure. A replay of the peer's
 *   letter before the holder commits keeps everything consistent too.
 * - A job id over EXAM_JOB_ID_MAX is dead-lettered (not lost), and waiting on a cohort does not
 *   hang on such an id.
 * - A payload over --max-job-bytes is dead-lettered with a bounded prefix and its length; the
 *   process's peak RSS while reading a batch of them is reported and bounded.
 * labels: redis */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"
#include "queue_dlq.h"
#include "queue_fields.h"
#include "queue_info.h"
#include "queue_keys.h"
#include "queue_results.h"
#include "redis_conn.h"
#include "redis_server.h"
#include "testlib.h"
#include "worker_internal.h"

static exam_test_redis srv;
static exam_grader *grader;
static exam_redis *rc; /* the test's own connection */

static redisReply *cmdv(int argc, const char **argv) {
    redisReply *rep = NULL;
    if (exam_redis_argv(rc, argc, argv, NULL, &rep) != EXAM_OK) return NULL;
    return rep;
}

static long long int_of(int argc, const char **argv) {
    redisReply *rep = cmdv(argc, argv);
    long long v = !rep                               ? -1
                  : rep->type == REDIS_REPLY_INTEGER ? rep->integer
                  : rep->type == REDIS_REPLY_STRING  ? atoll(rep->str)
                                                     : -1;
    freeReplyObject(rep);
    return v;
}

/* HGET key field ("" for nil) in a static buffer. */
static const char *hget(const char *key, const char *field) {
    static char buf[4096];
    const char *argv[] = {"HGET", key, field};
    redisReply *rep = cmdv(3, argv);
    snprintf(buf, sizeof buf, "%s", rep && rep->type == REDIS_REPLY_STRING ? rep->str : "");
    freeReplyObject(rep);
    return buf;
}

static void add_job(const exam_queue_keys *k, const char *payload, size_t len, char *entry,
                    size_t entry_size) {
    const char *argv[] = {"XADD", k->jobs, "*", "job", payload};
    size_t lens[] = {4, strlen(k->jobs), 1, 3, len};
    redisReply *rep = NULL;
    CHECK(exam_redis_argv(rc, 5, argv, lens, &rep) == EXAM_OK && rep &&
          rep->type == REDIS_REPLY_STRING);
    if (entry) snprintf(entry, entry_size, "%s", rep && rep->str ? rep->str : "");
    freeReplyObject(rep);
}

static const char *good_job(const char *id, const char *cohort) {
    static char buf[512];
    snprintf(buf, sizeof buf,
             "{\"id\":\"%s\",\"cohort\":\"%s\",\"question_id\":\"py-gil\",\"answer\":\"The GIL "
             "is a mutex so only one thread runs Python bytecode at a time.\"}",
             id, cohort);
    return buf;
}

static exam_worker *worker(const char *queue, const char *name, int batch) {
    exam_worker_config cfg = {0};
    cfg.redis_url = srv.url;
    cfg.queue = queue;
    cfg.consumer = name;
    cfg.batch = batch;
    cfg.wait_ms = -1;
    cfg.idle_block_ms = 100;
    cfg.claim_idle_ms = 100;
    cfg.max_deliveries = 3;
    cfg.consumer_gc_idle_ms = -1;
    cfg.grader = grader;
    cfg.context.backend = "cpu";
    exam_worker *w = NULL;
    CHECKF(exam_worker_init(&cfg, &w) == EXAM_OK, "init %s: %s", name, exam_error_message());
    return w;
}

/* The worker's read and grade steps: one batch in hand, graded, not committed. */
static void read_and_grade(exam_worker *w, wk_batch *b) {
    memset(b, 0, sizeof *b);
    w->next_claim = 0; /* reclaim idle entries on this read, whatever the clock says */
    CHECKF(wk_read_batch(w, b) == EXAM_OK, "read: %s", exam_error_message());
    CHECKF(wk_grade_batch(w, b) == EXAM_OK, "grade: %s", exam_error_message());
}

static void commit(exam_worker *w, wk_batch *b) {
    long dups = 0;
    CHECKF(wk_commit(w, b->items, b->n, &dups) == EXAM_OK, "commit: %s", exam_error_message());
}

/* Makes pending entry `entry` look idle and delivered `times` times, so the next XAUTOCLAIM of
 * any worker takes it and finds it over --max-deliveries (what a peer killed repeatedly while
 * the holder stalls produces). */
static void exhaust(const exam_queue_keys *k, const char *holder, const char *entry, int times) {
    char n[16];
    snprintf(n, sizeof n, "%d", times);
    const char *argv[] = {"XCLAIM", k->jobs, "examiner", holder,       "0",
                          entry,    "IDLE",  "1000000",  "RETRYCOUNT", n};
    freeReplyObject(cmdv(10, argv));
}

/* The result JSON of the last results-stream entry for job id `id` ("" when none). */
static const char *last_stream_result(const exam_queue_keys *k, const char *id) {
    static char buf[8192];
    buf[0] = '\0';
    const char *argv[] = {"XREVRANGE", k->results, "+", "-"};
    redisReply *rep = cmdv(4, argv);
    for (size_t i = 0; rep && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        const redisReply *f = rep->element[i]->element[1];
        const char *rid = NULL, *res = NULL;
        for (size_t j = 0; j + 1 < f->elements; j += 2) {
            if (!strcmp(f->element[j]->str, "id")) rid = f->element[j + 1]->str;
            if (!strcmp(f->element[j]->str, "result")) res = f->element[j + 1]->str;
        }
        if (rid && res && !strcmp(rid, id)) {
            snprintf(buf, sizeof buf, "%s", res);
            break;
        }
    }
    freeReplyObject(rep);
    return buf;
}

static long long pending(const exam_queue_keys *k) {
    const char *argv[] = {"XPENDING", k->jobs, "examiner"};
    redisReply *rep = cmdv(3, argv);
    long long v =
        rep && rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1 ? rep->element[0]->integer : -1;
    freeReplyObject(rep);
    return v;
}

/* Checks the cohort's aggregates, its result hash and what `examiner status` and `examiner
 * results --cohort` (their library calls) report for it. */
static void check_cohort(const exam_queue_keys *k, const char *cohort, long long done,
                         long long failed, double score_sum) {
    char *ck = exam_queue_key_for(k, "cohort", cohort);
    long long d = atoll(hget(ck, "done")), f = atoll(hget(ck, "failed"));
    double sum = atof(hget(ck, "score_sum"));
    CHECKF(d == done && f == failed, "cohort %s: done %lld failed %lld, want %lld and %lld", cohort,
           d, f, done, failed);
    CHECKF(sum > score_sum - 1e-6 && sum < score_sum + 1e-6, "cohort %s: score_sum %g, want %g",
           cohort, sum, score_sum);
    free(ck);
    json_t *info = NULL;
    CHECK(exam_queue_info(rc, k, &info) == EXAM_OK);
    json_t *c = NULL, *v;
    size_t i;
    json_array_foreach(json_object_get(info, "cohorts"), i, v) {
        const char *name = json_string_value(json_object_get(v, "cohort"));
        if (name && !strcmp(name, cohort)) c = v;
    }
    CHECKF(c && json_integer_value(json_object_get(c, "done")) == done &&
               json_integer_value(json_object_get(c, "failed")) == failed,
           "status of cohort %s agrees", cohort);
    json_decref(info);
    json_t *results = NULL;
    size_t missing = 9;
    CHECK(exam_queue_cohort_results(rc, k, cohort, &results, &missing) == EXAM_OK);
    size_t oks = 0, errors = 0;
    json_array_foreach(results, i, v) {
        oks += json_object_get(v, "score") != NULL;
        errors += json_object_get(v, "error") != NULL;
    }
    CHECKF(missing == 0 && (long long)oks == done && (long long)errors == failed,
           "results of cohort %s: %zu ok, %zu error, %zu missing", cohort, oks, errors, missing);
    json_decref(results);
}

/* Item 2 of the hardening issue, step by step. */
static void test_stalled_holder(void) {
    exam_queue_keys k;
    CHECK(exam_queue_keys_init("race", &k) == EXAM_OK);
    exam_worker *a = worker("race", "holder-a", 4), *b = worker("race", "peer-b", 4);
    if (!a || !b) {
        exam_worker_free(a);
        exam_worker_free(b);
        return;
    }
    char e1[48];
    add_job(&k, good_job("r1", "c1"), strlen(good_job("r1", "c1")), e1, sizeof e1);
    /* A reads and grades r1, then stalls (the test does not commit it yet) */
    wk_batch ba, bb;
    read_and_grade(a, &ba);
    CHECK(ba.n == 1 && ba.items[0].kind == WK_JOB && ba.items[0].ok);
    /* meanwhile peers reclaimed it and died until the count passed --max-deliveries; B is the
     * one that finds it over the limit and records the error and the dead letter */
    exhaust(&k, "holder-a", e1, 3);
    read_and_grade(b, &bb);
    CHECK(bb.n == 1 && bb.items[0].kind == WK_MAX_DELIVERIES && !bb.items[0].ok);
    commit(b, &bb);
    char *rk = exam_queue_key_for(&k, "result", "r1");
    CHECK(!strcmp(hget(rk, "status"), "error"));
    const char *xl[] = {"XLEN", k.dead};
    CHECK(int_of(2, xl) == 1);
    check_cohort(&k, "c1", 0, 1, 0.0);
    /* A resumes and commits its ok result */
    commit(a, &ba);
    CHECKF(!strcmp(hget(rk, "status"), "ok"), "hash status %s", hget(rk, "status"));
    double score = atof(hget(rk, "score"));
    CHECK(score > 0);
    const char *hx[] = {"HEXISTS", rk, "dead"};
    CHECK(int_of(3, hx) == 0);
    check_cohort(&k, "c1", 1, 0, score);
    char *ck = exam_queue_key_for(&k, "cohort", "c1");
    char bin[16];
    int kbin = (int)(score + 0.5);
    snprintf(bin, sizeof bin, "bin:%d", kbin > 10 ? 10 : kbin);
    CHECKF(atoi(hget(ck, bin)) == 1, "%s of c1 is %s", bin, hget(ck, bin));
    free(ck);
    const char *last = last_stream_result(&k, "r1");
    CHECKF(strstr(last, "\"score\"") && !strstr(last, "\"error\""),
           "the results stream's last entry for r1 is ok: %.200s", last);
    CHECKF(int_of(2, xl) == 0, "dead letters left: %lld", int_of(2, xl));
    CHECK(pending(&k) == 0);
    wk_batch_clear(&ba);
    wk_batch_clear(&bb);

    /* the reverse order: the peer reclaims past the limit, the holder's ok result commits
     * first, then the peer's max_deliveries of the same entry: the entry was graded, so nothing
     * failed and no letter is written */
    char e2[48];
    add_job(&k, good_job("r2", "c2"), strlen(good_job("r2", "c2")), e2, sizeof e2);
    read_and_grade(a, &ba);
    CHECK(ba.n == 1 && ba.items[0].ok);
    exhaust(&k, "holder-a", e2, 3);
    read_and_grade(b, &bb);
    CHECK(bb.n == 1 && bb.items[0].kind == WK_MAX_DELIVERIES);
    commit(a, &ba);
    commit(b, &bb);
    char *rk2 = exam_queue_key_for(&k, "result", "r2");
    CHECK(!strcmp(hget(rk2, "status"), "ok"));
    check_cohort(&k, "c2", 1, 0, atof(hget(rk2, "score")));
    CHECKF(int_of(2, xl) == 0, "dead letters after a redundant failure: %lld", int_of(2, xl));
    wk_batch_clear(&ba);
    wk_batch_clear(&bb);

    /* a replay of the peer's letter before the holder commits */
    char e3[48];
    add_job(&k, good_job("r3", "c3"), strlen(good_job("r3", "c3")), e3, sizeof e3);
    read_and_grade(a, &ba);
    exhaust(&k, "holder-a", e3, 3);
    read_and_grade(b, &bb);
    CHECK(bb.n == 1 && bb.items[0].kind == WK_MAX_DELIVERIES);
    commit(b, &bb);
    char *rk3 = exam_queue_key_for(&k, "result", "r3");
    char letter[64];
    snprintf(letter, sizeof letter, "%s", hget(rk3, "dead"));
    CHECKF(letter[0], "the error result names its dead letter");
    CHECK(exam_queue_dlq_replay(rc, &k, letter, NULL, 0) == EXAM_OK);
    check_cohort(&k, "c3", 0, 0, 0.0);
    commit(a, &ba); /* the stalled ok result */
    double s3 = atof(hget(rk3, "score"));
    check_cohort(&k, "c3", 1, 0, s3);
    wk_batch_clear(&ba);
    wk_batch_clear(&bb);
    read_and_grade(b, &bb); /* the replayed copy */
    CHECK(bb.n == 1 && bb.items[0].ok);
    commit(b, &bb);
    wk_batch_clear(&bb);
    check_cohort(&k, "c3", 1, 0, s3);
    CHECK(!strcmp(hget(rk3, "status"), "ok"));
    CHECK(int_of(2, xl) == 0);
    CHECK(pending(&k) == 0);

    /* a replayed letter of an error that an ok result then superseded, via the link step: the
     * same id errs and is graded in one batch */
    const char *bad = "{\"id\":\"r4\",\"cohort\":\"c4\",\"question_id\":\"no-such\","
                      "\"answer\":\"x\"}";
    add_job(&k, bad, strlen(bad), NULL, 0);
    add_job(&k, good_job("r4", "c4"), strlen(good_job("r4", "c4")), NULL, 0);
    read_and_grade(a, &ba);
    CHECK(ba.n == 2 && !ba.items[0].ok && ba.items[1].ok);
    commit(a, &ba);
    wk_batch_clear(&ba);
    char *rk4 = exam_queue_key_for(&k, "result", "r4");
    CHECK(!strcmp(hget(rk4, "status"), "ok"));
    check_cohort(&k, "c4", 1, 0, atof(hget(rk4, "score")));
    CHECKF(int_of(2, xl) == 0, "dead letter of the superseded error resolved: %lld", int_of(2, xl));

    free(rk);
    free(rk2);
    free(rk3);
    free(rk4);
    exam_worker_free(a);
    exam_worker_free(b);
}

/* Item 1: an over-long id is dead-lettered, and waiting does not hang on it. */
static void test_long_id(void) {
    exam_queue_keys k;
    CHECK(exam_queue_keys_init("longid", &k) == EXAM_OK);
    exam_worker *w = worker("longid", "w-long", 8);
    if (!w) return;
    static char job[2048], id[EXAM_JOB_ID_MAX + 2];
    memset(id, 'x', EXAM_JOB_ID_MAX + 1);
    id[EXAM_JOB_ID_MAX + 1] = '\0';
    int n = snprintf(job, sizeof job,
                     "{\"id\":\"%s\",\"cohort\":\"L\",\"question_id\":\"py-gil\",\"answer\":\"The "
                     "GIL is a mutex.\"}",
                     id);
    add_job(&k, job, (size_t)n, NULL, 0);
    add_job(&k, good_job("short", "L"), strlen(good_job("short", "L")), NULL, 0);
    /* what an older `examiner submit` recorded for the cohort */
    char *sub = exam_queue_cohort_key(&k, "L", EXAM_QK_COHORT_SUBMITTED_SUFFIX);
    const char *sadd[] = {"SADD", sub, id, "short"};
    CHECK(int_of(4, sadd) == 2);
    free(sub);
    wk_batch b;
    read_and_grade(w, &b);
    CHECK(b.n == 2);
    commit(w, &b);
    wk_batch_clear(&b);
    CHECK(pending(&k) == 0);
    const char *xr[] = {"XRANGE", k.dead, "-", "+"};
    redisReply *rep = cmdv(4, xr);
    CHECKF(rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 1, "one dead letter: %zu",
           rep ? rep->elements : 0);
    if (rep && rep->elements == 1) {
        const redisReply *f = rep->element[0]->element[1];
        const char *did = NULL, *reason = NULL, *err = NULL;
        for (size_t j = 0; j + 1 < f->elements; j += 2) {
            if (!strcmp(f->element[j]->str, "id")) did = f->element[j + 1]->str;
            if (!strcmp(f->element[j]->str, "reason")) reason = f->element[j + 1]->str;
            if (!strcmp(f->element[j]->str, "error")) err = f->element[j + 1]->str;
        }
        CHECK(did && !strcmp(did, ""));
        CHECK(reason && !strcmp(reason, "invalid"));
        CHECKF(err && strstr(err, "\"id_too_long\"") && strstr(err, "513 bytes"), "error %s",
               err ? err : "(none)");
    }
    freeReplyObject(rep);
    size_t total = 0, missing = 9;
    CHECK(exam_queue_cohort_progress(rc, &k, "L", &total, &missing) == EXAM_OK);
    CHECKF(total == 1 && missing == 0, "progress of L: %zu of %zu missing", missing, total);
    exam_worker_free(w);
}

/* Peak RSS of this process in KiB (VmHWM), after clear_refs reset it when it could. */
static long vm_kib(const char *what) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(what);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, what, n)) v = atol(line + n + 1);
    if (f) fclose(f);
    return v;
}

static int reset_peak(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return 0;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

/* Item 7 (part): oversized payloads. */
static void test_oversized(void) {
    exam_queue_keys k;
    CHECK(exam_queue_keys_init("big", &k) == EXAM_OK);
    enum { N_BIG = 8, BIG = 8 << 20 };
    exam_worker *w = worker("big", "w-big", N_BIG);
    if (!w) return;
    char *job = malloc(BIG + 1);
    if (!job) return;
    for (int i = 0; i < N_BIG; i++) {
        int n = snprintf(job, 200,
                         "{\"id\":\"big-%d\",\"cohort\":\"B\",\"question_id\":\"py-gil\","
                         "\"answer\":\"",
                         i);
        memset(job + n, 'a', BIG - (size_t)n - 2);
        memcpy(job + BIG - 2, "\"}", 2);
        add_job(&k, job, BIG, NULL, 0);
    }
    free(job);
    long rss0 = vm_kib("VmRSS:");
    int peak_ok = reset_peak();
    wk_batch b;
    read_and_grade(w, &b);
    CHECK(b.n == N_BIG);
    commit(w, &b);
    long peak = vm_kib("VmHWM:");
    wk_batch_clear(&b);
    CHECK(pending(&k) == 0);
    if (peak_ok && rss0 > 0 && peak > 0) {
        long grew = peak - rss0;
        printf("peak RSS while reading, grading and committing %d jobs of %d MiB: +%ld MiB\n",
               N_BIG, BIG >> 20, grew >> 10);
        /* the reply holds them once (64 MiB; about +95 MiB in all measured); whole copies in
         * the items and in the dead letters' commit buffer took it to about +220 MiB. Not
         * checked under AddressSanitizer, whose quarantine keeps freed memory. */
#if !defined(__SANITIZE_ADDRESS__)
        CHECKF(grew < 2L * N_BIG * (BIG >> 10), "peak grew by %ld KiB", grew);
#endif
    } else {
        printf("peak RSS not measurable here (no /proc/self/clear_refs)\n");
    }
    const char *xr[] = {"XRANGE", k.dead, "-", "+"};
    redisReply *rep = cmdv(4, xr);
    CHECK(rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == N_BIG);
    for (size_t i = 0; rep && i < rep->elements; i++) {
        const redisReply *f = rep->element[i]->element[1];
        size_t job_len = 0;
        const char *bytes = NULL, *cut = NULL;
        for (size_t j = 0; j + 1 < f->elements; j += 2) {
            if (!strcmp(f->element[j]->str, "job")) job_len = f->element[j + 1]->len;
            if (!strcmp(f->element[j]->str, "job_bytes")) bytes = f->element[j + 1]->str;
            if (!strcmp(f->element[j]->str, "job_truncated")) cut = f->element[j + 1]->str;
        }
        CHECKF(job_len > 0 && job_len <= EXAM_DEAD_JOB_PREFIX, "letter %zu keeps %zu bytes", i,
               job_len);
        CHECK(bytes && atol(bytes) == BIG);
        CHECK(cut && !strcmp(cut, "1"));
    }
    if (rep && rep->elements) {
        /* a letter without the whole job is not replayed (it would be another, broken job) */
        const char *letter = rep->element[0]->element[0]->str;
        CHECK(exam_queue_dlq_replay(rc, &k, letter, NULL, 0) == EXAM_ERR_FORMAT);
        CHECK(strstr(exam_error_message(), "first") != NULL);
    }
    freeReplyObject(rep);
    /* each has an error result with its id (the payload was parsed for it) */
    char *rk = exam_queue_key_for(&k, "result", "big-0");
    CHECK(!strcmp(hget(rk, "status"), "error"));
    free(rk);
    exam_worker_free(w);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    FILE *f = fopen(exam_test_path(exam_test_model_dir(), "config.json"), "r");
    if (!f) {
        printf("SKIP ALL: model not found in %s\n", exam_test_model_dir());
        return 0;
    }
    fclose(f);
    int rs = exam_test_redis_start(&srv, NULL);
    if (rs == 1) {
        printf("SKIP ALL: redis-server is not installed\n");
        return exam_test_finish();
    }
    CHECK(rs == 0);
    exam_test_grader tg;
    exam_test_grader_open(&tg);
    grader = tg.g;
    if (rs == 0 && grader && exam_redis_open(srv.url, NULL, &rc) == EXAM_OK) {
        test_stalled_holder();
        test_long_id();
        test_oversized();
        exam_redis_close(rc);
    }
    exam_test_grader_close(&tg);
    exam_test_redis_free(&srv);
    return exam_test_finish();
}
