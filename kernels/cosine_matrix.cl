/* Cosine similarity matrix out[i][j] = cos(a[i], b[j]) in EXAM_COS_TILE² tiles staged through
 * local memory; a zero row gives 0. Needs prelude.h (OpenCL C 1.2 and CUDA C++). */

KERNEL exam_cosine_matrix(const GLOBAL float *a, const GLOBAL float *b, int m, int n, int cols,
                          GLOBAL float *out) {
    LOCAL_MEM float at[EXAM_COS_TILE][EXAM_COS_TILE + 1];
    LOCAL_MEM float bt[EXAM_COS_TILE][EXAM_COS_TILE + 1];
    int tx = LOCAL_ID(0);
    int ty = LOCAL_ID(1);
    int i0 = GROUP_ID(1) * EXAM_COS_TILE;
    int j0 = GROUP_ID(0) * EXAM_COS_TILE;

    float dot = 0.0f, na = 0.0f, nb = 0.0f;
    for (int c0 = 0; c0 < cols; c0 += EXAM_COS_TILE) {
        int c = c0 + tx;
        at[ty][tx] = (i0 + ty < m && c < cols) ? a[(size_t)(i0 + ty) * (size_t)cols + c] : 0.0f;
        bt[ty][tx] = (j0 + ty < n && c < cols) ? b[(size_t)(j0 + ty) * (size_t)cols + c] : 0.0f;
        BARRIER_LOCAL();
        for (int kk = 0; kk < EXAM_COS_TILE; kk++) {
            float av = at[ty][kk];
            float bv = bt[tx][kk];
            dot = EXAM_FMA(av, bv, dot);
            na = EXAM_FMA(av, av, na);
            nb = EXAM_FMA(bv, bv, nb);
        }
        BARRIER_LOCAL();
    }
    if (i0 + ty < m && j0 + tx < n)
        out[(size_t)(i0 + ty) * (size_t)n + j0 + tx] =
            (na > 0.0f && nb > 0.0f) ? dot / (EXAM_SQRT(na) * EXAM_SQRT(nb)) : 0.0f;
}
