/* Bias + residual + LayerNorm: one work-group per row; out may be the residual buffer because
 * each work-item reads residual[c] before writing out[c] for the same c.
 * Needs prelude.h (OpenCL C 1.2 and CUDA C++). */

KERNEL exam_bias_residual_layernorm(const GLOBAL float *x, const GLOBAL float *bias,
                                    const GLOBAL float *residual, const GLOBAL float *gamma,
                                    const GLOBAL float *beta, float eps, int rows, int cols,
                                    GLOBAL float *out) {
    LOCAL_MEM float scratch[EXAM_ROW_THREADS];
    int r = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int n = LOCAL_SIZE(0);
    if (r >= rows) return; /* the whole group leaves together */

    size_t base = (size_t)r * (size_t)cols;
    GLOBAL float *row = out + base;
    float sum = 0.0f;
    for (int c = lid; c < cols; c += n) {
        float v = x[base + c] + bias[c] + residual[base + c];
        row[c] = v;
        sum += v;
    }
    exam_row_layernorm(row, gamma, beta, eps, cols, sum, scratch, lid, n);
}
