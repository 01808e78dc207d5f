/* The queue's operations verbs (`examiner submit`, `results`, `status`, `dlq`) against a real
 * redis-server: validation with line numbers, backlog capping that trims only acknowledged
 * entries, constant-rate pacing, cohort results and waiting for them, the status snapshot, and
 * dead-letter replay that undoes the error result and its `failed` count. The worker's writes
 * are simulated here from docs/queue.md.
 * labels: redis */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grade.h"
#include "queue_keys.h"
#include "queue_trim.h"
#include "redis_conn.h"
#include "redis_server.h"
#include "testlib.h"

static exam_test_redis srv;
static char exe[512];
static char out_text[1 << 20], err_text[1 << 16];

static void slurp(const char *path, char *buf, size_t size) {
    char *text = exam_test_read_file(path, NULL);
    snprintf(buf, size, "%s", text ? text : "");
    free(text);
}

/* Runs `examiner ARGS` (a shell fragment) with stdout and stderr captured; returns the exit
 * status. */
static int run(const char *fmt, ...) {
    char args[2048], cmd[4096];
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

/* Runs one command given as C-string arguments (NULL-terminated) and checks the server
 * accepted it; returns the reply (caller frees) or NULL. */
static redisReply *must(exam_redis *r, const char *first, ...) {
    const char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 32; a = va_arg(ap, const char *)) argv[argc++] = a;
    va_end(ap);
    redisReply *rep = NULL;
    exam_status st = exam_redis_argv(r, argc, argv, NULL, &rep);
    CHECKF(st == EXAM_OK && rep && rep->type != REDIS_REPLY_ERROR, "%s: %s", first,
           rep && rep->type == REDIS_REPLY_ERROR ? rep->str : exam_error_message());
    return rep;
}

static void must0(exam_redis *r, const char *first, ...) {
    const char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 32; a = va_arg(ap, const char *)) argv[argc++] = a;
    va_end(ap);
    redisReply *rep = NULL;
    exam_status st = exam_redis_argv(r, argc, argv, NULL, &rep);
    CHECKF(st == EXAM_OK && rep && rep->type != REDIS_REPLY_ERROR, "%s: %s", first,
           rep && rep->type == REDIS_REPLY_ERROR ? rep->str : exam_error_message());
    freeReplyObject(rep);
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

static const char jobs_text[] =
    "{\"id\":\"a1\",\"cohort\":\"A\",\"candidate\":\"zoe\",\"question_id\":\"q2\",\"answer\":\"x\"}"
    "\n"
    "{\"id\":\"a2\",\"cohort\":\"A\",\"candidate\":\"bob\",\"question_id\":\"q1\",\"answer\":\"y\"}"
    "\n"
    "{\"id\":\"a3\",\"cohort\":\"A\",\"candidate\":\"bob\",\"question_id\":\"q0\",\"answer\":\"z\"}"
    "\n"
    "{not json\n"
    "\n"
    "{\"id\":\"b1\",\"cohort\":\"B\",\"candidate\":\"ann\",\"question_id\":\"q1\"}\n"
    "{\"id\":\"a2\",\"cohort\":\"A\",\"candidate\":\"dup\",\"question_id\":\"q1\",\"answer\":\"w\"}"
    "\n"
    "[1,2]\n"
    "{\"id\":\"b2\",\"cohort\":\"B\",\"candidate\":\"ann\",\"question_id\":\"q2\",\"answer\":\"v\"}"
    "\n";

