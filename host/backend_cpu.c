/* CPU backend: buffers are host memory, GEMMs go to OpenBLAS, every other op is a plain C loop
 * threaded with OpenMP. It is both the default on machines without a GPU and the test oracle. */
#include "backend_cpu.h"

#include "backend_args.h"
#include "fastmath.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct exam_buffer {
    void *data;
    size_t bytes;
    int owned;
};

typedef struct cpu_backend {
    exam_backend base;
    int threads;
} cpu_backend;

#define F(buf) ((float *)(buf)->data)
#define CF(buf) ((const float *)(buf)->data)
#define CI(buf) ((const int32_t *)(buf)->data)

static void cpu_free(exam_backend *be) {
    free(be);
}

static exam_status cpu_buffer_alloc(exam_backend *be, size_t bytes, exam_buffer **out) {
    (void)be;
    exam_buffer *b = calloc(1, sizeof *b);
    /* 64-byte alignment keeps AVX-512 loads and OpenBLAS packing fast. */
    size_t rounded = (bytes + 63) / 64 * 64;
    void *data = rounded ? aligned_alloc(64, rounded) : NULL;
    if (!b || (rounded && !data)) {
        free(b);
        free(data);
        return exam_error_set(EXAM_ERR_NOMEM, "cpu: cannot allocate %zu bytes", bytes);
    }
    b->data = data;
    b->bytes = bytes;
    b->owned = 1;
    *out = b;
    return EXAM_OK;
}

static exam_status cpu_buffer_from_host(exam_backend *be, const void *data, size_t bytes,
                                        exam_buffer **out) {
    (void)be;
    exam_buffer *b = calloc(1, sizeof *b);
    if (!b) return exam_error_set(EXAM_ERR_NOMEM, "cpu: cannot allocate a buffer header");
    b->data = (void *)data; /* read-only by contract; ops never write weight buffers */
    b->bytes = bytes;
    b->owned = 0;
    *out = b;
    return EXAM_OK;
}

static void cpu_buffer_free(exam_backend *be, exam_buffer *buf) {
    (void)be;
    if (!buf) return;
    if (buf->owned) free(buf->data);
    free(buf);
}

static exam_status check_range(const exam_buffer *b, size_t offset, size_t bytes) {
    if (offset > b->bytes || bytes > b->bytes - offset)
        return exam_error_set(EXAM_ERR_ARG, "cpu: range %zu+%zu outside a %zu-byte buffer", offset,
                              bytes, b->bytes);
    return EXAM_OK;
}

static exam_status cpu_buffer_upload(exam_backend *be, exam_buffer *dst, size_t offset,
                                     const void *src, size_t bytes) {
    (void)be;
    exam_status st = check_range(dst, offset, bytes);
    if (st != EXAM_OK) return st;
    if (bytes) memcpy((char *)dst->data + offset, src, bytes);
    return EXAM_OK;
}

static exam_status cpu_buffer_download(exam_backend *be, const exam_buffer *src, size_t offset,
                                       void *dst, size_t bytes) {
    (void)be;
    exam_status st = check_range(src, offset, bytes);
    if (st != EXAM_OK) return st;
    if (bytes) memcpy(dst, (const char *)src->data + offset, bytes);
    return EXAM_OK;
}

static exam_status cpu_synchronize(exam_backend *be) {
    (void)be;
    return EXAM_OK;
}

static exam_status cpu_gemm(exam_backend *be, const exam_buffer *a, const exam_buffer *w,
                            exam_buffer *c, int m, int n, int k) {
    exam_status args_st = exam_args_gemm(be, a, w, c, m, n, k);
    if (args_st != EXAM_OK) return args_st;
    if (m <= 0 || n <= 0 || k <= 0) return EXAM_OK;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, CF(a), k, CF(w), k, 0.0f,
                F(c), n);
    return EXAM_OK;
}

/* Normalises v[0..cols) in place: (v - mean) / sqrt(var + eps) * gamma + beta. */
static void layernorm_row(float *v, const float *gamma, const float *beta, float eps, int cols) {
    float mean = 0.0f;
    for (int c = 0; c < cols; c++) mean += v[c];
    mean /= (float)cols;
    float var = 0.0f;
    for (int c = 0; c < cols; c++) {
        float d = v[c] - mean;
        var += d * d;
    }
    var /= (float)cols;
    float inv = 1.0f / sqrtf(var + eps);
    for (int c = 0; c < cols; c++) v[c] = (v[c] - mean) * inv * gamma[c] + beta[c];
}

