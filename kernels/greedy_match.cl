/* Token-level greedy matching (BERTScore-style): one work-group per pair walks the pair's
 * candidate × reference cosine matrix in EXAM_COS_TILE² tiles and keeps, for every candidate
 * row, its best reference cosine (a_best) and, for every reference row, its best candidate
 * cosine (b_best). An empty opposite side gives 0. Needs prelude.h. */

KERNEL exam_greedy_match(const GLOBAL float *a, const GLOBAL int *a_offsets, const GLOBAL float *b,
                         const GLOBAL int *b_offsets, int n_pairs, int cols, GLOBAL float *a_best,
                         GLOBAL float *b_best) {
    LOCAL_MEM float at[EXAM_COS_TILE][EXAM_COS_TILE + 1];
    LOCAL_MEM float bt[EXAM_COS_TILE][EXAM_COS_TILE + 1];
    LOCAL_MEM float sim[EXAM_COS_TILE][EXAM_COS_TILE + 1];
    int p = GROUP_ID(0);
    int tx = LOCAL_ID(0);
    int ty = LOCAL_ID(1);
    int flat = ty * EXAM_COS_TILE + tx;
    int group = EXAM_COS_TILE * EXAM_COS_TILE;
    if (p >= n_pairs) return;
    int a0 = a_offsets[p];
    int b0 = b_offsets[p];
    int na = a_offsets[p + 1] - a0;
    int nb = b_offsets[p + 1] - b0;

    if (na == 0 || nb == 0) { /* nothing to match against: every best is 0 */
        for (int i = flat; i < na; i += group) a_best[a0 + i] = 0.0f;
        for (int j = flat; j < nb; j += group) b_best[b0 + j] = 0.0f;
        return;
    }

    for (int i0 = 0; i0 < na; i0 += EXAM_COS_TILE) {
        float row_best = -2.0f; /* kept by work-item (ty, 0) for candidate row i0 + ty */
        for (int j0 = 0; j0 < nb; j0 += EXAM_COS_TILE) {
            float dot = 0.0f, sa = 0.0f, sb = 0.0f;
            for (int c0 = 0; c0 < cols; c0 += EXAM_COS_TILE) {
                int c = c0 + tx;
                at[ty][tx] = (i0 + ty < na && c < cols)
                                 ? a[(size_t)(a0 + i0 + ty) * (size_t)cols + c]
                                 : 0.0f;
                bt[ty][tx] = (j0 + ty < nb && c < cols)
                                 ? b[(size_t)(b0 + j0 + ty) * (size_t)cols + c]
                                 : 0.0f;
                BARRIER_LOCAL();
                for (int kk = 0; kk < EXAM_COS_TILE; kk++) {
                    float av = at[ty][kk];
                    float bv = bt[tx][kk];
                    dot = EXAM_FMA(av, bv, dot);
                    sa = EXAM_FMA(av, av, sa);
                    sb = EXAM_FMA(bv, bv, sb);
                }
                BARRIER_LOCAL();
            }
            int valid = i0 + ty < na && j0 + tx < nb;
            float cosv = (sa > 0.0f && sb > 0.0f) ? dot / (EXAM_SQRT(sa) * EXAM_SQRT(sb)) : 0.0f;
            sim[ty][tx] = valid ? cosv : -2.0f;
            BARRIER_LOCAL();
            if (tx == 0)
                for (int k = 0; k < EXAM_COS_TILE; k++) row_best = EXAM_FMAX(row_best, sim[ty][k]);
            if (ty == 0 && j0 + tx < nb) {
                /* work-item (0, tx) owns reference row j0 + tx across every i0 */
                float col_best = -2.0f;
                for (int k = 0; k < EXAM_COS_TILE; k++) col_best = EXAM_FMAX(col_best, sim[k][tx]);
                float prev = i0 == 0 ? -2.0f : b_best[b0 + j0 + tx];
                b_best[b0 + j0 + tx] = EXAM_FMAX(prev, col_best);
            }
            BARRIER_LOCAL();
        }
        if (tx == 0 && i0 + ty < na) a_best[a0 + i0 + ty] = row_best;
    }
}
