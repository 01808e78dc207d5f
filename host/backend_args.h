/* Argument checks every backend runs before an op: shapes in range and each buffer present and
 * large enough (through ops->buffer_bytes). Backend-specific limits stay with the backend. */
#ifndef EXAM_BACKEND_ARGS_H
#define EXAM_BACKEND_ARGS_H

#include "backend.h"

/* Each returns EXAM_OK, or EXAM_ERR_ARG with "<backend> <op>: <what is wrong>". The arguments
 * mirror the op of the same name in exam_backend_ops. */
exam_status exam_args_gemm(exam_backend *be, const exam_buffer *a, const exam_buffer *w,
                           const exam_buffer *c, int m, int n, int k);
exam_status exam_args_embed_layernorm(exam_backend *be, const exam_buffer *ids,
                                      const exam_buffer *positions, const exam_buffer *word,
                                      const exam_buffer *pos, const exam_buffer *type,
                                      const exam_buffer *gamma, const exam_buffer *beta,
                                      int n_tokens, int hidden, const exam_buffer *out);
/* bias_add and bias_gelu. */
exam_status exam_args_bias(exam_backend *be, const char *op, const exam_buffer *x,
                           const exam_buffer *bias, int rows, int cols);
exam_status exam_args_residual_layernorm(exam_backend *be, const exam_buffer *x,
                                         const exam_buffer *bias, const exam_buffer *residual,
                                         const exam_buffer *gamma, const exam_buffer *beta,
                                         int rows, int cols, const exam_buffer *out);
exam_status exam_args_attention(exam_backend *be, const exam_buffer *qkv,
                                const exam_buffer *offsets, int n_seqs, int n_tokens, int heads,
                                int head_dim, int max_len, const exam_buffer *out);
exam_status exam_args_mean_pool(exam_backend *be, const exam_buffer *x, const exam_buffer *rows,
                                const exam_buffer *row_offsets, int n_out, int cols,
                                const exam_buffer *out);
exam_status exam_args_l2_normalize(exam_backend *be, const exam_buffer *x, int rows, int cols);
exam_status exam_args_cosine_matrix(exam_backend *be, const exam_buffer *a, const exam_buffer *b,
                                    int m, int n, int cols, const exam_buffer *out);
exam_status exam_args_greedy_match(exam_backend *be, const exam_buffer *a,
                                   const exam_buffer *a_offsets, const exam_buffer *b,
                                   const exam_buffer *b_offsets, int n_pairs, int cols,
                                   const exam_buffer *a_best, const exam_buffer *b_best);

#endif
