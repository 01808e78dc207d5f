/* labels: backend
 * Every backend op on every backend that can be created here, against the CPU backend (the
 * oracle), on fresh random inputs (seed printed; EXAMINER_TEST_SEED repeats a run), over several
 * shapes including ragged packed batches and length-1 sequences. The error measured is
 * max|got - want| / max(max|want|, 1) over the op's output (relative for large outputs, absolute
 * for outputs below 1, such as a GELU tail that the oracle's polynomial erf rounds to 1e-7),
 * held to a per-op limit. A backend that cannot
 * be created prints "SKIP <name>: <reason>"; EXAMINER_REQUIRE_BACKENDS=opencl,... makes that a
 * failure (CI sets it where PoCL is installed). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "testlib.h"

/* ---- random inputs ---- */

static uint64_t rng_state;

static uint64_t rng_next(void) {
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi). */
static float rng_float(float lo, float hi) {
    return lo + (hi - lo) * (float)((rng_next() >> 40) * (1.0 / 16777216.0));
}

/* Uniform integer in [0, n). */
static int rng_int(int n) {
    return (int)(rng_next() % (uint64_t)n);
}

static float *random_floats(size_t n, float lo, float hi) {
    float *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++) v[i] = rng_float(lo, hi);
    return v;
}

/* ---- the same buffer on the oracle (0) and the backend under test (1) ---- */

typedef struct dbuf {
    exam_buffer *b[2];
    size_t bytes;
} dbuf;

static exam_backend *be_pair[2];

/* A buffer of `bytes` on both backends holding `host` (or garbage when host is NULL). */
static dbuf dbuf_make(const void *host, size_t bytes) {
    dbuf d = {{NULL, NULL}, bytes};
    for (int s = 0; s < 2; s++) {
        exam_backend *be = be_pair[s];
        exam_status st = be->ops->buffer_alloc(be, bytes, &d.b[s]);
        CHECKF(st == EXAM_OK, "%s alloc %zu: %s", be->name, bytes, exam_error_message());
        if (st == EXAM_OK && host && bytes) {
            st = be->ops->buffer_upload(be, d.b[s], 0, host, bytes);
            CHECKF(st == EXAM_OK, "%s upload: %s", be->name, exam_error_message());
        }
    }
    return d;
}

/* A read-only buffer (model-weight path) on both backends; host must outlive it. */
static dbuf dbuf_weights(const void *host, size_t bytes) {
    dbuf d = {{NULL, NULL}, bytes};
    for (int s = 0; s < 2; s++) {
        exam_status st = be_pair[s]->ops->buffer_from_host(be_pair[s], host, bytes, &d.b[s]);
        CHECKF(st == EXAM_OK, "%s from_host: %s", be_pair[s]->name, exam_error_message());
    }
    return d;
}

static void dbuf_free(dbuf *d) {
    for (int s = 0; s < 2; s++) be_pair[s]->ops->buffer_free(be_pair[s], d->b[s]);
    memset(d, 0, sizeof *d);
}

/* max|got - want| / max(max|want|, 1) between the two copies of d (floats); a NaN in one copy
 * only is an infinite error. */
static double dbuf_error(const dbuf *d) {
    size_t n = d->bytes / sizeof(float);
    float *v[2];
    for (int s = 0; s < 2; s++) {
        v[s] = calloc(n ? n : 1, sizeof(float));
        exam_status st = be_pair[s]->ops->buffer_download(be_pair[s], d->b[s], 0, v[s], d->bytes);
        CHECKF(st == EXAM_OK, "%s download: %s", be_pair[s]->name, exam_error_message());
    }
    double diff = 0.0, scale = 0.0;
    for (size_t i = 0; i < n; i++) {
        double w = v[0][i], g = v[1][i];
        if (isnan(g) != isnan(w)) diff = INFINITY;
        if (fabs(g - w) > diff) diff = fabs(g - w);
        if (fabs(w) > scale) scale = fabs(w);
    }
    free(v[0]);
    free(v[1]);
    return n == 0 ? 0.0 : diff / (scale > 1.0 ? scale : 1.0);
}

/* ---- per-op bookkeeping ---- */

