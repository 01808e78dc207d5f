/* CUDA build of kernels/bias_gelu.cl and its C-callable launcher. */
#include "../prelude.h"
#include "../bias_gelu.cl"
#include "launch.h"

extern "C" cudaError_t exam_cuda_launch_bias(cudaStream_t stream, float *x, const float *bias,
                                             int rows, int cols, int gelu) {
    size_t total = (size_t)rows * (size_t)cols;
    size_t blocks = (total + EXAM_ELEM_THREADS - 1) / EXAM_ELEM_THREADS;
    if (blocks > 65535) blocks = 65535; /* the kernels stride over the rest */
    if (gelu)
        exam_bias_gelu<<<(unsigned)blocks, EXAM_ELEM_THREADS, 0, stream>>>(x, bias, rows, cols);
    else
        exam_bias_add<<<(unsigned)blocks, EXAM_ELEM_THREADS, 0, stream>>>(x, bias, rows, cols);
    return cudaGetLastError();
}
