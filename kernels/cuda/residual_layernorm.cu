/* CUDA build of kernels/residual_layernorm.cl and its C-callable launcher. */
#include "../prelude.h"
#include "../residual_layernorm.cl"
#include "launch.h"

extern "C" cudaError_t exam_cuda_launch_bias_residual_layernorm(
    cudaStream_t stream, const float *x, const float *bias, const float *residual,
    const float *gamma, const float *beta, float eps, int rows, int cols, float *out) {
    exam_bias_residual_layernorm<<<rows, EXAM_ROW_THREADS, 0, stream>>>(x, bias, residual, gamma,
                                                                        beta, eps, rows, cols, out);
    return cudaGetLastError();
}
