/* Calibration through a real Redis: `examiner worker` keeps the demo cohort's judged pairs and
 * fits its calibration (the same statistics as an offline fit of the same results), `calibrate
 * show` reads it back, a new worker after a restart adds score_calibrated from the stored map,
 * a redelivered job does not count twice, `calibrate fit` refits on demand, `suggest --push`
 * fills the judge-requests stream, and a NaN judge score is a dead letter.
 * labels: redis e2e */
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "calib.h"
#include "calib_store.h"
#include "queue_keys.h"
#include "redis_conn.h"
#include "redis_server.h"
#include "testlib.h"

#define Q "cq"
#define COHORT "demo"

static exam_test_redis srv;
static char exe[512];
static char out_text[1 << 20], err_text[1 << 16];
static exam_queue_keys keys;

static void slurp(const char *path, char *buf, size_t size) {
    char *text = exam_test_read_file(path, NULL);
    snprintf(buf, size, "%s", text ? text : "");
    free(text);
}

/* Runs `examiner ARGS` with stdout and stderr captured; returns its exit status. */
static int run(const char *fmt, ...) {
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s >%s/out.txt 2>%s/err.txt", exe, args, srv.dir, srv.dir);
    int st = system(cmd);
    char p[600];
    snprintf(p, sizeof p, "%s/out.txt", srv.dir);
    slurp(p, out_text, sizeof out_text);
    snprintf(p, sizeof p, "%s/err.txt", srv.dir);
    slurp(p, err_text, sizeof err_text);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Starts `examiner worker` in the background (log in <dir>/worker-<tag>.log). */
static pid_t start_worker(const char *tag, const char *extra) {
    char cmd[3000];
    snprintf(cmd, sizeof cmd,
             "exec %s worker --bank data/bank --redis %s --queue " Q
             " --cache-dir %s/cache --claim-idle-ms 2000 %s 2>%s/worker-%s.log",
             exe, srv.url, srv.dir, extra, srv.dir, tag);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid, double limit_s) {
    for (double t = 0; t < limit_s; t += 0.05) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -2;
}

static long long integer(exam_redis *r, const char *c, const char *key) {
    redisReply *rep = NULL;
    if (exam_redis_command(r, &rep, "%s %s", c, key) != EXAM_OK) return -1;
    long long v = rep->type == REDIS_REPLY_INTEGER  ? rep->integer
                  : rep->type == REDIS_REPLY_STRING ? atoll(rep->str)
                                                    : -1;
    freeReplyObject(rep);
    return v;
}

static void xadd_job(exam_redis *r, const char *job) {
    redisReply *rep = NULL;
    const char *argv[] = {"XADD", keys.jobs, "*", "job", job};
    CHECK(exam_redis_argv(r, 5, argv, NULL, &rep) == EXAM_OK && rep->type == REDIS_REPLY_STRING);
    freeReplyObject(rep);
}

/* The result JSON of a job, NULL when it has none. */
static json_t *result_of(exam_redis *r, const char *id) {
    char *k = exam_queue_key_for(&keys, "result", id);
    redisReply *rep = NULL;
    json_t *o = NULL;
    if (exam_redis_command(r, &rep, "HGET %s json", k) == EXAM_OK &&
        rep->type == REDIS_REPLY_STRING)
        o = json_loads(rep->str, 0, NULL);
    freeReplyObject(rep);
    free(k);
    return o;
}

/* Polls until the cohort counts `want` finished results (done + failed). */
static int wait_results(exam_redis *r, long long want, double limit_s) {
    char *ck = exam_queue_key_for(&keys, "cohort", COHORT);
    long long got = 0;
    for (double t = 0; t < limit_s; t += 0.1) {
        redisReply *rep = NULL;
        got = 0;
        if (exam_redis_command(r, &rep, "HMGET %s done failed", ck) == EXAM_OK &&
            rep->type == REDIS_REPLY_ARRAY)
            for (size_t i = 0; i < rep->elements; i++)
                if (rep->element[i]->type == REDIS_REPLY_STRING) got += atoll(rep->element[i]->str);
        freeReplyObject(rep);
        if (got >= want) break;
        usleep(100000);
    }
    free(ck);
    return got >= want;
}

static int close_to(double a, double b) {
    return fabs(a - b) <= 1e-9 * (1 + fabs(b));
}

/* Compares a number-or-null field, or an array of numbers, of two calibration objects. */
static void same_field(const json_t *a, const json_t *b, const char *key) {
    const json_t *x = json_object_get(a, key), *y = json_object_get(b, key);
    if (json_is_array(x) && json_is_array(y)) {
        CHECKF(json_array_size(x) == json_array_size(y), "%s: sizes differ", key);
        for (size_t i = 0; i < json_array_size(x) && i < json_array_size(y); i++)
            CHECKF(close_to(json_number_value(json_array_get(x, i)),
                            json_number_value(json_array_get(y, i))),
                   "%s[%zu]", key, i);
        return;
    }
    CHECKF(json_is_null(x) == json_is_null(y), "%s: null on one side", key);
    if (json_is_number(x) || json_is_number(y))
        CHECKF(json_is_number(x) && json_is_number(y) &&
                   close_to(json_number_value(x), json_number_value(y)),
               "%s: %g vs %g", key, json_number_value(x), json_number_value(y));
}

static int by_id(const void *a, const void *b) {
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "id"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "id"));
    return strcmp(x ? x : "", y ? y : "");
}

