/* The claim heartbeat does not wait for preparation: a worker whose prepare is slow (a test hook
 * sleeps after each job's prepare, as a pathological answer once did) with a short claim-idle and
 * --max-deliveries 2 keeps the claim on every job it holds, so a second consumer that reclaims
 * idle entries as a worker does (XAUTOCLAIM, every 250 ms) never gets one, and every job is
 * graded exactly once with no dead letter. (The second consumer is the test itself, not a
 * second grader, to keep the test cheap.)
 * labels: redis */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "queue_keys.h"
#include "redis_conn.h"
#include "redis_server.h"
#include "testlib.h"
#include "worker.h"

#define N_JOBS 24
#define PREPARE_DELAY_MS 300 /* x 8 jobs a batch: far past claim-idle */
#define CLAIM_IDLE_MS 1000

static exam_queue_keys keys;

static void slow_prepare(void *arg, const exam_grade_job *job) {
    (void)arg;
    (void)job;
    struct timespec ts = {0, PREPARE_DELAY_MS * 1000000L};
    nanosleep(&ts, NULL);
}

static long long int_of(exam_redis *r, int argc, const char **argv) {
    redisReply *rep = NULL;
    if (exam_redis_argv(r, argc, argv, NULL, &rep) != EXAM_OK) return -1;
    long long v = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
    freeReplyObject(rep);
    return v;
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

static int results_present(exam_redis *r) {
    int n = 0;
    for (int i = 0; i < N_JOBS; i++) {
        char id[32];
        snprintf(id, sizeof id, "hb-%d", i);
        char *k = exam_queue_key_for(&keys, "result", id);
        const char *ex[] = {"EXISTS", k};
        n += int_of(r, 2, ex) == 1;
        free(k);
    }
    return n;
}

/* XAUTOCLAIM as another worker's reader does it; returns the entries it took (and so would
 * have graded a second time). */
static long steal(exam_redis *r) {
    char idle[16];
    snprintf(idle, sizeof idle, "%d", CLAIM_IDLE_MS);
    const char *argv[] = {"XAUTOCLAIM", keys.jobs, "examiner", "thief",
                          idle,         "0-0",     "COUNT",    "100"};
    redisReply *rep = NULL;
    if (exam_redis_argv(r, 8, argv, NULL, &rep) != EXAM_OK) return 0;
    long n = 0;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2 &&
        rep->element[1]->type == REDIS_REPLY_ARRAY)
        n = (long)rep->element[1]->elements;
    freeReplyObject(rep);
    return n;
}

static void run(exam_test_redis *srv, exam_grader *g) {
    CHECK(exam_queue_keys_init("hb", &keys) == EXAM_OK);
    exam_redis *r = NULL;
    CHECK(exam_redis_open(srv->url, NULL, &r) == EXAM_OK);
    if (!r) return;
    exam_worker_config cfg = {0};
    cfg.redis_url = srv->url;
    cfg.queue = "hb";
    cfg.batch = 8;
    cfg.wait_ms = 50;
    cfg.claim_idle_ms = CLAIM_IDLE_MS;
    cfg.idle_block_ms = 200;
    cfg.max_deliveries = 2;
    cfg.context.backend = "cpu";
    cfg.after_prepare = slow_prepare;
    cfg.grader = g;
    exam_worker *w = NULL;
    exam_status st = exam_worker_init(&cfg, &w);
    CHECKF(st == EXAM_OK, "init: %s", exam_error_message());
    if (!w) {
        exam_redis_close(r);
        return;
    }
    for (int i = 0; i < N_JOBS; i++) {
        char job[512];
        snprintf(job, sizeof job,
                 "{\"id\":\"hb-%d\",\"cohort\":\"hb\",\"question_id\":\"py-gil\",\"answer\":\"The "
                 "GIL is a mutex so only one thread runs Python bytecode at a time (%d).\"}",
                 i, i);
        const char *add[] = {"XADD", keys.jobs, "*", "job", job};
        redisReply *rep = NULL;
        CHECK(exam_redis_argv(r, 5, add, NULL, &rep) == EXAM_OK);
        freeReplyObject(rep);
    }
    run_arg ra = {w, 0, EXAM_OK};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, run_thread, &ra) == 0);
    double t0 = exam_test_now();
    int have = 0;
    long stolen = 0;
    while (exam_test_now() - t0 < 90.0 && (have = results_present(r)) < N_JOBS) {
        stolen += steal(r);
        usleep(250000);
    }
    CHECKF(have == N_JOBS, "%d of %d jobs have a result", have, N_JOBS);
    CHECKF(stolen == 0, "another consumer reclaimed %ld entries the worker was preparing", stolen);
    ra.stop = 1;
    pthread_join(th, NULL);
    CHECKF(ra.st == EXAM_OK, "worker ended with %s", exam_status_name(ra.st));
    exam_worker_metrics *m = exam_worker_metrics_of(w);
    CHECKF(exam_wm_get(m, EXAM_WM_DUPLICATES) == 0, "%.0f jobs were graded twice",
           exam_wm_get(m, EXAM_WM_DUPLICATES));
    CHECKF(exam_wm_get(m, EXAM_WM_DEAD_MAX_DELIVERIES) == 0, "%.0f max_deliveries dead letters",
           exam_wm_get(m, EXAM_WM_DEAD_MAX_DELIVERIES));
    CHECKF(exam_wm_get(m, EXAM_WM_JOBS_DONE) == N_JOBS, "%.0f gradings for %d jobs",
           exam_wm_get(m, EXAM_WM_JOBS_DONE), N_JOBS);
    const char *xl[] = {"XLEN", keys.dead};
    long long dead = int_of(r, 2, xl);
    CHECKF(dead == 0, "dead letters: %lld", dead);
    const char *pend[] = {"XPENDING", keys.jobs, "examiner"};
    redisReply *rep = NULL;
    CHECK(exam_redis_argv(r, 3, pend, NULL, &rep) == EXAM_OK);
    CHECKF(rep && rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1 &&
               rep->element[0]->type == REDIS_REPLY_INTEGER && rep->element[0]->integer == 0,
           "entries still pending after the run");
    freeReplyObject(rep);
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
    if (rc == 0 && tg.g) run(&srv, tg.g);
    exam_test_grader_close(&tg);
    exam_test_redis_free(&srv);
    return exam_test_finish();
}
