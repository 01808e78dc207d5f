/* CPU backend: buffers are host memory, GEMMs go to OpenBLAS, every other op is a plain C loop
 * threaded with OpenMP. It is both the default on machines without a GPU and the test oracle. */
#include "backend_cpu.h"

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
    (void)be;
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
    (void)be;
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
    (void)be;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        float *v = F(x) + (size_t)r * cols;
        for (int c = 0; c < cols; c++) v[c] += CF(bias)[c];
    }
    return EXAM_OK;
}

static exam_status cpu_bias_gelu(exam_backend *be, exam_buffer *x, const exam_buffer *bias,
                                 int rows, int cols) {
    (void)be;
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
    (void)be;
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

/* One query row of one head: softmax(q·Kᵀ·scale)·V into o, using `scores` as scratch. */
static void attend_row(const float *q, const float *k0, const float *v0, size_t stride, int len,
                       int head_dim, float scale, float *scores, float *o) {
    float max = -INFINITY;
    for (int j = 0; j < len; j++) {
        const float *k = k0 + (size_t)j * stride;
        float s = 0.0f;
        for (int d = 0; d < head_dim; d++) s += q[d] * k[d];
        s *= scale;
        scores[j] = s;
        if (s > max) max = s;
    }
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < len; j++) {
        scores[j] = exam_fast_expf(scores[j] - max);
        sum += scores[j];
    }
    float inv = 1.0f / sum;
    for (int d = 0; d < head_dim; d++) o[d] = 0.0f;
    for (int j = 0; j < len; j++) {
        const float *v = v0 + (size_t)j * stride;
        float p = scores[j] * inv;
        for (int d = 0; d < head_dim; d++) o[d] += p * v[d];
    }
}

static exam_status cpu_attention(exam_backend *be, const exam_buffer *qkv,
                                 const exam_buffer *offsets, int n_seqs, int n_tokens, int heads,
                                 int head_dim, int max_len, exam_buffer *out) {
    (void)be;
    (void)n_tokens;
    const int32_t *off = CI(offsets);
    const int hidden = heads * head_dim;
    const size_t stride = 3 * (size_t)hidden;
    const float scale = 1.0f / sqrtf((float)head_dim);
    exam_status status = EXAM_OK;
#pragma omp parallel
    {
        float *scores = malloc(sizeof(float) * (size_t)(max_len > 0 ? max_len : 1));
        if (!scores) {
#pragma omp critical
            status = exam_error_set(EXAM_ERR_NOMEM, "cpu: attention scratch");
        } else {
#pragma omp for schedule(dynamic, 1) collapse(2)
            for (int s = 0; s < n_seqs; s++) {
                for (int h = 0; h < heads; h++) {
                    int start = off[s], len = off[s + 1] - off[s];
                    const float *base = CF(qkv) + (size_t)start * stride + (size_t)h * head_dim;
                    for (int i = 0; i < len; i++) {
                        float *o = F(out) + (size_t)(start + i) * hidden + (size_t)h * head_dim;
                        attend_row(base + (size_t)i * stride, base + hidden, base + 2 * hidden,
                                   stride, len, head_dim, scale, scores, o);
                    }
                }
            }
            free(scores);
        }
    }
    return status;
}

static exam_status cpu_mean_pool(exam_backend *be, const exam_buffer *x, const exam_buffer *rows,
                                 const exam_buffer *row_offsets, int n_out, int cols,
                                 exam_buffer *out) {
    (void)be;
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
    (void)be;
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
    (void)be;
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
    (void)be;
    const int32_t *ao = CI(a_offsets), *bo = CI(b_offsets);
#pragma omp parallel for schedule(dynamic, 1)
    for (int p = 0; p < n_pairs; p++) {
        best_matches(CF(a), ao[p], ao[p + 1], CF(b), bo[p], bo[p + 1], cols, F(a_best));
        best_matches(CF(b), bo[p], bo[p + 1], CF(a), ao[p], ao[p + 1], cols, F(b_best));
    }
    return EXAM_OK;
}

static const exam_backend_ops cpu_ops = {
    .free = cpu_free,
    .buffer_alloc = cpu_buffer_alloc,
    .buffer_from_host = cpu_buffer_from_host,
    .buffer_free = cpu_buffer_free,
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
