/* The worker's HTTP endpoint cannot starve the process: 300 loopback connections that trickle
 * header bytes (one a second each) do not use up the descriptors (the test runs with a soft
 * RLIMIT_NOFILE of 400), a Redis connection still reconnects after a redis-server restart in
 * the middle of the flood, /healthz answers a fresh connection once the trickling ones pass the
 * header deadline (they are closed by the server although they keep sending), and the log stays
 * small. Also: "PORT" binds 127.0.0.1 only, "0.0.0.0:PORT" all interfaces, bad addresses fail.
 * labels: redis */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_server.h"
#include "redis_conn.h"
#include "redis_server.h"
#include "testlib.h"

#define N_TRICKLE 300
#define FD_LIMIT 400
#define LOG_LIMIT (32 * 1024)

static int handler(void *user, const char *path, char **body, const char **ctype) {
    (void)user;
    (void)ctype;
    if (strcmp(path, "/healthz") != 0) return 404;
    *body = strdup("ok\n");
    return 200;
}

/* A loopback connection to port (connect bounded by 1 s), or -1. */
static int dial(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    struct pollfd p = {fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (poll(&p, 1, 1000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
        close(fd);
        return -1;
    }
    return fd;
}

/* GET /healthz on a fresh connection within 2 s; 1 when it answered 200. */
static int healthz(int port) {
    int fd = dial(port);
    if (fd < 0) return 0;
    const char req[] = "GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n";
    char buf[512];
    size_t len = 0;
    int ok = write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1);
    double t0 = exam_test_now();
    while (ok && len + 1 < sizeof buf && exam_test_now() - t0 < 2.0) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 200) != 1) continue;
        ssize_t got = read(fd, buf + len, sizeof buf - 1 - len);
        if (got <= 0) break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    return strstr(buf, " 200 ") != NULL;
}

typedef struct flood {
    int port;
    int fds[N_TRICKLE];
    int opened;
    volatile int stop;
    int alive;      /* connections still open on the server side at the last round */
    int max_closed; /* how many the server had closed */
} flood;

/* Every second, one more header byte on every connection the server has not closed. */
static void *trickle_main(void *arg) {
    flood *f = arg;
    while (!f->stop) {
        int alive = 0;
        for (int i = 0; i < f->opened; i++) {
            if (f->fds[i] < 0) continue;
            char junk[64];
            ssize_t r = recv(f->fds[i], junk, sizeof junk, MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
                send(f->fds[i], "a", 1, MSG_NOSIGNAL) != 1) {
                close(f->fds[i]);
                f->fds[i] = -1;
                continue;
            }
            alive++;
        }
        f->alive = alive;
        for (int k = 0; k < 10 && !f->stop; k++) usleep(100000);
    }
    return NULL;
}

