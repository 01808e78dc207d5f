/* The CLI's contract: help on every verb, exit codes, bad lines rejected one by one while the
 * rest are embedded, clear errors for a missing or hostile model. */
/* labels: e2e */
#include <jansson.h>
#include <math.h>
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
    va_list ap;
    va_start(ap, fmt);
    int rc = exam_test_vrun(out, sizeof out, fmt, ap);
    va_end(ap);
    return rc;
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

/* Help says what the code does: grading has no --truncate/--window (answers are always
 * embedded whole) and refuses them; submit names the set it writes (`:submitted`). */
static void test_help_matches_code(void) {
    CHECK(run("%s grade --help", exe) == 0);
    CHECKF(!strstr(out, "--truncate") && !strstr(out, "--window"), "%s", out);
    CHECK(run("%s grade --window --bank data/bank --answers /dev/null", exe) == 2);
    CHECKF(strstr(out, "--window does not apply") != NULL, "%s", out);
    CHECK(run("%s grade --bank data/bank --answers /dev/null --truncate", exe) == 2);
    CHECK(run("%s worker --help", exe) == 0);
    CHECKF(!strstr(out, "--truncate") && !strstr(out, "--window"), "%s", out);
    CHECK(run("%s worker --truncate --bank data/bank", exe) == 2);
    CHECKF(strstr(out, "--truncate does not apply") != NULL, "%s", out);
    const char *embedders[] = {"embed", "similarity", "sts"};
    for (size_t i = 0; i < sizeof embedders / sizeof embedders[0]; i++) {
        CHECK(run("%s %s --help", exe, embedders[i]) == 0);
        CHECKF(strstr(out, "--truncate") && strstr(out, "--window"), "%s", embedders[i]);
    }
    CHECK(run("%s submit --help", exe) == 0);
    CHECKF(strstr(out, "cohort:<cohort>:submitted") && !strstr(out, ":ids"), "%s", out);
}

/* Copies src with every run of blanks and newlines folded into one space. */
static void fold_spaces(const char *src, char *dst, size_t cap) {
    size_t k = 0;
    for (const char *p = src; *p && k + 1 < cap; p++) {
        int blank = *p == ' ' || *p == '\n' || *p == '\t';
        if (blank && (k == 0 || dst[k - 1] == ' ')) continue;
        dst[k++] = blank ? ' ' : *p;
    }
    dst[k] = '\0';
}

/* `examiner backends`: no line over 100 columns, and every CUDA reason it prints is the same
 * one (the probe and the selection once disagreed on a machine without a GPU driver). */
static void test_backends_output(void) {
    CHECK(run("%s backends", exe) == 0);
    int longest = 0;
    for (const char *p = out; *p;) {
        int n = (int)strcspn(p, "\n");
        if (n > longest) longest = n;
        p += n + (p[n] == '\n');
    }
    CHECKF(longest <= 100, "a line of %d columns:\n%s", longest, out);
    CHECKF(strstr(out, "selected: cpu") || strstr(out, "selected: opencl") ||
               strstr(out, "selected: cuda"),
           "%s", out);
    static char folded[sizeof out];
    fold_spaces(out, folded, sizeof folded);
    char first[512] = "";
    int reasons = 0, distinct = 0;
    for (const char *p = folded; (p = strstr(p, "CUDA unavailable: ")); p++) {
        const char *end = strstr(p, ".c:");
        end = end ? end + strcspn(end, ")") : p + strlen(p);
        char reason[512];
        snprintf(reason, sizeof reason, "%.*s", (int)(end - p), p);
        reasons++;
        if (!first[0])
            snprintf(first, sizeof first, "%s", reason);
        else if (strcmp(first, reason) != 0)
            distinct++;
    }
    CHECKF(distinct == 0, "%d CUDA reasons differ from \"%s\":\n%s", distinct, first, out);
    printf("# backends: %d CUDA reason(s) printed, longest line %d\n", reasons, longest);
}

/* A bank path that is a FIFO is refused at once by every verb that reads banks. */
static void test_fifo_bank(const char *dir) {
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/bank.fifo", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    CHECK(run("timeout 20 %s bank lint %s", exe, fifo) == 1);
    CHECKF(strstr(out, "not a regular file (a FIFO)") != NULL, "%s", out);
    CHECK(run("timeout 20 %s bank import %s", exe, fifo) == 1);
    CHECKF(strstr(out, "not a regular file (a FIFO)") != NULL, "%s", out);
    CHECK(run("timeout 20 %s grade --bank %s --answers /dev/null", exe, fifo) == 1);
    CHECKF(strstr(out, "not a regular file (a FIFO)") != NULL, "%s", out);
    remove(fifo);
}

