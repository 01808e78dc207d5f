/* Calibration on the shipped demo cohort, end to end: grade data/cohorts/demo.jsonl, check every
 * result echoes its job's judge block, fit the calibration from the results, and check that
 * calibrated scores predicted for each candidate from a map fitted on the other candidates
 * (leave-one-candidate-out) are closer to the judge (lower MAE) than the raw scores rescaled
 * to the judge's scale. Then the same results through `examiner calibrate --results --json`.
 * Needs the model. */
/* labels: e2e */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "bank.h"
#include "calib.h"
#include "encoder.h"
#include "grade.h"
#include "testlib.h"

#define MAXJOBS 256

static size_t load_jobs(exam_grade_job *jobs) {
    FILE *f = fopen("data/cohorts/demo.jsonl", "r");
    if (!f) return 0;
    char *line = NULL;
    size_t cap = 0, n = 0;
    while (getline(&line, &cap, f) > 0 && n < MAXJOBS) {
        json_t *o = json_loads(line, 0, NULL);
        if (o && exam_grade_job_from_json(o, &jobs[n]) == EXAM_OK) n++;
        json_decref(o);
    }
    free(line);
    fclose(f);
    return n;
}

/* Leave-one-candidate-out: each judged pair is predicted by a map fitted on the other
 * candidates' pairs. Returns the MAE of those predictions; *raw gets the raw MAE. */
static double cross_validated_mae(json_t **results, size_t n, double *raw, size_t *folds) {
    double cal_err = 0, raw_err = 0;
    size_t count = 0;
    *folds = 0;
    for (size_t h = 0; h < n; h++) { /* h: first result of each held-out candidate */
        const char *cand = json_string_value(json_object_get(results[h], "candidate"));
        if (!json_object_get(results[h], "judge")) continue;
        int seen = 0;
        for (size_t i = 0; i < h; i++)
            seen |= json_object_get(results[i], "judge") &&
                    !strcmp(cand, json_string_value(json_object_get(results[i], "candidate")));
        if (seen) continue;
        exam_calib_accum *train;
        exam_calib_accum_init(&train);
        for (size_t i = 0; i < n; i++)
            if (strcmp(cand, json_string_value(json_object_get(results[i], "candidate"))))
                exam_calib_accum_add_result(train, results[i]);
        exam_calib_options o;
        exam_calib_options_default(&o);
        o.boot_reps = 50;
        json_t *fit = NULL;
        exam_calib_map m;
        CHECK(exam_calib_fit(train, &o, &fit) == EXAM_OK);
        CHECK(exam_calib_map_from_json(fit, &m) == EXAM_OK);
        for (size_t i = 0; i < n; i++) {
            json_t *judge = json_object_get(results[i], "judge");
            if (!judge || strcmp(cand, json_string_value(json_object_get(results[i], "candidate"))))
                continue;
            double s = json_number_value(json_object_get(results[i], "score"));
            double j = json_number_value(json_object_get(judge, "score"));
            double scale = json_number_value(json_object_get(judge, "scale_max")), c;
            CHECK(exam_calib_map_apply(&m, s, &c) == EXAM_OK);
            cal_err += fabs(c - j);
            raw_err += fabs(s * scale / 10.0 - j);
            count++;
        }
        (*folds)++;
        exam_calib_map_free(&m);
        json_decref(fit);
        exam_calib_accum_free(train);
    }
    *raw = raw_err / (double)count;
    return cal_err / (double)count;
}

/* Runs `examiner calibrate --results path --json` and returns its parsed output. */
static json_t *run_cli(const char *path) {
    const char *bd = getenv("EXAMINER_BUILD_DIR");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/examiner calibrate --results %s --json --reps 200",
             bd ? bd : "build", path);
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    json_error_t err;
    json_t *o = json_loadf(p, 0, &err);
    int rc = pclose(p);
    CHECKF(rc == 0, "%s exited with %d", cmd, rc);
    return o;
}

int main(void) {
    struct stat sb;
    if (stat(exam_test_path(exam_test_model_dir(), "model.safetensors"), &sb) != 0) {
        printf("SKIP ALL: model not found in %s\n", exam_test_model_dir());
        return 0;
    }
    static exam_grade_job jobs[MAXJOBS];
    static exam_grade_result res[MAXJOBS];
    size_t n = load_jobs(jobs), judged = 0;
    CHECKF(n >= 50, "demo cohort: %zu jobs", n);
    exam_test_grader tg;
    exam_test_grader_open(&tg);
    exam_grader *g = tg.g;
    CHECK(exam_grader_grade(g, jobs, n, res) == EXAM_OK);
    json_t *results[MAXJOBS];
    exam_calib_accum *all;
    exam_calib_accum_init(&all);
    for (size_t i = 0; i < n; i++) {
        results[i] = exam_grade_result_to_json(&jobs[i], &res[i], NULL);
        json_t *jb = json_object_get(results[i], "judge");
        CHECKF(!jobs[i].has_judge ||
                   (jb && json_number_value(json_object_get(jb, "score")) == jobs[i].judge_score),
               "result %s does not echo its judge block", jobs[i].id);
        judged += jobs[i].has_judge;
        exam_status st = exam_calib_accum_add_result(all, results[i]);
        CHECK(st == (jobs[i].has_judge ? EXAM_OK : EXAM_ERR_NOT_FOUND));
    }
    CHECKF(judged >= 20, "only %zu judged answers in the demo cohort", judged);
    json_t *fit = NULL;
    CHECK(exam_calib_fit(all, NULL, &fit) == EXAM_OK);
    CHECK((size_t)json_integer_value(json_object_get(fit, "n")) == judged);
    double pearson = json_number_value(json_object_get(fit, "pearson"));
    printf("demo: %zu judged of %zu; pearson %.3f spearman %.3f qwk %.3f mae %.3f\n", judged, n,
           pearson, json_number_value(json_object_get(fit, "spearman")),
           json_number_value(json_object_get(fit, "qwk")),
           json_number_value(json_object_get(fit, "mae")));
    CHECKF(pearson > 0.3, "examiner and the demo judge barely agree: r = %.3f", pearson);

    double raw;
    size_t folds;
    double cv = cross_validated_mae(results, n, &raw, &folds);
    printf("leave-one-candidate-out over %zu candidates: MAE calibrated %.3f, raw %.3f\n", folds,
           cv, raw);
    CHECK(folds >= 3);
    CHECKF(cv < raw, "calibrated MAE %.3f is not below raw %.3f", cv, raw);

    /* the CLI on the same results gives the same calibration */
    char path[] = "/tmp/examiner-calib-demo-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    CHECK(f != NULL);
    for (size_t i = 0; f && i < n; i++) json_dumpf(results[i], f, JSON_COMPACT), fputc('\n', f);
    if (f) fclose(f);
    json_t *cli = run_cli(path);
    CHECK(cli != NULL);
    CHECK(json_integer_value(json_object_get(cli, "n")) == (json_int_t)judged);
    CHECK(fabs(json_number_value(json_object_get(cli, "pearson")) - pearson) < 1e-6);
    CHECK(!strcmp(json_string_value(json_object_get(cli, "cohort")), "demo"));
    json_decref(cli);
    unlink(path);

    json_decref(fit);
    exam_calib_accum_free(all);
    for (size_t i = 0; i < n; i++) {
        json_decref(results[i]);
        exam_grade_result_free(&res[i]);
        exam_grade_job_free(&jobs[i]);
    }
    exam_test_grader_close(&tg);
    return exam_test_finish();
}
