/* User-chosen names in Redis keys (docs/queue.md, key layout v2), with the worker in process
 * and the verbs as a user runs them, on a real redis-server: cohort names that look like key
 * suffixes (`k:ids`, `j:ids` next to `j`), names with spaces, '%', braces and 600 bytes all get
 * their aggregates, status, results and calibration; a job id already graded in another cohort
 * is refused by submit and dead-lettered by the worker (code id_conflict) without touching the
 * first result; a queue written in the old layout is refused until `examiner migrate-keys`
 * moves its keys.
 * labels: redis */
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "queue_keys.h"
#include "redis_conn.h"
#include "redis_server.h"
#include "testlib.h"
#include "worker.h"

static exam_test_redis srv;
static char exe[512];
static char out_text[1 << 20], err_text[1 << 16];
static exam_grader *grader;

static void slurp(const char *path, char *buf, size_t size) {
    char *text = exam_test_read_file(path, NULL);
    snprintf(buf, size, "%s", text ? text : "");
    free(text);
}

/* Runs `examiner ARGS` (a shell fragment) with stdout and stderr captured; returns the exit
 * status. */
static int run(const char *fmt, ...) {
    char args[4096], cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s >%s/out.txt 2>%s/err.txt", exe, args, srv.dir, srv.dir);
    int st = system(cmd);
    slurp(exam_test_path(srv.dir, "out.txt"), out_text, sizeof out_text);
    slurp(exam_test_path(srv.dir, "err.txt"), err_text, sizeof err_text);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static redisReply *cmd(exam_redis *r, int argc, const char **argv) {
    redisReply *rep = NULL;
    if (exam_redis_argv(r, argc, argv, NULL, &rep) != EXAM_OK) return NULL;
    return rep;
}

/* Runs a command that must succeed (C-string arguments, NULL-terminated). */
static void must(exam_redis *r, const char *first, ...) {
    const char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 16; a = va_arg(ap, const char *)) argv[argc++] = a;
    va_end(ap);
    redisReply *rep = cmd(r, argc, argv);
    CHECKF(rep && rep->type != REDIS_REPLY_ERROR, "%s %s: %s", first, argc > 1 ? argv[1] : "",
           rep && rep->type == REDIS_REPLY_ERROR ? rep->str : exam_error_message());
    freeReplyObject(rep);
}

/* HGET key field as a string in a static buffer ("" for nil). */
static const char *hget(exam_redis *r, const char *key, const char *field) {
    static char buf[8192];
    const char *argv[] = {"HGET", key, field};
    redisReply *rep = cmd(r, 3, argv);
    snprintf(buf, sizeof buf, "%s", rep && rep->type == REDIS_REPLY_STRING ? rep->str : "");
    freeReplyObject(rep);
    return buf;
}

static long long xlen(exam_redis *r, const char *key) {
    const char *argv[] = {"XLEN", key};
    redisReply *rep = cmd(r, 2, argv);
    long long n = rep && rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
    freeReplyObject(rep);
    return n;
}

static const char *write_file(const char *name, const char *text) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", srv.dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

/* One job line (JSON-escaped by jansson); judge < 0 means no judge block. */
static void job_line(char **text, const char *id, const char *cohort, double judge) {
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "cohort", cohort, "candidate", id,
                          "question_id", "py-gil", "answer",
                          "The GIL is a mutex so only one thread runs Python bytecode at a time.");
    if (judge >= 0) json_object_set_new(o, "judge", json_pack("{s:f}", "score", judge));
    char *line = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    size_t old = *text ? strlen(*text) : 0, add = strlen(line);
    char *t = realloc(*text, old + add + 2);
    if (t) {
        memcpy(t + old, line, add);
        t[old + add] = '\n';
        t[old + add + 1] = '\0';
        *text = t;
    }
    free(line);
}

/* Runs the worker in process until it has been idle for a second. */
static void drain(const char *queue) {
    exam_worker_config cfg = {0};
    cfg.redis_url = srv.url;
    cfg.queue = queue;
    cfg.batch = 16;
    cfg.idle_block_ms = 200;
    cfg.idle_exit_s = 1.0;
    cfg.calib_min = 2;
    cfg.calib_every = 1;
    cfg.grader = grader;
    cfg.context.backend = "cpu";
    exam_worker *w = NULL;
    exam_status st = exam_worker_init(&cfg, &w);
    CHECKF(st == EXAM_OK, "worker init on %s: %s", queue, exam_error_message());
    if (!w) return;
    volatile sig_atomic_t stop = 0;
    st = exam_worker_run(w, &stop);
    CHECKF(st == EXAM_OK, "worker run: %s", exam_error_message());
    exam_worker_free(w);
}

