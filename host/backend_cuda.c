/* The CUDA backend: kernels compiled by nvcc from kernels/ (through kernels/cuda's launch layer),
 * GEMMs through cuBLAS (row-major via the operand swap; fp32, or fp16/bf16 tensor cores with fp32
 * accumulation), one stream per backend and pinned staging buffers so uploads overlap compute. */
#include "backend_cuda.h"

#include "backend_args.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "../kernels/exam_limits.h"
#include "launch.h"

/* Bytes in each of the two pinned staging slots that uploads and downloads pass through. */
#define STAGING_SLOT ((size_t)8 << 20)

typedef struct cuda_backend {
    exam_backend base;
    cudaStream_t stream;
    cublasHandle_t cublas;
    unsigned char *staging[2];   /* pinned host memory */
    cudaEvent_t staging_done[2]; /* recorded after the last copy out of each slot */
    int events_made;             /* how many staging_done events exist */
    cudaEvent_t timer[2];        /* start and end marks of timer_begin/timer_end */
    int timers_made;
    int next_slot;
    void *a_low, *w_low; /* fp16/bf16 GEMM operands converted per call */
    size_t a_low_bytes, w_low_bytes;
} cuda_backend;

struct exam_buffer {
    void *ptr;
    size_t bytes;
    int readonly; /* made by buffer_from_host: its contents never change */
    void *low;    /* fp16/bf16 copy of a read-only buffer used as a GEMM weight */
    exam_precision low_kind;
};

/* Returns EXAM_ERR_BACKEND from the calling function when a CUDA runtime call fails; the
 * message names the call and the runtime's message (exam_error_set adds file:line). */
#define CU_CHECK(call)                                                                             \
    do {                                                                                           \
        cudaError_t cu_err_ = (call);                                                              \
        if (cu_err_ != cudaSuccess)                                                                \
            return exam_error_set(EXAM_ERR_BACKEND, "%s failed: %s (%s)", #call,                   \
                                  cudaGetErrorString(cu_err_), cudaGetErrorName(cu_err_));         \
    } while (0)

/* The same for cuBLAS calls. */
#define CUBLAS_CHECK(call)                                                                         \
    do {                                                                                           \
        cublasStatus_t cb_st_ = (call);                                                            \
        if (cb_st_ != CUBLAS_STATUS_SUCCESS)                                                       \
            return exam_error_set(EXAM_ERR_BACKEND, "%s failed: %s (%s)", #call,                   \
                                  cublasGetStatusString(cb_st_), cublasGetStatusName(cb_st_));     \
    } while (0)

static cuda_backend *cu_of(exam_backend *be) {
    return (cuda_backend *)be;
}

#define F(buf) ((float *)(buf)->ptr)
#define CF(buf) ((const float *)(buf)->ptr)
#define CI(buf) ((const int *)(buf)->ptr)

static void cu_backend_free(exam_backend *be) {
    cuda_backend *b = cu_of(be);
    if (!b) return;
    if (b->stream) cudaStreamSynchronize(b->stream);
    cudaFree(b->a_low);
    cudaFree(b->w_low);
    for (int i = 0; i < b->events_made; i++) cudaEventDestroy(b->staging_done[i]);
    for (int i = 0; i < b->timers_made; i++) cudaEventDestroy(b->timer[i]);
    for (int i = 0; i < 2; i++) cudaFreeHost(b->staging[i]);
    if (b->cublas) cublasDestroy(b->cublas);
    if (b->stream) cudaStreamDestroy(b->stream);
    free(b);
}

static exam_status cu_buffer_alloc(exam_backend *be, size_t bytes, exam_buffer **out) {
    (void)be;
    *out = NULL;
    exam_buffer *buf = calloc(1, sizeof *buf);
    if (!buf) return exam_error_set(EXAM_ERR_NOMEM, "cuda: out of host memory");
    cudaError_t err = cudaMalloc(&buf->ptr, bytes ? bytes : 16);
    if (err != cudaSuccess) {
        free(buf);
        return exam_error_set(EXAM_ERR_BACKEND, "cudaMalloc(%zu bytes) failed: %s (%s)", bytes,
                              cudaGetErrorString(err), cudaGetErrorName(err));
    }
    buf->bytes = bytes;
    *out = buf;
    return EXAM_OK;
}

static void cu_buffer_free(exam_backend *be, exam_buffer *buf) {
    (void)be;
    if (!buf) return;
    cudaFree(buf->low); /* cudaFree waits for work that may still use the memory */
    cudaFree(buf->ptr);
    free(buf);
}