static exam_status cpu_embed_layernorm(exam_backend *be, const exam_buffer *ids,
                                       const exam_buffer *positions, const exam_buffer *word,
                                       const exam_buffer *pos, const exam_buffer *type,
                                       const exam_buffer *gamma, const exam_buffer *beta, float eps,
                                       int n_tokens, int hidden, exam_buffer *out) {
    exam_status args_st = exam_args_embed_layernorm(be, ids, positions, word, pos, type, gamma,
                                                    beta, n_tokens, hidden, out);
    if (args_st != EXAM_OK) return args_st;
    const int32_t *id = CI(ids), *p = CI(positions);
    const float *we = CF(word), *pe = CF(pos), *te = CF(type);
#pragma omp parallel for schedule(static)
    for (int t = 0; t < n_tokens; t++) {
        float *o = F(out) + (size_t)t * hidden;
        const float *wr = we + (size_t)id[t] * hidden, *pr = pe + (size_t)p[t] * hidden;
        for (int c = 0; c < hidden; c++) o[c] = wr[c] + pr[c] + te[c];
        layernorm_row(o, CF(gamma), CF(beta), eps, hidden);
    }
    return EXAM_OK;
}

static exam_status cpu_bias_add(exam_backend *be, exam_buffer *x, const exam_buffer *bias, int rows,
                                int cols) {
    exam_status args_st = exam_args_bias(be, "bias_add", x, bias, rows, cols);
    if (args_st != EXAM_OK) return args_st;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        float *v = F(x) + (size_t)r * cols;
        for (int c = 0; c < cols; c++) v[c] += CF(bias)[c];
    }
    return EXAM_OK;
}

static exam_status cpu_bias_gelu(exam_backend *be, exam_buffer *x, const exam_buffer *bias,
                                 int rows, int cols) {
    exam_status args_st = exam_args_bias(be, "bias_gelu", x, bias, rows, cols);
    if (args_st != EXAM_OK) return args_st;
    const float inv_sqrt2 = 0.70710678118654752440f;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        float *v = F(x) + (size_t)r * cols;
        const float *b = CF(bias);
#pragma omp simd
        for (int c = 0; c < cols; c++) {
            float u = v[c] + b[c];
            v[c] = 0.5f * u * (1.0f + exam_fast_erff(u * inv_sqrt2));
        }
    }
    return EXAM_OK;
}

static exam_status cpu_bias_residual_layernorm(exam_backend *be, const exam_buffer *x,
                                               const exam_buffer *bias, const exam_buffer *residual,
                                               const exam_buffer *gamma, const exam_buffer *beta,
                                               float eps, int rows, int cols, exam_buffer *out) {
    exam_status args_st =
        exam_args_residual_layernorm(be, x, bias, residual, gamma, beta, rows, cols, out);
    if (args_st != EXAM_OK) return args_st;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        const float *xv = CF(x) + (size_t)r * cols, *rv = CF(residual) + (size_t)r * cols;
        float *o = F(out) + (size_t)r * cols;
        /* Element c of out depends only on element c of x and residual, so aliasing is safe. */
        for (int c = 0; c < cols; c++) o[c] = xv[c] + CF(bias)[c] + rv[c];
        layernorm_row(o, CF(gamma), CF(beta), eps, cols);
    }
    return EXAM_OK;
}

/* Query rows handled together, and keys per register block, in the CPU attention. */
#define ATTN_ROWS 4
#define ATTN_KEYS 16

/* scores[r][j] = q_r · k_j for ATTN_ROWS pre-scaled query rows (qs, [ATTN_ROWS × head_dim])
 * against the transposed, zero-padded keys kt ([head_dim × lp], lp a multiple of ATTN_KEYS).
 * Accumulators stay in registers across the head dimension. */
static inline void attn_scores(const float *qs, const float *kt, int head_dim, int lp,
                               float *scores) {
    for (int j0 = 0; j0 < lp; j0 += ATTN_KEYS) {
        float acc[ATTN_ROWS][ATTN_KEYS] = {{0}};
        for (int d = 0; d < head_dim; d++) {
            const float *kr = kt + (size_t)d * lp + j0;
            for (int r = 0; r < ATTN_ROWS; r++) {
                const float qd = qs[r * head_dim + d];
#pragma omp simd
                for (int jj = 0; jj < ATTN_KEYS; jj++) acc[r][jj] += qd * kr[jj];
            }
        }
        for (int r = 0; r < ATTN_ROWS; r++)
            for (int jj = 0; jj < ATTN_KEYS; jj++) scores[(size_t)r * lp + j0 + jj] = acc[r][jj];
    }
}

