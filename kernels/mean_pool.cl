/* Mean pooling: out[p] is the mean of the rows of x listed in rows[row_offsets[p] ..
 * row_offsets[p+1]-1]; one work-group per output row, work-items over columns.
 * Needs prelude.h (OpenCL C 1.2 and CUDA C++). */

KERNEL exam_mean_pool(const GLOBAL float *x, const GLOBAL int *rows, const GLOBAL int *row_offsets,
                      int n_out, int cols, GLOBAL float *out) {
    int p = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int n = LOCAL_SIZE(0);
    if (p >= n_out) return;

    int r0 = row_offsets[p];
    int r1 = row_offsets[p + 1];
    float scale = r1 > r0 ? 1.0f / (float)(r1 - r0) : 0.0f;
    for (int c = lid; c < cols; c += n) {
        float sum = 0.0f;
        for (int r = r0; r < r1; r++) sum += x[(size_t)rows[r] * (size_t)cols + c];
        out[(size_t)p * (size_t)cols + c] = sum * scale;
    }
}