/* The status snapshot's entry for `cohort`, or NULL; *info receives the whole object. */
static json_t *status_cohort(const char *queue, const char *cohort, json_t **info) {
    *info = NULL;
    int rc = run("status --json --redis %s --queue %s", srv.url, queue);
    CHECKF(rc == 0, "status: rc %d, stderr %s", rc, err_text);
    if (rc != 0) return NULL;
    *info = json_loads(out_text, 0, NULL);
    json_t *list = json_object_get(*info, "cohorts");
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        if (!strcmp(json_string_value(json_object_get(c, "cohort")), cohort)) return c;
    }
    return NULL;
}

static long long done_of(const char *queue, const char *cohort) {
    json_t *info;
    json_t *c = status_cohort(queue, cohort, &info);
    long long d = c ? (long long)json_integer_value(json_object_get(c, "done")) : -1;
    json_decref(info);
    return d;
}

/* Counts the lines `examiner results --cohort 'C'` prints (C must not hold a quote). */
static int results_count(const char *queue, const char *cohort) {
    int rc = run("results --redis %s --queue %s --cohort '%s'", srv.url, queue, cohort);
    CHECKF(rc == 0, "results --cohort '%.40s': rc %d, stderr %s", cohort, rc, err_text);
    if (rc != 0) return -1;
    int n = 0;
    for (const char *p = out_text; *p; p++) n += *p == '\n';
    return n;
}

static void test_suffix_names(void) {
    char *text = NULL;
    job_line(&text, "k-1", "k", -1);
    job_line(&text, "kx-1", "k:ids", 4);
    job_line(&text, "kx-2", "k:ids", 6);
    job_line(&text, "kx-3", "k:ids", 8);
    int rc = run("submit %s --redis %s --queue nm", write_file("k.jsonl", text), srv.url);
    CHECKF(rc == 0, "submit: rc %d, %s", rc, err_text);
    free(text);
    text = NULL;
    /* `j:ids` is submitted before `j`: its key would be j's id set */
    job_line(&text, "ji-1", "j:ids", -1);
    rc = run("submit %s --redis %s --queue nm", write_file("ji.jsonl", text), srv.url);
    CHECKF(rc == 0, "submit: rc %d, %s", rc, err_text);
    free(text);
    text = NULL;
    job_line(&text, "j-1", "j", -1);
    job_line(&text, "j-2", "j", -1);
    job_line(&text, "sp-1", "team a%20{x}", -1);
    job_line(&text, "sp-2", "team a {x}", -1);
    rc = run("submit %s --redis %s --queue nm", write_file("j.jsonl", text), srv.url);
    CHECKF(rc == 0, "submit: rc %d, %s", rc, err_text);
    free(text);
    drain("nm");

    json_t *info;
    status_cohort("nm", "k", &info);
    json_decref(info);
    CHECK(done_of("nm", "k") == 1);
    CHECK(done_of("nm", "k:ids") == 3);
    CHECK(done_of("nm", "j") == 2);
    CHECK(done_of("nm", "j:ids") == 1);
    CHECK(done_of("nm", "team a%20{x}") == 1);
    CHECK(done_of("nm", "team a {x}") == 1);
    CHECK(results_count("nm", "j") == 2);
    CHECK(results_count("nm", "j:ids") == 1);
    CHECK(results_count("nm", "k") == 1);
    CHECK(results_count("nm", "k:ids") == 3);
    CHECK(results_count("nm", "team a%20{x}") == 1);
    CHECKF(strstr(out_text, "\"sp-1\"") != NULL, "%s", out_text);
    CHECK(results_count("nm", "team a {x}") == 1);
    CHECKF(strstr(out_text, "\"sp-2\"") != NULL, "%s", out_text);
    /* the worker fitted k:ids (3 judged answers, --calib-min 2): the calibrate verbs find it */
    rc = run("calibrate show 'k:ids' --json --redis %s --queue nm", srv.url);
    CHECKF(rc == 0 && strstr(out_text, "\"k:ids\""), "calibrate show: rc %d, %s%s", rc, err_text,
           out_text);
    rc = run("calibrate fit 'k:ids' --redis %s --queue nm", srv.url);
    CHECKF(rc == 0, "calibrate fit: rc %d, %s", rc, err_text);
    rc = run("calibrate suggest 'k:ids' --redis %s --queue nm", srv.url);
    CHECKF(rc == 0, "calibrate suggest: rc %d, %s", rc, err_text);
}