static void test_submit(exam_redis *r) {
    const char *jobs = write_file("jobs.jsonl", jobs_text);
    int rc = run("submit %s --redis %s --queue t1", jobs, srv.url);
    CHECKF(rc == 3, "submit with bad lines: rc %d, stderr %s", rc, err_text);
    CHECKF(strstr(err_text, "jobs.jsonl:4: not valid JSON") != NULL, "stderr: %s", err_text);
    CHECKF(strstr(err_text, "jobs.jsonl:6: not a job") != NULL, "stderr: %s", err_text);
    CHECKF(strstr(err_text, "jobs.jsonl:7: job id 'a2' was already used on line 2") != NULL,
           "stderr: %s", err_text);
    CHECKF(strstr(err_text, "jobs.jsonl:8:") != NULL, "stderr: %s", err_text);
    CHECK(strstr(err_text, ":5:") == NULL); /* a blank line is not an error */
    CHECKF(strstr(out_text, "added 4 jobs") && strstr(out_text, "4 lines rejected"), "out: %s",
           out_text);
    CHECK(integer(r, "XLEN", "examiner:{t1}:jobs") == 4);
    CHECK(integer(r, "SCARD", "examiner:{t1}:cohort:A:submitted") == 3);
    CHECK(integer(r, "SCARD", "examiner:{t1}:cohort:B:submitted") == 1);
    CHECK(integer(r, "SCARD", "examiner:{t1}:cohorts") == 2);
    /* the group exists from the stream's start, so a first worker reads all four */
    redisReply *rep = NULL;
    CHECK(exam_redis_command(r, &rep, "XREADGROUP GROUP examiner w1 COUNT 10 STREAMS %s >",
                             "examiner:{t1}:jobs") == EXAM_OK);
    CHECK(rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
          rep->element[0]->element[1]->elements == 4);
    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 1) {
        /* the entry holds the line verbatim in field `job` */
        const redisReply *e = rep->element[0]->element[1]->element[0];
        CHECK(!strcmp(e->element[1]->element[0]->str, "job"));
        CHECK(!strncmp(e->element[1]->element[1]->str, "{\"id\":\"a1\"", 10));
    }
    freeReplyObject(rep);
    /* the first/last ids printed are the stream's */
    CHECK(exam_redis_command(r, &rep, "XREVRANGE %s + - COUNT 1", "examiner:{t1}:jobs") == EXAM_OK);
    CHECK(rep && rep->elements == 1 && strstr(out_text, rep->element[0]->element[0]->str));
    freeReplyObject(rep);

    /* an id over EXAM_JOB_ID_MAX is refused with its line; the other lines go in */
    static char long_text[2048];
    char long_id[EXAM_JOB_ID_MAX + 2];
    memset(long_id, 'k', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    snprintf(long_text, sizeof long_text,
             "{\"id\":\"%s\",\"cohort\":\"L\",\"question_id\":\"q1\",\"answer\":\"x\"}\n"
             "{\"id\":\"fine\",\"cohort\":\"L\",\"question_id\":\"q1\",\"answer\":\"x\"}\n",
             long_id);
    rc = run("submit %s --redis %s --queue tl", write_file("long.jsonl", long_text), srv.url);
    CHECKF(rc == 3 && strstr(err_text, "long.jsonl:1: not a job: job id has 513 bytes, more than "
                                       "the limit of 512"),
           "long id: rc %d err %s", rc, err_text);
    CHECKF(strstr(out_text, "added 1 jobs"), "long id: out %s", out_text);
    CHECK(integer(r, "XLEN", "examiner:{tl}:jobs") == 1);
    CHECK(integer(r, "SCARD", "examiner:{tl}:cohort:L:submitted") == 1);
    jobs = write_file("jobs.jsonl", jobs_text); /* write_file's path buffer is shared */

    /* --raw sends every non-blank line, unchecked */
    rc = run("submit %s --redis %s --queue t2 --raw", jobs, srv.url);
    CHECKF(rc == 0 && strstr(out_text, "added 8 jobs"), "raw: rc %d out %s err %s", rc, out_text,
           err_text);
    CHECK(integer(r, "XLEN", "examiner:{t2}:jobs") == 8);

    /* usage and connection errors are clear */
    CHECK(run("submit %s --redis %s --queue 'bad{name}'", jobs, srv.url) == 2);
    CHECK(strstr(err_text, "queue name") != NULL);
    CHECK(run("submit %s --redis redis://127.0.0.1:1/0", jobs) == 1);
    CHECK(strstr(err_text, "cannot connect") != NULL);
    CHECK(run("submit /nonexistent.jsonl --redis %s", srv.url) == 1);
    CHECK(run("submit %s --redis %s --rate 0", jobs, srv.url) == 2);
}

