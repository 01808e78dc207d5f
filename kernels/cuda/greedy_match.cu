/* CUDA build of kernels/greedy_match.cl and its C-callable launcher. */
#include "../prelude.h"
#include "../greedy_match.cl"
#include "launch.h"

extern "C" cudaError_t exam_cuda_launch_greedy_match(cudaStream_t stream, const float *a,
                                                     const int *a_offsets, const float *b,
                                                     const int *b_offsets, int n_pairs, int cols,
                                                     float *a_best, float *b_best) {
    dim3 block(EXAM_COS_TILE, EXAM_COS_TILE);
    exam_greedy_match<<<n_pairs, block, 0, stream>>>(a, a_offsets, b, b_offsets, n_pairs, cols,
                                                     a_best, b_best);
    return cudaGetLastError();
}