static void test_long_name(exam_redis *r) {
    char name[601];
    for (int i = 0; i < 600; i++) name[i] = (char)('a' + i % 26);
    name[600] = '\0';
    name[10] = ' ';
    name[300] = ':';
    char *text = NULL;
    job_line(&text, "long-1", name, 5);
    job_line(&text, "long-2", name, 7);
    int rc = run("submit %s --redis %s --queue nm", write_file("long.jsonl", text), srv.url);
    CHECKF(rc == 0, "submit: rc %d, %s", rc, err_text);
    free(text);
    drain("nm");
    CHECK(done_of("nm", name) == 2);
    CHECK(results_count("nm", name) == 2);
    exam_queue_keys k;
    CHECK(exam_queue_keys_init("nm", &k) == EXAM_OK);
    char *ck = exam_queue_key_for(&k, "cohort", name);
    CHECKF(ck && strlen(ck) < 200 && strchr(ck, '#'), "key %.80s...", ck ? ck : "");
    CHECK(ck && !strcmp(hget(r, ck, "name"), name));
    free(ck);
    /* an id over EXAM_JOB_ID_MAX bytes is refused by submit, not dropped later */
    char *big = malloc(5001);
    memset(big, 'i', 5000);
    big[5000] = '\0';
    text = NULL;
    job_line(&text, big, "c", -1);
    rc = run("submit %s --redis %s --queue nm", write_file("big.jsonl", text), srv.url);
    CHECKF(rc == 3 && strstr(err_text,
                             "big.jsonl:1: not a job: job id has 5000 bytes, more than the limit"),
           "submit of a 5000-byte id: rc %d, %s", rc, err_text);
    free(text);
    free(big);
    rc = run("calibrate show '%s' --redis %s --queue nm", name, srv.url);
    CHECKF(rc == 0, "calibrate show of a 600-byte name: rc %d, %s", rc, err_text);
}