/* Writes n valid jobs for cohort c to a file. */
static const char *jobs_file(const char *name, const char *prefix, int n) {
    static char text[1 << 16];
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, sizeof text - len,
                                "{\"id\":\"%s%d\",\"cohort\":\"C\",\"candidate\":\"c%d\","
                                "\"question_id\":\"q\",\"answer\":\"a\"}\n",
                                prefix, i, i);
    return write_file(name, text);
}

static void test_maxlen(exam_redis *r) {
    const char *key = "examiner:{t3}:jobs";
    CHECK(run("submit %s --redis %s --queue t3 --maxlen 5", jobs_file("m1", "m", 5), srv.url) == 0);
    CHECK(integer(r, "XLEN", key) == 5);
    /* nothing acknowledged: three more would pass the cap, and nothing is trimmed */
    int rc = run("submit %s --redis %s --queue t3 --maxlen 5", jobs_file("m2", "n", 3), srv.url);
    CHECKF(rc == 1 && strstr(err_text, "--maxlen 5"), "rc %d err %s", rc, err_text);
    CHECK(integer(r, "XLEN", key) == 5);
    /* a consumer reads four and acknowledges the 1st, 2nd and 4th: the 3rd stays pending */
    redisReply *rep = NULL;
    CHECK(exam_redis_command(r, &rep, "XREADGROUP GROUP examiner w COUNT 4 STREAMS %s >", key) ==
          EXAM_OK);
    char ids[4][48] = {{0}};
    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
        rep->element[0]->element[1]->elements == 4)
        for (int i = 0; i < 4; i++)
            snprintf(ids[i], sizeof ids[i], "%s",
                     rep->element[0]->element[1]->element[i]->element[0]->str);
    freeReplyObject(rep);
    CHECK(exam_redis_command(r, &rep, "XACK %s examiner %s %s %s", key, ids[0], ids[1], ids[3]) ==
          EXAM_OK);
    freeReplyObject(rep);
    int have = 0;
    exam_stream_id safe, third;
    exam_queue_keys keys;
    CHECK(exam_queue_keys_init("t3", &keys) == EXAM_OK);
    CHECK(exam_queue_safe_point(r, &keys, &have, &safe) == EXAM_OK && have);
    CHECK(exam_stream_id_parse(ids[2], &third) == 0 && exam_stream_id_cmp(safe, third) == 0);
    /* 5 entries, cap 6, 3 more: the two acknowledged entries before the pending one go */
    rc = run("submit %s --redis %s --queue t3 --maxlen 6", jobs_file("m3", "p", 3), srv.url);
    CHECKF(rc == 0 && strstr(out_text, "2 acknowledged entries trimmed"), "rc %d out %s err %s", rc,
           out_text, err_text);
    CHECK(integer(r, "XLEN", key) == 6);
    CHECK(exam_redis_command(r, &rep, "XRANGE %s - + COUNT 1", key) == EXAM_OK);
    CHECK(rep && rep->elements == 1 && !strcmp(rep->element[0]->element[0]->str, ids[2]));
    freeReplyObject(rep);
    /* the unread fifth entry and the pending third are still there to be graded */
    CHECK(exam_redis_command(r, &rep, "XPENDING %s examiner", key) == EXAM_OK);
    CHECK(rep && rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1 &&
          rep->element[0]->integer == 1);
    freeReplyObject(rep);
}

static void test_rate(exam_redis *r) {
    double t0 = exam_test_now();
    int rc = run("submit %s --redis %s --queue t4 --rate 40", jobs_file("r1", "r", 21), srv.url);
    double dt = exam_test_now() - t0;
    CHECKF(rc == 0 && integer(r, "XLEN", "examiner:{t4}:jobs") == 21, "rc %d", rc);
    /* 21 jobs at 40/s: the last is due 0.5 s after the first */
    CHECKF(dt >= 0.48 && dt < 3.0, "21 jobs at 40/s took %.2f s", dt);
    /* the entries' millisecond stamps are spread over that half second */
    redisReply *a = NULL, *b = NULL;
    CHECK(exam_redis_command(r, &a, "XRANGE %s - + COUNT 1", "examiner:{t4}:jobs") == EXAM_OK);
    CHECK(exam_redis_command(r, &b, "XREVRANGE %s + - COUNT 1", "examiner:{t4}:jobs") == EXAM_OK);
    if (a && b && a->elements == 1 && b->elements == 1) {
        exam_stream_id x, y;
        exam_stream_id_parse(a->element[0]->element[0]->str, &x);
        exam_stream_id_parse(b->element[0]->element[0]->str, &y);
        CHECKF(y.ms - x.ms >= 450 && y.ms - x.ms < 2500, "spread %llu ms",
               (unsigned long long)(y.ms - x.ms));
    }
    freeReplyObject(a);
    freeReplyObject(b);
}

