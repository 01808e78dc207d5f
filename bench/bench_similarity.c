/* Similarity ops on the CPU backend through their host wrappers: the cosine matrix between
 * sentence embeddings and greedy token matching (BERTScore-style) over answer/reference pairs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_env.h"
#include "bench_shim.h"
#include "similarity.h"

#define SIM_DIM 384

typedef struct sim_bench {
    exam_bench_env *env;
} sim_bench;

/* Unit rows with a fixed xorshift sequence, so every run sees the same numbers. */
static float *unit_rows(int rows, uint64_t seed) {
    float *x = malloc((size_t)rows * SIM_DIM * sizeof *x);
    if (!x) {
        return NULL;
    }
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int r = 0; r < rows; r++) {
        double norm = 0;
        for (int c = 0; c < SIM_DIM; c++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            float v = (float)((double)(s >> 11) / 9007199254740992.0 - 0.5);
            x[(size_t)r * SIM_DIM + c] = v;
            norm += (double)v * v;
        }
        float inv = (float)(1.0 / sqrt(norm));
        for (int c = 0; c < SIM_DIM; c++) {
            x[(size_t)r * SIM_DIM + c] *= inv;
        }
    }
    return x;
}

static void fail_status(exam_bench_state *st) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", exam_error_message());
    exam_bench_fail(st, msg);
}

static void bm_cosine(exam_bench_state *st, void *ctx) {
    sim_bench *sb = ctx;
    int m = (int)exam_bench_arg(st, 0), n = (int)exam_bench_arg(st, 1);
    exam_backend *be;
    if (exam_bench_env_backend(sb->env, "cpu", &be) != EXAM_OK) {
        fail_status(st);
        return;
    }
    float *a = unit_rows(m, 1), *b = unit_rows(n, 2);
    float *out = malloc((size_t)m * n * sizeof *out);
    exam_status rc = a && b && out ? EXAM_OK : exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    int64_t per = (int64_t)m * n >= 4096 ? 1 : 16;
    while (rc == EXAM_OK && exam_bench_batch(st, per) > 0) {
        for (int64_t i = 0; i < per && rc == EXAM_OK; i++) {
            rc = exam_sim_cosine(be, a, m, b, n, SIM_DIM, out);
        }
    }
    if (rc != EXAM_OK) {
        fail_status(st);
    } else {
        exam_bench_set_items(st, (int64_t)m * n * exam_bench_iterations(st));
    }
    free(a);
    free(b);
    free(out);
}

static void bm_greedy(exam_bench_state *st, void *ctx) {
    sim_bench *sb = ctx;
    int pairs = (int)exam_bench_arg(st, 0), tokens = (int)exam_bench_arg(st, 1);
    exam_backend *be;
    if (exam_bench_env_backend(sb->env, "cpu", &be) != EXAM_OK) {
        fail_status(st);
        return;
    }
    float *a = unit_rows(pairs * tokens, 3), *b = unit_rows(pairs * tokens, 4);
    int *off = malloc(((size_t)pairs + 1) * sizeof *off);
    float *abest = malloc((size_t)pairs * tokens * sizeof *abest);
    float *bbest = malloc((size_t)pairs * tokens * sizeof *bbest);
    exam_status rc =
        a && b && off && abest && bbest ? EXAM_OK : exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (int p = 0; off && p <= pairs; p++) {
        off[p] = p * tokens;
    }
    while (rc == EXAM_OK && exam_bench_batch(st, 1) > 0) {
        rc = exam_sim_greedy(be, a, off, b, off, pairs, SIM_DIM, abest, bbest);
    }
    if (rc != EXAM_OK) {
        fail_status(st);
    } else {
        exam_bench_set_items(st, (int64_t)pairs * exam_bench_iterations(st));
    }
    free(a);
    free(b);
    free(off);
    free(abest);
    free(bbest);
}

exam_status exam_bench_similarity_register(exam_bench_env *env) {
    sim_bench *sb = calloc(1, sizeof *sb);
    if (!sb || exam_bench_env_on_free(env, free, sb) != EXAM_OK) {
        free(sb);
        return exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
    }
    sb->env = env;
    static const char *const cos_names[] = {"m", "n"};
    exam_bench_def *b = exam_bench_register("similarity/cosine", bm_cosine, sb);
    exam_bench_arg_names(b, cos_names, 2);
    exam_bench_set_unit(b, EXAM_BENCH_US);
    static const int64_t cos_rows[][2] = {{1, 64}, {64, 64}, {64, 1024}};
    for (int i = 0; i < 3; i++) {
        exam_bench_args(b, cos_rows[i], 2);
    }
    static const char *const gr_names[] = {"pairs", "tokens"};
    b = exam_bench_register("similarity/greedy", bm_greedy, sb);
    exam_bench_arg_names(b, gr_names, 2);
    exam_bench_set_unit(b, EXAM_BENCH_US);
    static const int64_t gr_rows[][2] = {{1, 64}, {8, 64}};
    for (int i = 0; i < 2; i++) {
        exam_bench_args(b, gr_rows[i], 2);
    }
    return EXAM_OK;
}
