/* The vendor prelude: lets one kernel source compile as OpenCL C 1.2 and as CUDA C++.
 * Kernels use only these names for qualifiers, work-item ids, barriers, local memory and math. */
#ifndef EXAM_KERNEL_PRELUDE_H
#define EXAM_KERNEL_PRELUDE_H

#if defined(__OPENCL_VERSION__) || defined(__OPENCL_C_VERSION__)

/* ---- OpenCL C ---- */
#define KERNEL __kernel void
#define DEVICE_FN static inline
#define GLOBAL __global
#define LOCAL_MEM __local
#define LOCAL_PTR __local

#define LOCAL_ID(d) ((int)get_local_id(d))
#define LOCAL_SIZE(d) ((int)get_local_size(d))
#define GROUP_ID(d) ((int)get_group_id(d))
#define NUM_GROUPS(d) ((int)get_num_groups(d))
#define GLOBAL_ID(d) ((int)get_global_id(d))

#define BARRIER_LOCAL() barrier(CLK_LOCAL_MEM_FENCE)
/* Full unrolling keeps CUDA's small arrays in registers; PoCL compiles unrolled bodies very
 * slowly, so OpenCL leaves the choice to its compiler. */
#define EXAM_UNROLL

#define EXAM_SQRT(x) sqrt(x)
#define EXAM_RSQRT(x) rsqrt(x)
#define EXAM_EXP(x) exp(x)
#define EXAM_ERF(x) erf(x)
#define EXAM_FMAX(a, b) fmax((a), (b))
#define EXAM_FMIN(a, b) fmin((a), (b))
#define EXAM_FMA(a, b, c) fma((a), (b), (c))

#elif defined(__CUDACC__)

/* ---- CUDA C++ ---- */
#define KERNEL extern "C" __global__ void
#define DEVICE_FN __device__ __forceinline__
#define GLOBAL
#define LOCAL_MEM __shared__
#define LOCAL_PTR

#define EXAM_DIM3(v, d) ((d) == 0 ? (int)(v).x : (d) == 1 ? (int)(v).y : (int)(v).z)
#define LOCAL_ID(d) EXAM_DIM3(threadIdx, d)
#define LOCAL_SIZE(d) EXAM_DIM3(blockDim, d)
#define GROUP_ID(d) EXAM_DIM3(blockIdx, d)
#define NUM_GROUPS(d) EXAM_DIM3(gridDim, d)
#define GLOBAL_ID(d) (GROUP_ID(d) * LOCAL_SIZE(d) + LOCAL_ID(d))

#define BARRIER_LOCAL() __syncthreads()
#define EXAM_UNROLL _Pragma("unroll")

#define EXAM_SQRT(x) sqrtf(x)
#define EXAM_RSQRT(x) rsqrtf(x)
#define EXAM_EXP(x) expf(x)
#define EXAM_ERF(x) erff(x)
#define EXAM_FMAX(a, b) fmaxf((a), (b))
#define EXAM_FMIN(a, b) fminf((a), (b))
#define EXAM_FMA(a, b, c) fmaf((a), (b), (c))

#else
#error "kernels/prelude.h is for OpenCL C or CUDA C++ only"
#endif

/* ---- Shared limits (the OpenCL host puts exam_limits.h in front of this file) ---- */
#ifndef EXAM_KERNEL_LIMITS_H
#include "exam_limits.h"
#endif

/* ---- Work-group helpers (every work-item of the group must call them) ---- */

/* Sum of v over a 1-D work-group of size n (a power of two <= EXAM_ROW_THREADS); scratch holds
 * n floats. Every work-item receives the sum. */
DEVICE_FN float exam_group_sum(LOCAL_PTR float *scratch, float v, int lid, int n) {
    scratch[lid] = v;
    BARRIER_LOCAL();
    for (int step = n / 2; step > 0; step /= 2) {
        if (lid < step) scratch[lid] += scratch[lid + step];
        BARRIER_LOCAL();
    }
    float total = scratch[0];
    BARRIER_LOCAL();
    return total;
}

/* Maximum of v over a 1-D work-group, with the same rules as exam_group_sum. */
DEVICE_FN float exam_group_max(LOCAL_PTR float *scratch, float v, int lid, int n) {
    scratch[lid] = v;
    BARRIER_LOCAL();
    for (int step = n / 2; step > 0; step /= 2) {
        if (lid < step) scratch[lid] = EXAM_FMAX(scratch[lid], scratch[lid + step]);
        BARRIER_LOCAL();
    }
    float best = scratch[0];
    BARRIER_LOCAL();
    return best;
}

/* LayerNorm of one row in place: row[c] already holds the pre-norm values, each written by the
 * work-item that owns column c (c = lid, lid + n, ...); sum is that work-item's partial sum.
 * Two passes (mean, then centred variance) keep the fp32 variance accurate. */
DEVICE_FN void exam_row_layernorm(GLOBAL float *row, const GLOBAL float *gamma,
                                  const GLOBAL float *beta, float eps, int cols, float sum,
                                  LOCAL_PTR float *scratch, int lid, int n) {
    float mean = exam_group_sum(scratch, sum, lid, n) / (float)cols;
    float sq = 0.0f;
    for (int c = lid; c < cols; c += n) {
        float d = row[c] - mean;
        sq += d * d;
    }
    float var = exam_group_sum(scratch, sq, lid, n) / (float)cols;
    float inv = EXAM_RSQRT(var + eps);
    for (int c = lid; c < cols; c += n) row[c] = (row[c] - mean) * inv * gamma[c] + beta[c];
}

#endif
