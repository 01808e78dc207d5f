/* Bias add and bias + erf GELU over a row-major rows×cols matrix, element-wise with a
 * grid-stride loop. Needs prelude.h (OpenCL C 1.2 and CUDA C++). */

KERNEL exam_bias_add(GLOBAL float *x, const GLOBAL float *bias, int rows, int cols) {
    size_t total = (size_t)rows * (size_t)cols;
    size_t stride = (size_t)NUM_GROUPS(0) * (size_t)LOCAL_SIZE(0);
    for (size_t i = (size_t)GLOBAL_ID(0); i < total; i += stride) x[i] += bias[i % (size_t)cols];
}

KERNEL exam_bias_gelu(GLOBAL float *x, const GLOBAL float *bias, int rows, int cols) {
    size_t total = (size_t)rows * (size_t)cols;
    size_t stride = (size_t)NUM_GROUPS(0) * (size_t)LOCAL_SIZE(0);
    for (size_t i = (size_t)GLOBAL_ID(0); i < total; i += stride) {
        float v = x[i] + bias[i % (size_t)cols];
        x[i] = 0.5f * v * (1.0f + EXAM_ERF(v * 0.70710678118654752f));
    }
}