enum {
    OP_GEMM,
    OP_EMBED_LN,
    OP_BIAS_ADD,
    OP_BIAS_GELU,
    OP_RESIDUAL_LN,
    OP_ATTENTION,
    OP_MEAN_POOL,
    OP_L2,
    OP_COSINE,
    OP_GREEDY,
    OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
    "gemm",      "embed_layernorm", "bias_add",     "bias_gelu",     "residual_layernorm",
    "attention", "mean_pool",       "l2_normalize", "cosine_matrix", "greedy_match"};

/* Relative-error limits; the GEMM limit is replaced for fp16/bf16 GEMMs. */
static const double op_limits[OP_COUNT] = {2e-5, 2e-5, 1e-6, 2e-5, 2e-5,
                                           2e-5, 2e-5, 2e-5, 2e-5, 2e-5};
static double gemm_limit;
static double op_worst[OP_COUNT];

/* Runs status checks of both backends' calls and records the output error of one case. */
static void record(int op, const char *shape, const exam_status st[2], const dbuf *out) {
    for (int s = 0; s < 2; s++)
        CHECKF(st[s] == EXAM_OK, "%s %s %s: %s", be_pair[s]->name, op_names[op], shape,
               exam_error_message());
    if (st[0] != EXAM_OK || st[1] != EXAM_OK) return;
    double err = dbuf_error(out);
    double limit = op == OP_GEMM ? gemm_limit : op_limits[op];
    printf("  %-18s %-34s rel err %.2e (limit %.0e)\n", op_names[op], shape, err, limit);
    CHECKF(err <= limit, "%s %s %s: relative error %.3e > %.0e", be_pair[1]->name, op_names[op],
           shape, err, limit);
    if (err > op_worst[op]) op_worst[op] = err;
}

/* Calls `call` (an expression using be) on the oracle then the tested backend. */
#define BOTH(st, call)                                                                             \
    for (int s_ = 0; s_ < 2; s_++) {                                                               \
        exam_backend *be = be_pair[s_];                                                            \
        int S = s_;                                                                                \
        (void)S;                                                                                   \
        st[s_] = (call);                                                                           \
    }

/* ---- one test per op ---- */

static void test_gemm(int m, int n, int k) {
    float *a = random_floats((size_t)m * k, -1, 1), *w = random_floats((size_t)n * k, -1, 1);
    dbuf da = dbuf_make(a, (size_t)m * k * 4), dw = dbuf_weights(w, (size_t)n * k * 4);
    dbuf dc = dbuf_make(NULL, (size_t)m * n * 4);
    exam_status st[2];
    BOTH(st, be->ops->gemm(be, da.b[S], dw.b[S], dc.b[S], m, n, k));
    char shape[64];
    snprintf(shape, sizeof shape, "%dx%dx%d", m, n, k);
    record(OP_GEMM, shape, st, &dc);
    dbuf_free(&da);
    dbuf_free(&dw);
    dbuf_free(&dc);
    free(a);
    free(w);
}

static void test_embed_layernorm(int n_tokens, int hidden) {
    int vocab = 50, max_pos = 40;
    float *word = random_floats((size_t)vocab * hidden, -1, 1);
    float *pos = random_floats((size_t)max_pos * hidden, -0.5f, 0.5f);
    float *type = random_floats((size_t)2 * hidden, 2.0f, 3.0f); /* a large mean to remove */
    float *gamma = random_floats((size_t)hidden, 0.5f, 1.5f);
    float *beta = random_floats((size_t)hidden, -0.2f, 0.2f);
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)(n_tokens + 1));
    int32_t *positions = malloc(sizeof(int32_t) * (size_t)(n_tokens + 1));
    for (int t = 0; t < n_tokens; t++) {
        ids[t] = rng_int(vocab);
        positions[t] = t % max_pos;
    }
    dbuf dw = dbuf_weights(word, (size_t)vocab * hidden * 4);
    dbuf dp = dbuf_weights(pos, (size_t)max_pos * hidden * 4);
    dbuf dt = dbuf_weights(type, (size_t)2 * hidden * 4);
    dbuf dg = dbuf_weights(gamma, (size_t)hidden * 4), db = dbuf_weights(beta, (size_t)hidden * 4);
    dbuf di = dbuf_make(ids, (size_t)n_tokens * 4), dq = dbuf_make(positions, (size_t)n_tokens * 4);
    dbuf out = dbuf_make(NULL, (size_t)n_tokens * hidden * 4);
    exam_status st[2];
    BOTH(st, be->ops->embed_layernorm(be, di.b[S], dq.b[S], dw.b[S], dp.b[S], dt.b[S], dg.b[S],
                                      db.b[S], 1e-12f, n_tokens, hidden, out.b[S]));
    char shape[64];
    snprintf(shape, sizeof shape, "%d tokens x %d", n_tokens, hidden);
    record(OP_EMBED_LN, shape, st, &out);
    dbuf *all[] = {&dw, &dp, &dt, &dg, &db, &di, &dq, &out};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) dbuf_free(all[i]);
    free(word);
    free(pos);
    free(type);
    free(gamma);
    free(beta);
    free(ids);
    free(positions);
}

