/* CUDA build of kernels/mean_pool.cl and its C-callable launcher. */
#include "../prelude.h"
#include "../mean_pool.cl"
#include "launch.h"

extern "C" cudaError_t exam_cuda_launch_mean_pool(cudaStream_t stream, const float *x,
                                                  const int *rows, const int *row_offsets,
                                                  int n_out, int cols, float *out) {
    exam_mean_pool<<<n_out, EXAM_ROW_THREADS, 0, stream>>>(x, rows, row_offsets, n_out, cols, out);
    return cudaGetLastError();
}
