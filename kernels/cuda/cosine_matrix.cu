/* CUDA build of kernels/cosine_matrix.cl and its C-callable launcher. */
#include "../prelude.h"
#include "../cosine_matrix.cl"
#include "launch.h"

extern "C" cudaError_t exam_cuda_launch_cosine_matrix(cudaStream_t stream, const float *a,
                                                      const float *b, int m, int n, int cols,
                                                      float *out) {
    dim3 block(EXAM_COS_TILE, EXAM_COS_TILE);
    dim3 grid((unsigned)(n + EXAM_COS_TILE - 1) / EXAM_COS_TILE,
              (unsigned)(m + EXAM_COS_TILE - 1) / EXAM_COS_TILE);
    exam_cosine_matrix<<<grid, block, 0, stream>>>(a, b, m, n, cols, out);
    return cudaGetLastError();
}
