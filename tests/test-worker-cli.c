/* `examiner worker` as a process against a real redis-server: the demo cohort's round trip
 * through an ACL user limited to the queue's keys and the commands docs/queue.md lists (results
 * equal `examiner grade`'s), /metrics and /healthz, a SIGTERM drain that loses nothing and
 * counts nothing twice, and a wrong password that fails fast with exit code 4.
 * labels: redis e2e */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "queue_keys.h"
#include "redis_conn.h"
#include "redis_server.h"
#include "testlib.h"

#define ACL_CMDS                                                                                   \
    "+ping +select +client|setname +xgroup|create +xgroup|delconsumer +xinfo|groups "              \
    "+xinfo|consumers +xreadgroup +xautoclaim +xclaim +xpending +xack +xadd +watch +unwatch "      \
    "+multi +exec +hget +hmget +hset +hdel +hincrby +hincrbyfloat +sadd +srem +xdel +get +set "    \
    "+hlen +hgetall +exists +hsetnx"

static char exe[1024], tmpdir[256];
static exam_test_redis srv;

/* Starts `examiner` with argv (NULL-terminated, argv[0] ignored), stdout and stderr to `log`. */
static pid_t spawn(const char **argv, const char *log) {
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = fopen(log, "w");
        if (f) {
            dup2(fileno(f), 1);
            dup2(fileno(f), 2);
        }
        argv[0] = exe;
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Waits for pid up to limit_s; returns its exit code, or -1 (killed then). */
static int wait_exit(pid_t pid, double limit_s) {
    double t0 = exam_test_now();
    int status;
    while (exam_test_now() - t0 < limit_s) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static long long int_of(exam_redis *r, const char *fmt, const char *a, const char *b) {
    redisReply *rep = NULL;
    if (exam_redis_command(r, &rep, fmt, a, b) != EXAM_OK) return -1;
    long long v = rep->type == REDIS_REPLY_INTEGER  ? rep->integer
                  : rep->type == REDIS_REPLY_STRING ? atoll(rep->str)
                                                    : -1;
    freeReplyObject(rep);
    return v;
}

/* Submits the demo cohort `copies` times (ids suffixed "-<copy>" when copies > 1). */
static int submit_demo(exam_redis *r, const exam_queue_keys *k, int copies) {
    FILE *f = fopen("data/cohorts/demo.jsonl", "r");
    if (!f) return 0;
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    json_t *jobs = json_array();
    while (getline(&line, &cap, f) > 0) {
        json_t *o = json_loads(line, 0, NULL);
        if (o) json_array_append_new(jobs, o);
    }
    free(line);
    fclose(f);
    for (int c = 0; c < copies; c++) {
        size_t i;
        json_t *o;
        json_array_foreach(jobs, i, o) {
            json_t *copy = json_deep_copy(o);
            if (copies > 1) {
                char id[256];
                snprintf(id, sizeof id, "%s-%d", json_string_value(json_object_get(o, "id")), c);
                json_object_set_new(copy, "id", json_string(id));
            }
            char *s = json_dumps(copy, JSON_COMPACT);
            redisReply *rep = NULL;
            if (exam_redis_command(r, &rep, "XADD %s * job %s", k->jobs, s) == EXAM_OK &&
                rep->type == REDIS_REPLY_STRING)
                n++;
            freeReplyObject(rep);
            free(s);
            json_decref(copy);
        }
    }
    json_decref(jobs);
    return n;
}

/* GET http://127.0.0.1:port/path; returns the whole response (status line included) or NULL. */
static char *http_get(int port, const char *path) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return NULL;
    }
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ssize_t got;
    while (buf && (got = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)got;
        if (len + 1 >= cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) break;
            buf = b;
        }
    }
    close(fd);
    if (buf) buf[len] = '\0';
    return buf;
}

static int wait_results(exam_redis *r, const exam_queue_keys *k, const char *cohort, long long want,
                        double limit_s) {
    char *ck = exam_queue_key_for(k, "cohort", cohort);
    double t0 = exam_test_now();
    long long got = 0;
    while (exam_test_now() - t0 < limit_s && (got = int_of(r, "HGET %s %s", ck, "done")) < want)
        usleep(100000);
    free(ck);
    return got >= want;
}

