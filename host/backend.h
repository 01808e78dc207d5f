/* The backend interface: buffers, a row-major GEMM and one entry per encoder/similarity op.
 * The encoder and the grader are written once against it; cpu, opencl and cuda implement it. */
#ifndef EXAM_BACKEND_H
#define EXAM_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

typedef struct exam_backend exam_backend;
typedef struct exam_buffer exam_buffer;

/* Precision of the GEMM inputs; accumulation is always fp32. */
typedef enum exam_precision {
    EXAM_PRECISION_F32 = 0,
    EXAM_PRECISION_F16,
    EXAM_PRECISION_BF16,
} exam_precision;

/* Every function returns EXAM_OK or an error status with exam_error_message() set.
 * Shapes are in elements; all matrices are row-major and densely packed unless a leading
 * dimension is given. Ops may run asynchronously: results are visible to buffer_download. */
typedef struct exam_backend_ops {
    /* Releases the backend and everything it owns (buffers must have been freed first). */
    void (*free)(exam_backend *be);

    /* Allocates an uninitialised device buffer of `bytes` bytes. */
    exam_status (*buffer_alloc)(exam_backend *be, size_t bytes, exam_buffer **out);
    /* A read-only buffer holding `bytes` of host memory that outlives it (model weights).
     * The CPU backend wraps the memory without copying; device backends upload it. */
    exam_status (*buffer_from_host)(exam_backend *be, const void *data, size_t bytes,
                                    exam_buffer **out);
    /* Frees a buffer (NULL is allowed). */
    void (*buffer_free)(exam_backend *be, exam_buffer *buf);
    /* The size in bytes a buffer was created with. */
    size_t (*buffer_bytes)(const exam_buffer *buf);
    /* Copies `bytes` from host memory into the buffer at byte `offset`. */
    exam_status (*buffer_upload)(exam_backend *be, exam_buffer *dst, size_t offset, const void *src,
                                 size_t bytes);
    /* Copies `bytes` from the buffer at byte `offset` into host memory; waits for pending ops. */
    exam_status (*buffer_download)(exam_backend *be, const exam_buffer *src, size_t offset,
                                   void *dst, size_t bytes);
    /* Waits until every queued op has finished. */
    exam_status (*synchronize)(exam_backend *be);
    /* Optional, NULL where the backend has no device clock (CPU, OpenCL): timer_begin marks the
     * start of a timed region on the backend's queue; timer_end marks its end, waits for the
     * work queued in between and gives the device time between the marks, in seconds
     * (benchmarks report it as manual time). */
    exam_status (*timer_begin)(exam_backend *be);
    exam_status (*timer_end)(exam_backend *be, double *seconds);

    /* C[m×n] = A[m×k] · W[n×k]ᵀ (W in nn.Linear layout). */
    exam_status (*gemm)(exam_backend *be, const exam_buffer *a, const exam_buffer *w,
                        exam_buffer *c, int m, int n, int k);

    /* out[t] = LayerNorm(word[ids[t]] + pos[positions[t]] + type[0]) · gamma + beta.
     * ids and positions are int32 buffers of n_tokens entries. */
    exam_status (*embed_layernorm)(exam_backend *be, const exam_buffer *ids,
                                   const exam_buffer *positions, const exam_buffer *word,
                                   const exam_buffer *pos, const exam_buffer *type,
                                   const exam_buffer *gamma, const exam_buffer *beta, float eps,
                                   int n_tokens, int hidden, exam_buffer *out);
    /* x[r][c] += bias[c] for a rows×cols matrix. */
    exam_status (*bias_add)(exam_backend *be, exam_buffer *x, const exam_buffer *bias, int rows,
                            int cols);
    /* x[r][c] = gelu_erf(x[r][c] + bias[c]). */
    exam_status (*bias_gelu)(exam_backend *be, exam_buffer *x, const exam_buffer *bias, int rows,
                             int cols);
    /* out = LayerNorm(x + bias + residual) · gamma + beta, row by row; out may be residual. */
    exam_status (*bias_residual_layernorm)(exam_backend *be, const exam_buffer *x,
                                           const exam_buffer *bias, const exam_buffer *residual,
                                           const exam_buffer *gamma, const exam_buffer *beta,
                                           float eps, int rows, int cols, exam_buffer *out);
    /* Self-attention over packed sequences: qkv is [n_tokens × 3·heads·head_dim] (Q | K | V,
     * each head contiguous inside its block); sequence s owns rows offsets[s]..offsets[s+1]-1
     * (offsets: int32, n_seqs+1 entries, last = n_tokens). Scores are scaled by 1/sqrt(head_dim),
     * softmax in fp32, no masking across sequence borders. out is [n_tokens × heads·head_dim].
     * max_len bounds every sequence's length. */
    exam_status (*attention)(exam_backend *be, const exam_buffer *qkv, const exam_buffer *offsets,
                             int n_seqs, int n_tokens, int heads, int head_dim, int max_len,
                             exam_buffer *out);
    /* out[p] = mean of x's rows rows[row_offsets[p]] .. rows[row_offsets[p+1]-1] (int32 lists),
     * for p < n_out; an empty range gives a zero row. */
    exam_status (*mean_pool)(exam_backend *be, const exam_buffer *x, const exam_buffer *rows,
                             const exam_buffer *row_offsets, int n_out, int cols, exam_buffer *out);
    /* Scales each row of x to unit L2 norm (rows of norm < 1e-12 are divided by 1e-12). */
    exam_status (*l2_normalize)(exam_backend *be, exam_buffer *x, int rows, int cols);
    /* out[i][j] = cos(a[i], b[j]) for a [m×cols], b [n×cols]; zero rows give 0. */
    exam_status (*cosine_matrix)(exam_backend *be, const exam_buffer *a, const exam_buffer *b,
                                 int m, int n, int cols, exam_buffer *out);
    /* Greedy token matching per pair p < n_pairs: candidate rows a_offsets[p]..a_offsets[p+1]-1
     * of a and reference rows b_offsets[p]..b_offsets[p+1]-1 of b (int32 offset lists).
     * a_best[i] = max cosine of candidate row i over its pair's reference rows, and b_best[j]
     * likewise for reference rows; an empty opposite side gives 0. */
    exam_status (*greedy_match)(exam_backend *be, const exam_buffer *a,
                                const exam_buffer *a_offsets, const exam_buffer *b,
                                const exam_buffer *b_offsets, int n_pairs, int cols,
                                exam_buffer *a_best, exam_buffer *b_best);
} exam_backend_ops;

