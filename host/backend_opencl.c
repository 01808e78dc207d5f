/* The OpenCL backend: the kernels/ OpenCL C sources built at start-up (binaries cached per device
 * and source), GEMMs through CLBlast in row-major layout, one in-order command queue per backend.
 */
#include "backend_opencl.h"

#include "backend_args.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/exam_limits.h"
#include "backend_opencl_util.h"
#include "kernel_sources.h"

enum {
    K_EMBED_LN,
    K_BIAS_ADD,
    K_BIAS_GELU,
    K_RESIDUAL_LN,
    K_ATTENTION,
    K_MEAN_POOL,
    K_L2_NORMALIZE,
    K_COSINE,
    K_GREEDY,
    K_COUNT
};

static const char *const kernel_names[K_COUNT] = {
    "exam_embed_layernorm", "exam_bias_add",  "exam_bias_gelu",    "exam_bias_residual_layernorm",
    "exam_attention",       "exam_mean_pool", "exam_l2_normalize", "exam_cosine_matrix",
    "exam_greedy_match",
};

/* The work-group size each kernel is launched with. */
static const size_t kernel_group[K_COUNT] = {
    EXAM_ROW_THREADS,
    EXAM_ELEM_THREADS,
    EXAM_ELEM_THREADS,
    EXAM_ROW_THREADS,
    EXAM_ATTN_QTILE,
    EXAM_ROW_THREADS,
    EXAM_ROW_THREADS,
    EXAM_COS_TILE *EXAM_COS_TILE,
    EXAM_COS_TILE *EXAM_COS_TILE,
};

typedef struct cl_backend {
    exam_backend base;
    cl_device_id device;
    cl_context ctx;
    cl_command_queue queue;
    cl_program program;
    cl_kernel kernels[K_COUNT];
} cl_backend;

struct exam_buffer {
    cl_mem mem;
    size_t bytes;
};

/* One kernel argument: its size and a pointer to its value. */
typedef struct karg {
    size_t size;
    const void *value;
} karg;

#define ARG(x) ((karg){sizeof(x), &(x)})

static cl_backend *cl_of(exam_backend *be) {
    return (cl_backend *)be;
}

