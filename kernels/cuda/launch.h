/* The C-callable launch layer of the CUDA backend: one function per kernel, compiled by nvcc
 * from the kernels/ OpenCL C sources (each .cu includes prelude.h and its .cl). Every pointer
 * is a device pointer; every function enqueues on `stream` and returns cudaGetLastError(). */
#ifndef EXAM_CUDA_LAUNCH_H
#define EXAM_CUDA_LAUNCH_H

#include <stddef.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* embed_layernorm.cl: one block per token. */
cudaError_t exam_cuda_launch_embed_layernorm(cudaStream_t stream, const int *ids,
                                             const int *positions, const float *word,
                                             const float *pos, const float *type,
                                             const float *gamma, const float *beta, float eps,
                                             int n_tokens, int hidden, float *out);

/* bias_gelu.cl: x += bias (gelu = 0) or x = gelu_erf(x + bias) (gelu = 1). */
cudaError_t exam_cuda_launch_bias(cudaStream_t stream, float *x, const float *bias, int rows,
                                  int cols, int gelu);

/* residual_layernorm.cl: one block per row; out may equal residual. */
cudaError_t exam_cuda_launch_bias_residual_layernorm(cudaStream_t stream, const float *x,
                                                     const float *bias, const float *residual,
                                                     const float *gamma, const float *beta,
                                                     float eps, int rows, int cols, float *out);

/* attention.cl: blocks of (sequence × query tile, head); head_dim <= EXAM_ATTN_MAX_D. */
cudaError_t exam_cuda_launch_attention(cudaStream_t stream, const float *qkv, const int *offsets,
                                       int n_seqs, int heads, int head_dim, int max_len,
                                       float *out);

/* mean_pool.cl: one block per output row. */
cudaError_t exam_cuda_launch_mean_pool(cudaStream_t stream, const float *x, const int *rows,
                                       const int *row_offsets, int n_out, int cols, float *out);

/* l2_normalize.cl: one block per row. */
cudaError_t exam_cuda_launch_l2_normalize(cudaStream_t stream, float *x, int rows, int cols);

/* cosine_matrix.cl: 16×16 tiles; m / 16 must fit the grid's y dimension. */
cudaError_t exam_cuda_launch_cosine_matrix(cudaStream_t stream, const float *a, const float *b,
                                           int m, int n, int cols, float *out);

/* greedy_match.cl: one block per pair. */
cudaError_t exam_cuda_launch_greedy_match(cudaStream_t stream, const float *a, const int *a_offsets,
                                          const float *b, const int *b_offsets, int n_pairs,
                                          int cols, float *a_best, float *b_best);

/* convert.cu (CUDA only, feeds cuBLAS): dst[i] = (half or bfloat16) src[i] for i < n. */
cudaError_t exam_cuda_launch_convert(cudaStream_t stream, const float *src, void *dst, size_t n,
                                     int to_bf16);

#ifdef __cplusplus
}
#endif

#endif
