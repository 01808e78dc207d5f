/* Redis URL parsing and the checked connection: AUTH with ACL users, wrong passwords, database
 * selection, socket timeouts and reconnecting across a server restart, on a real redis-server.
 * labels: redis */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "queue_keys.h"
#include "redis_conn.h"
#include "redis_server.h"
#include "redis_url.h"
#include "testlib.h"

static void test_url_parse(void) {
    exam_redis_url u;
    CHECK(exam_redis_url_parse("redis://localhost", &u) == EXAM_OK);
    CHECK(!strcmp(u.host, "localhost") && u.port == 6379 && u.db == 0 && !u.user && !u.password);
    exam_redis_url_free(&u);

    CHECK(exam_redis_url_parse("redis://grader:s%40cr%3At@10.0.0.5:6380/3", &u) == EXAM_OK);
    CHECK(!strcmp(u.host, "10.0.0.5") && u.port == 6380 && u.db == 3);
    CHECK(u.user && !strcmp(u.user, "grader") && u.password && !strcmp(u.password, "s@cr:t"));
    char buf[256];
    exam_redis_url_redact(&u, buf, sizeof buf);
    CHECKF(!strcmp(buf, "redis://grader:***@10.0.0.5:6380/3"), "redacted: %s", buf);
    CHECK(strstr(buf, "cr") == NULL);
    exam_redis_url_free(&u);

    CHECK(exam_redis_url_parse("redis://:onlypw@h:1/0", &u) == EXAM_OK);
    CHECK(!u.user && !strcmp(u.password, "onlypw") && u.port == 1);
    exam_redis_url_free(&u);

    CHECK(exam_redis_url_parse("redis://[::1]:7000", &u) == EXAM_OK);
    CHECK(!strcmp(u.host, "::1") && u.port == 7000);
    exam_redis_url_free(&u);

    const char *bad[] = {"",
                         "http://h",
                         "redis://",
                         "redis://h:0",
                         "redis://h:70000",
                         "redis://h:12x",
                         "redis://h/abc",
                         "redis://u:p%zz@h",
                         "redis://u:p%00@h",
                         "redis://[::1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        exam_status st = exam_redis_url_parse(bad[i], &u);
        CHECKF(st == EXAM_ERR_ARG, "'%s' gave %s", bad[i], exam_status_name(st));
    }
    exam_status st = exam_redis_url_parse("redis://u:topsecret%zz@h", &u);
    CHECK(st == EXAM_ERR_ARG && !strstr(exam_error_message(), "topsecret"));
    CHECK(exam_redis_url_parse("rediss://h", &u) == EXAM_ERR_UNAVAILABLE);
}

static void test_keys(void) {
    exam_queue_keys k;
    CHECK(exam_queue_keys_init("grading", &k) == EXAM_OK);
    CHECK(!strcmp(k.jobs, "examiner:{grading}:jobs"));
    CHECK(!strcmp(k.dead, "examiner:{grading}:dead"));
    char *rk = exam_queue_key_for(&k, "result", "job-7");
    CHECK(rk && !strcmp(rk, "examiner:{grading}:result:job-7"));
    free(rk);
    CHECK(exam_queue_keys_init("a{b}", &k) == EXAM_ERR_ARG);
    CHECK(exam_queue_keys_init("", &k) == EXAM_ERR_ARG);
    CHECK(exam_queue_keys_init("with space", &k) == EXAM_ERR_ARG);
}