/* Sets the arguments of kernel k and enqueues it over `global` work-items in groups of `local`. */
static exam_status launch(cl_backend *b, int k, const karg *args, int n_args, cl_uint dims,
                          const size_t *global, const size_t *local) {
    cl_kernel kern = b->kernels[k];
    for (int i = 0; i < n_args; i++) {
        cl_int err = clSetKernelArg(kern, (cl_uint)i, args[i].size, args[i].value);
        if (err != CL_SUCCESS)
            return exam_error_set(EXAM_ERR_BACKEND, "clSetKernelArg(%s, %d) failed: %s",
                                  kernel_names[k], i, exam_cl_error_name(err));
    }
    cl_int err = clEnqueueNDRangeKernel(b->queue, kern, dims, NULL, global, local, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return exam_error_set(EXAM_ERR_BACKEND, "clEnqueueNDRangeKernel(%s) failed: %s",
                              kernel_names[k], exam_cl_error_name(err));
    return EXAM_OK;
}

static void cl_backend_free(exam_backend *be) {
    cl_backend *b = cl_of(be);
    if (!b) return;
    for (int k = 0; k < K_COUNT; k++)
        if (b->kernels[k]) clReleaseKernel(b->kernels[k]);
    if (b->program) clReleaseProgram(b->program);
    if (b->queue) clReleaseCommandQueue(b->queue);
    if (b->ctx) clReleaseContext(b->ctx);
    free(b);
}

static exam_status cl_buffer_create(cl_backend *b, cl_mem_flags flags, const void *host,
                                    size_t bytes, exam_buffer **out) {
    *out = NULL;
    exam_buffer *buf = calloc(1, sizeof *buf);
    if (!buf) return exam_error_set(EXAM_ERR_NOMEM, "opencl: out of host memory");
    cl_int err = CL_SUCCESS;
    /* OpenCL refuses empty buffers: keep a small one and remember the requested size */
    buf->mem = clCreateBuffer(b->ctx, flags, bytes ? bytes : 16, bytes ? (void *)host : NULL, &err);
    if (err != CL_SUCCESS) {
        free(buf);
        return exam_error_set(EXAM_ERR_BACKEND, "clCreateBuffer(%zu bytes) failed: %s", bytes,
                              exam_cl_error_name(err));
    }
    buf->bytes = bytes;
    *out = buf;
    return EXAM_OK;
}

static exam_status cl_buffer_alloc(exam_backend *be, size_t bytes, exam_buffer **out) {
    return cl_buffer_create(cl_of(be), CL_MEM_READ_WRITE, NULL, bytes, out);
}

static exam_status cl_buffer_from_host(exam_backend *be, const void *data, size_t bytes,
                                       exam_buffer **out) {
    if (!data && bytes) return exam_error_set(EXAM_ERR_ARG, "opencl: NULL host data");
    cl_mem_flags flags = CL_MEM_READ_ONLY | (bytes ? CL_MEM_COPY_HOST_PTR : 0);
    return cl_buffer_create(cl_of(be), flags, data, bytes, out);
}

static void cl_buffer_free(exam_backend *be, exam_buffer *buf) {
    (void)be;
    if (!buf) return;
    clReleaseMemObject(buf->mem);
    free(buf);
}

static exam_status cl_buffer_upload(exam_backend *be, exam_buffer *dst, size_t offset,
                                    const void *src, size_t bytes) {
    if (!dst || offset > dst->bytes || bytes > dst->bytes - offset || (!src && bytes))
        return exam_error_set(EXAM_ERR_ARG, "opencl: upload of %zu bytes at %zu out of range",
                              bytes, offset);
    if (!bytes) return EXAM_OK;
    EXAM_CL_CHECK(clEnqueueWriteBuffer(cl_of(be)->queue, dst->mem, CL_TRUE, offset, bytes, src, 0,
                                       NULL, NULL));
    return EXAM_OK;
}

static exam_status cl_buffer_download(exam_backend *be, const exam_buffer *src, size_t offset,
                                      void *dst, size_t bytes) {
    if (!src || offset > src->bytes || bytes > src->bytes - offset || (!dst && bytes))
        return exam_error_set(EXAM_ERR_ARG, "opencl: download of %zu bytes at %zu out of range",
                              bytes, offset);
    if (!bytes) return EXAM_OK;
    EXAM_CL_CHECK(clEnqueueReadBuffer(cl_of(be)->queue, src->mem, CL_TRUE, offset, bytes, dst, 0,
                                      NULL, NULL));
    return EXAM_OK;
}

static exam_status cl_synchronize(exam_backend *be) {
    EXAM_CL_CHECK(clFinish(cl_of(be)->queue));
    return EXAM_OK;
}

static exam_status cl_gemm(exam_backend *be, const exam_buffer *a, const exam_buffer *w,
                           exam_buffer *c, int m, int n, int k) {
    cl_backend *b = cl_of(be);
    exam_status args_st = exam_args_gemm(be, a, w, c, m, n, k);
    if (args_st != EXAM_OK) return args_st;
    if (m == 0 || n == 0) return EXAM_OK;
    if (k == 0) {
        float zero = 0.0f;
        EXAM_CL_CHECK(clEnqueueFillBuffer(b->queue, c->mem, &zero, sizeof zero, 0,
                                          (size_t)m * n * sizeof(float), 0, NULL, NULL));
        return EXAM_OK;
    }
    /* Row-major C[m×n] = A[m×k] · W[n×k]ᵀ: W is the transposed operand. */
    CLBlastStatusCode st =
        CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes, (size_t)m,
                     (size_t)n, (size_t)k, 1.0f, a->mem, 0, (size_t)k, w->mem, 0, (size_t)k, 0.0f,
                     c->mem, 0, (size_t)n, &b->queue, NULL);
    if (st != CLBlastSuccess)
        return exam_error_set(EXAM_ERR_BACKEND, "CLBlastSgemm(%d×%d×%d) failed: %s (%d)", m, n, k,
                              exam_clblast_status_name(st), (int)st);
    return EXAM_OK;
}

