/* Grading end to end on the CPU backend: the demo cohort's jobs (data/cohorts/demo.jsonl)
 * against the sample bank (data/bank), in batches of 1 and of 16 jobs. The bank's vectors are
 * built once, before the first measured run. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_env.h"
#include "bench_shim.h"
#include "grade.h"

#define GRADE_MAX_JOBS 256

typedef struct grade_bench {
    exam_bench_env *env;
    exam_bank bank;
    int bank_loaded;
    exam_grader *grader;
    exam_grade_job jobs[GRADE_MAX_JOBS];
    size_t n_jobs;
} grade_bench;

static void grade_bench_free(void *arg) {
    grade_bench *gb = arg;
    exam_grader_free(gb->grader);
    for (size_t i = 0; i < gb->n_jobs; i++) {
        exam_grade_job_free(&gb->jobs[i]);
    }
    if (gb->bank_loaded) {
        exam_bank_free(&gb->bank);
    }
    free(gb);
}

static exam_status load_jobs(grade_bench *gb, const char *path) {
    char *text;
    size_t len;
    exam_status st = exam_bank_read_file(path, &text, &len);
    if (st != EXAM_OK) {
        return st;
    }
    for (char *line = text; line && *line && gb->n_jobs < GRADE_MAX_JOBS && st == EXAM_OK;) {
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = 0;
        }
        if (*line) {
            json_error_t jerr;
            json_t *obj = json_loads(line, 0, &jerr);
            if (!obj) {
                st = exam_error_set(EXAM_ERR_FORMAT, "%s: %s", path, jerr.text);
            } else {
                st = exam_grade_job_from_json(obj, &gb->jobs[gb->n_jobs]);
                json_decref(obj);
                if (st == EXAM_OK) {
                    gb->n_jobs++;
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return st;
}

static void fail_status(exam_bench_state *st) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", exam_error_message());
    exam_bench_fail(st, msg);
}

static void bm_grade(exam_bench_state *st, void *ctx) {
    grade_bench *gb = ctx;
    size_t batch = (size_t)exam_bench_arg(st, 0);
    if (!gb->grader) {
        exam_encoder *enc;
        if (exam_bench_env_encoder(gb->env, "cpu", &enc) != EXAM_OK ||
            exam_grader_init(&gb->bank, enc, NULL, NULL, &gb->grader) != EXAM_OK) {
            fail_status(st);
            return;
        }
    }
    if (batch > gb->n_jobs) {
        batch = gb->n_jobs;
    }
    exam_grade_result results[GRADE_MAX_JOBS];
    size_t next = 0;
    exam_status rc = EXAM_OK;
    while (rc == EXAM_OK && exam_bench_batch(st, 1) > 0) {
        if (next + batch > gb->n_jobs) {
            next = 0;
        }
        rc = exam_grader_grade(gb->grader, gb->jobs + next, batch, results);
        for (size_t i = 0; i < batch; i++) {
            exam_grade_result_free(&results[i]);
        }
        next += batch;
    }
    if (rc != EXAM_OK) {
        fail_status(st);
    } else {
        exam_bench_set_items(st, (int64_t)batch * exam_bench_iterations(st));
    }
}

exam_status exam_bench_grade_register(exam_bench_env *env) {
    if (!env->model_dir) {
        return exam_error_set(EXAM_ERR_NOT_FOUND, "no model");
    }
    grade_bench *gb = calloc(1, sizeof *gb);
    if (!gb) {
        return exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
    }
    gb->env = env;
    char path[4096];
    snprintf(path, sizeof path, "%s/data/bank", env->root);
    exam_status st = exam_bank_load(path, &gb->bank);
    gb->bank_loaded = st == EXAM_OK;
    if (st == EXAM_OK) {
        snprintf(path, sizeof path, "%s/data/cohorts/demo.jsonl", env->root);
        st = load_jobs(gb, path);
    }
    if (st == EXAM_OK && gb->n_jobs == 0) {
        st = exam_error_set(EXAM_ERR_NOT_FOUND, "%s holds no jobs", path);
    }
    if (st == EXAM_OK) {
        st = exam_bench_env_on_free(env, grade_bench_free, gb);
    }
    if (st != EXAM_OK) {
        grade_bench_free(gb);
        return st;
    }
    static const char *const names[] = {"jobs"};
    exam_bench_def *b = exam_bench_register("grade/cpu", bm_grade, gb);
    exam_bench_arg_names(b, names, 1);
    exam_bench_set_unit(b, EXAM_BENCH_MS);
    exam_bench_use_real_time(b);
    static const int64_t rows[] = {1, 16};
    for (int i = 0; i < 2; i++) {
        exam_bench_args(b, &rows[i], 1);
    }
    return EXAM_OK;
}