static exam_status cu_buffer_upload(exam_backend *be, exam_buffer *dst, size_t offset,
                                    const void *src, size_t bytes) {
    cuda_backend *b = cu_of(be);
    if (!dst || offset > dst->bytes || bytes > dst->bytes - offset || (!src && bytes))
        return exam_error_set(EXAM_ERR_ARG, "cuda: upload of %zu bytes at %zu out of range", bytes,
                              offset);
    /* Each chunk goes through a pinned slot: the host copy of the next chunk overlaps the DMA of
     * this one and whatever compute is still queued ahead of it on the stream. */
    for (size_t done = 0; done < bytes;) {
        size_t chunk = bytes - done < STAGING_SLOT ? bytes - done : STAGING_SLOT;
        int slot = b->next_slot;
        b->next_slot ^= 1;
        CU_CHECK(cudaEventSynchronize(b->staging_done[slot]));
        memcpy(b->staging[slot], (const unsigned char *)src + done, chunk);
        CU_CHECK(cudaMemcpyAsync((unsigned char *)dst->ptr + offset + done, b->staging[slot], chunk,
                                 cudaMemcpyHostToDevice, b->stream));
        CU_CHECK(cudaEventRecord(b->staging_done[slot], b->stream));
        done += chunk;
    }
    return EXAM_OK;
}

static exam_status cu_buffer_from_host(exam_backend *be, const void *data, size_t bytes,
                                       exam_buffer **out) {
    if (!data && bytes) return exam_error_set(EXAM_ERR_ARG, "cuda: NULL host data");
    exam_status st = cu_buffer_alloc(be, bytes, out);
    if (st != EXAM_OK) return st;
    (*out)->readonly = 1;
    st = cu_buffer_upload(be, *out, 0, data, bytes);
    if (st != EXAM_OK) {
        cu_buffer_free(be, *out);
        *out = NULL;
    }
    return st;
}

static exam_status cu_buffer_download(exam_backend *be, const exam_buffer *src, size_t offset,
                                      void *dst, size_t bytes) {
    cuda_backend *b = cu_of(be);
    if (!src || offset > src->bytes || bytes > src->bytes - offset || (!dst && bytes))
        return exam_error_set(EXAM_ERR_ARG, "cuda: download of %zu bytes at %zu out of range",
                              bytes, offset);
    for (size_t done = 0; done < bytes;) {
        size_t chunk = bytes - done < STAGING_SLOT ? bytes - done : STAGING_SLOT;
        int slot = b->next_slot;
        b->next_slot ^= 1;
        CU_CHECK(cudaMemcpyAsync(b->staging[slot], (const unsigned char *)src->ptr + offset + done,
                                 chunk, cudaMemcpyDeviceToHost, b->stream));
        CU_CHECK(cudaEventRecord(b->staging_done[slot], b->stream));
        CU_CHECK(cudaEventSynchronize(b->staging_done[slot]));
        memcpy((unsigned char *)dst + done, b->staging[slot], chunk);
        done += chunk;
    }
    return EXAM_OK;
}

static exam_status cu_synchronize(exam_backend *be) {
    CU_CHECK(cudaStreamSynchronize(cu_of(be)->stream));
    return EXAM_OK;
}

static exam_status cu_timer_begin(exam_backend *be) {
    cuda_backend *b = cu_of(be);
    CU_CHECK(cudaEventRecord(b->timer[0], b->stream));
    return EXAM_OK;
}

static exam_status cu_timer_end(exam_backend *be, double *seconds) {
    cuda_backend *b = cu_of(be);
    float ms = 0;
    CU_CHECK(cudaEventRecord(b->timer[1], b->stream));
    CU_CHECK(cudaEventSynchronize(b->timer[1]));
    CU_CHECK(cudaEventElapsedTime(&ms, b->timer[0], b->timer[1]));
    *seconds = (double)ms * 1e-3;
    return EXAM_OK;
}

/* Makes *scratch hold at least `bytes` of device memory (waits for queued work before it frees
 * a smaller one). */
static exam_status grow_scratch(cuda_backend *b, void **scratch, size_t *have, size_t bytes) {
    if (*have >= bytes) return EXAM_OK;
    CU_CHECK(cudaStreamSynchronize(b->stream));
    cudaFree(*scratch);
    *scratch = NULL;
    *have = 0;
    CU_CHECK(cudaMalloc(scratch, bytes));
    *have = bytes;
    return EXAM_OK;
}

/* The fp16/bf16 form of the GEMM weight w: cached on read-only buffers, converted per call into
 * scratch otherwise. */
