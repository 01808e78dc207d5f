/* The argument checks shared by every backend's ops (see backend_args.h). */
#include "backend_args.h"

#include <stdint.h>

/* EXAM_ERR_ARG unless buf is present and holds at least `bytes`. */
static exam_status need(exam_backend *be, const char *op, const exam_buffer *buf, size_t bytes,
                        const char *what) {
    if (!buf) return exam_error_set(EXAM_ERR_ARG, "%s %s: %s buffer is NULL", be->name, op, what);
    size_t have = be->ops->buffer_bytes(buf);
    if (have < bytes)
        return exam_error_set(EXAM_ERR_ARG, "%s %s: %s buffer holds %zu bytes, the op needs %zu",
                              be->name, op, what, have, bytes);
    return EXAM_OK;
}

static exam_status bad_shape(exam_backend *be, const char *op, int a, int b) {
    return exam_error_set(EXAM_ERR_ARG, "%s %s: bad shape %d×%d", be->name, op, a, b);
}

#define NEED(buf, bytes, what)                                                                     \
    do {                                                                                           \
        exam_status need_st_ = need(be, op, (buf), (bytes), (what));                               \
        if (need_st_ != EXAM_OK) return need_st_;                                                  \
    } while (0)

static const size_t F4 = sizeof(float), I4 = sizeof(int32_t);

exam_status exam_args_gemm(exam_backend *be, const exam_buffer *a, const exam_buffer *w,
                           const exam_buffer *c, int m, int n, int k) {
    const char *op = "gemm";
    if (m < 0 || n < 0 || k < 0)
        return exam_error_set(EXAM_ERR_ARG, "%s gemm: negative shape %d×%d×%d", be->name, m, n, k);
    NEED(a, (size_t)m * k * F4, "A");
    NEED(w, (size_t)n * k * F4, "W");
    NEED(c, (size_t)m * n * F4, "C");
    return EXAM_OK;
}

exam_status exam_args_embed_layernorm(exam_backend *be, const exam_buffer *ids,
                                      const exam_buffer *positions, const exam_buffer *word,
                                      const exam_buffer *pos, const exam_buffer *type,
                                      const exam_buffer *gamma, const exam_buffer *beta,
                                      int n_tokens, int hidden, const exam_buffer *out) {
    const char *op = "embed_layernorm";
    if (n_tokens < 0 || hidden <= 0) return bad_shape(be, op, n_tokens, hidden);
    size_t row = (size_t)hidden * F4;
    NEED(ids, (size_t)n_tokens * I4, "ids");
    NEED(positions, (size_t)n_tokens * I4, "positions");
    NEED(word, row, "word embeddings");
    NEED(pos, row, "position embeddings");
    NEED(type, row, "type embeddings");
    NEED(gamma, row, "gamma");
    NEED(beta, row, "beta");
    NEED(out, (size_t)n_tokens * row, "out");
    return EXAM_OK;
}

exam_status exam_args_bias(exam_backend *be, const char *op, const exam_buffer *x,
                           const exam_buffer *bias, int rows, int cols) {
    if (rows < 0 || cols <= 0 || (int64_t)rows * cols > INT32_MAX)
        return bad_shape(be, op, rows, cols);
    NEED(x, (size_t)rows * cols * F4, "x");
    NEED(bias, (size_t)cols * F4, "bias");
    return EXAM_OK;
}

exam_status exam_args_residual_layernorm(exam_backend *be, const exam_buffer *x,
                                         const exam_buffer *bias, const exam_buffer *residual,
                                         const exam_buffer *gamma, const exam_buffer *beta,
                                         int rows, int cols, const exam_buffer *out) {
    const char *op = "residual_layernorm";
    if (rows < 0 || cols <= 0) return bad_shape(be, op, rows, cols);
    size_t row = (size_t)cols * F4, mat = (size_t)rows * row;
    NEED(x, mat, "x");
    NEED(bias, row, "bias");
    NEED(residual, mat, "residual");
    NEED(gamma, row, "gamma");
    NEED(beta, row, "beta");
    NEED(out, mat, "out");
    return EXAM_OK;
}

exam_status exam_args_attention(exam_backend *be, const exam_buffer *qkv,
                                const exam_buffer *offsets, int n_seqs, int n_tokens, int heads,
                                int head_dim, int max_len, const exam_buffer *out) {
    const char *op = "attention";
    if (n_seqs < 0 || n_tokens < 0 || heads <= 0 || head_dim <= 0 || max_len < 0)
        return exam_error_set(EXAM_ERR_ARG, "%s attention: bad shape", be->name);
    size_t width = (size_t)heads * head_dim;
    NEED(qkv, (size_t)n_tokens * 3 * width * F4, "qkv");
    NEED(offsets, (size_t)(n_seqs + 1) * I4, "offsets");
    NEED(out, (size_t)n_tokens * width * F4, "out");
    return EXAM_OK;
}

exam_status exam_args_mean_pool(exam_backend *be, const exam_buffer *x, const exam_buffer *rows,
                                const exam_buffer *row_offsets, int n_out, int cols,
                                const exam_buffer *out) {
    const char *op = "mean_pool";
    if (n_out < 0 || cols <= 0) return bad_shape(be, op, n_out, cols);
    NEED(x, 0, "x");
    NEED(rows, 0, "rows");
    NEED(row_offsets, (size_t)(n_out + 1) * I4, "row_offsets");
    NEED(out, (size_t)n_out * cols * F4, "out");
    return EXAM_OK;
}

exam_status exam_args_l2_normalize(exam_backend *be, const exam_buffer *x, int rows, int cols) {
    const char *op = "l2_normalize";
    if (rows < 0 || cols <= 0) return bad_shape(be, op, rows, cols);
    NEED(x, (size_t)rows * cols * F4, "x");
    return EXAM_OK;
}

exam_status exam_args_cosine_matrix(exam_backend *be, const exam_buffer *a, const exam_buffer *b,
                                    int m, int n, int cols, const exam_buffer *out) {
    const char *op = "cosine_matrix";
    if (m < 0 || n < 0 || cols <= 0)
        return exam_error_set(EXAM_ERR_ARG, "%s cosine_matrix: bad shape", be->name);
    NEED(a, (size_t)m * cols * F4, "a");
    NEED(b, (size_t)n * cols * F4, "b");
    NEED(out, (size_t)m * n * F4, "out");
    return EXAM_OK;
}

exam_status exam_args_greedy_match(exam_backend *be, const exam_buffer *a,
                                   const exam_buffer *a_offsets, const exam_buffer *b,
                                   const exam_buffer *b_offsets, int n_pairs, int cols,
                                   const exam_buffer *a_best, const exam_buffer *b_best) {
    const char *op = "greedy_match";
    if (n_pairs < 0 || cols <= 0)
        return exam_error_set(EXAM_ERR_ARG, "%s greedy_match: bad shape", be->name);
    NEED(a, 0, "a");
    NEED(b, 0, "b");
    NEED(a_offsets, (size_t)(n_pairs + 1) * I4, "a_offsets");
    NEED(b_offsets, (size_t)(n_pairs + 1) * I4, "b_offsets");
    NEED(a_best, 0, "a_best");
    NEED(b_best, 0, "b_best");
    return EXAM_OK;
}
