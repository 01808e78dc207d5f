/* Implementation of the test harness in testlib.h. */
#include "testlib.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>

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