/* Every line of the file is a JSON object; returns how many carry error code `code`, or -1 when
 * a line is not JSON. */
static int json_lines_with_code(const char *path, const char *code) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[1 << 16];
    int n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        json_t *o = json_loads(line, 0, NULL);
        if (!json_is_object(o)) bad = 1;
        const char *c = json_string_value(json_object_get(json_object_get(o, "error"), "code"));
        if (c && strcmp(c, code) == 0) n++;
        json_decref(o);
    }
    fclose(f);
    return bad ? -1 : n;
}

/* Hostile weights: a NaN is refused when the model loads, naming the tensor; finite weights
 * that overflow give per-line error records (valid JSON, exit 3) and a grade that says why. */
static void test_non_finite_models(const char *dir) {
    char nan_dir[512], big_dir[512], emb[600];
    snprintf(nan_dir, sizeof nan_dir, "%s/nan-model", dir);
    snprintf(big_dir, sizeof big_dir, "%s/big-model", dir);
    snprintf(emb, sizeof emb, "%s/emb.jsonl", dir);
    CHECK(exam_test_model_poison(nan_dir, "encoder.layer.3.output.dense.bias", NAN) == 0);
    CHECK(run("(printf 'one\\ntwo\\n' | %s embed --backend cpu --model %s > %s)", exe, nan_dir,
              emb) == 1);
    CHECKF(strstr(out, "encoder.layer.3.output.dense.bias") &&
               strstr(out, "non-finite value (NaN)"),
           "%s", out);
    CHECK(run("%s grade --backend cpu --model %s --no-cache --bank data/bank --answers "
              "data/cohorts/demo.jsonl --quiet",
              exe, nan_dir) == 1);
    CHECKF(strstr(out, "encoder.layer.3.output.dense.bias") && strstr(out, "non-finite"), "%s",
           out);

    CHECK(exam_test_model_poison(big_dir, "embeddings.LayerNorm.weight", 3e38f) == 0);
    CHECK(run("(printf 'one\\ntwo\\n' | %s embed --backend cpu --model %s > %s)", exe, big_dir,
              emb) == 3);
    CHECKF(strstr(out, "line 2") && strstr(out, "non-finite embedding"), "%s", out);
    int n = json_lines_with_code(emb, "non_finite");
    CHECKF(n == 2, "%d error records with code non_finite (-1: a line is not JSON)", n);
    CHECK(run("%s grade --backend cpu --model %s --no-cache --bank data/bank --answers "
              "data/cohorts/demo.jsonl --quiet",
              exe, big_dir) == 1);
    CHECKF(strstr(out, "non-finite embedding"), "%s", out);
    run("rm -rf %s %s", nan_dir, big_dir);
}

static void test_embed_rejects_bad_lines(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/in.txt", dir);
    const char input[] = "first good line\nbad \xc3\x28 utf8\n\nlast good line\n";
    write_file(path, input, sizeof input - 1);
    CHECK(run("%s embed %s", exe, path) == 3);
    CHECK(exam_test_count(out, "\"embedding\"") == 3); /* the empty line is a valid (empty) text */
    CHECK(strstr(out, "\"index\":1,\"error\"") != NULL);
    CHECK(strstr(out, "invalid_utf8") != NULL);
    CHECK(strstr(out, "line 2") != NULL);
    /* JSONL: malformed JSON and a missing text are rejected, the rest embedded with their ids. */
    snprintf(path, sizeof path, "%s/in.jsonl", dir);
    const char jsonl[] =
        "{\"id\":\"a\",\"text\":\"caching\"}\n{not json\n{\"id\":\"c\"}\n\"plain\"\n";
    write_file(path, jsonl, sizeof jsonl - 1);
    CHECK(run("%s embed --jsonl %s", exe, path) == 3);
    CHECK(exam_test_count(out, "\"embedding\"") == 2);
    CHECK(strstr(out, "\"id\":\"a\"") != NULL);
    CHECK(exam_test_count(out, "\"error\"") == 2);
    /* A text over --max-bytes is refused, not truncated silently. */
    CHECK(run("printf 'short\\nthis one is too long\\n' | %s embed --max-bytes 10", exe) == 3);
    CHECK(exam_test_count(out, "\"embedding\"") == 1 && strstr(out, "max-bytes") != NULL);
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
    test_help_matches_code();
    test_backends_output();
    test_fifo_bank(dir);
    test_non_finite_models(dir);
    run("rm -rf %s", dir);
    return exam_test_finish();
}
