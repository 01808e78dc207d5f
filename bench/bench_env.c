/* The shared benchmark environment: backends, encoders and texts opened once, freed at exit. */
#include "bench_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank.h"

int exam_bench_list_has(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) {
            return 1;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static int find_backend(const exam_bench_env *env, const char *name) {
    for (int i = 0; i < env->n_be; i++) {
        if (strcmp(env->be[i]->name, name) == 0) {
            return i;
        }
    }
    return -1;
}

exam_status exam_bench_env_backend(exam_bench_env *env, const char *name, exam_backend **out) {
    *out = NULL;
    int i = find_backend(env, name);
    if (i >= 0) {
        *out = env->be[i];
        return EXAM_OK;
    }
    if (env->n_be == EXAM_BENCH_MAX_BACKENDS) {
        return exam_error_set(EXAM_ERR_LIMIT, "bench: too many backends");
    }
    exam_backend_options opts = {
        .threads = env->threads, .precision = EXAM_PRECISION_F16, .allow_cpu_device = 1};
    if (strcmp(name, "cpu") == 0) {
        opts.precision = EXAM_PRECISION_F32;
    }
    exam_backend *be = NULL;
    exam_status st = exam_backend_create(name, &opts, &be);
    if (st != EXAM_OK) {
        return st;
    }
    env->be[env->n_be] = be;
    env->enc[env->n_be] = NULL;
    env->n_be++;
    *out = be;
    return EXAM_OK;
}

exam_status exam_bench_env_encoder(exam_bench_env *env, const char *name, exam_encoder **out) {
    *out = NULL;
    if (!env->model_dir) {
        return exam_error_set(EXAM_ERR_NOT_FOUND, "bench: no model (set EXAMINER_MODEL_DIR)");
    }
    exam_backend *be;
    exam_status st = exam_bench_env_backend(env, name, &be);
    if (st != EXAM_OK) {
        return st;
    }
    int i = find_backend(env, name);
    if (!env->enc[i]) {
        st = exam_encoder_init(env->model_dir, be, &env->enc[i]);
        if (st != EXAM_OK) {
            return st;
        }
    }
    *out = env->enc[i];
    return EXAM_OK;
}

static exam_status push_text(exam_bench_env *env, const char *s, size_t len, size_t *cap) {
    if (env->n_texts == *cap) {
        size_t ncap = *cap ? *cap * 2 : 1024;
        char **t = realloc(env->texts, ncap * sizeof *t);
        if (!t) {
            return exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
        }
        env->texts = t;
        size_t *l = realloc(env->lens, ncap * sizeof *l);
        if (!l) {
            return exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
        }
        env->lens = l;
        *cap = ncap;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        return exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
    }
    memcpy(copy, s, len);
    copy[len] = 0;
    env->texts[env->n_texts] = copy;
    env->lens[env->n_texts] = len;
    env->n_texts++;
    return EXAM_OK;
}

/* STS-B test: tab-separated, sentences in columns 6 and 7. */
static exam_status load_stsb(exam_bench_env *env, const char *path, size_t *cap) {
    char *buf;
    size_t len;
    exam_status st = exam_bank_read_file(path, &buf, &len);
    if (st != EXAM_OK) {
        return st;
    }
    for (char *line = buf; line && *line && st == EXAM_OK;) {
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = 0;
        }
        char *col = line;
        for (int c = 0; c < 5 && col; c++) {
            col = strchr(col, '\t');
            col = col ? col + 1 : NULL;
        }
        for (int c = 0; c < 2 && col && st == EXAM_OK; c++) {
            char *end = strchr(col, '\t');
            size_t n = end ? (size_t)(end - col) : strcspn(col, "\r");
            st = push_text(env, col, n, cap);
            col = end ? end + 1 : NULL;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(buf);
    return st;
}

exam_status exam_bench_env_texts(exam_bench_env *env) {
    if (env->n_texts) {
        return EXAM_OK;
    }
    size_t cap = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/../shared/datasets/stsbenchmark/sts-test.csv", env->root);
    if (load_stsb(env, path, &cap) == EXAM_OK && env->n_texts > 0) {
        env->texts_source = "STS-B test sentences";
        return EXAM_OK;
    }
    exam_error_clear();
    snprintf(path, sizeof path, "%s/data/bank", env->root);
    exam_bank bank;
    exam_status st = exam_bank_load(path, &bank);
    if (st != EXAM_OK) {
        return exam_error_set(EXAM_ERR_NOT_FOUND,
                              "bench: neither STS-B (../shared/datasets) nor data/bank readable");
    }
    for (size_t i = 0; i < bank.count && st == EXAM_OK; i++) {
        st = push_text(env, bank.questions[i].answer, strlen(bank.questions[i].answer), &cap);
    }
    exam_bank_free(&bank);
    env->texts_source = "question bank answers";
    return st;
}

exam_status exam_bench_env_on_free(exam_bench_env *env, void (*fn)(void *), void *arg) {
    if (env->n_cleanups == EXAM_BENCH_MAX_CLEANUPS) {
        return exam_error_set(EXAM_ERR_LIMIT, "bench: too many clean-ups");
    }
    env->cleanups[env->n_cleanups].fn = fn;
    env->cleanups[env->n_cleanups].arg = arg;
    env->n_cleanups++;
    return EXAM_OK;
}

void exam_bench_env_free(exam_bench_env *env) {
    while (env->n_cleanups > 0) {
        env->n_cleanups--;
        env->cleanups[env->n_cleanups].fn(env->cleanups[env->n_cleanups].arg);
    }
    for (int i = 0; i < env->n_be; i++) {
        exam_encoder_free(env->enc[i]);
        exam_backend_free(env->be[i]);
    }
    env->n_be = 0;
    for (size_t i = 0; i < env->n_texts; i++) {
        free(env->texts[i]);
    }
    free(env->texts);
    free(env->lens);
    env->texts = NULL;
    env->lens = NULL;
    env->n_texts = 0;
}
