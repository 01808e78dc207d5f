/* The Redis password stays off the command line and out of errors: URLs whose password holds
 * '/', ':' or '@' parse whole; URL errors quote the URL only with "***" for its credentials;
 * --redis-password-file, $REDISCLI_AUTH and $REDIS_URL authenticate; a password given with
 * --redis is blanked in /proc/<pid>/cmdline and warned about once.
 * labels: redis */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "redis_server.h"
#include "redis_url.h"
#include "testlib.h"

static char exe[512];
static char out[1 << 16];

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = exam_test_vrun(out, sizeof out, fmt, ap);
    va_end(ap);
    return rc;
}

static void test_parse(void) {
    exam_redis_url u;
    /* a raw '/' in the password: the credentials end at the last '@' */
    CHECK(exam_redis_url_parse("redis://u:pa/ss@10.0.0.5:6380/2", &u) == EXAM_OK);
    CHECKF(u.user && !strcmp(u.user, "u") && u.password && !strcmp(u.password, "pa/ss") &&
               !strcmp(u.host, "10.0.0.5") && u.port == 6380 && u.db == 2,
           "host %s port %d", u.host ? u.host : "-", u.port);
    exam_redis_url_free(&u);
    CHECK(exam_redis_url_parse("redis://u:p@ss:w/rd@h:1/0", &u) == EXAM_OK);
    CHECK(u.password && !strcmp(u.password, "p@ss:w/rd") && !strcmp(u.host, "h") && u.port == 1);
    exam_redis_url_free(&u);
    CHECK(exam_redis_url_parse("redis://u:pa%2Fss%40x@h/3", &u) == EXAM_OK);
    CHECK(u.password && !strcmp(u.password, "pa/ss@x") && u.db == 3);
    exam_redis_url_free(&u);
    /* errors never quote the credentials */
    const char *bad[] = {"redis://u:topsecret/x@h:99999/0", "redis://u:topsecret@h:12x",
                         "redis://u:topsecret@h/abc",       "redis://u:topsecret@",
                         "redis://topsecret/7@[::1",        "redis://u:topsecret%zz@h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        exam_status st = exam_redis_url_parse(bad[i], &u);
        CHECKF(st == EXAM_ERR_ARG && !strstr(exam_error_message(), "topsecret") &&
                   !strstr(exam_error_message(), "secret") && strstr(exam_error_message(), "***"),
               "%s: %s", bad[i], exam_error_message());
    }
    /* a password put into a URL round-trips through the parser */
    char *s = NULL;
    CHECK(exam_redis_url_with_password("redis://grader:@[::1]:7000/4", "a/b@c:d %e", &s) ==
          EXAM_OK);
    CHECK(s && exam_redis_url_parse(s, &u) == EXAM_OK);
    CHECK(u.user && !strcmp(u.user, "grader") && u.password && !strcmp(u.password, "a/b@c:d %e") &&
          !strcmp(u.host, "::1") && u.port == 7000 && u.db == 4);
    exam_redis_url_free(&u);
    free(s);
}

/* `examiner submit -` with a password in --redis, stdin held open: while it waits for input,
 * its /proc/<pid>/cmdline no longer holds the password. */