static void test_bias(int gelu, int rows, int cols) {
    float *x = random_floats((size_t)rows * cols, -4, 4),
          *bias = random_floats((size_t)cols, -1, 1);
    dbuf dx = dbuf_make(x, (size_t)rows * cols * 4), db = dbuf_weights(bias, (size_t)cols * 4);
    exam_status st[2];
    if (gelu) {
        BOTH(st, be->ops->bias_gelu(be, dx.b[S], db.b[S], rows, cols));
    } else {
        BOTH(st, be->ops->bias_add(be, dx.b[S], db.b[S], rows, cols));
    }
    char shape[64];
    snprintf(shape, sizeof shape, "%dx%d", rows, cols);
    record(gelu ? OP_BIAS_GELU : OP_BIAS_ADD, shape, st, &dx);
    dbuf_free(&dx);
    dbuf_free(&db);
    free(x);
    free(bias);
}

static void test_residual_layernorm(int rows, int cols, int in_place) {
    size_t n = (size_t)rows * cols;
    float *x = random_floats(n, -2, 2), *res = random_floats(n, -1, 3);
    float *bias = random_floats((size_t)cols, -0.5f, 0.5f);
    float *gamma = random_floats((size_t)cols, 0.5f, 1.5f),
          *beta = random_floats((size_t)cols, -1, 1);
    dbuf dx = dbuf_make(x, n * 4), dr = dbuf_make(res, n * 4);
    dbuf db = dbuf_weights(bias, (size_t)cols * 4), dg = dbuf_weights(gamma, (size_t)cols * 4);
    dbuf dbe = dbuf_weights(beta, (size_t)cols * 4);
    dbuf out = in_place ? dr : dbuf_make(NULL, n * 4);
    exam_status st[2];
    BOTH(st, be->ops->bias_residual_layernorm(be, dx.b[S], db.b[S], dr.b[S], dg.b[S], dbe.b[S],
                                              1e-12f, rows, cols, out.b[S]));
    char shape[64];
    snprintf(shape, sizeof shape, "%dx%d%s", rows, cols, in_place ? " (out = residual)" : "");
    record(OP_RESIDUAL_LN, shape, st, &out);
    dbuf_free(&dx);
    dbuf_free(&dr);
    dbuf_free(&db);
    dbuf_free(&dg);
    dbuf_free(&dbe);
    if (!in_place) dbuf_free(&out);
    free(x);
    free(res);
    free(bias);
    free(gamma);
    free(beta);
}

/* Attention over sequences of the given lengths packed back to back. */
static void test_attention(const int *lens, int n_seqs, int heads, int head_dim, int extra_max) {
    int32_t *off = malloc(sizeof(int32_t) * (size_t)(n_seqs + 1));
    off[0] = 0;
    int max_len = 0;
    for (int s = 0; s < n_seqs; s++) {
        off[s + 1] = off[s] + lens[s];
        if (lens[s] > max_len) max_len = lens[s];
    }
    int n_tokens = off[n_seqs];
    size_t width = (size_t)heads * head_dim;
    float *qkv = random_floats((size_t)n_tokens * 3 * width, -2, 2);
    dbuf dq = dbuf_make(qkv, (size_t)n_tokens * 3 * width * 4);
    dbuf doff = dbuf_make(off, (size_t)(n_seqs + 1) * 4);
    dbuf out = dbuf_make(NULL, (size_t)n_tokens * width * 4);
    exam_status st[2];
    BOTH(st, be->ops->attention(be, dq.b[S], doff.b[S], n_seqs, n_tokens, heads, head_dim,
                                max_len + extra_max, out.b[S]));
    char shape[80];
    int used = snprintf(shape, sizeof shape, "%dx%d lens", heads, head_dim);
    for (int s = 0; s < n_seqs && used < 60; s++)
        used += snprintf(shape + used, sizeof shape - (size_t)used, "%c%d", s ? ',' : ' ', lens[s]);
    record(OP_ATTENTION, shape, st, &out);
    dbuf_free(&dq);
    dbuf_free(&doff);
    dbuf_free(&out);
    free(qkv);
    free(off);
}