/* o_r = Σ_j p[r][j] · v_j for ATTN_ROWS rows; inlined with head_dim constant where possible. */
static inline void attn_values(const float *p, int lp, const float *v0, size_t stride, int len,
                               int head_dim, float *acc) {
    for (int i = 0; i < ATTN_ROWS * head_dim; i++) acc[i] = 0.0f;
    for (int j = 0; j < len; j++) {
        const float *v = v0 + (size_t)j * stride;
        for (int r = 0; r < ATTN_ROWS; r++) {
            const float pj = p[(size_t)r * lp + j];
#pragma omp simd
            for (int d = 0; d < head_dim; d++) acc[r * head_dim + d] += pj * v[d];
        }
    }
}

/* In-place softmax of s[0..len) in fp32. */
static void softmax_row(float *s, int len) {
    float max = -INFINITY, sum = 0.0f;
#pragma omp simd reduction(max : max)
    for (int j = 0; j < len; j++) max = s[j] > max ? s[j] : max;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < len; j++) {
        s[j] = exam_fast_expf(s[j] - max);
        sum += s[j];
    }
    const float inv = 1.0f / sum;
    for (int j = 0; j < len; j++) s[j] *= inv;
}

/* Floats of per-thread scratch attend_head needs for sequences up to max_len. */
static size_t attn_scratch_floats(int max_len, int head_dim) {
    size_t lp = ((size_t)(max_len > 0 ? max_len : 1) + ATTN_KEYS - 1) / ATTN_KEYS * ATTN_KEYS;
    size_t blocked = lp * (head_dim + ATTN_ROWS) + 2 * (size_t)ATTN_ROWS * head_dim;
    size_t gemm = (size_t)(max_len > 0 ? max_len : 1) * (size_t)(max_len > 0 ? max_len : 1);
    return blocked > gemm ? blocked : gemm;
}

/* Sequences at least this long take the GEMM path in attention. */
#define ATTN_GEMM_MIN_LEN 64

/* Attention of one head of a long sequence with two GEMMs: scores = Q·Kᵀ·scale into
 * `scratch` [len × len], a row softmax, then O = P·V. OpenBLAS's OpenMP build runs these
 * single-threaded inside our parallel region. */
static void attend_head_gemm(const float *q0, const float *k0, const float *v0, size_t stride,
                             int len, int head_dim, float scale, float *scratch, float *o0,
                             size_t o_stride) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, len, len, head_dim, scale, q0, (int)stride,
                k0, (int)stride, 0.0f, scratch, len);
    for (int i = 0; i < len; i++) softmax_row(scratch + (size_t)i * len, len);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, len, head_dim, len, 1.0f, scratch, len,
                v0, (int)stride, 0.0f, o0, (int)o_stride);
}

/* Attention of one head of one sequence: K transposed and zero-padded into kt, then
 * ATTN_ROWS query rows at a time: scores, softmax, weighted sum of V rows. */
static void attend_head(const float *q0, const float *k0, const float *v0, size_t stride, int len,
                        int head_dim, float scale, float *scratch, float *o0, size_t o_stride) {
    const int lp = (len + ATTN_KEYS - 1) / ATTN_KEYS * ATTN_KEYS;
    float *kt = scratch, *scores = kt + (size_t)head_dim * lp;
    float *qs = scores + (size_t)ATTN_ROWS * lp, *acc = qs + ATTN_ROWS * head_dim;
    for (int d = 0; d < head_dim; d++) {
        float *row = kt + (size_t)d * lp;
        for (int j = 0; j < len; j++) row[j] = k0[(size_t)j * stride + d];
        for (int j = len; j < lp; j++) row[j] = 0.0f;
    }
    for (int i0 = 0; i0 < len; i0 += ATTN_ROWS) {
        const int rows = len - i0 < ATTN_ROWS ? len - i0 : ATTN_ROWS;
        for (int r = 0; r < ATTN_ROWS; r++)
            for (int d = 0; d < head_dim; d++)
                qs[r * head_dim + d] = r < rows ? q0[(size_t)(i0 + r) * stride + d] * scale : 0.0f;
        attn_scores(qs, kt, head_dim, lp, scores);
        for (int r = 0; r < ATTN_ROWS; r++) softmax_row(scores + (size_t)r * lp, len);
        if (head_dim == 32)
            attn_values(scores, lp, v0, stride, len, 32, acc);
        else
            attn_values(scores, lp, v0, stride, len, head_dim, acc);
        for (int r = 0; r < rows; r++)
            memcpy(o0 + (size_t)(i0 + r) * o_stride, acc + r * head_dim, sizeof(float) * head_dim);
    }
}