static void test_server(exam_test_redis *srv) {
    exam_redis *r = NULL;
    /* the default user has no password here; the ACL user "grader" is limited to queue keys */
    CHECK(exam_redis_open(srv->url, NULL, &r) == EXAM_OK);
    redisReply *rep = NULL;
    CHECK(exam_redis_command(r, &rep, "SET %s %s", "k", "v") == EXAM_OK &&
          exam_redis_reply_status(rep, "SET") == EXAM_OK);
    freeReplyObject(rep);
    exam_redis_close(r);

    char url[256];
    snprintf(url, sizeof url, "redis://grader:right-pw@127.0.0.1:%d/0", srv->port);
    CHECK(exam_redis_open(url, NULL, &r) == EXAM_OK);
    if (r) {
        CHECK(exam_redis_command(r, &rep, "SET %s %s", "examiner:{q}:x", "1") == EXAM_OK);
        CHECK(rep && exam_redis_reply_status(rep, "SET") == EXAM_OK);
        freeReplyObject(rep);
        CHECK(exam_redis_command(r, &rep, "SET %s %s", "other", "1") == EXAM_OK);
        CHECK(exam_redis_reply_status(rep, "SET") == EXAM_ERR_DENIED);
        freeReplyObject(rep);
        exam_redis_close(r);
    }

    snprintf(url, sizeof url, "redis://grader:wrong-pw@127.0.0.1:%d/0", srv->port);
    double t0 = exam_test_now();
    exam_status st = exam_redis_open(url, NULL, &r);
    CHECKF(st == EXAM_ERR_DENIED, "wrong password gave %s: %s", exam_status_name(st),
           exam_error_message());
    CHECK(exam_test_now() - t0 < 2.5); /* one AUTH round trip, no backoff loop */
    CHECKF(!strstr(exam_error_message(), "wrong-pw"), "password leaked: %s", exam_error_message());
    CHECK(strstr(exam_error_message(), "grader:***@") != NULL);

    /* nothing listens on port 1 */
    st = exam_redis_open("redis://127.0.0.1:1/0", NULL, &r);
    CHECK(st == EXAM_ERR_UNAVAILABLE);

    snprintf(url, sizeof url, "redis://127.0.0.1:%d/2", srv->port);
    CHECK(exam_redis_open(url, NULL, &r) == EXAM_OK);
    if (!r) return;
    CHECK(exam_redis_command(r, &rep, "GET %s", "k") == EXAM_OK);
    CHECK(rep && rep->type == REDIS_REPLY_NIL); /* db 2, not db 0 */
    freeReplyObject(rep);

    /* a socket timeout shorter than a BLOCK surfaces as unavailable, not a hang */
    CHECK(exam_redis_set_io_timeout(r, 0.3) == EXAM_OK);
    t0 = exam_test_now();
    st = exam_redis_command(r, &rep, "BLPOP %s %s", "nothing", "2");
    CHECK(st == EXAM_ERR_UNAVAILABLE && exam_test_now() - t0 < 1.5);
    CHECK(!exam_redis_connected(r));
    CHECK(exam_redis_set_io_timeout(r, 5.0) == EXAM_OK);
    CHECK(exam_redis_reconnect(r) == EXAM_OK && exam_redis_connected(r));

    /* a server restart: the next command fails, the backoff loop reconnects */
    exam_test_redis_stop(srv);
    st = exam_redis_command(r, &rep, "PING");
    CHECK(st == EXAM_ERR_UNAVAILABLE);
    freeReplyObject(rep);
    CHECK(exam_redis_reconnect_backoff(r, NULL, 0.5) == EXAM_ERR_UNAVAILABLE);
    CHECK(exam_test_redis_restart(srv) == 0);
    CHECK(exam_redis_reconnect_backoff(r, NULL, 10.0) == EXAM_OK);
    CHECK(exam_redis_command(r, &rep, "PING") == EXAM_OK && rep && rep->type == REDIS_REPLY_STATUS);
    freeReplyObject(rep);
    exam_redis_close(r);

    /* AOF kept what was written before the restart */
    const char *v = exam_test_redis_cli(srv, "GET k");
    CHECKF(v && !strcmp(v, "v"), "after restart GET k = %s", v ? v : "(null)");
}

int main(void) {
    test_url_parse();
    test_keys();
    exam_test_redis srv;
    int rc = exam_test_redis_start(
        &srv, "user grader on >right-pw ~examiner:{q}:* resetchannels -@all +@read +@write "
              "+@stream +ping +auth +select +client");
    if (rc == 1) {
        printf("SKIP ALL: redis-server is not installed\n");
        return exam_test_finish();
    }
    CHECK(rc == 0);
    if (rc == 0) test_server(&srv);
    exam_test_redis_free(&srv);
    return exam_test_finish();
}