/* What the worker writes when it commits one job (docs/queue.md), for queue t5. */
static void commit_ok(exam_redis *r, const char *id, const char *cohort, const char *cand,
                      const char *qid, const char *score) {
    char json[512], key[128], ckey[128], ids[160];
    snprintf(json, sizeof json,
             "{\"id\":\"%s\",\"cohort\":\"%s\",\"candidate\":\"%s\",\"question_id\":\"%s\","
             "\"score\":%s}",
             id, cohort, cand, qid, score);
    snprintf(key, sizeof key, "examiner:{t5}:result:%s", id);
    snprintf(ckey, sizeof ckey, "examiner:{t5}:cohort:%s", cohort);
    snprintf(ids, sizeof ids, "%s:ids", ckey);
    must0(r, "HSET", key, "json", json, "status", "ok", "cohort", cohort, "score", score, "entry",
          "1-1", "worker", "sim", NULL);
    must0(r, "XADD", "examiner:{t5}:results", "*", "id", id, "result", json, NULL);
    must0(r, "SADD", ids, id, NULL);
    must0(r, "SADD", "examiner:{t5}:cohorts", cohort, NULL);
    must0(r, "HINCRBY", ckey, "done", "1", NULL);
    must0(r, "HINCRBYFLOAT", ckey, "score_sum", score, NULL);
}

static void commit_error(exam_redis *r, const char *id, const char *cohort, const char *payload) {
    char json[512], key[128], ckey[128], ids[160];
    snprintf(json, sizeof json,
             "{\"id\":\"%s\",\"error\":{\"code\":\"not_found\",\"message\":"
             "\"unknown question\"}}",
             id);
    snprintf(key, sizeof key, "examiner:{t5}:result:%s", id);
    snprintf(ckey, sizeof ckey, "examiner:{t5}:cohort:%s", cohort);
    snprintf(ids, sizeof ids, "%s:ids", ckey);
    must0(r, "HSET", key, "json", json, "status", "error", "cohort", cohort, NULL);
    must0(r, "XADD", "examiner:{t5}:results", "*", "id", id, "result", json, NULL);
    must0(r, "SADD", ids, id, NULL);
    must0(r, "HINCRBY", ckey, "failed", "1", NULL);
    must0(r, "XADD", "examiner:{t5}:dead", "*", "id", id, "job", payload, "error",
          "{\"code\":\"not_found\",\"message\":\"unknown question\"}", "entry", "1-2", "deliveries",
          "1", "worker", "sim", "reason", "invalid", NULL);
}

/* 1 when o[key] is the string `want` (0 for anything else, NULL o included). */
static int json_eq(const json_t *o, const char *key, const char *want) {
    const char *v = json_string_value(json_object_get(o, key));
    return v && !strcmp(v, want);
}

/* Counts lines of text. */
static int lines(const char *t) {
    int n = 0;
    for (; *t; t++) n += *t == '\n';
    return n;
}