static exam_status cl_embed_layernorm(exam_backend *be, const exam_buffer *ids,
                                      const exam_buffer *positions, const exam_buffer *word,
                                      const exam_buffer *pos, const exam_buffer *type,
                                      const exam_buffer *gamma, const exam_buffer *beta, float eps,
                                      int n_tokens, int hidden, exam_buffer *out) {
    exam_status args_st = exam_args_embed_layernorm(be, ids, positions, word, pos, type, gamma,
                                                    beta, n_tokens, hidden, out);
    if (args_st != EXAM_OK) return args_st;
    if (n_tokens == 0) return EXAM_OK;
    karg args[] = {ARG(ids->mem),  ARG(positions->mem), ARG(word->mem), ARG(pos->mem),
                   ARG(type->mem), ARG(gamma->mem),     ARG(beta->mem), ARG(eps),
                   ARG(n_tokens),  ARG(hidden),         ARG(out->mem)};
    size_t local = EXAM_ROW_THREADS, global = (size_t)n_tokens * local;
    return launch(cl_of(be), K_EMBED_LN, args, 11, 1, &global, &local);
}

/* Shared body of bias_add and bias_gelu. */
static exam_status bias_op(exam_backend *be, int k, exam_buffer *x, const exam_buffer *bias,
                           int rows, int cols) {
    exam_status args_st = exam_args_bias(be, kernel_names[k], x, bias, rows, cols);
    if (args_st != EXAM_OK) return args_st;
    if (rows == 0) return EXAM_OK;
    size_t total = (size_t)rows * cols, local = EXAM_ELEM_THREADS;
    size_t groups = (total + local - 1) / local;
    if (groups > 65535) groups = 65535;
    size_t global = groups * local;
    karg args[] = {ARG(x->mem), ARG(bias->mem), ARG(rows), ARG(cols)};
    return launch(cl_of(be), k, args, 4, 1, &global, &local);
}

static exam_status cl_bias_add(exam_backend *be, exam_buffer *x, const exam_buffer *bias, int rows,
                               int cols) {
    return bias_op(be, K_BIAS_ADD, x, bias, rows, cols);
}

static exam_status cl_bias_gelu(exam_backend *be, exam_buffer *x, const exam_buffer *bias, int rows,
                                int cols) {
    return bias_op(be, K_BIAS_GELU, x, bias, rows, cols);
}

static exam_status cl_bias_residual_layernorm(exam_backend *be, const exam_buffer *x,
                                              const exam_buffer *bias, const exam_buffer *residual,
                                              const exam_buffer *gamma, const exam_buffer *beta,
                                              float eps, int rows, int cols, exam_buffer *out) {
    exam_status args_st =
        exam_args_residual_layernorm(be, x, bias, residual, gamma, beta, rows, cols, out);
    if (args_st != EXAM_OK) return args_st;
    if (rows == 0) return EXAM_OK;
    karg args[] = {ARG(x->mem), ARG(bias->mem), ARG(residual->mem), ARG(gamma->mem), ARG(beta->mem),
                   ARG(eps),    ARG(rows),      ARG(cols),          ARG(out->mem)};
    size_t local = EXAM_ROW_THREADS, global = (size_t)rows * local;
    return launch(cl_of(be), K_RESIDUAL_LN, args, 9, 1, &global, &local);
}

static exam_status cl_attention(exam_backend *be, const exam_buffer *qkv,
                                const exam_buffer *offsets, int n_seqs, int n_tokens, int heads,
                                int head_dim, int max_len, exam_buffer *out) {
    exam_status args_st =
        exam_args_attention(be, qkv, offsets, n_seqs, n_tokens, heads, head_dim, max_len, out);
    if (args_st != EXAM_OK) return args_st;
    if (head_dim > EXAM_ATTN_MAX_D)
        return exam_error_set(EXAM_ERR_LIMIT, "opencl attention: head_dim %d exceeds %d", head_dim,
                              EXAM_ATTN_MAX_D);
    if (n_seqs == 0 || n_tokens == 0 || max_len == 0) return EXAM_OK;
    int q_tiles = (max_len + EXAM_ATTN_QTILE - 1) / EXAM_ATTN_QTILE;
    if ((int64_t)n_seqs * q_tiles > INT32_MAX)
        return exam_error_set(EXAM_ERR_LIMIT, "opencl attention: too many sequences");
    float scale = 1.0f / sqrtf((float)head_dim);
    karg args[] = {ARG(qkv->mem), ARG(offsets->mem), ARG(n_seqs), ARG(heads),
                   ARG(head_dim), ARG(q_tiles),      ARG(scale),  ARG(out->mem)};
    size_t local[2] = {EXAM_ATTN_QTILE, 1};
    size_t global[2] = {(size_t)n_seqs * q_tiles * EXAM_ATTN_QTILE, (size_t)heads};
    return launch(cl_of(be), K_ATTENTION, args, 8, 2, global, local);
}

