/* Test harness: a private redis-server on a free loopback port, in its own temporary folder,
 * with AOF on and noeviction, that a test can stop, kill and restart on the same port. */
#ifndef EXAM_TEST_REDIS_SERVER_H
#define EXAM_TEST_REDIS_SERVER_H

#include <sys/types.h>

typedef struct exam_test_redis {
    pid_t pid;        /* 0 when not running */
    int port;         /* loopback port, kept across restarts */
    char dir[256];    /* working folder (config, AOF, log) */
    char url[128];    /* "redis://127.0.0.1:<port>/0" (no credentials) */
    char extra[2048]; /* config lines added at start */
} exam_test_redis;

/* 0 when redis-server is installed; 1 when it is not (the caller prints SKIP ALL); -1 when it
 * is not but EXAMINER_REQUIRE_REDIS is set (reported on stderr: a failure, not a skip). */
int exam_test_redis_installed(void);

/* Starts redis-server with AOF (appendfsync always), noeviction and `extra_config` lines
 * appended (may be NULL; e.g. "user worker on >pw ~examiner:* +@all"), and waits until it
 * answers. Returns 0, 1 when redis-server is not installed (the caller prints SKIP ALL; CI sets
 * EXAMINER_REQUIRE_REDIS=1, which turns that into -1), or -1 on failure (reason on stderr). */
int exam_test_redis_start(exam_test_redis *r, const char *extra_config);

/* Stops the server gracefully (SIGTERM: the AOF is flushed) and waits for it. */
void exam_test_redis_stop(exam_test_redis *r);

/* Kills the server with SIGKILL and waits for it. */
void exam_test_redis_kill(exam_test_redis *r);

/* Starts the stopped server again on the same port and folder (it replays its AOF).
 * Returns 0 or -1. */
int exam_test_redis_restart(exam_test_redis *r);

/* Stops the server if it runs and removes its folder. */
void exam_test_redis_free(exam_test_redis *r);

/* A loopback TCP port that was free a moment ago (bound and released), or -1. */
int exam_test_free_port(void);

/* Runs `redis-cli -p PORT ARGS...` (a shell fragment, for set-up and checks) and returns its
 * stdout (trailing newline removed) in a static buffer, or NULL if it could not run. */
const char *exam_test_redis_cli(const exam_test_redis *r, const char *args);

#endif