static void test_cmdline(const exam_test_redis *srv) {
    char url[256];
    snprintf(url, sizeof url, "redis://grader:pa%%2Fss%%40w0rd@127.0.0.1:%d/0", srv->port);
    int in[2], err[2];
    if (pipe(in) || pipe(err)) {
        CHECK(0);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(err[1], 2);
        close(in[1]);
        close(err[0]);
        execl(exe, exe, "submit", "-", "--redis", url, "--queue", "secrets", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(err[1]);
    /* the warning comes after the blanking: read stderr until it is there */
    char buf[4096];
    size_t n = 0;
    ssize_t got;
    while (n < sizeof buf - 1 && (got = read(err[0], buf + n, sizeof buf - 1 - n)) > 0) {
        n += (size_t)got;
        buf[n] = '\0';
        if (strchr(buf, '\n')) break;
    }
    buf[n] = '\0';
    CHECKF(strstr(buf, "password was given on the command line"), "stderr: %s", buf);
    char path[64], cmdline[4096];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "rb");
    size_t m = f ? fread(cmdline, 1, sizeof cmdline - 1, f) : 0;
    if (f) fclose(f);
    for (size_t i = 0; i < m; i++)
        if (cmdline[i] == '\0') cmdline[i] = ' ';
    cmdline[m] = '\0';
    CHECKF(m > 0 && !strstr(cmdline, "pa%2Fss") && !strstr(cmdline, "w0rd") &&
               strstr(cmdline, "redis://grader:*"),
           "cmdline: %s", cmdline);
    /* a job on stdin, then end of input: it was added with the real password */
    const char job[] = "{\"id\":\"s1\",\"question_id\":\"py-gil\",\"answer\":\"a lock\"}\n";
    CHECK(write(in[1], job, sizeof job - 1) == (ssize_t)(sizeof job - 1));
    close(in[1]);
    while (n < sizeof buf - 1 && (got = read(err[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)got;
    buf[n] = '\0';
    close(err[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "submit: status %d: %s", status, buf);
    CHECKF(exam_test_count(buf, "warning") == 1, "one warning: %s", buf);
}

static void test_sources(const exam_test_redis *srv, const char *dir) {
    int port = srv->port;
    /* with --redis: works, warns once */
    int rc =
        run("%s status --queue secrets --redis 'redis://grader:pa%%2Fss%%40w0rd@127.0.0.1:%d/0'",
            exe, port);
    CHECKF(rc == 0 && exam_test_count(out, "password was given on the command line") == 1,
           "rc %d: %.300s", rc, out);
    /* a password file */
    char pwfile[512];
    snprintf(pwfile, sizeof pwfile, "%s/pw", dir);
    FILE *f = fopen(pwfile, "w");
    fputs("pa/ss@w0rd\n", f);
    fclose(f);
    rc = run("%s status --queue secrets --redis redis://grader:@127.0.0.1:%d/0 "
             "--redis-password-file %s",
             exe, port, pwfile);
    CHECKF(rc == 0 && !strstr(out, "warning"), "password file: rc %d: %.300s", rc, out);
    /* a wrong one is refused (exit 4): the file's password is the one used */
    f = fopen(pwfile, "w");
    fputs("wrong\n", f);
    fclose(f);
    rc = run("%s status --queue secrets --redis redis://grader:@127.0.0.1:%d/0 "
             "--redis-password-file %s",
             exe, port, pwfile);
    CHECKF(rc == 4 && !strstr(out, "wrong"), "wrong password file: rc %d: %.300s", rc, out);
    rc = run("%s status --redis-password-file %s/none", exe, dir);
    CHECKF(rc == 2 && strstr(out, "cannot read the Redis password"), "missing file: rc %d", rc);
    /* $REDISCLI_AUTH, $REDIS_URL */
    rc = run("REDISCLI_AUTH='pa/ss@w0rd' %s status --queue secrets --redis "
             "redis://grader:@127.0.0.1:%d/0",
             exe, port);
    CHECKF(rc == 0 && !strstr(out, "warning"), "REDISCLI_AUTH: rc %d: %.300s", rc, out);
    rc = run("REDIS_URL='redis://grader:pa%%2Fss%%40w0rd@127.0.0.1:%d/0' %s status --queue secrets",
             port, exe);
    CHECKF(rc == 0 && !strstr(out, "warning"), "REDIS_URL: rc %d: %.300s", rc, out);
    /* a malformed URL's error names neither the password nor a piece of it, in every verb */
    const char *verbs[] = {
        "status",          "submit -", "results --cohort c", "dlq list", "worker --bank data/bank",
        "calibrate show c"};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        rc = run("REDIS_URL='redis://grader:topsecret/x@127.0.0.1:99999/0' %s %s </dev/null", exe,
                 verbs[i]);
        CHECKF(rc == 2 && !strstr(out, "secret") && strstr(out, "***"), "%s: rc %d: %.300s",
               verbs[i], rc, out);
    }
}

int main(void) {
    test_parse();
    const char *bd = getenv("EXAMINER_BUILD_DIR");
    snprintf(exe, sizeof exe, "%s/examiner", bd && *bd ? bd : "build");
    if (access(exe, X_OK) != 0) {
        printf("SKIP the CLI checks: %s not built\n", exe);
        return exam_test_finish();
    }
    exam_test_redis srv;
    int rc = exam_test_redis_start(&srv, "user grader on >pa/ss@w0rd ~examiner:* +@all\n");
    if (rc == 1) {
        printf("SKIP the CLI checks: redis-server is not installed\n");
        return exam_test_finish();
    }
    CHECK(rc == 0);
    if (rc != 0) return exam_test_finish();
    char dir[] = "/tmp/exam-secrets-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    test_cmdline(&srv);
    test_sources(&srv, dir);
    exam_test_redis_free(&srv);
    run("rm -rf %s", dir);
    return exam_test_finish();
}