/* The offline fit of the cohort's stored results, in id order, as the worker fits. */
static json_t *offline_fit(exam_redis *r) {
    char *ck = exam_queue_key_for(&keys, "cohort", COHORT);
    redisReply *rep = NULL;
    json_t *calib = NULL;
    if (exam_redis_command(r, &rep, "SMEMBERS %s:ids", ck) != EXAM_OK) {
        free(ck);
        return NULL;
    }
    json_t **res = calloc(rep->elements + 1, sizeof *res);
    size_t n = 0;
    for (size_t i = 0; i < rep->elements; i++)
        if ((res[n] = result_of(r, rep->element[i]->str))) n++;
    qsort(res, n, sizeof *res, by_id);
    exam_calib_accum *acc = NULL;
    exam_calib_accum_init(&acc);
    for (size_t i = 0; i < n; i++) {
        exam_status st = exam_calib_accum_add_result(acc, res[i]);
        CHECKF(st == EXAM_OK || st == EXAM_ERR_NOT_FOUND, "result %zu: %s", i,
               exam_error_message());
    }
    exam_calib_options opt;
    exam_calib_options_default(&opt);
    opt.cohort = COHORT;
    CHECK(exam_calib_fit(acc, &opt, &calib) == EXAM_OK);
    exam_calib_accum_free(acc);
    for (size_t i = 0; i < n; i++) json_decref(res[i]);
    free(res);
    freeReplyObject(rep);
    free(ck);
    return calib;
}

static const char *const stats[] = {
    "n",    "pearson", "spearman", "kendall_tau_b",  "qwk",        "mae",   "rmse",
    "bias", "ece",     "alpha",    "mae_calibrated", "pearson_ci", "qwk_ci"};

/* Loads data/cohorts/demo.jsonl; returns the number of lines, *judged those with a judge. */
static size_t load_demo(json_t **jobs, size_t cap, size_t *judged) {
    FILE *f = fopen("data/cohorts/demo.jsonl", "r");
    char line[1 << 14];
    size_t n = 0;
    *judged = 0;
    while (f && n < cap && fgets(line, sizeof line, f)) {
        json_t *o = json_loads(line, 0, NULL);
        if (!json_is_object(o)) {
            json_decref(o);
            continue;
        }
        *judged += json_object_get(o, "judge") != NULL;
        jobs[n++] = o;
    }
    if (f) fclose(f);
    return n;
}

