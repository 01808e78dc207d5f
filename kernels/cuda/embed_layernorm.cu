/* CUDA build of kernels/embed_layernorm.cl and its C-callable launcher. */
#include "../prelude.h"
#include "../embed_layernorm.cl"
#include "launch.h"

extern "C" cudaError_t exam_cuda_launch_embed_layernorm(cudaStream_t stream, const int *ids,
                                                        const int *positions, const float *word,
                                                        const float *pos, const float *type,
                                                        const float *gamma, const float *beta,
                                                        float eps, int n_tokens, int hidden,
                                                        float *out) {
    exam_embed_layernorm<<<n_tokens, EXAM_ROW_THREADS, 0, stream>>>(
        ids, positions, word, pos, type, gamma, beta, eps, n_tokens, hidden, out);
    return cudaGetLastError();
}
