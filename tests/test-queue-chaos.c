/* Fault injection on the Redis queue with real `examiner worker` processes: (a) 5000 jobs,
 * three workers, one of them SIGKILLed at least five times while it holds jobs and restarted,
 * the others reclaiming with a short --claim-idle-ms; (b) the Redis server stopped gracefully
 * and later SIGKILLed (AOF with appendfsync always) mid-run and restarted while workers run.
 * Afterwards every job has exactly one result hash and one results-stream entry, no dead
 * letters, cohort `done` counts equal to the jobs submitted, nothing pending.
 * EXAMINER_CHAOS_JOBS scales the job counts down for a quick run.
 * labels: chaos slow */
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "queue_keys.h"
#include "redis_conn.h"
#include "redis_server.h"
#include "testlib.h"

#define N_COHORTS 5

static exam_test_redis srv;
static char exe[512], bank[600], cache[600];

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* A small bank: four questions of the shipped python bank. */
static int write_bank(void) {
    snprintf(bank, sizeof bank, "%s/bank.jsonl", srv.dir);
    snprintf(cache, sizeof cache, "%s/cache", srv.dir);
    FILE *in = fopen("data/bank/python.jsonl", "r"), *out = fopen(bank, "w");
    if (!in || !out) {
        if (in) fclose(in);
        if (out) fclose(out);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    for (int n = 0; n < 4 && getline(&line, &cap, in) > 0;) {
        json_t *q = json_loads(line, 0, NULL);
        if (json_is_object(q) && json_is_string(json_object_get(q, "id"))) {
            fputs(line, out);
            n++;
        }
        json_decref(q);
    }
    free(line);
    fclose(in);
    fclose(out);
    return 0;
}

static const char *question_ids[4];

static int load_question_ids(void) {
    static char ids[4][128];
    FILE *f = fopen(bank, "r");
    if (!f) return -1;
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    while (n < 4 && getline(&line, &cap, f) > 0) {
        json_t *q = json_loads(line, 0, NULL);
        snprintf(ids[n], sizeof ids[n], "%s", json_string_value(json_object_get(q, "id")));
        question_ids[n] = ids[n];
        n++;
        json_decref(q);
    }
    free(line);
    fclose(f);
    return n == 4 ? 0 : -1;
}

/* Short answers, so the test is about the queue rather than the encoder. */
static const char *answers[] = {
    "It is a lock so only one thread runs bytecode at a time.",
    "I do not know.",
    "Threads share memory; processes do not.",
    "Use multiprocessing for CPU bound work and threads for I/O.",
    "A generator yields values lazily and keeps its state between calls.",
    "Decorators wrap a function to add behaviour.",
    "Reference counting frees objects when nothing points at them.",
};

/* Writes `n` jobs with ids <prefix><i> spread over N_COHORTS cohorts. */
static const char *write_jobs(const char *prefix, int n) {
    static char path[600];
    snprintf(path, sizeof path, "%s/%s.jsonl", srv.dir, prefix);
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    for (int i = 0; i < n; i++)
        fprintf(f,
                "{\"id\":\"%s%d\",\"cohort\":\"%s-c%d\",\"candidate\":\"cand%d\","
                "\"question_id\":\"%s\",\"answer\":\"%s (%d)\"}\n",
                prefix, i, prefix, i % N_COHORTS, i / 4, question_ids[i % 4],
                answers[(i * 7 + i / 5) % 7], i % 13);
    fclose(f);
    return path;
}

static int submit(const char *queue, const char *file) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s submit %s --redis %s --queue %s >/dev/null", exe, file, srv.url,
             queue);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Starts one worker process (logs to <dir>/<consumer>.log). */
static pid_t start_worker(const char *queue, const char *consumer) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid != 0) return pid;
    char log[700];
    snprintf(log, sizeof log, "%s/%s.log", srv.dir, consumer);
    int err = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644), out = open("/dev/null", O_WRONLY);
    if (err < 0 || out < 0 || dup2(err, 2) < 0 || dup2(out, 1) < 0) _exit(127);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    execl(exe, exe, "worker", "--bank", bank, "--redis", srv.url, "--queue", queue, "--consumer",
          consumer, "--claim-idle-ms", "2000", "--max-deliveries", "1000", "--batch", "16",
          "--wait-ms", "2", "--threads", "1", "--cache-dir", cache, "--log-level", "warn",
          (char *)NULL);
    _exit(127);
}