/* Every backend struct starts with this header. */
struct exam_backend {
    const exam_backend_ops *ops;
    const char *name; /* "cpu", "opencl", "cuda" */
    char device[128]; /* human-readable device description */
    exam_precision precision;
};

/* Options a caller may pass when creating a backend. */
typedef struct exam_backend_options {
    int threads;              /* CPU threads for the CPU backend (0: all cores) */
    exam_precision precision; /* GEMM input precision where the backend supports it */
    int allow_cpu_device;     /* OpenCL: accept a CPU device (PoCL) */
} exam_backend_options;

/* One line of `examiner backends`: a backend's name, whether it works here, and why not. */
typedef struct exam_backend_info {
    const char *name;
    int available;
    char detail[256]; /* device when available, the reason when not */
} exam_backend_info;

/* Creates the backend called `name` ("cpu", "opencl", "cuda"). */
exam_status exam_backend_create(const char *name, const exam_backend_options *opts,
                                exam_backend **out);

/* The most backends a binary has built in. */
#define EXAM_BACKEND_MAX 8

/* How exam_backend_choose came to its backend: forced (by name or $EXAMINER_BACKEND), or the
 * backends automatic selection passed over before it, in order of preference, each with why. */
typedef struct exam_backend_choice {
    int forced;
    int n_passed;
    struct {
        const char *name;
        char reason[512];
    } passed[EXAM_BACKEND_MAX];
} exam_backend_choice;

/* Creates the backend named by $EXAMINER_BACKEND, or `forced` when non-NULL, or else the best
 * available one (cuda, then an OpenCL GPU, then cpu); `choice` (may be NULL) receives what was
 * passed over and why. On failure the message lists every backend with its reason. */
exam_status exam_backend_choose(const char *forced, const exam_backend_options *opts,
                                exam_backend **out, exam_backend_choice *choice);

/* exam_backend_choose with its account as one line in `why` (may be NULL): what was chosen and
 * what was passed over. */
exam_status exam_backend_select(const char *forced, const exam_backend_options *opts,
                                exam_backend **out, char *why, size_t why_len);

/* Fills up to `cap` entries of `infos` with every backend built in and whether it can be
 * created here; returns how many were written. */
int exam_backend_probe(exam_backend_info *infos, int cap);

/* Builds each kernel source of backend `name` separately on every device it finds, with that
 * backend's build options, and writes one line per build to `report`, followed by any build log;
 * *n_dirty receives how many builds failed or left a non-empty log. Only "opencl" has such a
 * check; EXAM_ERR_UNAVAILABLE for the others, or when the backend or its device is missing. */
exam_status exam_backend_check_kernels(const char *name, FILE *report, int *n_dirty);

/* Frees a backend created by exam_backend_create/select (NULL is allowed). */
void exam_backend_free(exam_backend *be);

#endif
