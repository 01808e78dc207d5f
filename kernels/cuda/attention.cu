/* CUDA build of kernels/attention.cl, twice: a 32-wide variant (fewer registers, for heads like
 * all-MiniLM-L6-v2's) and the full EXAM_ATTN_MAX_D one, with a C-callable launcher. */
#include "../prelude.h"

#define EXAM_ATTN_HEAD_MAX 32
#define exam_attention exam_attention_d32
#include "../attention.cl"
#undef exam_attention
#undef EXAM_ATTN_HEAD_MAX

#define EXAM_ATTN_HEAD_MAX EXAM_ATTN_MAX_D
#define exam_attention exam_attention_dmax
#include "../attention.cl"
#undef exam_attention
#undef EXAM_ATTN_HEAD_MAX

#include "launch.h"

extern "C" cudaError_t exam_cuda_launch_attention(cudaStream_t stream, const float *qkv,
                                                  const int *offsets, int n_seqs, int heads,
                                                  int head_dim, int max_len, float *out) {
    int q_tiles = (max_len + EXAM_ATTN_QTILE - 1) / EXAM_ATTN_QTILE;
    float scale = 1.0f / sqrtf((float)head_dim);
    dim3 grid((unsigned)n_seqs * (unsigned)q_tiles, (unsigned)heads);
    if (head_dim <= 32)
        exam_attention_d32<<<grid, EXAM_ATTN_QTILE, 0, stream>>>(qkv, offsets, n_seqs, heads,
                                                                 head_dim, q_tiles, scale, out);
    else
        exam_attention_dmax<<<grid, EXAM_ATTN_QTILE, 0, stream>>>(qkv, offsets, n_seqs, heads,
                                                                  head_dim, q_tiles, scale, out);
    return cudaGetLastError();
}