static void stop_worker(pid_t *pid, int sig) {
    if (*pid <= 0) return;
    kill(*pid, sig);
    int status;
    waitpid(*pid, &status, 0);
    *pid = 0;
}

/* Jobs pending for one consumer (XINFO CONSUMERS), or -1. */
static long long consumer_pending(exam_redis *r, const exam_queue_keys *k, const char *name) {
    redisReply *rep = NULL;
    if (exam_redis_command(r, &rep, "XPENDING %s examiner - + 1000 %s", k->jobs, name) != EXAM_OK)
        return -1;
    long long n = rep->type == REDIS_REPLY_ARRAY ? (long long)rep->elements : -1;
    freeReplyObject(rep);
    return n;
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

static long long hget_ll(exam_redis *r, const char *key, const char *field) {
    redisReply *rep = NULL;
    if (exam_redis_command(r, &rep, "HGET %s %s", key, field) != EXAM_OK) return -1;
    long long v = rep->type == REDIS_REPLY_STRING ? atoll(rep->str) : 0;
    freeReplyObject(rep);
    return v;
}

/* Jobs with a result (sum of the cohorts' id sets) and pending entries; -1 on a Redis error
 * (the server may be restarting). */
static long long finished(exam_redis *r, const exam_queue_keys *k, const char *prefix,
                          long long *pending) {
    long long sum = 0;
    for (int c = 0; c < N_COHORTS; c++) {
        char key[200];
        snprintf(key, sizeof key, "%scohort:%s-c%d:ids", k->prefix, prefix, c);
        long long n = integer(r, "SCARD", key);
        if (n < 0) return -1;
        sum += n;
    }
    redisReply *rep = NULL;
    if (exam_redis_command(r, &rep, "XPENDING %s examiner", k->jobs) != EXAM_OK) return -1;
    *pending = rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1 ? rep->element[0]->integer : -1;
    freeReplyObject(rep);
    return sum;
}

/* Waits until all n jobs have results and nothing is pending; reconnects across restarts. */
static int wait_all(exam_redis *r, const exam_queue_keys *k, const char *prefix, long long n,
                    double timeout) {
    double t0 = exam_test_now();
    long long done = 0, pending = -1;
    while (exam_test_now() - t0 < timeout) {
        if (!exam_redis_connected(r)) exam_redis_reconnect(r);
        done = finished(r, k, prefix, &pending);
        if (done == n && pending == 0) return 0;
        sleep_s(0.25);
    }
    fprintf(stderr, "timed out: %lld of %lld done, %lld pending\n", done, n, pending);
    return -1;
}

/* The checks after a run: one result per job (hash and results-stream entry), no dead letters,
 * aggregates equal to the jobs per cohort, nothing pending or unread. */
static void check_exactly_once(exam_redis *r, const exam_queue_keys *k, const char *prefix, int n) {
    /* every job id has a result hash with status ok: pipelined HGET */
    int missing = 0, not_ok = 0;
    for (int i = 0; i < n; i++) {
        char key[200], id[64];
        snprintf(id, sizeof id, "%s%d", prefix, i);
        snprintf(key, sizeof key, "%sresult:%s", k->prefix, id);
        const char *argv[] = {"HGET", key, "status"};
        exam_redis_append_argv(r, 3, argv, NULL);
    }
    for (int i = 0; i < n; i++) {
        redisReply *rep = NULL;
        if (exam_redis_get_reply(r, &rep) != EXAM_OK) {
            missing = n;
            break;
        }
        if (rep->type != REDIS_REPLY_STRING)
            missing++;
        else if (strcmp(rep->str, "ok"))
            not_ok++;
        freeReplyObject(rep);
    }
    CHECKF(missing == 0 && not_ok == 0, "%s: %d jobs without a result, %d not ok", prefix, missing,
           not_ok);

    /* the results stream: exactly one entry per job id */
    json_t *seen = json_object();
    long long entries = 0, dups = 0, foreign = 0;
    char start[64] = "-";
    for (;;) {
        redisReply *rep = NULL;
        if (exam_redis_command(r, &rep, "XRANGE %s %s + COUNT 1000", k->results, start) != EXAM_OK)
            break;
        size_t got = rep->type == REDIS_REPLY_ARRAY ? rep->elements : 0;
        for (size_t i = 0; i < got; i++) {
            const redisReply *e = rep->element[i];
            snprintf(start, sizeof start, "(%s", e->element[0]->str);
            const redisReply *f = e->element[1];
            const char *id = NULL;
            for (size_t j = 0; j + 1 < f->elements; j += 2)
                if (!strcmp(f->element[j]->str, "id")) id = f->element[j + 1]->str;
            entries++;
            if (!id || strncmp(id, prefix, strlen(prefix))) {
                foreign++;
                continue;
            }
            if (json_object_get(seen, id))
                dups++;
            else
                json_object_set_new(seen, id, json_true());
        }
        freeReplyObject(rep);
        if (got == 0) break;
    }
    CHECKF(json_object_size(seen) == (size_t)n && dups == 0 && foreign == 0,
           "%s: results stream has %zu distinct ids of %d, %lld duplicates, %lld foreign (of %lld)",
           prefix, json_object_size(seen), n, dups, foreign, entries);
    json_decref(seen);

    CHECKF(integer(r, "XLEN", k->dead) == 0, "%s: %lld dead letters", prefix,
           integer(r, "XLEN", k->dead));
    for (int c = 0; c < N_COHORTS; c++) {
        char key[200];
        snprintf(key, sizeof key, "%scohort:%s-c%d", k->prefix, prefix, c);
        long long want = n / N_COHORTS + (c < n % N_COHORTS);
        long long done = hget_ll(r, key, "done"), failed = hget_ll(r, key, "failed");
        CHECKF(done == want && failed == 0, "%s: cohort %d done %lld failed %lld, want %lld",
               prefix, c, done, failed, want);
    }
    /* nothing pending, nothing unread: examiner status says so too */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s status --json --redis %s --queue %s", exe, srv.url, k->queue);
    FILE *p = popen(cmd, "r");
    json_t *info = p ? json_loadf(p, 0, NULL) : NULL;
    if (p) pclose(p);
    json_t *g = json_object_get(info, "group");
    CHECKF(json_integer_value(json_object_get(g, "pending")) == 0 &&
               json_integer_value(json_object_get(g, "lag")) == 0 &&
               json_integer_value(json_object_get(g, "entries_read")) == n,
           "%s: status group %s", prefix, info ? "has work left" : "unreadable");
    json_decref(info);
}

static void chaos_worker_kills(exam_redis *r, int n) {
    exam_queue_keys k;
    exam_queue_keys_init("chaos-a", &k);
    const char *jobs = write_jobs("ka", n);
    CHECK(jobs && submit("chaos-a", jobs) == 0);
    pid_t steady[2] = {start_worker("chaos-a", "steady-0"), start_worker("chaos-a", "steady-1")};
    char victim_name[64] = "victim-0";
    pid_t victim = start_worker("chaos-a", victim_name);
    int kills = 0, kills_holding = 0, restarts = 0;
    double t0 = exam_test_now();
    srand(12345);
    while (kills < 8 && exam_test_now() - t0 < 150) {
        double wait = 0.5 + 2.5 * (double)rand() / RAND_MAX;
        sleep_s(wait);
        long long pending = -1;
        if (finished(r, &k, "ka", &pending) >= n - 200) break; /* keep work for the last kill */
        /* kill while it holds jobs: poll briefly for in-flight work */
        long long held = 0;
        for (int tries = 0; tries < 40; tries++) {
            held = consumer_pending(r, &k, victim_name);
            if (held > 0) break;
            sleep_s(0.05);
        }
        stop_worker(&victim, SIGKILL);
        kills++;
        if (held > 0) kills_holding++;
        snprintf(victim_name, sizeof victim_name, "victim-%d", ++restarts);
        victim = start_worker("chaos-a", victim_name);
    }
    printf("chaos-a: %d kills (%d while holding jobs) in %.1f s\n", kills, kills_holding,
           exam_test_now() - t0);
    CHECKF(kills_holding >= 5, "only %d of %d kills hit a worker holding jobs", kills_holding,
           kills);
    int done = wait_all(r, &k, "ka", n, 240);
    CHECK(done == 0);
    stop_worker(&victim, SIGTERM);
    stop_worker(&steady[0], SIGTERM);
    stop_worker(&steady[1], SIGTERM);
    printf("chaos-a: %d jobs finished in %.1f s\n", n, exam_test_now() - t0);
    check_exactly_once(r, &k, "ka", n);
}

static void chaos_redis_restarts(exam_redis *r, int n) {
    exam_queue_keys k;
    exam_queue_keys_init("chaos-b", &k);
    const char *jobs = write_jobs("kb", n);
    CHECK(jobs && submit("chaos-b", jobs) == 0);
    pid_t w[2] = {start_worker("chaos-b", "rb-0"), start_worker("chaos-b", "rb-1")};
    double t0 = exam_test_now();
    long long pending = 0, before = 0;
    /* let them start grading, then stop Redis gracefully for a second */
    while (exam_test_now() - t0 < 60 && (before = finished(r, &k, "kb", &pending)) < n / 5)
        sleep_s(0.2);
    exam_test_redis_stop(&srv);
    sleep_s(1.0);
    CHECK(exam_test_redis_restart(&srv) == 0);
    exam_redis_reconnect(r);
    long long after = finished(r, &k, "kb", &pending);
    CHECKF(after >= before, "graceful restart lost results: %lld before, %lld after", before,
           after);
    /* then SIGKILL it mid-run (appendfsync always keeps every acknowledged write) */
    double t1 = exam_test_now();
    while (exam_test_now() - t1 < 60 && (before = finished(r, &k, "kb", &pending)) < n / 2)
        sleep_s(0.2);
    exam_test_redis_kill(&srv);
    sleep_s(0.5);
    CHECK(exam_test_redis_restart(&srv) == 0);
    exam_redis_reconnect(r);
    after = finished(r, &k, "kb", &pending);
    CHECKF(after >= before, "SIGKILL restart lost results: %lld before, %lld after", before, after);
    printf("chaos-b: restarts at %lld and %lld of %d jobs\n", n / 5 > 0 ? (long long)n / 5 : 0,
           before, n);
    CHECK(wait_all(r, &k, "kb", n, 240) == 0);
    /* the workers reconnected rather than died */
    for (int i = 0; i < 2; i++) {
        int status;
        CHECKF(waitpid(w[i], &status, WNOHANG) == 0, "worker %d exited during the restarts", i);
    }
    stop_worker(&w[0], SIGTERM);
    stop_worker(&w[1], SIGTERM);
    printf("chaos-b: %d jobs finished in %.1f s\n", n, exam_test_now() - t0);
    check_exactly_once(r, &k, "kb", n);
}

int main(void) {
    const char *bd = getenv("EXAMINER_BUILD_DIR");
    snprintf(exe, sizeof exe, "%s/examiner", bd && *bd ? bd : "build");
    struct stat st;
    if (access(exe, X_OK) != 0) {
        printf("SKIP ALL: %s not built\n", exe);
        return 0;
    }
    if (stat(exam_test_path(exam_test_model_dir(), "model.safetensors"), &st) != 0) {
        printf("SKIP ALL: no model at %s\n", exam_test_model_dir());
        return 0;
    }
    int rc = exam_test_redis_start(&srv, NULL);
    if (rc == 1) {
        printf("SKIP ALL: redis-server is not installed\n");
        return 0;
    }
    CHECK(rc == 0);
    if (rc != 0) return exam_test_finish();
    const char *env_n = getenv("EXAMINER_CHAOS_JOBS");
    int n = env_n && atoi(env_n) > 0 ? atoi(env_n) : 5000;
    exam_redis *r = NULL;
    CHECK(write_bank() == 0 && load_question_ids() == 0);
    CHECK(exam_redis_open(srv.url, NULL, &r) == EXAM_OK);
    if (r && question_ids[0]) {
        chaos_worker_kills(r, n);
        chaos_redis_restarts(r, n / 2);
        exam_redis_close(r);
    }
    exam_test_redis_free(&srv);
    return exam_test_finish();
}