static exam_status low_weight(cuda_backend *b, const exam_buffer *w, size_t count,
                              const void **out) {
    int bf16 = b->base.precision == EXAM_PRECISION_BF16;
    if (w->readonly) {
        /* the cache is a shadow of immutable contents, so filling it keeps w logically const */
        exam_buffer *mw = (exam_buffer *)w;
        if (!mw->low || mw->low_kind != b->base.precision) {
            cudaFree(mw->low);
            mw->low = NULL;
            CU_CHECK(cudaMalloc(&mw->low, count * 2));
            CU_CHECK(exam_cuda_launch_convert(b->stream, CF(w), mw->low, count, bf16));
            mw->low_kind = b->base.precision;
        }
        *out = mw->low;
        return EXAM_OK;
    }
    exam_status st = grow_scratch(b, &b->w_low, &b->w_low_bytes, count * 2);
    if (st != EXAM_OK) return st;
    CU_CHECK(exam_cuda_launch_convert(b->stream, CF(w), b->w_low, count, bf16));
    *out = b->w_low;
    return EXAM_OK;
}

static exam_status cu_gemm(exam_backend *be, const exam_buffer *a, const exam_buffer *w,
                           exam_buffer *c, int m, int n, int k) {
    cuda_backend *b = cu_of(be);
    exam_status args_st = exam_args_gemm(be, a, w, c, m, n, k);
    if (args_st != EXAM_OK) return args_st;
    if (m == 0 || n == 0) return EXAM_OK;
    if (k == 0) {
        CU_CHECK(cudaMemsetAsync(c->ptr, 0, (size_t)m * n * sizeof(float), b->stream));
        return EXAM_OK;
    }
    const float one = 1.0f, zero = 0.0f;
    /* Row-major C[m×n] = A·Wᵀ is column-major Cᵀ[n×m] = W·Aᵀ: W (stored k×n column-major)
     * transposed, A (stored k×m column-major) as is. */
    if (b->base.precision == EXAM_PRECISION_F32) {
        CUBLAS_CHECK(cublasSgemm(b->cublas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one, CF(w), k,
                                 CF(a), k, &zero, F(c), n));
        return EXAM_OK;
    }
    int bf16 = b->base.precision == EXAM_PRECISION_BF16;
    cudaDataType_t type = bf16 ? CUDA_R_16BF : CUDA_R_16F;
    size_t a_count = (size_t)m * k;
    exam_status st = grow_scratch(b, &b->a_low, &b->a_low_bytes, a_count * 2);
    if (st != EXAM_OK) return st;
    CU_CHECK(exam_cuda_launch_convert(b->stream, CF(a), b->a_low, a_count, bf16));
    const void *wl = NULL;
    st = low_weight(b, w, (size_t)n * k, &wl);
    if (st != EXAM_OK) return st;
    CUBLAS_CHECK(cublasGemmEx(b->cublas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one, wl, type, k,
                              b->a_low, type, k, &zero, F(c), CUDA_R_32F, n, CUBLAS_COMPUTE_32F,
                              CUBLAS_GEMM_DEFAULT));
    return EXAM_OK;
}

static exam_status cu_embed_layernorm(exam_backend *be, const exam_buffer *ids,
                                      const exam_buffer *positions, const exam_buffer *word,
                                      const exam_buffer *pos, const exam_buffer *type,
                                      const exam_buffer *gamma, const exam_buffer *beta, float eps,
                                      int n_tokens, int hidden, exam_buffer *out) {
    exam_status args_st = exam_args_embed_layernorm(be, ids, positions, word, pos, type, gamma,
                                                    beta, n_tokens, hidden, out);
    if (args_st != EXAM_OK) return args_st;
    if (n_tokens == 0) return EXAM_OK;
    CU_CHECK(exam_cuda_launch_embed_layernorm(cu_of(be)->stream, CI(ids), CI(positions), CF(word),
                                              CF(pos), CF(type), CF(gamma), CF(beta), eps, n_tokens,
                                              hidden, F(out)));
    return EXAM_OK;
}

/* Shared body of bias_add and bias_gelu. */
static exam_status bias_op(exam_backend *be, int gelu, exam_buffer *x, const exam_buffer *bias,
                           int rows, int cols) {
    exam_status args_st = exam_args_bias(be, "bias op", x, bias, rows, cols);
    if (args_st != EXAM_OK) return args_st;
    if (rows == 0) return EXAM_OK;
    CU_CHECK(exam_cuda_launch_bias(cu_of(be)->stream, F(x), CF(bias), rows, cols, gelu));
    return EXAM_OK;
}