static void test_id_conflict(exam_redis *r, const exam_queue_keys *k) {
    char *text = NULL;
    job_line(&text, "dup-1", "A", -1);
    int rc = run("submit %s --redis %s --queue nm", write_file("a.jsonl", text), srv.url);
    CHECKF(rc == 0, "submit: rc %d, %s", rc, err_text);
    free(text);
    drain("nm");
    char *rk = exam_queue_key_for(k, "result", "dup-1");
    char first[8192];
    snprintf(first, sizeof first, "%s", hget(r, rk, "json"));
    CHECK(strstr(first, "\"cohort\":\"A\"") != NULL);
    /* submit sees the id's result in cohort A and refuses the line */
    text = NULL;
    job_line(&text, "dup-1", "B", -1);
    const char *b = write_file("b.jsonl", text);
    free(text);
    rc = run("submit %s --redis %s --queue nm", b, srv.url);
    CHECKF(rc == 3 && strstr(err_text, "b.jsonl:1:") && strstr(err_text, "cohort 'A'"),
           "submit of an id graded in another cohort: rc %d, %s", rc, err_text);
    /* sent anyway (--raw), and two copies of a new id in two cohorts in one batch */
    text = NULL;
    job_line(&text, "dup-1", "B", -1);
    job_line(&text, "dup-2", "C", -1);
    job_line(&text, "dup-2", "D", -1);
    long long dead0 = xlen(r, k->dead);
    rc = run("submit %s --raw --redis %s --queue nm", write_file("raw.jsonl", text), srv.url);
    CHECKF(rc == 0, "submit --raw: rc %d, %s", rc, err_text);
    free(text);
    drain("nm");
    CHECKF(!strcmp(hget(r, rk, "json"), first), "first result overwritten: %s",
           hget(r, rk, "json"));
    CHECK(!strcmp(hget(r, rk, "cohort"), "A"));
    CHECK(!strcmp(hget(r, rk, "status"), "ok"));
    char *rk2 = exam_queue_key_for(k, "result", "dup-2");
    CHECK(!strcmp(hget(r, rk2, "cohort"), "C"));
    CHECK(done_of("nm", "A") == 1);
    CHECK(done_of("nm", "C") == 1);
    CHECK(done_of("nm", "D") <= 0);
    CHECK(done_of("nm", "B") <= 0);
    CHECKF(xlen(r, k->dead) == dead0 + 2, "dead letters %lld, want %lld", xlen(r, k->dead),
           dead0 + 2);
    int rc2 = run("dlq list --json --redis %s --queue nm", srv.url);
    CHECKF(rc2 == 0 && strstr(out_text, "id_conflict"), "dlq list: %s%s", out_text, err_text);
    /* the first copy failed (unknown question): its error result is cohort E's; a copy in F is
     * an id_conflict letter, and replaying that letter must not undo E's result */
    text = NULL;
    json_t *bad = json_pack("{s:s, s:s, s:s, s:s}", "id", "dup-3", "cohort", "E", "question_id",
                            "no-such-question", "answer", "x");
    char *bl = json_dumps(bad, JSON_COMPACT);
    json_decref(bad);
    rc = run("submit %s --raw --redis %s --queue nm", write_file("e.jsonl", bl), srv.url);
    free(bl);
    CHECKF(rc == 0, "submit: rc %d, %s", rc, err_text);
    drain("nm");
    char *rk3 = exam_queue_key_for(k, "result", "dup-3");
    CHECK(!strcmp(hget(r, rk3, "status"), "error") && !strcmp(hget(r, rk3, "cohort"), "E"));
    job_line(&text, "dup-3", "F", -1);
    rc = run("submit %s --raw --redis %s --queue nm", write_file("f.jsonl", text), srv.url);
    free(text);
    drain("nm");
    /* the newest dead letter is F's id_conflict */
    const char *last[] = {"XREVRANGE", k->dead, "+", "-", "COUNT", "1"};
    redisReply *lr = cmd(r, 6, last);
    char letter[64] = "";
    if (lr && lr->type == REDIS_REPLY_ARRAY && lr->elements == 1)
        snprintf(letter, sizeof letter, "%s", lr->element[0]->element[0]->str);
    freeReplyObject(lr);
    rc = run("dlq replay --id %s --redis %s --queue nm", letter, srv.url);
    CHECKF(rc == 0, "dlq replay %s: rc %d, %s", letter, rc, err_text);
    drain("nm");
    CHECKF(!strcmp(hget(r, rk3, "cohort"), "E") && !strcmp(hget(r, rk3, "status"), "error"),
           "E's result after the replay: cohort %s", hget(r, rk3, "cohort"));
    json_t *info;
    json_t *e = status_cohort("nm", "E", &info);
    CHECKF(e && json_integer_value(json_object_get(e, "failed")) == 1, "E failed count");
    json_decref(info);
    CHECK(done_of("nm", "F") <= 0);
    free(rk3);
    free(rk);
    free(rk2);
}