static void submit(exam_redis *r, const json_t *job) {
    char *s = json_dumps(job, JSON_COMPACT);
    xadd_job(r, s);
    free(s);
}

int main(void) {
    const char *bd = getenv("EXAMINER_BUILD_DIR");
    snprintf(exe, sizeof exe, "%s/examiner", bd && *bd ? bd : "build");
    char cfg[700];
    snprintf(cfg, sizeof cfg, "%s/config.json", exam_test_model_dir());
    struct stat sb;
    if (stat(cfg, &sb) != 0 || stat(exe, &sb) != 0) {
        printf("SKIP ALL: needs the model (%s) and the examiner binary (%s)\n",
               exam_test_model_dir(), exe);
        return 0;
    }
    int started = exam_test_redis_start(&srv, NULL);
    if (started == 1) {
        printf("SKIP ALL: redis-server is not installed\n");
        return 0;
    }
    CHECK(started == 0);
    if (started != 0) return exam_test_finish();
    exam_queue_keys_init(Q, &keys);
    exam_redis *r = NULL;
    CHECK(exam_redis_open(srv.url, NULL, &r) == EXAM_OK);
    if (!r) return exam_test_finish();

    /* 1. the demo cohort, a second judge (human) on three answers, and two bad judge scores */
    json_t *jobs[128];
    size_t judged = 0, n = load_demo(jobs, 128, &judged);
    CHECKF(n == 70 && judged == 25, "demo cohort: %zu jobs, %zu judged", n, judged);
    for (size_t i = 0; i < n; i++) submit(r, jobs[i]);
    size_t second = 0;
    for (size_t i = 0; i < n && second < 3; i++) {
        if (!json_object_get(jobs[i], "judge")) continue;
        json_t *c = json_deep_copy(jobs[i]);
        char id[200];
        snprintf(id, sizeof id, "%s-human", json_string_value(json_object_get(c, "id")));
        json_object_set_new(c, "id", json_string(id));
        json_object_set_new(c, "judge",
                            json_pack("{s:f, s:f, s:s, s:s}", "score", (double)(second * 3 + 2),
                                      "scale_max", 10.0, "source", "human", "model", "panel-a"));
        submit(r, c);
        json_decref(c);
        second++;
    }
    xadd_job(r, "{\"id\":\"nan-literal\",\"cohort\":\"demo\",\"candidate\":\"x\","
                "\"question_id\":\"py-gil\",\"answer\":\"a\",\"judge\":{\"score\":NaN}}");
    xadd_job(r, "{\"id\":\"nan-string\",\"cohort\":\"demo\",\"candidate\":\"x\","
                "\"question_id\":\"py-gil\",\"answer\":\"a\",\"judge\":{\"score\":\"NaN\"}}");
    size_t pairs1 = judged + second;

    /* worker 1 refits after every batch that adds pairs; stopped with SIGTERM */
    pid_t w1 = start_worker("1", "--calib-min 10 --calib-every 1 --batch 16");
    CHECKF(wait_results(r, (long long)(n + second + 1), 120.0), "worker 1 finished the jobs");
    kill(w1, SIGTERM);
    CHECKF(wait_exit(w1, 30.0) == 0, "worker 1 exits 0 on SIGTERM");

    char *pk = exam_calib_store_pairs_key(&keys, COHORT);
    CHECKF(integer(r, "HLEN", pk) == (long long)pairs1, "pairs: %lld, want %zu",
           integer(r, "HLEN", pk), pairs1);
    json_t *stored = NULL;
    CHECK(exam_calib_store_load(r, &keys, COHORT, &stored) == EXAM_OK);
    CHECKF(json_integer_value(json_object_get(stored, "n")) == (json_int_t)pairs1, "stored n %lld",
           (long long)json_integer_value(json_object_get(stored, "n")));
    CHECK(json_integer_value(json_object_get(stored, "alpha_items")) == 3);
    json_t *off = offline_fit(r);
    for (size_t i = 0; off && i < sizeof stats / sizeof stats[0]; i++)
        same_field(stored, off, stats[i]);
    same_field(json_object_get(stored, "isotonic"), json_object_get(off, "isotonic"), "x");
    same_field(json_object_get(stored, "isotonic"), json_object_get(off, "isotonic"), "y");
    CHECK(json_array_size(json_object_get(stored, "disagreements")) ==
          json_array_size(json_object_get(off, "disagreements")));
    json_decref(off);

    /* the bad judge scores: an unreadable job (dead letter, no id) and an invalid one (error
     * result and dead letter) */
    json_t *bad = result_of(r, "nan-string");
    CHECKF(bad && json_object_get(bad, "error"), "nan-string has an error result");
    json_decref(bad);
    CHECK(result_of(r, "nan-literal") == NULL);
    CHECK(integer(r, "XLEN", keys.dead) == 2);
    {
        redisReply *rep = NULL;
        CHECK(exam_redis_command(r, &rep, "XRANGE %s - +", keys.dead) == EXAM_OK);
        int lit = 0, str = 0;
        for (size_t i = 0; rep && i < rep->elements; i++) {
            const redisReply *f = rep->element[i]->element[1];
            for (size_t k = 0; k + 1 < f->elements; k += 2)
                if (!strcmp(f->element[k]->str, "job")) {
                    lit += strstr(f->element[k + 1]->str, "nan-literal") != NULL;
                    str += strstr(f->element[k + 1]->str, "nan-string") != NULL;
                }
        }
        CHECK(lit == 1 && str == 1);
        freeReplyObject(rep);
    }

    /* 2. calibrate show reads it back (JSON, table, HTML page) */
    CHECK(run("calibrate show " COHORT " --redis %s --queue " Q " --json", srv.url) == 0);
    json_t *shown = json_loads(out_text, 0, NULL);
    CHECKF(shown && json_equal(shown, stored), "show --json equals the stored calibration");
    json_decref(shown);
    char page[600];
    snprintf(page, sizeof page, "%s/calib.html", srv.dir);
    CHECK(run("calibrate show " COHORT " --redis %s --queue " Q " --report %s", srv.url, page) ==
          0);
    CHECK(strstr(out_text, "Pearson") != NULL);
    static char html[1 << 18];
    slurp(page, html, sizeof html);
    CHECK(strstr(html, "<svg") != NULL);
    CHECK(run("calibrate show nobody --redis %s --queue " Q, srv.url) == 1);
    CHECKF(strstr(err_text, "no calibration yet") && strstr(err_text, "0 judged pairs"), "%s",
           err_text);

    /* it survives a Redis restart (AOF) */
    exam_test_redis_stop(&srv);
    CHECK(exam_test_redis_restart(&srv) == 0);
    exam_redis_reconnect(r);
    CHECK(run("calibrate show " COHORT " --redis %s --queue " Q " --json", srv.url) == 0);
    shown = json_loads(out_text, 0, NULL);
    CHECK(shown && json_equal(shown, stored));
    json_decref(shown);

    /* 3. a new worker (no refit: --calib-every 1000) grades new judged answers of the cohort
     * and one redelivered job; their results carry the stored map's score_calibrated */
    exam_calib_map map;
    CHECK(exam_calib_map_from_json(stored, &map) == EXAM_OK);
    size_t added = 0;
    for (size_t i = 0; i < n && added < 8; i++) {
        if (!json_object_get(jobs[i], "judge")) continue;
        json_t *c = json_deep_copy(jobs[i]);
        char id[200], cand[200];
        snprintf(id, sizeof id, "v2-%s", json_string_value(json_object_get(c, "id")));
        snprintf(cand, sizeof cand, "%s-2", json_string_value(json_object_get(c, "candidate")));
        json_object_set_new(c, "id", json_string(id));
        json_object_set_new(c, "candidate", json_string(cand));
        /* a shortened answer, so the scores differ from the first round */
        const char *ans = json_string_value(json_object_get(c, "answer"));
        json_object_set_new(c, "answer", json_stringn(ans, strlen(ans) / (2 + added % 3)));
        submit(r, c);
        json_decref(c);
        added++;
    }
    submit(r, jobs[0]); /* the same id again: a redelivery */
    pid_t w2 = start_worker("2", "--calib-min 10 --calib-every 1000 --idle-exit-s 2");
    CHECKF(wait_exit(w2, 120.0) == 0, "worker 2 exits 0 when idle");
    CHECKF(integer(r, "HLEN", pk) == (long long)(pairs1 + added), "pairs after round 2: %lld",
           integer(r, "HLEN", pk));
    size_t checked = 0;
    for (size_t i = 0; i < n; i++) {
        if (!json_object_get(jobs[i], "judge")) continue;
        char id[200];
        snprintf(id, sizeof id, "v2-%s", json_string_value(json_object_get(jobs[i], "id")));
        json_t *res = result_of(r, id);
        if (!res) continue;
        json_t *sc = json_object_get(res, "score_calibrated");
        double want = -1;
        CHECK(exam_calib_map_apply(&map, json_number_value(json_object_get(res, "score")), &want) ==
              EXAM_OK);
        CHECKF(json_is_number(sc) && fabs(json_number_value(sc) - want) < 1e-8,
               "%s: score_calibrated %g, map gives %g", id, json_number_value(sc), want);
        CHECK(json_integer_value(json_object_get(json_object_get(res, "calibration"), "n")) ==
              (json_int_t)pairs1);
        json_decref(res);
        checked++;
    }
    CHECKF(checked == added, "%zu of %zu new results checked", checked, added);
    exam_calib_map_free(&map);

    /* 4. fit on demand */
    CHECK(run("calibrate fit " COHORT " --redis %s --queue " Q, srv.url) == 0);
    CHECK(strstr(out_text, "Pearson") != NULL);
    json_t *refit = NULL;
    CHECK(exam_calib_store_load(r, &keys, COHORT, &refit) == EXAM_OK);
    CHECK(json_integer_value(json_object_get(refit, "n")) == (json_int_t)(pairs1 + added));
    json_decref(refit);

    /* 5. suggest: K distinct answers, pushed with their text */
    CHECK(run("calibrate suggest " COHORT " --n 5 --json --push --redis %s --queue " Q, srv.url) ==
          0);
    json_t *picks = json_loads(out_text, 0, NULL);
    CHECKF(json_array_size(picks) == 5, "suggest: %s", out_text);
    for (size_t i = 0; i < json_array_size(picks); i++)
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(json_string_value(json_object_get(json_array_get(picks, i), "id")),
                         json_string_value(json_object_get(json_array_get(picks, j), "id"))));
    json_decref(picks);
    CHECK(integer(r, "XLEN", keys.judge_requests) == 5);
    {
        redisReply *rep = NULL;
        CHECK(exam_redis_command(r, &rep, "XRANGE %s - + COUNT 1", keys.judge_requests) == EXAM_OK);
        int has_answer = 0;
        const redisReply *f = rep && rep->elements ? rep->element[0]->element[1] : NULL;
        for (size_t k = 0; f && k + 1 < f->elements; k += 2)
            has_answer |= !strcmp(f->element[k]->str, "answer") && f->element[k + 1]->len > 0;
        CHECK(has_answer);
        freeReplyObject(rep);
    }

    free(pk);
    json_decref(stored);
    for (size_t i = 0; i < n; i++) json_decref(jobs[i]);
    exam_redis_close(r);
    exam_test_redis_free(&srv);
    return exam_test_finish();
}
