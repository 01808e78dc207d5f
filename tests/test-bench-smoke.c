/* examiner-bench's smoke run, as CI runs it: the tokenizer set with 3 repetitions writes valid
 * Google Benchmark JSON with our context block; the run lands in a history that `report`
 * turns into an HTML page with an SVG chart. */
/* labels: bench */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bank.h"
#include "testlib.h"

int main(void) {
    const char *dir = getenv("EXAMINER_BUILD_DIR");
    char bin[4096];
    snprintf(bin, sizeof bin, "%s/examiner-bench", dir ? dir : "build");
    if (access(bin, X_OK) != 0) {
        printf("SKIP ALL: %s not built (EXAMINER_BENCH=OFF or no Google Benchmark)\n", bin);
        return 0;
    }
    if (access(exam_test_path(exam_test_model_dir(), "vocab.txt"), R_OK) != 0) {
        printf("SKIP ALL: no model at %s\n", exam_test_model_dir());
        return 0;
    }
    char tmp[] = "/tmp/examiner-bench-smoke-XXXXXX";
    if (!mkdtemp(tmp)) {
        CHECK(0);
        return exam_test_finish();
    }
    char cmd[20000], out[4200];
    snprintf(out, sizeof out, "%s/out.json", tmp);
    snprintf(cmd, sizeof cmd,
             "'%s' --benchmark_filter=tokenizer --benchmark_repetitions=3 "
             "--benchmark_min_time=0.05 --benchmark_out='%s' --benchmark_out_format=json "
             "--history='%s/history' > '%s/stdout.txt' 2>&1",
             bin, out, tmp, tmp);
    int rc = system(cmd);
    CHECKF(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "examiner-bench exit %d", rc);
    json_error_t jerr;
    json_t *root = json_load_file(out, 0, &jerr);
    CHECKF(root != NULL, "%s: %s", out, jerr.text);
    json_t *ctx = json_object_get(root, "context");
    const char *keys[] = {"git_commit", "backend", "device",      "model",
                          "threads",    "date",    "instructions"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = json_string_value(json_object_get(ctx, keys[i]));
        CHECKF(v && *v, "context.%s missing", keys[i]);
    }
    CHECK(atoi(json_string_value(json_object_get(ctx, "threads")) ?: "0") >= 1);
    size_t i, reps = 0, others = 0;
    json_t *b;
    json_array_foreach(json_object_get(root, "benchmarks"), i, b) {
        const char *run = json_string_value(json_object_get(b, "run_name"));
        const char *type = json_string_value(json_object_get(b, "run_type"));
        if (!run || strncmp(run, "tokenizer/", 10) != 0) {
            others++;
            continue;
        }
        if (type && strcmp(type, "iteration") == 0 && strcmp(run, "tokenizer/sentences") == 0) {
            reps++;
            CHECK(json_number_value(json_object_get(b, "bytes_per_second")) > 0);
            CHECK(!json_is_true(json_object_get(b, "error_occurred")));
        }
    }
    CHECKF(reps == 3, "tokenizer/sentences repetitions: %zu", reps);
    CHECK(others == 0);
    json_decref(root);

    /* the history holds this run as one line; the report draws it */
    char hist[4300], *text = NULL;
    size_t len = 0;
    snprintf(hist, sizeof hist, "%s/history/runs.jsonl", tmp);
    CHECK(exam_bank_read_file(hist, &text, &len) == EXAM_OK);
    size_t lines = 0;
    for (size_t k = 0; text && k < len; k++) {
        lines += text[k] == '\n';
    }
    CHECKF(lines == 1, "history lines %zu", lines);
    free(text);
    snprintf(cmd, sizeof cmd, "'%s' report --history='%s' --out='%s/r.html' > /dev/null 2>&1", bin,
             hist, tmp);
    rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    snprintf(hist, sizeof hist, "%s/r.html", tmp);
    text = NULL;
    CHECK(exam_bank_read_file(hist, &text, &len) == EXAM_OK);
    CHECK(text && strstr(text, "<svg") && strstr(text, "tokenizer/document"));
    free(text);
    /* a report of an empty history is an error, not a blank page */
    snprintf(cmd, sizeof cmd, "'%s' report --history=/dev/null --out='%s/e.html' 2>/dev/null", bin,
             tmp);
    rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0);
    return exam_test_finish();
}
