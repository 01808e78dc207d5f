/* L2 normalisation in place: one work-group per row divides it by max(||row||, 1e-12).
 * Needs prelude.h (OpenCL C 1.2 and CUDA C++). */

KERNEL exam_l2_normalize(GLOBAL float *x, int rows, int cols) {
    LOCAL_MEM float scratch[EXAM_ROW_THREADS];
    int r = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int n = LOCAL_SIZE(0);
    if (r >= rows) return;

    GLOBAL float *row = x + (size_t)r * (size_t)cols;
    float sq = 0.0f;
    for (int c = lid; c < cols; c += n) sq += row[c] * row[c];
    float norm = EXAM_SQRT(exam_group_sum(scratch, sq, lid, n));
    float inv = 1.0f / EXAM_FMAX(norm, 1e-12f);
    for (int c = lid; c < cols; c += n) row[c] *= inv;
}