static void test_results_status(exam_redis *r) {
    const char *jobs = write_file("t5.jsonl", jobs_text);
    CHECK(run("submit %s --redis %s --queue t5", jobs, srv.url) == 3);
    /* two of cohort A's three jobs are done: results lists them and says one is missing */
    commit_ok(r, "a1", "A", "zoe", "q2", "7.5");
    commit_ok(r, "a2", "A", "bob", "q1", "4");
    int rc = run("results --cohort A --redis %s --queue t5", srv.url);
    CHECKF(rc == 1 && lines(out_text) == 2 && strstr(err_text, "1 jobs of cohort 'A' have no"),
           "rc %d out %s err %s", rc, out_text, err_text);
    double t0 = exam_test_now();
    rc = run("results --cohort A --redis %s --queue t5 --wait --timeout 0.6", srv.url);
    CHECKF(rc == 1 && exam_test_now() - t0 < 3 && strstr(err_text, "timed out"), "rc %d err %s", rc,
           err_text);
    /* the last result arrives while `results --wait` waits */
    pid_t child = fork();
    if (child == 0) {
        usleep(700000);
        exam_redis *c = NULL;
        if (exam_redis_open(srv.url, NULL, &c) != EXAM_OK) _exit(1);
        commit_ok(c, "a3", "A", "bob", "q0", "9");
        exam_redis_close(c);
        _exit(0);
    }
    t0 = exam_test_now();
    rc = run("results --cohort A --redis %s --queue t5 --wait --timeout 20 --table", srv.url);
    double waited = exam_test_now() - t0;
    int status = 0;
    waitpid(child, &status, 0);
    CHECKF(rc == 0 && waited >= 0.6 && lines(out_text) == 3, "rc %d waited %.2f out %s err %s", rc,
           waited, out_text, err_text);
    /* sorted by candidate, then question: bob q0, bob q1, zoe q2 */
    const char *p0 = strstr(out_text, "\"a3\""), *p1 = strstr(out_text, "\"a2\""),
               *p2 = strstr(out_text, "\"a1\"");
    CHECK(p0 && p1 && p2 && p0 < p1 && p1 < p2);
    CHECKF(strstr(err_text, "bob") && strstr(err_text, "zoe"), "table: %s", err_text);

    /* the report writes HTML with the answers from the jobs file */
    rc = run("results --cohort A --redis %s --queue t5 --out %s/a.jsonl --report %s/a.html "
             "--answers %s",
             srv.url, srv.dir, srv.dir, jobs);
    CHECK(rc == 0);
    static char html[1 << 16];
    slurp(exam_test_path(srv.dir, "a.html"), html, sizeof html);
    CHECKF(strstr(html, "<html") && strstr(html, "zoe"), "html %.200s", html);

    /* cohort B: b2 failed (dead-lettered with an error result) */
    commit_error(r, "b2", "B",
                 "{\"id\":\"b2\",\"cohort\":\"B\",\"candidate\":\"ann\",\"question_id\":\"q2\","
                 "\"answer\":\"v\"}");
    must0(r, "XADD", "examiner:{t5}:dead", "*", "id", "", "job", "not json at all", "error",
          "{\"code\":\"format\",\"message\":\"not JSON\"}", "entry", "1-3", "deliveries", "1",
          "reason", "invalid", NULL);
    /* a worker reads and leaves two pending */
    redisReply *rep = must(r, "XREADGROUP", "GROUP", "examiner", "sim-worker", "COUNT", "2",
                           "STREAMS", "examiner:{t5}:jobs", ">", NULL);
    freeReplyObject(rep);
    rc = run("status --json --redis %s --queue t5", srv.url);
    json_t *info = json_loads(out_text, 0, NULL);
    CHECKF(rc == 0 && info, "status rc %d out %s err %s", rc, out_text, err_text);
    json_t *g = json_object_get(info, "group");
    CHECK(json_integer_value(json_object_get(json_object_get(info, "jobs"), "length")) == 4);
    CHECK(json_integer_value(json_object_get(g, "lag")) == 2);
    CHECK(json_integer_value(json_object_get(g, "pending")) == 2);
    CHECK(json_integer_value(json_object_get(g, "entries_read")) == 2);
    json_t *c0 = json_array_get(json_object_get(g, "consumers"), 0);
    CHECK(json_is_string(json_object_get(c0, "name")) && json_eq(c0, "name", "sim-worker") &&
          json_integer_value(json_object_get(c0, "pending")) == 2);
    CHECK(json_integer_value(json_object_get(info, "dead_letters")) == 2);
    CHECK(json_integer_value(json_object_get(json_object_get(info, "results"), "length")) == 4);
    json_t *ca = json_array_get(json_object_get(info, "cohorts"), 0);
    json_t *cb = json_array_get(json_object_get(info, "cohorts"), 1);
    CHECK(json_eq(ca, "cohort", "A"));
    CHECK(json_integer_value(json_object_get(ca, "done")) == 3);
    CHECKF(json_is_real(json_object_get(ca, "mean")) &&
               json_real_value(json_object_get(ca, "mean")) > 6.83 &&
               json_real_value(json_object_get(ca, "mean")) < 6.84,
           "mean of 7.5, 4, 9");
    CHECK(json_integer_value(json_object_get(ca, "submitted")) == 3);
    CHECK(json_integer_value(json_object_get(cb, "failed")) == 1);
    CHECK(json_is_null(json_object_get(cb, "mean")));
    json_decref(info);
    rc = run("status --redis %s --queue t5", srv.url);
    CHECKF(rc == 0 && strstr(out_text, "lag 2, pending 2") && strstr(out_text, "sim-worker"),
           "status text: %s", out_text);
    /* a queue nobody used reads as empty, not as an error */
    rc = run("status --redis %s --queue nothing-here", srv.url);
    CHECKF(rc == 0 && strstr(out_text, "not created yet"), "rc %d out %s", rc, out_text);
}