static exam_status cl_mean_pool(exam_backend *be, const exam_buffer *x, const exam_buffer *rows,
                                const exam_buffer *row_offsets, int n_out, int cols,
                                exam_buffer *out) {
    exam_status args_st = exam_args_mean_pool(be, x, rows, row_offsets, n_out, cols, out);
    if (args_st != EXAM_OK) return args_st;
    if (n_out == 0) return EXAM_OK;
    karg args[] = {ARG(x->mem), ARG(rows->mem), ARG(row_offsets->mem),
                   ARG(n_out),  ARG(cols),      ARG(out->mem)};
    size_t local = EXAM_ROW_THREADS, global = (size_t)n_out * local;
    return launch(cl_of(be), K_MEAN_POOL, args, 6, 1, &global, &local);
}

static exam_status cl_l2_normalize(exam_backend *be, exam_buffer *x, int rows, int cols) {
    exam_status args_st = exam_args_l2_normalize(be, x, rows, cols);
    if (args_st != EXAM_OK) return args_st;
    if (rows == 0) return EXAM_OK;
    karg args[] = {ARG(x->mem), ARG(rows), ARG(cols)};
    size_t local = EXAM_ROW_THREADS, global = (size_t)rows * local;
    return launch(cl_of(be), K_L2_NORMALIZE, args, 3, 1, &global, &local);
}

static exam_status cl_cosine_matrix(exam_backend *be, const exam_buffer *a, const exam_buffer *b,
                                    int m, int n, int cols, exam_buffer *out) {
    exam_status args_st = exam_args_cosine_matrix(be, a, b, m, n, cols, out);
    if (args_st != EXAM_OK) return args_st;
    if (m == 0 || n == 0) return EXAM_OK;
    karg args[] = {ARG(a->mem), ARG(b->mem), ARG(m), ARG(n), ARG(cols), ARG(out->mem)};
    size_t t = EXAM_COS_TILE;
    size_t local[2] = {t, t};
    size_t global[2] = {(n + t - 1) / t * t, (m + t - 1) / t * t};
    return launch(cl_of(be), K_COSINE, args, 6, 2, global, local);
}

static exam_status cl_greedy_match(exam_backend *be, const exam_buffer *a,
                                   const exam_buffer *a_offsets, const exam_buffer *b,
                                   const exam_buffer *b_offsets, int n_pairs, int cols,
                                   exam_buffer *a_best, exam_buffer *b_best) {
    exam_status args_st =
        exam_args_greedy_match(be, a, a_offsets, b, b_offsets, n_pairs, cols, a_best, b_best);
    if (args_st != EXAM_OK) return args_st;
    if (n_pairs == 0) return EXAM_OK;
    karg args[] = {ARG(a->mem),  ARG(a_offsets->mem), ARG(b->mem),      ARG(b_offsets->mem),
                   ARG(n_pairs), ARG(cols),           ARG(a_best->mem), ARG(b_best->mem)};
    size_t t = EXAM_COS_TILE;
    size_t local[2] = {t, t};
    size_t global[2] = {(size_t)n_pairs * t, t};
    return launch(cl_of(be), K_GREEDY, args, 8, 2, global, local);
}

static size_t cl_buffer_bytes(const exam_buffer *buf) {
    return buf->bytes;
}

