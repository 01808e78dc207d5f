/* Backend similarity ops on host arrays (see similarity.h). */
#include "similarity.h"

#include <stdint.h>
#include <stdlib.h>

/* Allocates a buffer and uploads `bytes` of src into it (bytes may be 0: one element). */
static exam_status upload(exam_backend *be, const void *src, size_t bytes, exam_buffer **out) {
    *out = NULL;
    exam_status st = be->ops->buffer_alloc(be, bytes ? bytes : 4, out);
    if (st == EXAM_OK && bytes) st = be->ops->buffer_upload(be, *out, 0, src, bytes);
    if (st != EXAM_OK) {
        be->ops->buffer_free(be, *out);
        *out = NULL;
    }
    return st;
}

exam_status exam_sim_cosine(exam_backend *be, const float *a, int m, const float *b, int n, int dim,
                            float *out) {
    if (m <= 0 || n <= 0) return EXAM_OK;
    exam_buffer *ba = NULL, *bb = NULL, *bo = NULL;
    size_t out_bytes = (size_t)m * (size_t)n * sizeof(float);
    exam_status st = upload(be, a, (size_t)m * dim * sizeof(float), &ba);
    if (st == EXAM_OK) st = upload(be, b, (size_t)n * dim * sizeof(float), &bb);
    if (st == EXAM_OK) st = be->ops->buffer_alloc(be, out_bytes, &bo);
    if (st == EXAM_OK) st = be->ops->cosine_matrix(be, ba, bb, m, n, dim, bo);
    if (st == EXAM_OK) st = be->ops->buffer_download(be, bo, 0, out, out_bytes);
    be->ops->buffer_free(be, ba);
    be->ops->buffer_free(be, bb);
    be->ops->buffer_free(be, bo);
    return st;
}

exam_status exam_sim_greedy(exam_backend *be, const float *a, const int *a_off, const float *b,
                            const int *b_off, int n_pairs, int dim, float *a_best, float *b_best) {
    if (n_pairs <= 0) return EXAM_OK;
    int na = a_off[n_pairs], nb = b_off[n_pairs];
    int32_t *ao = malloc((size_t)(n_pairs + 1) * sizeof *ao);
    int32_t *bo = malloc((size_t)(n_pairs + 1) * sizeof *bo);
    if (!ao || !bo) {
        free(ao);
        free(bo);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory for token matching");
    }
    for (int p = 0; p <= n_pairs; p++) {
        ao[p] = a_off[p];
        bo[p] = b_off[p];
    }
    exam_buffer *ba = NULL, *bb = NULL, *bao = NULL, *bbo = NULL, *ra = NULL, *rb = NULL;
    exam_status st = upload(be, a, (size_t)na * dim * sizeof(float), &ba);
    if (st == EXAM_OK) st = upload(be, b, (size_t)nb * dim * sizeof(float), &bb);
    if (st == EXAM_OK) st = upload(be, ao, (size_t)(n_pairs + 1) * sizeof *ao, &bao);
    if (st == EXAM_OK) st = upload(be, bo, (size_t)(n_pairs + 1) * sizeof *bo, &bbo);
    if (st == EXAM_OK) st = be->ops->buffer_alloc(be, (size_t)(na ? na : 1) * sizeof(float), &ra);
    if (st == EXAM_OK) st = be->ops->buffer_alloc(be, (size_t)(nb ? nb : 1) * sizeof(float), &rb);
    if (st == EXAM_OK) st = be->ops->greedy_match(be, ba, bao, bb, bbo, n_pairs, dim, ra, rb);
    if (st == EXAM_OK && na)
        st = be->ops->buffer_download(be, ra, 0, a_best, (size_t)na * sizeof(float));
    if (st == EXAM_OK && nb)
        st = be->ops->buffer_download(be, rb, 0, b_best, (size_t)nb * sizeof(float));
    exam_buffer *all[] = {ba, bb, bao, bbo, ra, rb};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) be->ops->buffer_free(be, all[i]);
    free(ao);
    free(bo);
    return st;
}