static void test_mean_pool(int x_rows, int cols, const int *counts, int n_out) {
    float *x = random_floats((size_t)x_rows * cols, -1, 1);
    int32_t *off = malloc(sizeof(int32_t) * (size_t)(n_out + 1));
    off[0] = 0;
    for (int p = 0; p < n_out; p++) off[p + 1] = off[p] + counts[p];
    int32_t *rows = malloc(sizeof(int32_t) * (size_t)(off[n_out] + 1));
    for (int i = 0; i < off[n_out]; i++) rows[i] = rng_int(x_rows);
    dbuf dx = dbuf_make(x, (size_t)x_rows * cols * 4);
    dbuf dr = dbuf_make(rows, (size_t)off[n_out] * 4);
    dbuf doff = dbuf_make(off, (size_t)(n_out + 1) * 4);
    dbuf out = dbuf_make(NULL, (size_t)n_out * cols * 4);
    exam_status st[2];
    BOTH(st, be->ops->mean_pool(be, dx.b[S], dr.b[S], doff.b[S], n_out, cols, out.b[S]));
    char shape[64];
    snprintf(shape, sizeof shape, "%d outputs x %d (one empty)", n_out, cols);
    record(OP_MEAN_POOL, shape, st, &out);
    dbuf_free(&dx);
    dbuf_free(&dr);
    dbuf_free(&doff);
    dbuf_free(&out);
    free(x);
    free(off);
    free(rows);
}

static void test_l2_normalize(int rows, int cols) {
    float *x = random_floats((size_t)rows * cols, -3, 3);
    if (rows > 2) {
        memset(x, 0, sizeof(float) * (size_t)cols);           /* a zero row */
        for (int c = 0; c < cols; c++) x[cols + c] *= 1e-14f; /* a row under the 1e-12 floor */
    }
    dbuf dx = dbuf_make(x, (size_t)rows * cols * 4);
    exam_status st[2];
    BOTH(st, be->ops->l2_normalize(be, dx.b[S], rows, cols));
    char shape[64];
    snprintf(shape, sizeof shape, "%dx%d%s", rows, cols, rows > 2 ? " (zero, tiny rows)" : "");
    record(OP_L2, shape, st, &dx);
    dbuf_free(&dx);
    free(x);
}

static void test_cosine_matrix(int m, int n, int cols) {
    float *a = random_floats((size_t)m * cols, -1, 1), *b = random_floats((size_t)n * cols, -1, 1);
    if (m > 2) memset(a + cols, 0, sizeof(float) * (size_t)cols); /* a zero row gives 0 */
    dbuf da = dbuf_make(a, (size_t)m * cols * 4), db = dbuf_make(b, (size_t)n * cols * 4);
    dbuf out = dbuf_make(NULL, (size_t)m * n * 4);
    exam_status st[2];
    BOTH(st, be->ops->cosine_matrix(be, da.b[S], db.b[S], m, n, cols, out.b[S]));
    char shape[64];
    snprintf(shape, sizeof shape, "%dx%d over %d", m, n, cols);
    record(OP_COSINE, shape, st, &out);
    dbuf_free(&da);
    dbuf_free(&db);
    dbuf_free(&out);
    free(a);
    free(b);
}