static exam_status cu_bias_add(exam_backend *be, exam_buffer *x, const exam_buffer *bias, int rows,
                               int cols) {
    return bias_op(be, 0, x, bias, rows, cols);
}

static exam_status cu_bias_gelu(exam_backend *be, exam_buffer *x, const exam_buffer *bias, int rows,
                                int cols) {
    return bias_op(be, 1, x, bias, rows, cols);
}

static exam_status cu_bias_residual_layernorm(exam_backend *be, const exam_buffer *x,
                                              const exam_buffer *bias, const exam_buffer *residual,
                                              const exam_buffer *gamma, const exam_buffer *beta,
                                              float eps, int rows, int cols, exam_buffer *out) {
    exam_status args_st =
        exam_args_residual_layernorm(be, x, bias, residual, gamma, beta, rows, cols, out);
    if (args_st != EXAM_OK) return args_st;
    if (rows == 0) return EXAM_OK;
    CU_CHECK(exam_cuda_launch_bias_residual_layernorm(cu_of(be)->stream, CF(x), CF(bias),
                                                      CF(residual), CF(gamma), CF(beta), eps, rows,
                                                      cols, F(out)));
    return EXAM_OK;
}

static exam_status cu_attention(exam_backend *be, const exam_buffer *qkv,
                                const exam_buffer *offsets, int n_seqs, int n_tokens, int heads,
                                int head_dim, int max_len, exam_buffer *out) {
    exam_status args_st =
        exam_args_attention(be, qkv, offsets, n_seqs, n_tokens, heads, head_dim, max_len, out);
    if (args_st != EXAM_OK) return args_st;
    if (head_dim > EXAM_ATTN_MAX_D || heads > 65535)
        return exam_error_set(EXAM_ERR_LIMIT,
                              "cuda attention: %d heads of %d exceed the kernel's "
                              "limits (65535 heads of %d)",
                              heads, head_dim, EXAM_ATTN_MAX_D);
    if (n_seqs == 0 || n_tokens == 0 || max_len == 0) return EXAM_OK;
    int64_t q_tiles = (max_len + EXAM_ATTN_QTILE - 1) / EXAM_ATTN_QTILE;
    if (n_seqs * q_tiles > INT32_MAX)
        return exam_error_set(EXAM_ERR_LIMIT, "cuda attention: too many sequences");
    CU_CHECK(exam_cuda_launch_attention(cu_of(be)->stream, CF(qkv), CI(offsets), n_seqs, heads,
                                        head_dim, max_len, F(out)));
    return EXAM_OK;
}

static exam_status cu_mean_pool(exam_backend *be, const exam_buffer *x, const exam_buffer *rows,
                                const exam_buffer *row_offsets, int n_out, int cols,
                                exam_buffer *out) {
    exam_status args_st = exam_args_mean_pool(be, x, rows, row_offsets, n_out, cols, out);
    if (args_st != EXAM_OK) return args_st;
    if (n_out == 0) return EXAM_OK;
    CU_CHECK(exam_cuda_launch_mean_pool(cu_of(be)->stream, CF(x), CI(rows), CI(row_offsets), n_out,
                                        cols, F(out)));
    return EXAM_OK;
}

static exam_status cu_l2_normalize(exam_backend *be, exam_buffer *x, int rows, int cols) {
    exam_status args_st = exam_args_l2_normalize(be, x, rows, cols);
    if (args_st != EXAM_OK) return args_st;
    if (rows == 0) return EXAM_OK;
    CU_CHECK(exam_cuda_launch_l2_normalize(cu_of(be)->stream, F(x), rows, cols));
    return EXAM_OK;
}

static exam_status cu_cosine_matrix(exam_backend *be, const exam_buffer *a, const exam_buffer *b,
                                    int m, int n, int cols, exam_buffer *out) {
    exam_status args_st = exam_args_cosine_matrix(be, a, b, m, n, cols, out);
    if (args_st != EXAM_OK) return args_st;
    if ((m + EXAM_COS_TILE - 1) / EXAM_COS_TILE > 65535)
        return exam_error_set(EXAM_ERR_LIMIT, "cuda cosine_matrix: %d rows exceed %d", m,
                              65535 * EXAM_COS_TILE);
    if (m == 0 || n == 0) return EXAM_OK;
    CU_CHECK(exam_cuda_launch_cosine_matrix(cu_of(be)->stream, CF(a), CF(b), m, n, cols, F(out)));
    return EXAM_OK;
}