static void test_flood(exam_test_redis *srv) {
    exam_http_server *http = NULL;
    CHECK(exam_http_start("0", handler, NULL, &http) == EXAM_OK);
    if (!http) return;
    int port = exam_http_port(http);
    CHECKF(!strncmp(exam_http_bound(http), "127.0.0.1:", 10), "\"0\" bound %s",
           exam_http_bound(http));
    CHECK(healthz(port));
    exam_redis *r = NULL;
    CHECK(exam_redis_open(srv->url, NULL, &r) == EXAM_OK);

    /* the flood, with the log going to a file */
    char log_path[300];
    snprintf(log_path, sizeof log_path, "%s/flood.log", srv->dir);
    fflush(stderr);
    int saved = dup(2), logfd = open(log_path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(saved >= 0 && logfd >= 0);
    dup2(logfd, 2);
    close(logfd);
    static flood f;
    memset(&f, 0, sizeof f);
    f.port = port;
    for (int i = 0; i < N_TRICKLE; i++) {
        int fd = dial(port);
        if (fd < 0) break;
        const char head[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
        if (send(fd, head, sizeof head - 1, MSG_NOSIGNAL) < 0) {
            close(fd);
            fd = -1;
        }
        f.fds[f.opened++] = fd;
    }
    pthread_t th;
    CHECK(pthread_create(&th, NULL, trickle_main, &f) == 0);
    double t0 = exam_test_now();

    /* Redis restarts meanwhile: the connection must come back */
    exam_test_redis_stop(srv);
    CHECK(exam_test_redis_restart(srv) == 0);
    redisReply *rep = NULL;
    exam_status st = exam_redis_argv(r, 1, (const char *[]){"PING"}, NULL, &rep);
    freeReplyObject(rep);
    rep = NULL;
    if (st != EXAM_OK) st = exam_redis_reconnect_backoff(r, NULL, 10.0);
    if (st == EXAM_OK) st = exam_redis_argv(r, 1, (const char *[]){"PING"}, NULL, &rep);
    int redis_back = st == EXAM_OK && rep && rep->type == REDIS_REPLY_STATUS;
    freeReplyObject(rep);

    /* once the deadline has passed, a fresh request is answered */
    int answered = 0;
    while (!answered && exam_test_now() - t0 < EXAM_HTTP_HEADER_DEADLINE_S + 8.0) {
        answered = healthz(port);
        if (!answered) usleep(500000);
    }
    double answered_s = exam_test_now() - t0;
    usleep(1500000); /* one more trickle round sees the closed connections */
    int alive = f.alive;
    f.stop = 1;
    pthread_join(th, NULL);
    for (int i = 0; i < f.opened; i++)
        if (f.fds[i] >= 0) close(f.fds[i]);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);

    CHECKF(f.opened >= N_TRICKLE * 9 / 10, "opened %d of %d connections", f.opened, N_TRICKLE);
    CHECKF(redis_back, "the Redis connection did not come back during the flood: %s",
           exam_error_message());
    CHECKF(answered, "/healthz did not answer a fresh connection within %.1f s", answered_s);
    CHECKF(alive == 0, "%d trickling connections still open after %.1f s", alive,
           exam_test_now() - t0);
    struct stat sb;
    CHECK(stat(log_path, &sb) == 0);
    CHECKF(sb.st_size < LOG_LIMIT, "the log grew to %lld bytes", (long long)sb.st_size);
    char *log = exam_test_read_file(log_path, NULL);
    if (log) fprintf(stderr, "flood log:\n%.2000s\n", log);
    free(log);
    exam_redis_close(r);
    exam_http_stop(http);
}

static void test_addresses(void) {
    exam_http_server *s = NULL;
    CHECK(exam_http_start("0.0.0.0:0", handler, NULL, &s) == EXAM_OK);
    CHECKF(s && !strncmp(exam_http_bound(s), "0.0.0.0:", 8), "0.0.0.0:0 bound %s",
           s ? exam_http_bound(s) : "-");
    exam_http_stop(s);
    s = NULL;
    CHECK(exam_http_start(":0", handler, NULL, &s) == EXAM_OK);
    CHECKF(s && !strncmp(exam_http_bound(s), "127.0.0.1:", 10), ":0 bound %s",
           s ? exam_http_bound(s) : "-");
    exam_http_stop(s);
    s = NULL;
    if (exam_http_start("[::1]:0", handler, NULL, &s) == EXAM_OK) /* hosts without IPv6 fail */
        CHECKF(!strncmp(exam_http_bound(s), "[::1]:", 6), "[::1]:0 bound %s", exam_http_bound(s));
    exam_http_stop(s);
    s = NULL;
    const char *bad[] = {"[::1:0", "1.2.3:80", "host:x", "::1:80", "99999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECKF(exam_http_start(bad[i], handler, NULL, &s) == EXAM_ERR_ARG, "accepted %s", bad[i]);
        exam_http_stop(s);
        s = NULL;
    }
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    rl.rlim_cur = rl.rlim_max < FD_LIMIT ? rl.rlim_max : FD_LIMIT;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    exam_test_redis srv;
    int rc = exam_test_redis_start(&srv, NULL);
    if (rc == 1) {
        printf("SKIP ALL: redis-server is not installed\n");
        return exam_test_finish();
    }
    CHECK(rc == 0);
    test_addresses();
    if (rc == 0) test_flood(&srv);
    exam_test_redis_free(&srv);
    return exam_test_finish();
}