/* Greedy matching of n_pairs pairs with a_lens[p] candidate and b_lens[p] reference rows. */
static void test_greedy_match(const int *a_lens, const int *b_lens, int n_pairs, int cols) {
    int32_t *ao = malloc(sizeof(int32_t) * (size_t)(n_pairs + 1));
    int32_t *bo = malloc(sizeof(int32_t) * (size_t)(n_pairs + 1));
    ao[0] = bo[0] = 0;
    for (int p = 0; p < n_pairs; p++) {
        ao[p + 1] = ao[p] + a_lens[p];
        bo[p + 1] = bo[p] + b_lens[p];
    }
    int na = ao[n_pairs], nb = bo[n_pairs];
    float *a = random_floats((size_t)na * cols, -1, 1),
          *b = random_floats((size_t)nb * cols, -1, 1);
    dbuf da = dbuf_make(a, (size_t)na * cols * 4), db = dbuf_make(b, (size_t)nb * cols * 4);
    dbuf dao = dbuf_make(ao, (size_t)(n_pairs + 1) * 4),
         dbo = dbuf_make(bo, (size_t)(n_pairs + 1) * 4);
    dbuf abest = dbuf_make(NULL, (size_t)na * 4), bbest = dbuf_make(NULL, (size_t)nb * 4);
    exam_status st[2];
    BOTH(st, be->ops->greedy_match(be, da.b[S], dao.b[S], db.b[S], dbo.b[S], n_pairs, cols,
                                   abest.b[S], bbest.b[S]));
    char shape[64];
    snprintf(shape, sizeof shape, "%d pairs, %d+%d rows x %d (a side)", n_pairs, na, nb, cols);
    record(OP_GREEDY, shape, st, &abest);
    snprintf(shape, sizeof shape, "%d pairs, %d+%d rows x %d (b side)", n_pairs, na, nb, cols);
    record(OP_GREEDY, shape, st, &bbest);
    dbuf *all[] = {&da, &db, &dao, &dbo, &abest, &bbest};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) dbuf_free(all[i]);
    free(a);
    free(b);
    free(ao);
    free(bo);
}

/* Bad arguments are refused with a status, not a crash. */
static void test_refusals(exam_backend *be) {
    exam_buffer *small = NULL, *big = NULL;
    CHECK(be->ops->buffer_alloc(be, 16, &small) == EXAM_OK);
    CHECK(be->ops->buffer_alloc(be, 4096, &big) == EXAM_OK);
    float tmp[8];
    CHECKF(be->ops->buffer_download(be, small, 8, tmp, 16) == EXAM_ERR_ARG,
           "%s: download past the end", be->name);
    CHECKF(be->ops->gemm(be, small, big, big, 4, 4, 4) == EXAM_ERR_ARG, "%s: gemm on a too-small A",
           be->name);
    CHECKF(be->ops->attention(be, big, small, 1, 2, 1, 65, 2, big) == EXAM_ERR_LIMIT,
           "%s: head_dim 65 beyond the kernel", be->name);
    be->ops->buffer_free(be, small);
    be->ops->buffer_free(be, big);
}

/* The CPU oracle refuses the same malformed calls through the shared argument checks. */
static void test_cpu_refusals(exam_backend *cpu) {
    exam_buffer *small = NULL, *big = NULL;
    CHECK(cpu->ops->buffer_alloc(cpu, 16, &small) == EXAM_OK);
    CHECK(cpu->ops->buffer_alloc(cpu, 4096, &big) == EXAM_OK);
    CHECK(cpu->ops->gemm(cpu, small, big, big, 4, 4, 4) == EXAM_ERR_ARG);
    CHECKF(strstr(exam_error_message(), "cpu gemm: A buffer") != NULL, "%s", exam_error_message());
    CHECK(cpu->ops->l2_normalize(cpu, big, -1, 4) == EXAM_ERR_ARG);
    CHECK(cpu->ops->attention(cpu, small, small, 1, 8, 2, 16, 8, big) == EXAM_ERR_ARG);
    CHECK(cpu->ops->greedy_match(cpu, big, small, big, NULL, 1, 4, big, big) == EXAM_ERR_ARG);
    cpu->ops->buffer_free(cpu, small);
    cpu->ops->buffer_free(cpu, big);
}

