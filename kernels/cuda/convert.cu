/* fp32 → fp16 / bf16 conversion of GEMM inputs for cuBLAS's tensor-core GEMMs (CUDA only: the
 * OpenCL backend runs its GEMMs in fp32). */
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "launch.h"

__global__ void exam_convert_f16(const float *src, __half *dst, size_t n) {
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        dst[i] = __float2half_rn(src[i]);
}

__global__ void exam_convert_bf16(const float *src, __nv_bfloat16 *dst, size_t n) {
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        dst[i] = __float2bfloat16_rn(src[i]);
}

extern "C" cudaError_t exam_cuda_launch_convert(cudaStream_t stream, const float *src, void *dst,
                                                size_t n, int to_bf16) {
    size_t blocks = (n + 255) / 256;
    if (blocks > 65535) blocks = 65535;
    if (blocks == 0) return cudaSuccess;
    if (to_bf16)
        exam_convert_bf16<<<(unsigned)blocks, 256, 0, stream>>>(src, (__nv_bfloat16 *)dst, n);
    else
        exam_convert_f16<<<(unsigned)blocks, 256, 0, stream>>>(src, (__half *)dst, n);
    return cudaGetLastError();
}