/* A queue as an older examiner left it: names used in keys as they are, no meta hash. */
static void test_old_layout(exam_redis *r) {
    must(r, "SADD", "examiner:{old}:cohorts", "team a", "plain", NULL);
    must(r, "HSET", "examiner:{old}:cohort:team a", "done", "1", "failed", "0", "score_sum", "5",
         NULL);
    must(r, "SADD", "examiner:{old}:cohort:team a:ids", "t1", NULL);
    must(r, "SADD", "examiner:{old}:cohort:team a:submitted", "t1", NULL);
    must(r, "HSET", "examiner:{old}:result:t1", "json",
         "{\"id\":\"t1\",\"cohort\":\"team a\",\"score\":5}", "status", "ok", "cohort", "team a",
         NULL);
    must(r, "HSET", "examiner:{old}:cohort:plain", "done", "1", NULL);
    must(r, "SADD", "examiner:{old}:cohort:plain:ids", "x:1", NULL);
    must(r, "HSET", "examiner:{old}:result:x:1", "json",
         "{\"id\":\"x:1\",\"cohort\":\"plain\",\"score\":3}", "status", "ok", "cohort", "plain",
         NULL);
    must(r, "SET", "examiner:{old}:calib:team a", "{\"cohort\":\"team a\"}", NULL);
    must(r, "SADD", "examiner:{old}:cohorts", "a:b", "a%3Ab", NULL);
    must(r, "HSET", "examiner:{old}:cohort:a:b", "done", "2", NULL);
    must(r, "HSET", "examiner:{old}:cohort:a%3Ab", "done", "3", NULL);
    must(r, "XADD", "examiner:{old}:results", "*", "id", "t1", "result", "{}", NULL);
    int rc = run("status --redis %s --queue old", srv.url);
    CHECKF(rc == 1 && strstr(err_text, "migrate-keys"), "status on the old layout: rc %d, %s", rc,
           err_text);
    exam_worker_config cfg = {0};
    cfg.redis_url = srv.url;
    cfg.queue = "old";
    cfg.grader = grader;
    exam_worker *w = NULL;
    exam_status st = exam_worker_init(&cfg, &w);
    CHECKF(st != EXAM_OK && strstr(exam_error_message(), "migrate-keys"),
           "worker on the old layout: %s", exam_error_message());
    exam_worker_free(w);
    rc = run("migrate-keys --redis %s --queue old", srv.url);
    CHECKF(rc == 0, "migrate-keys: rc %d, %s%s", rc, err_text, out_text);
    CHECK(!strcmp(hget(r, "examiner:{old}:meta", "keys_version"), "2"));
    CHECK(done_of("old", "team a") == 1);
    CHECK(done_of("old", "plain") == 1);
    CHECK(done_of("old", "a:b") == 2);
    CHECK(done_of("old", "a%3Ab") == 3);
    CHECK(!strcmp(hget(r, "examiner:{old}:cohort:a%3Ab", "name"), "a:b"));
    CHECK(results_count("old", "team a") == 1);
    CHECK(results_count("old", "plain") == 1);
    CHECKF(strstr(out_text, "\"x:1\""), "%s", out_text);
    exam_queue_keys k;
    CHECK(exam_queue_keys_init("old", &k) == EXAM_OK);
    char *ck = exam_queue_key_for(&k, "calib", "team a");
    CHECK(strstr(hget(r, "examiner:{old}:meta", "keys_version"), "2") != NULL);
    const char *get[] = {"GET", ck};
    redisReply *rep = cmd(r, 2, get);
    CHECK(rep && rep->type == REDIS_REPLY_STRING);
    freeReplyObject(rep);
    free(ck);
    /* running it again finds nothing to move */
    rc = run("migrate-keys --redis %s --queue old", srv.url);
    CHECKF(rc == 0, "migrate-keys again: rc %d, %s", rc, err_text);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const char *bd = getenv("EXAMINER_BUILD_DIR");
    snprintf(exe, sizeof exe, "%s/examiner", bd && *bd ? bd : "build");
    if (access(exe, X_OK) != 0) {
        printf("SKIP ALL: %s not built\n", exe);
        return 0;
    }
    FILE *f = fopen(exam_test_path(exam_test_model_dir(), "config.json"), "r");
    if (!f) {
        printf("SKIP ALL: model not found in %s\n", exam_test_model_dir());
        return 0;
    }
    fclose(f);
    int rc = exam_test_redis_start(&srv, NULL);
    if (rc == 1) {
        printf("SKIP ALL: redis-server is not installed\n");
        return 0;
    }
    CHECK(rc == 0);
    if (rc != 0) return exam_test_finish();
    exam_test_grader tg;
    exam_test_grader_open(&tg);
    grader = tg.g;
    exam_redis *r = NULL;
    CHECK(exam_redis_open(srv.url, NULL, &r) == EXAM_OK);
    exam_queue_keys k;
    CHECK(exam_queue_keys_init("nm", &k) == EXAM_OK);
    if (r && grader) {
        test_suffix_names();
        test_long_name(r);
        test_id_conflict(r, &k);
        test_old_layout(r);
    }
    exam_redis_close(r);
    exam_test_grader_close(&tg);
    exam_test_redis_free(&srv);
    return exam_test_finish();
}
