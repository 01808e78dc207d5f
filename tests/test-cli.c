/* The CLI's contract: help on every verb, exit codes, bad lines rejected one by one while the
 * rest are embedded, clear errors for a missing or hostile model. */
/* labels: e2e */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char exe[2048];
static char out[1 << 16];

/* Runs a shell command, captures stdout+stderr into `out`, returns the exit code. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int count_lines(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++) n++;
    return n;
}

static void write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
}

static void test_help_and_usage(void) {
    const char *verbs[] = {"embed", "similarity", "sts"};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        CHECKF(run("%s %s --help", exe, verbs[i]) == 0, "%s --help", verbs[i]);
        CHECK(strstr(out, "usage: examiner") != NULL);
    }
    CHECK(run("%s", exe) == 2);
    CHECK(run("%s no-such-verb", exe) == 2);
    CHECK(strstr(out, "unknown verb") != NULL);
    CHECK(run("%s embed --no-such-flag", exe) == 2);
    CHECK(run("%s similarity only-one", exe) == 2);
    CHECK(run("%s embed --threads zero", exe) == 2);
}

static void test_embed_rejects_bad_lines(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/in.txt", dir);
    const char input[] = "first good line\nbad \xc3\x28 utf8\n\nlast good line\n";
    write_file(path, input, sizeof input - 1);
    CHECK(run("%s embed %s", exe, path) == 3);
    CHECK(count_lines(out, "\"embedding\"") == 3); /* the empty line is a valid (empty) text */
    CHECK(strstr(out, "\"index\":1,\"error\"") != NULL);
    CHECK(strstr(out, "invalid_utf8") != NULL);
    CHECK(strstr(out, "line 2") != NULL);
    /* JSONL: malformed JSON and a missing text are rejected, the rest embedded with their ids. */
    snprintf(path, sizeof path, "%s/in.jsonl", dir);
    const char jsonl[] =
        "{\"id\":\"a\",\"text\":\"caching\"}\n{not json\n{\"id\":\"c\"}\n\"plain\"\n";
    write_file(path, jsonl, sizeof jsonl - 1);
    CHECK(run("%s embed --jsonl %s", exe, path) == 3);
    CHECK(count_lines(out, "\"embedding\"") == 2);
    CHECK(strstr(out, "\"id\":\"a\"") != NULL);
    CHECK(count_lines(out, "\"error\"") == 2);
    /* A text over --max-bytes is refused, not truncated silently. */
    CHECK(run("printf 'short\\nthis one is too long\\n' | %s embed --max-bytes 10", exe) == 3);
    CHECK(count_lines(out, "\"embedding\"") == 1 && strstr(out, "max-bytes") != NULL);
}

static void test_similarity_orders_meaning(void) {
    CHECK(run("%s similarity 'A cat sits on the mat.' 'A cat is sitting on a mat.'", exe) == 0);
    double close = atof(out);
    CHECK(run("%s similarity 'A cat sits on the mat.' 'Interest rates rose in March.'", exe) == 0);
    double far = atof(out);
    CHECKF(close > 0.8 && far < 0.3, "close %.3f far %.3f", close, far);
}

static void test_bad_models(const char *dir) {
    CHECK(run("%s similarity --model /nonexistent a b", exe) == 1);
    CHECK(strstr(out, "cannot load the model") != NULL);
    /* A copy of the model folder whose weights are cut short. */
    char bad[512];
    snprintf(bad, sizeof bad, "%s/model", dir);
    mkdir(bad, 0700);
    const char *src = exam_test_model_dir();
    CHECK(run("cp %s/config.json %s/vocab.txt %s/ && head -c 3000000 %s/model.safetensors > "
              "%s/model.safetensors",
              src, src, bad, src, bad) == 0);
    CHECK(run("%s similarity --model %s a b", exe, bad) == 1);
    CHECKF(strstr(out, "truncated") != NULL, "%s", out);
    /* A config that lies about the hidden size. */
    CHECK(
        run("cp %s/model.safetensors %s/ && sed -i 's/\"hidden_size\": 384/\"hidden_size\": 396/' "
            "%s/config.json",
            src, bad, bad) == 0);
    CHECK(run("%s similarity --model %s a b", exe, bad) == 1);
    CHECKF(strstr(out, "shape") != NULL, "%s", out);
    /* A config that is not JSON at all. */
    write_file(exam_test_path(bad, "config.json"), "{\"hidden_size\":", 15);
    CHECK(run("%s similarity --model %s a b", exe, bad) == 1);
    CHECKF(strstr(out, "config.json") != NULL, "%s", out);
}

int main(void) {
    const char *build = getenv("EXAMINER_BUILD_DIR");
    snprintf(exe, sizeof exe, "%s/examiner", build ? build : "build");
    char dir[] = "/tmp/exam-cli-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    test_help_and_usage();
    test_embed_rejects_bad_lines(dir);
    test_similarity_orders_meaning();
    test_bad_models(dir);
    run("rm -rf %s", dir);
    return exam_test_finish();
}