static const exam_backend_ops cl_ops = {
    .free = cl_backend_free,
    .buffer_alloc = cl_buffer_alloc,
    .buffer_from_host = cl_buffer_from_host,
    .buffer_free = cl_buffer_free,
    .buffer_bytes = cl_buffer_bytes,
    .buffer_upload = cl_buffer_upload,
    .buffer_download = cl_buffer_download,
    .synchronize = cl_synchronize,
    .gemm = cl_gemm,
    .embed_layernorm = cl_embed_layernorm,
    .bias_add = cl_bias_add,
    .bias_gelu = cl_bias_gelu,
    .bias_residual_layernorm = cl_bias_residual_layernorm,
    .attention = cl_attention,
    .mean_pool = cl_mean_pool,
    .l2_normalize = cl_l2_normalize,
    .cosine_matrix = cl_cosine_matrix,
    .greedy_match = cl_greedy_match,
};

/* Builds the one program holding every kernel and creates the kernels. */
static exam_status build_kernels(cl_backend *b) {
    const char *sources[1 + 32];
    int n = 0;
    sources[n++] = exam_kernel_prelude;
    for (int i = 0; i < exam_kernel_source_count && n < 33; i++)
        sources[n++] = exam_kernel_sources[i].text;
    exam_status st = exam_cl_program_build(b->ctx, b->device, sources, n, EXAM_CL_BUILD_OPTIONS, 1,
                                           &b->program, NULL);
    if (st != EXAM_OK) return st;

    size_t device_max = 0;
    EXAM_CL_CHECK(clGetDeviceInfo(b->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof device_max,
                                  &device_max, NULL));
    for (int k = 0; k < K_COUNT; k++) {
        cl_int err = CL_SUCCESS;
        b->kernels[k] = clCreateKernel(b->program, kernel_names[k], &err);
        if (err != CL_SUCCESS)
            return exam_error_set(EXAM_ERR_BACKEND, "clCreateKernel(%s) failed: %s",
                                  kernel_names[k], exam_cl_error_name(err));
        size_t kernel_max = 0;
        EXAM_CL_CHECK(clGetKernelWorkGroupInfo(b->kernels[k], b->device, CL_KERNEL_WORK_GROUP_SIZE,
                                               sizeof kernel_max, &kernel_max, NULL));
        if (kernel_max < kernel_group[k] || device_max < kernel_group[k])
            return exam_error_set(EXAM_ERR_UNAVAILABLE,
                                  "opencl: %s needs work-groups of %zu, the device allows %zu",
                                  kernel_names[k], kernel_group[k],
                                  kernel_max < device_max ? kernel_max : device_max);
    }
    return EXAM_OK;
}

exam_status exam_backend_opencl_create(const exam_backend_options *opts, exam_backend **out) {
    *out = NULL;
    exam_backend_options defaults = {0};
    if (!opts) opts = &defaults;

    exam_cl_device devices[16];
    int count = 0;
    exam_status st = exam_cl_devices_list(devices, 16, &count);
    if (st != EXAM_OK) return st;
    const exam_cl_device *chosen = NULL;
    for (int i = 0; i < count && !chosen; i++)
        if (devices[i].is_gpu || opts->allow_cpu_device) chosen = &devices[i];
    if (!chosen)
        return exam_error_set(EXAM_ERR_UNAVAILABLE,
                              "no OpenCL GPU; CPU device %s is used only when forced "
                              "(EXAMINER_BACKEND=opencl)",
                              devices[0].description);

    cl_backend *b = calloc(1, sizeof *b);
    if (!b) return exam_error_set(EXAM_ERR_NOMEM, "opencl: out of host memory");
    b->base.ops = &cl_ops;
    b->base.name = "opencl";
    b->base.precision = EXAM_PRECISION_F32; /* CLBlast SGEMM only; fp16 is not offered here */
    snprintf(b->base.device, sizeof b->base.device, "%s", chosen->description);
    b->device = chosen->device;

    cl_int err = CL_SUCCESS;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)chosen->platform,
                                     0};
    b->ctx = clCreateContext(props, 1, &b->device, NULL, NULL, &err);
    if (err == CL_SUCCESS) b->queue = clCreateCommandQueue(b->ctx, b->device, 0, &err);
    if (err != CL_SUCCESS) {
        st = exam_error_set(EXAM_ERR_BACKEND, "opencl: context/queue creation failed: %s",
                            exam_cl_error_name(err));
        cl_backend_free(&b->base);
        return st;
    }
    st = build_kernels(b);
    if (st != EXAM_OK) {
        cl_backend_free(&b->base);
        return st;
    }
    *out = &b->base;
    return EXAM_OK;
}