static exam_status cpu_attention(exam_backend *be, const exam_buffer *qkv,
                                 const exam_buffer *offsets, int n_seqs, int n_tokens, int heads,
                                 int head_dim, int max_len, exam_buffer *out) {
    exam_status args_st =
        exam_args_attention(be, qkv, offsets, n_seqs, n_tokens, heads, head_dim, max_len, out);
    if (args_st != EXAM_OK) return args_st;
    const int32_t *off = CI(offsets);
    const int hidden = heads * head_dim;
    const size_t stride = 3 * (size_t)hidden;
    const float scale = 1.0f / sqrtf((float)head_dim);
    const size_t scratch_len = attn_scratch_floats(max_len, head_dim);
    exam_status status = EXAM_OK;
#pragma omp parallel
    {
        float *scratch = malloc(sizeof(float) * scratch_len);
        if (!scratch) {
#pragma omp critical
            status = exam_error_set(EXAM_ERR_NOMEM, "cpu: attention scratch");
        }
#pragma omp for schedule(dynamic, 1) collapse(2)
        for (int s = 0; s < n_seqs; s++) {
            for (int h = 0; h < heads; h++) {
                if (!scratch) continue;
                const float *base = CF(qkv) + (size_t)off[s] * stride + (size_t)h * head_dim;
                float *o = F(out) + (size_t)off[s] * hidden + (size_t)h * head_dim;
                int len = off[s + 1] - off[s];
                if (len >= ATTN_GEMM_MIN_LEN)
                    attend_head_gemm(base, base + hidden, base + 2 * hidden, stride, len, head_dim,
                                     scale, scratch, o, (size_t)hidden);
                else
                    attend_head(base, base + hidden, base + 2 * hidden, stride, len, head_dim,
                                scale, scratch, o, (size_t)hidden);
            }
        }
        free(scratch);
    }
    return status;
}

static exam_status cpu_mean_pool(exam_backend *be, const exam_buffer *x, const exam_buffer *rows,
                                 const exam_buffer *row_offsets, int n_out, int cols,
                                 exam_buffer *out) {
    exam_status args_st = exam_args_mean_pool(be, x, rows, row_offsets, n_out, cols, out);
    if (args_st != EXAM_OK) return args_st;
    const int32_t *idx = CI(rows), *off = CI(row_offsets);
#pragma omp parallel for schedule(static)
    for (int p = 0; p < n_out; p++) {
        float *o = F(out) + (size_t)p * cols;
        for (int c = 0; c < cols; c++) o[c] = 0.0f;
        int count = off[p + 1] - off[p];
        for (int i = off[p]; i < off[p + 1]; i++) {
            const float *v = CF(x) + (size_t)idx[i] * cols;
            for (int c = 0; c < cols; c++) o[c] += v[c];
        }
        if (count > 0) {
            float inv = 1.0f / (float)count;
            for (int c = 0; c < cols; c++) o[c] *= inv;
        }
    }
    return EXAM_OK;
}

static float row_norm(const float *v, int cols) {
    float s = 0.0f;
    for (int c = 0; c < cols; c++) s += v[c] * v[c];
    return sqrtf(s);
}

static exam_status cpu_l2_normalize(exam_backend *be, exam_buffer *x, int rows, int cols) {
    exam_status args_st = exam_args_l2_normalize(be, x, rows, cols);
    if (args_st != EXAM_OK) return args_st;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        float *v = F(x) + (size_t)r * cols;
        float n = row_norm(v, cols);
        float inv = 1.0f / (n > 1e-12f ? n : 1e-12f);
        for (int c = 0; c < cols; c++) v[c] *= inv;
    }
    return EXAM_OK;
}

static float dot(const float *a, const float *b, int cols) {
    float s = 0.0f;
    for (int c = 0; c < cols; c++) s += a[c] * b[c];
    return s;
}