/* Every op on several shapes; the tested backend is be_pair[1]. */
static void run_suite(int gemm_only) {
    test_gemm(1, 1, 1);
    test_gemm(7, 13, 5);
    test_gemm(37, 384, 384);
    test_gemm(130, 1152, 384);
    test_gemm(64, 384, 1536);
    if (gemm_only) return;

    test_embed_layernorm(1, 384);
    test_embed_layernorm(29, 384);
    test_embed_layernorm(5, 37);

    test_bias(0, 1, 1);
    test_bias(0, 77, 37);
    test_bias(0, 33, 1536);
    test_bias(1, 1, 1);
    test_bias(1, 77, 37);
    test_bias(1, 33, 1536);

    test_residual_layernorm(1, 384, 0);
    test_residual_layernorm(29, 384, 0);
    test_residual_layernorm(29, 384, 1);
    test_residual_layernorm(5, 33, 0);

    static const int one[] = {1};
    static const int ragged[] = {5, 1, 70, 64, 3, 1, 33};
    static const int window[] = {256, 17};
    test_attention(one, 1, 12, 32, 0);
    test_attention(ragged, 7, 12, 32, 0);
    test_attention(ragged, 7, 2, 64, 5); /* max_len only bounds the lengths */
    test_attention(ragged + 1, 3, 3, 7, 0);
    test_attention(window, 2, 4, 32, 0);

    static const int counts[] = {3, 0, 1, 17};
    test_mean_pool(40, 384, counts, 4);
    test_mean_pool(5, 7, counts, 3);

    test_l2_normalize(1, 5);
    test_l2_normalize(6, 384);

    test_cosine_matrix(1, 1, 384);
    test_cosine_matrix(17, 33, 384);
    test_cosine_matrix(40, 3, 7);

    static const int a_lens[] = {3, 0, 6, 1, 20, 40};
    static const int b_lens[] = {5, 4, 0, 1, 37, 18};
    test_greedy_match(a_lens, b_lens, 6, 384);
    test_greedy_match(a_lens + 3, b_lens + 3, 3, 7);

    test_refusals(be_pair[1]);
}

/* 1 when `name` is listed in $EXAMINER_REQUIRE_BACKENDS. */
static int required(const char *name) {
    const char *req = getenv("EXAMINER_REQUIRE_BACKENDS");
    if (!req) return 0;
    size_t n = strlen(name);
    for (const char *p = strstr(req, name); p; p = strstr(p + 1, name))
        if ((p == req || p[-1] == ',') && (p[n] == '\0' || p[n] == ',')) return 1;
    return 0;
}

int main(void) {
    const char *seed_env = getenv("EXAMINER_TEST_SEED");
    uint64_t seed = seed_env && *seed_env ? strtoull(seed_env, NULL, 10) : (uint64_t)time(NULL);
    printf("seed %llu (EXAMINER_TEST_SEED=%llu repeats this run)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    rng_state = seed;

    exam_backend_options cpu_opts = {0};
    if (exam_backend_create("cpu", &cpu_opts, &be_pair[0]) != EXAM_OK) {
        fprintf(stderr, "cannot create the cpu oracle: %s\n", exam_error_message());
        return 1;
    }
    test_cpu_refusals(be_pair[0]);

    static const struct {
        const char *name;
        exam_precision precision;
        double gemm_limit;
    } runs[] = {
        {"opencl", EXAM_PRECISION_F32, 2e-5},
        {"cuda", EXAM_PRECISION_F32, 2e-5},
        {"cuda", EXAM_PRECISION_F16, 1e-2}, /* fp16 inputs, fp32 accumulation */
        {"cuda", EXAM_PRECISION_BF16, 4e-2},
    };
    static const char *const precision_names[] = {"fp32", "fp16", "bf16"};
    int tested = 0;
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        exam_backend_options opts = {0};
        opts.allow_cpu_device = 1;
        opts.precision = runs[r].precision;
        exam_backend *be = NULL;
        if (exam_backend_create(runs[r].name, &opts, &be) != EXAM_OK) {
            if (runs[r].precision == EXAM_PRECISION_F32) {
                printf("SKIP %s: %s\n", runs[r].name, exam_error_message());
                CHECKF(!required(runs[r].name), "%s is required here but unavailable: %s",
                       runs[r].name, exam_error_message());
            }
            continue;
        }
        printf("%s (%s gemm): %s\n", be->name, precision_names[runs[r].precision], be->device);
        be_pair[1] = be;
        gemm_limit = runs[r].gemm_limit;
        memset(op_worst, 0, sizeof op_worst);
        run_suite(runs[r].precision != EXAM_PRECISION_F32);
        printf("%s (%s gemm) worst relative error per op:\n", be->name,
               precision_names[runs[r].precision]);
        for (int op = 0; op < OP_COUNT; op++)
            if (runs[r].precision == EXAM_PRECISION_F32 || op == OP_GEMM)
                printf("  %-18s %.2e\n", op_names[op], op_worst[op]);
        exam_backend_free(be);
        be_pair[1] = NULL;
        tested++;
    }
    exam_backend_free(be_pair[0]);
    if (!tested && exam_test_failed == 0) {
        printf("SKIP ALL: no accelerator backend can be created here\n");
        return 0;
    }
    return exam_test_finish();
}