static void test_round_trip(exam_redis *admin) {
    exam_queue_keys k;
    CHECK(exam_queue_keys_init("rt", &k) == EXAM_OK);
    int n = submit_demo(admin, &k, 1);
    CHECK(n == 70);
    char url[256], http[64], log[512];
    snprintf(url, sizeof url, "redis://grader:s3cret-pw@127.0.0.1:%d/0", srv.port);
    int port = exam_test_free_port();
    snprintf(http, sizeof http, "127.0.0.1:%d", port);
    snprintf(log, sizeof log, "%s/worker-rt.log", tmpdir);
    const char *argv[] = {"examiner",    "worker",  "--bank",  "data/bank", "--redis",
                          url,           "--queue", "rt",      "--http",    http,
                          "--cache-dir", tmpdir,    "--batch", "16",        NULL};
    pid_t pid = spawn(argv, log);
    int done = wait_results(admin, &k, "demo", n, 120.0);
    CHECKF(done, "the worker graded the demo cohort (log %s)", log);
    char *health = http_get(port, "/healthz");
    CHECKF(health && strstr(health, " 200 ") && strstr(health, "ok"), "healthz: %s",
           health ? health : "(none)");
    free(health);
    char *metrics = http_get(port, "/metrics");
    CHECKF(metrics && strstr(metrics, "examiner_jobs_done_total 70\n"), "metrics: %.300s",
           metrics ? metrics : "(none)");
    CHECK(metrics && strstr(metrics, "examiner_stage_seconds_bucket{stage=\"grade\""));
    CHECK(metrics && strstr(metrics, "examiner_redis_seconds_total"));
    free(metrics);
    kill(pid, SIGTERM);
    int rc = wait_exit(pid, 30.0);
    CHECKF(rc == 0, "worker exit code %d after SIGTERM", rc);
    char *text = exam_test_read_file(log, NULL);
    CHECKF(text && !strstr(text, "s3cret-pw"), "the password stays out of the log");
    CHECK(text && strstr(text, "grader:***@"));
    free(text);

    /* the same jobs through `examiner grade` */
    char out[512];
    snprintf(out, sizeof out, "%s/grade.jsonl", tmpdir);
    snprintf(log, sizeof log, "%s/grade.log", tmpdir);
    const char *gargv[] = {
        "examiner", "grade", "--bank",  "data/bank",   "--answers", "data/cohorts/demo.jsonl",
        "--out",    out,     "--quiet", "--cache-dir", tmpdir,      NULL};
    CHECK(wait_exit(spawn(gargv, log), 120.0) == 0);
    FILE *f = fopen(out, "r");
    CHECK(f != NULL);
    char *line = NULL;
    size_t cap = 0;
    int compared = 0, equal = 0, calibrated = 0;
    while (f && getline(&line, &cap, f) > 0) {
        json_t *want = json_loads(line, 0, NULL);
        const char *id = json_string_value(json_object_get(want, "id"));
        char *rk = exam_queue_key_for(&k, "result", id ? id : "");
        redisReply *rep = NULL;
        json_t *got = NULL;
        if (exam_redis_command(admin, &rep, "HGET %s json", rk) == EXAM_OK &&
            rep->type == REDIS_REPLY_STRING)
            got = json_loads(rep->str, 0, NULL);
        freeReplyObject(rep);
        free(rk);
        json_object_del(want, "latency_ms");
        json_object_del(want, "worker");
        json_object_del(got, "latency_ms");
        json_object_del(got, "worker");
        /* the worker calibrates the cohort once it has 20 judged answers (results committed
         * after that carry the map's score); `examiner grade` never does */
        if (json_object_get(got, "score_calibrated")) calibrated++;
        json_object_del(got, "score_calibrated");
        json_object_del(got, "calibration");
        compared++;
        if (got && json_equal(want, got))
            equal++;
        else
            CHECKF(0, "result of %s differs from examiner grade's", id ? id : "?");
        json_decref(want);
        json_decref(got);
    }
    free(line);
    if (f) fclose(f);
    CHECKF(compared == 70 && equal == 70, "%d of %d results equal", equal, compared);
    /* the restricted user may also fit the cohort's calibration (25 judged answers) */
    char *ck = exam_queue_key_for(&k, "calib", "demo");
    redisReply *crep = NULL;
    CHECK(ck && exam_redis_command(admin, &crep, "GET %s", ck) == EXAM_OK && crep &&
          crep->type == REDIS_REPLY_STRING);
    free(ck);
    freeReplyObject(crep);
    printf("# %d results carry score_calibrated (the cohort reaches 20 judged answers only in\n"
           "# its last batches)\n",
           calibrated);
    CHECK(int_of(admin, "XLEN %s", k.results, NULL) == 70);
    CHECK(int_of(admin, "XLEN %s", k.dead, NULL) == 0);
}