/* cos(a, b) given both norms; 0 when either vector is zero. */
static float cosine(const float *a, float na, const float *b, float nb, int cols) {
    if (na <= 0.0f || nb <= 0.0f) return 0.0f;
    return dot(a, b, cols) / (na * nb);
}

static exam_status cpu_cosine_matrix(exam_backend *be, const exam_buffer *a, const exam_buffer *b,
                                     int m, int n, int cols, exam_buffer *out) {
    exam_status args_st = exam_args_cosine_matrix(be, a, b, m, n, cols, out);
    if (args_st != EXAM_OK) return args_st;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < m; i++) {
        const float *av = CF(a) + (size_t)i * cols;
        float na = row_norm(av, cols);
        for (int j = 0; j < n; j++) {
            const float *bv = CF(b) + (size_t)j * cols;
            F(out)[(size_t)i * n + j] = cosine(av, na, bv, row_norm(bv, cols), cols);
        }
    }
    return EXAM_OK;
}

/* best[i] = max over rows [o0, o1) of `other` of cos(self row i, other row), for i in [s0, s1). */
static void best_matches(const float *self, int s0, int s1, const float *other, int o0, int o1,
                         int cols, float *best) {
    for (int i = s0; i < s1; i++) {
        const float *v = self + (size_t)i * cols;
        float nv = row_norm(v, cols);
        float m = o1 > o0 ? -INFINITY : 0.0f;
        for (int j = o0; j < o1; j++) {
            const float *u = other + (size_t)j * cols;
            float c = cosine(v, nv, u, row_norm(u, cols), cols);
            if (c > m) m = c;
        }
        best[i] = m;
    }
}

static exam_status cpu_greedy_match(exam_backend *be, const exam_buffer *a,
                                    const exam_buffer *a_offsets, const exam_buffer *b,
                                    const exam_buffer *b_offsets, int n_pairs, int cols,
                                    exam_buffer *a_best, exam_buffer *b_best) {
    exam_status args_st =
        exam_args_greedy_match(be, a, a_offsets, b, b_offsets, n_pairs, cols, a_best, b_best);
    if (args_st != EXAM_OK) return args_st;
    const int32_t *ao = CI(a_offsets), *bo = CI(b_offsets);
#pragma omp parallel for schedule(dynamic, 1)
    for (int p = 0; p < n_pairs; p++) {
        best_matches(CF(a), ao[p], ao[p + 1], CF(b), bo[p], bo[p + 1], cols, F(a_best));
        best_matches(CF(b), bo[p], bo[p + 1], CF(a), ao[p], ao[p + 1], cols, F(b_best));
    }
    return EXAM_OK;
}

static size_t cpu_buffer_bytes(const exam_buffer *buf) {
    return buf->bytes;
}

static const exam_backend_ops cpu_ops = {
    .free = cpu_free,
    .buffer_alloc = cpu_buffer_alloc,
    .buffer_from_host = cpu_buffer_from_host,
    .buffer_free = cpu_buffer_free,
    .buffer_bytes = cpu_buffer_bytes,
    .buffer_upload = cpu_buffer_upload,
    .buffer_download = cpu_buffer_download,
    .synchronize = cpu_synchronize,
    .gemm = cpu_gemm,
    .embed_layernorm = cpu_embed_layernorm,
    .bias_add = cpu_bias_add,
    .bias_gelu = cpu_bias_gelu,
    .bias_residual_layernorm = cpu_bias_residual_layernorm,
    .attention = cpu_attention,
    .mean_pool = cpu_mean_pool,
    .l2_normalize = cpu_l2_normalize,
    .cosine_matrix = cpu_cosine_matrix,
    .greedy_match = cpu_greedy_match,
};

exam_status exam_backend_cpu_create(const exam_backend_options *opts, exam_backend **out) {
    cpu_backend *cb = calloc(1, sizeof *cb);
    if (!cb) return exam_error_set(EXAM_ERR_NOMEM, "cpu: cannot allocate the backend");
    int threads = opts && opts->threads > 0 ? opts->threads : omp_get_num_procs();
    cb->threads = threads;
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    cb->base.ops = &cpu_ops;
    cb->base.name = "cpu";
    cb->base.precision = EXAM_PRECISION_F32;
    snprintf(cb->base.device, sizeof cb->base.device, "%d threads, %s", threads,
             openblas_get_config());
    *out = &cb->base;
    return EXAM_OK;
}

float *exam_backend_cpu_data(exam_buffer *buf) {
    return buf ? (float *)buf->data : NULL;
}
