/* Scores are the same on every backend: the demo cohort and the graded answer fixtures are
 * graded on the CPU backend (the oracle) and on every other backend that can be created here;
 * every score must agree within 0.01 and every flag must match. Absent backends print a SKIP
 * line. Needs the model. */
/* labels: backend */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "bank.h"
#include "encoder.h"
#include "grade.h"
#include "testlib.h"

/* Reads jobs from a JSONL file (cohort jobs, or fixture lines turned into jobs). */
static size_t read_jobs(const char *path, exam_grade_job *jobs, size_t cap, size_t n) {
    FILE *f = fopen(path, "r");
    if (!f) return n;
    char *line = NULL;
    size_t lc = 0;
    while (n < cap && getline(&line, &lc, f) > 0) {
        json_t *o = json_loads(line, 0, NULL);
        if (o && !json_object_get(o, "id")) { /* a fixture line */
            char id[64];
            snprintf(id, sizeof id, "fixture-%zu", n);
            json_object_set_new(o, "id", json_string(id));
        }
        if (o && exam_grade_job_from_json(o, &jobs[n]) == EXAM_OK) n++;
        json_decref(o);
    }
    free(line);
    fclose(f);
    return n;
}

static int grade_on(const char *backend, const exam_bank *bank, exam_grade_job *jobs, size_t n,
                    exam_grade_result *res) {
    exam_backend *be = NULL;
    exam_encoder *enc = NULL;
    exam_grader *g = NULL;
    exam_backend_options opts = {0};
    opts.allow_cpu_device = 1; /* PoCL runs the OpenCL kernels here when there is no GPU */
    if (exam_backend_create(backend, &opts, &be) != EXAM_OK) {
        printf("SKIP %s: %s\n", backend, exam_error_message());
        return 0;
    }
    int ok = exam_encoder_init(exam_test_model_dir(), be, &enc) == EXAM_OK &&
             exam_grader_init(bank, enc, NULL, NULL, &g) == EXAM_OK &&
             exam_grader_grade(g, jobs, n, res) == EXAM_OK;
    CHECKF(ok, "%s: %s", backend, exam_error_message());
    exam_grader_free(g);
    exam_encoder_free(enc);
    exam_backend_free(be);
    return ok;
}

int main(void) {
    struct stat sb;
    if (stat(exam_test_path(exam_test_model_dir(), "model.safetensors"), &sb) != 0) {
        printf("SKIP ALL: model not found in %s\n", exam_test_model_dir());
        return 0;
    }
    exam_bank bank;
    CHECK(exam_bank_load("data/bank", &bank) == EXAM_OK);
    enum { CAP = 512 };
    static exam_grade_job jobs[CAP];
    size_t n = read_jobs("data/cohorts/demo.jsonl", jobs, CAP, 0);
    n = read_jobs("tests/data/graded-answers.jsonl", jobs, CAP, n);
    CHECKF(n >= 160, "%zu jobs", n);
    static exam_grade_result cpu[CAP], other[CAP];
    if (!grade_on("cpu", &bank, jobs, n, cpu)) return exam_test_finish();
    int graded = 0;
    for (size_t i = 0; i < n; i++) graded += cpu[i].status == EXAM_OK;
    CHECKF(graded == (int)n, "cpu graded %d of %zu", graded, n);
    const char *others[] = {"opencl", "cuda"};
    for (size_t b = 0; b < sizeof others / sizeof others[0]; b++) {
        if (!grade_on(others[b], &bank, jobs, n, other)) continue;
        double worst = 0;
        int flags_differ = 0;
        for (size_t i = 0; i < n; i++) {
            double d = fabs(other[i].score - cpu[i].score);
            if (d > worst) worst = d;
            CHECKF(d <= 0.01, "%s job %s: %.3f vs cpu %.3f", others[b], jobs[i].id, other[i].score,
                   cpu[i].score);
            if (other[i].flags.count != cpu[i].flags.count) flags_differ++;
            exam_grade_result_free(&other[i]);
        }
        CHECKF(flags_differ == 0, "%s: flags differ on %d jobs", others[b], flags_differ);
        printf("%s: %zu scores within %.4f of the cpu backend's\n", others[b], n, worst);
    }
    for (size_t i = 0; i < n; i++) {
        exam_grade_result_free(&cpu[i]);
        exam_grade_job_free(&jobs[i]);
    }
    exam_bank_free(&bank);
    return exam_test_finish();
}