static void test_dlq(exam_redis *r) {
    int rc = run("dlq list --json --redis %s --queue t5", srv.url);
    CHECKF(rc == 0 && lines(out_text) == 2, "dlq list: rc %d out %s", rc, out_text);
    json_t *first = json_loads(out_text, JSON_DISABLE_EOF_CHECK, NULL);
    const char *entry = json_string_value(json_object_get(first, "dlq_id"));
    CHECK(entry && json_eq(first, "id", "b2"));
    CHECK(json_is_object(json_object_get(first, "error")));
    rc = run("dlq list --redis %s --queue t5", srv.url);
    CHECKF(rc == 0 && strstr(out_text, "2 of 2 dead letters") && strstr(out_text, "not_found"),
           "out %s", out_text);

    long long jobs_before = integer(r, "XLEN", "examiner:{t5}:jobs");
    rc = run("dlq replay --id %s --redis %s --queue t5", entry ? entry : "0-0", srv.url);
    CHECKF(rc == 0, "replay rc %d err %s", rc, err_text);
    /* the error result, its id in the cohort and its failed count are undone; the job is back */
    CHECK(integer(r, "EXISTS", "examiner:{t5}:result:b2") == 0);
    redisReply *rep = must(r, "SISMEMBER", "examiner:{t5}:cohort:B:ids", "b2", NULL);
    CHECK(rep && rep->type == REDIS_REPLY_INTEGER && rep->integer == 0);
    freeReplyObject(rep);
    rep = must(r, "HGET", "examiner:{t5}:cohort:B", "failed", NULL);
    CHECK(rep && rep->type == REDIS_REPLY_STRING && !strcmp(rep->str, "0"));
    freeReplyObject(rep);
    CHECK(integer(r, "XLEN", "examiner:{t5}:dead") == 1);
    CHECK(integer(r, "XLEN", "examiner:{t5}:jobs") == jobs_before + 1);
    rep = must(r, "XREVRANGE", "examiner:{t5}:jobs", "+", "-", "COUNT", "1", NULL);
    CHECK(rep && rep->elements == 1 &&
          !strcmp(rep->element[0]->element[1]->element[1]->str,
                  "{\"id\":\"b2\",\"cohort\":\"B\",\"candidate\":\"ann\",\"question_id\":\"q2\","
                  "\"answer\":\"v\"}"));
    freeReplyObject(rep);
    /* the same entry again: not found, exit 3 */
    rc = run("dlq replay --id %s --redis %s --queue t5", entry ? entry : "0-0", srv.url);
    CHECKF(rc == 3 && strstr(err_text, "no dead letter"), "again: rc %d err %s", rc, err_text);
    json_decref(first);
    CHECK(run("dlq replay --redis %s --queue t5", srv.url) == 2);
    CHECK(run("dlq replay --id nonsense --redis %s --queue t5", srv.url) == 3);

    /* --all replays the id-less one verbatim and leaves the counts alone */
    rc = run("dlq replay --all --redis %s --queue t5", srv.url);
    CHECKF(rc == 0 && strstr(out_text, "replayed 1 dead letters"), "all: rc %d out %s", rc,
           out_text);
    CHECK(integer(r, "XLEN", "examiner:{t5}:dead") == 0);
    rep = must(r, "XREVRANGE", "examiner:{t5}:jobs", "+", "-", "COUNT", "1", NULL);
    CHECK(rep && rep->elements == 1 &&
          !strcmp(rep->element[0]->element[1]->element[1]->str, "not json at all"));
    freeReplyObject(rep);
    rep = must(r, "HGET", "examiner:{t5}:cohort:A", "done", NULL);
    CHECK(rep && rep->type == REDIS_REPLY_STRING && !strcmp(rep->str, "3"));
    freeReplyObject(rep);
}

