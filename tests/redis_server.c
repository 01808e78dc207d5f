/* A private redis-server per test: free port, temp folder, AOF, graceful or brutal stops. */
#include "redis_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int exam_test_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* 1 when something on the port answers a PING (PONG, NOAUTH or any error reply). */
static int answers_ping(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    int ok = 0;
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && write(fd, "PING\r\n", 6) == 6) {
        char buf[64];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        /* "-LOADING" means the AOF is still being replayed: not ready yet */
        ok = n > 0 && (buf[0] == '+' || (buf[0] == '-' && strncmp(buf, "-LOADING", 8) != 0));
    }
    close(fd);
    return ok;
}

static int spawn(exam_test_redis *r) {
    char conf[300];
    snprintf(conf, sizeof conf, "%s/redis.conf", r->dir);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        char log[300];
        snprintf(log, sizeof log, "%s/stdout.log", r->dir);
        FILE *f = freopen(log, "a", stdout);
        (void)f;
        execlp("redis-server", "redis-server", conf, (char *)NULL);
        _exit(127);
    }
    r->pid = pid;
    for (int i = 0; i < 400; i++) { /* up to 20 s */
        if (answers_ping(r->port)) return 0;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            r->pid = 0;
            fprintf(stderr, "redis-server exited at start (status %d); see %s/redis.log\n", status,
                    r->dir);
            return -1;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "redis-server on port %d did not answer within 20 s\n", r->port);
    exam_test_redis_kill(r);
    return -1;
}

int exam_test_redis_installed(void) {
    if (system("command -v redis-server >/dev/null 2>&1") == 0) return 0;
    const char *req = getenv("EXAMINER_REQUIRE_REDIS");
    if (req && *req && strcmp(req, "0") != 0) {
        fprintf(stderr, "redis-server is not installed but EXAMINER_REQUIRE_REDIS is set\n");
        return -1;
    }
    return 1;
}

int exam_test_redis_start(exam_test_redis *r, const char *extra_config) {
    memset(r, 0, sizeof *r);
    int installed = exam_test_redis_installed();
    if (installed != 0) return installed;
    const char *tmp = getenv("TMPDIR");
    snprintf(r->dir, sizeof r->dir, "%s/examiner-redis-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(r->dir)) {
        perror("mkdtemp");
        return -1;
    }
    if (extra_config) snprintf(r->extra, sizeof r->extra, "%s", extra_config);
    for (int attempt = 0; attempt < 5; attempt++) {
        r->port = exam_test_free_port();
        if (r->port <= 0) return -1;
        char conf[300];
        snprintf(conf, sizeof conf, "%s/redis.conf", r->dir);
        FILE *f = fopen(conf, "w");
        if (!f) return -1;
        fprintf(f,
                "port %d\nbind 127.0.0.1\ndir %s\nlogfile %s/redis.log\ndaemonize no\n"
                "appendonly yes\nappendfsync always\nsave \"\"\nmaxmemory-policy noeviction\n"
                "protected-mode yes\n%s\n",
                r->port, r->dir, r->dir, r->extra);
        fclose(f);
        snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%d/0", r->port);
        if (spawn(r) == 0) return 0;
    }
    return -1;
}

static void wait_child(exam_test_redis *r) {
    if (!r->pid) return;
    int status;
    while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR) {
    }
    r->pid = 0;
}

void exam_test_redis_stop(exam_test_redis *r) {
    if (!r->pid) return;
    kill(r->pid, SIGTERM);
    wait_child(r);
}

void exam_test_redis_kill(exam_test_redis *r) {
    if (!r->pid) return;
    kill(r->pid, SIGKILL);
    wait_child(r);
}

int exam_test_redis_restart(exam_test_redis *r) {
    if (r->pid) exam_test_redis_stop(r);
    return spawn(r);
}

void exam_test_redis_free(exam_test_redis *r) {
    exam_test_redis_stop(r);
    if (r->dir[0]) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", r->dir);
        r->dir[0] = '\0';
    }
}

const char *exam_test_redis_cli(const exam_test_redis *r, const char *args) {
    static char out[65536];
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "redis-cli -p %d %s 2>&1", r->port, args);
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    while (n > 0 && out[n - 1] == '\n') out[--n] = '\0';
    return out;
}