static void test_drain(exam_redis *admin) {
    exam_queue_keys k;
    CHECK(exam_queue_keys_init("drain", &k) == EXAM_OK);
    int n = submit_demo(admin, &k, 6);
    CHECK(n == 420);
    char log[512];
    snprintf(log, sizeof log, "%s/worker-drain1.log", tmpdir);
    const char *argv1[] = {"examiner",    "worker",  "--bank",    "data/bank", "--redis",
                           srv.url,       "--queue", "drain",     "--batch",   "8",
                           "--cache-dir", tmpdir,    "--drain-s", "10",        NULL};
    pid_t pid = spawn(argv1, log);
    CHECK(wait_results(admin, &k, "demo", 24, 120.0));
    double t0 = exam_test_now();
    kill(pid, SIGTERM);
    int rc = wait_exit(pid, 30.0);
    CHECKF(rc == 0, "exit code %d after SIGTERM", rc);
    /* --drain-s 10 bounds the drain; the rest is process teardown on a loaded machine */
    CHECKF(exam_test_now() - t0 < 15.0, "stopped within the drain time (%.1f s)",
           exam_test_now() - t0);
    char *ck = exam_queue_key_for(&k, "cohort", "demo");
    long long first = int_of(admin, "HGET %s %s", ck, "done");
    CHECK(first >= 24 && first < 420);
    /* a second worker finishes: every job exactly once, released ones reclaimed at once */
    snprintf(log, sizeof log, "%s/worker-drain2.log", tmpdir);
    const char *argv2[] = {
        "examiner",        "worker", "--bank",        "data/bank", "--redis",     srv.url,
        "--queue",         "drain",  "--batch",       "32",        "--cache-dir", tmpdir,
        "--claim-idle-ms", "1000",   "--idle-exit-s", "3",         NULL};
    rc = wait_exit(spawn(argv2, log), 300.0);
    CHECKF(rc == 0, "second worker exit code %d", rc);
    CHECKF(int_of(admin, "HGET %s %s", ck, "done") == 420, "cohort done = %lld",
           int_of(admin, "HGET %s %s", ck, "done"));
    CHECK(int_of(admin, "XLEN %s", k.results, NULL) == 420);
    CHECK(int_of(admin, "XLEN %s", k.dead, NULL) == 0);
    char ids[256];
    snprintf(ids, sizeof ids, "%s:ids", ck);
    CHECK(int_of(admin, "SCARD %s", ids, NULL) == 420);
    redisReply *rep = NULL;
    CHECK(exam_redis_command(admin, &rep, "XPENDING %s examiner", k.jobs) == EXAM_OK &&
          rep->type == REDIS_REPLY_ARRAY && rep->element[0]->integer == 0);
    freeReplyObject(rep);
    free(ck);
}

static void test_wrong_password(void) {
    char url[256], log[512];
    snprintf(url, sizeof url, "redis://grader:not-the-pw-42@127.0.0.1:%d/0", srv.port);
    snprintf(log, sizeof log, "%s/worker-pw.log", tmpdir);
    const char *argv[] = {"examiner", "worker", "--bank", "data/bank", "--redis", url, NULL};
    double t0 = exam_test_now();
    int rc = wait_exit(spawn(argv, log), 20.0);
    double dt = exam_test_now() - t0;
    CHECKF(rc == 4, "wrong password: exit code %d, want 4", rc);
    CHECKF(dt < 3.0, "failed in %.2f s", dt);
    char *text = exam_test_read_file(log, NULL);
    CHECKF(text && strstr(text, "authentication failed") && strstr(text, "grader:***@") &&
               !strstr(text, "not-the-pw-42"),
           "message: %s", text ? text : "(none)");
    free(text);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const char *bd = getenv("EXAMINER_BUILD_DIR");
    snprintf(exe, sizeof exe, "%s/examiner", bd ? bd : "build");
    if (access(exe, X_OK) != 0) {
        printf("SKIP ALL: no examiner binary at %s\n", exe);
        return 0;
    }
    FILE *f = fopen(exam_test_path(exam_test_model_dir(), "config.json"), "r");
    if (!f) {
        printf("SKIP ALL: model not found in %s\n", exam_test_model_dir());
        return 0;
    }
    fclose(f);
    int rc = exam_test_redis_start(&srv, "user grader on >s3cret-pw ~examiner:{rt}:* "
                                         "resetchannels -@all " ACL_CMDS);
    if (rc == 1) {
        printf("SKIP ALL: redis-server is not installed\n");
        return exam_test_finish();
    }
    CHECK(rc == 0);
    snprintf(tmpdir, sizeof tmpdir, "%s", srv.dir);
    exam_redis *admin = NULL;
    CHECK(rc == 0 && exam_redis_open(srv.url, NULL, &admin) == EXAM_OK);
    if (admin) {
        test_wrong_password();
        test_round_trip(admin);
        test_drain(admin);
        exam_redis_close(admin);
    }
    exam_test_redis_free(&srv);
    return exam_test_finish();
}