/* The producer ACL of docs/queue.md lets submit work and nothing else. */
static void test_acl(void) {
    char url[256];
    snprintf(url, sizeof url, "redis://producer:prod-pw@127.0.0.1:%d/0", srv.port);
    int rc = run("submit %s --redis %s --queue t6", jobs_file("acl", "x", 3), url);
    CHECKF(rc == 0 && strstr(out_text, "added 3 jobs"), "producer submit: rc %d err %s", rc,
           err_text);
    rc = run("submit %s --redis %s --queue t6 --maxlen 2", jobs_file("acl2", "y", 3), url);
    CHECKF(rc == 1 && strstr(err_text, "--maxlen"), "producer maxlen: rc %d err %s", rc, err_text);
    rc = run("dlq replay --all --redis %s --queue t6", url);
    CHECKF(rc == 4 && strstr(err_text, "NOPERM"), "producer replay: rc %d err %s", rc, err_text);
    rc = run("submit %s --redis %s --queue other", jobs_file("acl3", "z", 1), url);
    CHECKF(rc == 4 && strstr(err_text, "NOPERM"), "other queue: rc %d err %s", rc, err_text);
    snprintf(url, sizeof url, "redis://ops:ops-pw@127.0.0.1:%d/0", srv.port);
    rc = run("status --redis %s --queue t5", url);
    CHECKF(rc == 0, "ops status: rc %d err %s", rc, err_text);
    rc = run("results --cohort A --redis %s --queue t5", url);
    CHECKF(rc == 0 && lines(out_text) == 3, "ops results: rc %d err %s", rc, err_text);
    rc = run("dlq replay --all --redis %s --queue t5", url);
    CHECKF(rc == 0, "ops replay: rc %d err %s", rc, err_text);
}

int main(void) {
    const char *bd = getenv("EXAMINER_BUILD_DIR");
    snprintf(exe, sizeof exe, "%s/examiner", bd && *bd ? bd : "build");
    if (access(exe, X_OK) != 0) {
        printf("SKIP ALL: %s not built\n", exe);
        return 0;
    }
    /* The ACLs docs/queue.md gives for a producer and an operator. */
    int rc = exam_test_redis_start(
        &srv, "user producer on >prod-pw resetkeys ~examiner:{t6}:* resetchannels -@all "
              "+ping +client|setname +xadd +sadd +xgroup|create +xlen +xinfo|groups "
              "+xpending +xtrim +hget +exists +hsetnx\n"
              "user ops on >ops-pw ~examiner:* resetchannels -@all +@read +ping +client|setname "
              "+xadd +xdel +xtrim +xgroup|create +sadd +srem +del +hincrby +multi +exec +watch "
              "+unwatch\n");
    if (rc == 1) {
        printf("SKIP ALL: redis-server is not installed\n");
        return 0;
    }
    CHECK(rc == 0);
    if (rc != 0) return exam_test_finish();
    exam_redis *r = NULL;
    CHECK(exam_redis_open(srv.url, NULL, &r) == EXAM_OK);
    if (r) {
        test_submit(r);
        test_maxlen(r);
        test_rate(r);
        test_results_status(r);
        test_dlq(r);
        test_acl();
        exam_redis_close(r);
    }
    exam_test_redis_free(&srv);
    return exam_test_finish();
}
