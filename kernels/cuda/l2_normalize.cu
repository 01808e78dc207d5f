/* CUDA build of kernels/l2_normalize.cl and its C-callable launcher. */
#include "../prelude.h"
#include "../l2_normalize.cl"
#include "launch.h"

extern "C" cudaError_t exam_cuda_launch_l2_normalize(cudaStream_t stream, float *x, int rows,
                                                     int cols) {
    exam_l2_normalize<<<rows, EXAM_ROW_THREADS, 0, stream>>>(x, rows, cols);
    return cudaGetLastError();
}
