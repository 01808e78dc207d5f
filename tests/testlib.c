/* Implementation of the test harness in testlib.h. */
#include "testlib.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "bank.h"

int exam_test_passed;
int exam_test_failed;

void exam_test_check(int ok, const char *expr, const char *file, int line, const char *fmt, ...) {
    if (ok) {
        exam_test_passed++;
        return;
    }
    exam_test_failed++;
    fprintf(stderr, "FAIL %s:%d: %s", file, line, expr);
    if (fmt) {
        fputs(": ", stderr);
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
}

int exam_test_finish(void) {
    printf("%d passed, %d failed\n", exam_test_passed, exam_test_failed);
    fflush(stdout);
    return (exam_test_failed == 0 && exam_test_passed > 0) ? 0 : 1;
}

const char *exam_test_model_dir(void) {
    const char *env = getenv("EXAMINER_MODEL_DIR");
    return (env && *env) ? env : "models/all-MiniLM-L6-v2";
}

const char *exam_test_path(const char *dir, const char *name) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

const char *exam_test_datasets_dir(void) {
    const char *env = getenv("EXAMINER_DATASETS");
    const char *dir = (env && *env) ? env : "../shared/datasets";
    struct stat st;
    return (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) ? dir : NULL;
}

void exam_test_check_sts_figure(const char *datasets, const char *backend) {
    const char *build = getenv("EXAMINER_BUILD_DIR");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s/examiner sts %s%s %s/stsbenchmark/sts-test.csv",
             build ? build : "build", backend ? "--backend " : "", backend ? backend : "",
             datasets);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    char line[512], last[512] = "";
    while (p && fgets(line, sizeof line, p)) snprintf(last, sizeof last, "%s", line);
    int rc = p ? pclose(p) : -1;
    CHECKF(rc == 0, "'%s' exited with %d", cmd, rc);
    double spearman = 0, pearson = 0;
    int n = 0;
    CHECKF(sscanf(last, "spearman=%lf pearson=%lf n=%d", &spearman, &pearson, &n) == 3,
           "last line: '%s'", last);
    printf("%s", last);
    CHECKF(spearman >= 0.8198 && spearman <= 0.8208, "spearman %.4f outside 0.8203 ± 0.0005",
           spearman);
    CHECK(n == 1379);
}

double exam_test_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *exam_test_read_file(const char *path, size_t *len) {
    char *text = NULL;
    size_t n = 0;
    if (exam_bank_read_file(path, &text, &n) != EXAM_OK) {
        exam_error_clear();
        return NULL;
    }
    if (len) *len = n;
    return text;
}

int exam_test_grader_open(exam_test_grader *t) {
    memset(t, 0, sizeof *t);
    int bank_ok = exam_bank_load("data/bank", &t->bank) == EXAM_OK;
    CHECKF(bank_ok, "%s", exam_error_message());
    CHECKF(exam_backend_create("cpu", NULL, &t->be) == EXAM_OK, "%s", exam_error_message());
    CHECKF(t->be && exam_encoder_init(exam_test_model_dir(), t->be, &t->enc) == EXAM_OK, "%s",
           exam_error_message());
    CHECKF(bank_ok && t->enc && exam_grader_init(&t->bank, t->enc, NULL, NULL, &t->g) == EXAM_OK,
           "%s", exam_error_message());
    return t->g ? 0 : -1;
}

void exam_test_grader_close(exam_test_grader *t) {
    exam_grader_free(t->g);
    exam_encoder_free(t->enc);
    exam_backend_free(t->be);
    exam_bank_free(&t->bank);
    memset(t, 0, sizeof *t);
}

int exam_test_model_poison(const char *dir, const char *tensor, float value) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp -r '%s'/. '%s'/", dir, exam_test_model_dir(),
             dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "poison: cannot copy the model to %s\n", dir);
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    FILE *f = fopen(path, "r+b");
    unsigned char len8[8];
    if (!f || fread(len8, 1, 8, f) != 8) {
        fprintf(stderr, "poison: cannot read %s\n", path);
        if (f) fclose(f);
        return -1;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | len8[i];
    char *header = malloc(hlen + 1);
    json_t *root = NULL;
    if (header && fread(header, 1, hlen, f) == hlen) root = json_loadb(header, hlen, 0, NULL);
    free(header);
    json_t *t = json_object_get(root, tensor);
    json_t *off = json_object_get(t, "data_offsets");
    const char *dtype = json_string_value(json_object_get(t, "dtype"));
    int rc = -1;
    if (json_array_size(off) == 2 && dtype && strcmp(dtype, "F32") == 0) {
        long long a = json_integer_value(json_array_get(off, 0));
        long long b = json_integer_value(json_array_get(off, 1));
        rc = fseek(f, (long)(8 + hlen + (uint64_t)a), SEEK_SET) == 0 ? 0 : -1;
        for (long long i = a; rc == 0 && i < b; i += 4)
            if (fwrite(&value, 4, 1, f) != 1) rc = -1;
    } else {
        fprintf(stderr, "poison: no F32 tensor '%s' in %s\n", tensor, path);
    }
    json_decref(root);
    if (fclose(f) != 0) rc = -1;
    return rc;
}

int exam_test_vrun(char *out, size_t cap, const char *fmt, va_list ap) {
    char cmd[8192];
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int exam_test_count(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++) n++;
    return n;
}