static exam_status cu_greedy_match(exam_backend *be, const exam_buffer *a,
                                   const exam_buffer *a_offsets, const exam_buffer *b,
                                   const exam_buffer *b_offsets, int n_pairs, int cols,
                                   exam_buffer *a_best, exam_buffer *b_best) {
    exam_status args_st =
        exam_args_greedy_match(be, a, a_offsets, b, b_offsets, n_pairs, cols, a_best, b_best);
    if (args_st != EXAM_OK) return args_st;
    if (n_pairs == 0) return EXAM_OK;
    CU_CHECK(exam_cuda_launch_greedy_match(cu_of(be)->stream, CF(a), CI(a_offsets), CF(b),
                                           CI(b_offsets), n_pairs, cols, F(a_best), F(b_best)));
    return EXAM_OK;
}

static size_t cu_buffer_bytes(const exam_buffer *buf) {
    return buf->bytes;
}

static const exam_backend_ops cu_ops = {
    .free = cu_backend_free,
    .buffer_alloc = cu_buffer_alloc,
    .buffer_from_host = cu_buffer_from_host,
    .buffer_free = cu_buffer_free,
    .buffer_bytes = cu_buffer_bytes,
    .buffer_upload = cu_buffer_upload,
    .buffer_download = cu_buffer_download,
    .synchronize = cu_synchronize,
    .timer_begin = cu_timer_begin,
    .timer_end = cu_timer_end,
    .gemm = cu_gemm,
    .embed_layernorm = cu_embed_layernorm,
    .bias_add = cu_bias_add,
    .bias_gelu = cu_bias_gelu,
    .bias_residual_layernorm = cu_bias_residual_layernorm,
    .attention = cu_attention,
    .mean_pool = cu_mean_pool,
    .l2_normalize = cu_l2_normalize,
    .cosine_matrix = cu_cosine_matrix,
    .greedy_match = cu_greedy_match,
};

/* Stream, cuBLAS handle, staging slots and events of a fresh backend. */
static exam_status cu_setup(cuda_backend *b) {
    CU_CHECK(cudaStreamCreateWithFlags(&b->stream, cudaStreamNonBlocking));
    cublasStatus_t cs = cublasCreate(&b->cublas);
    if (cs != CUBLAS_STATUS_SUCCESS) {
        b->cublas = NULL;
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "CUDA unavailable: cublasCreate: %s",
                              cublasGetStatusString(cs));
    }
    CUBLAS_CHECK(cublasSetStream(b->cublas, b->stream));
    for (int i = 0; i < 2; i++) {
        CU_CHECK(cudaHostAlloc((void **)&b->staging[i], STAGING_SLOT, cudaHostAllocDefault));
        CU_CHECK(cudaEventCreateWithFlags(&b->staging_done[i], cudaEventDisableTiming));
        b->events_made++;
    }
    for (int i = 0; i < 2; i++) {
        CU_CHECK(cudaEventCreate(&b->timer[i]));
        b->timers_made++;
    }
    return EXAM_OK;
}

exam_status exam_backend_cuda_create(const exam_backend_options *opts, exam_backend **out) {
    *out = NULL;
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        cudaGetLastError(); /* clear the sticky runtime error */
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "CUDA unavailable: %s",
                              cudaGetErrorString(err));
    }
    if (count == 0) return exam_error_set(EXAM_ERR_UNAVAILABLE, "CUDA unavailable: no CUDA device");
    int dev = 0;
    CU_CHECK(cudaGetDevice(&dev));
    struct cudaDeviceProp prop;
    CU_CHECK(cudaGetDeviceProperties(&prop, dev));
    if (prop.major < 8)
        return exam_error_set(EXAM_ERR_UNAVAILABLE,
                              "CUDA unavailable: %s is sm_%d%d; the kernels are built for sm_80+",
                              prop.name, prop.major, prop.minor);

    cuda_backend *b = calloc(1, sizeof *b);
    if (!b) return exam_error_set(EXAM_ERR_NOMEM, "cuda: out of host memory");
    b->base.ops = &cu_ops;
    b->base.name = "cuda";
    b->base.precision = opts ? opts->precision : EXAM_PRECISION_F32;
    snprintf(b->base.device, sizeof b->base.device, "%.80s (sm_%d%d, %.0f GiB, gemm %s)", prop.name,
             prop.major, prop.minor, (double)prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0),
             b->base.precision == EXAM_PRECISION_F16    ? "fp16"
             : b->base.precision == EXAM_PRECISION_BF16 ? "bf16"
                                                        : "fp32");
    exam_status st = cu_setup(b);
    if (st != EXAM_OK) {
        cu_backend_free(&b->base);
        return st;
    }
    *out = &b->base;
    return EXAM_OK;
}
