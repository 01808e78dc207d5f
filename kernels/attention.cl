/* Varlen self-attention over packed sequences (no padding): one work-group per (sequence,
 * tile of EXAM_ATTN_QTILE query rows, head), one work-item per query row. Keys and values
 * stream through local memory EXAM_ATTN_KTILE rows at a time with an online softmax in fp32,
 * so a sequence of any length needs the same local memory. Needs prelude.h.
 * EXAM_ATTN_HEAD_MAX (default EXAM_ATTN_MAX_D) bounds head_dim; a build may define it smaller
 * (and rename the kernel) to get a variant with fewer registers for small heads. */

#ifndef EXAM_ATTN_HEAD_MAX
#define EXAM_ATTN_HEAD_MAX EXAM_ATTN_MAX_D
#endif

KERNEL exam_attention(const GLOBAL float *qkv, const GLOBAL int *offsets, int n_seqs, int heads,
                      int head_dim, int q_tiles, float scale, GLOBAL float *out) {
    LOCAL_MEM float k_tile[EXAM_ATTN_KTILE * EXAM_ATTN_HEAD_MAX];
    LOCAL_MEM float v_tile[EXAM_ATTN_KTILE * EXAM_ATTN_HEAD_MAX];
    int seq = GROUP_ID(0) / q_tiles;
    int q0 = (GROUP_ID(0) % q_tiles) * EXAM_ATTN_QTILE;
    int h = GROUP_ID(1);
    int lid = LOCAL_ID(0);
    int n = LOCAL_SIZE(0);
    if (seq >= n_seqs) return;
    int start = offsets[seq];
    int len = offsets[seq + 1] - start;
    if (q0 >= len) return; /* the whole group leaves together */

    int width = heads * head_dim;        /* one of the Q | K | V blocks */
    size_t stride = (size_t)(3 * width); /* one packed qkv row */
    size_t head_col = (size_t)h * (size_t)head_dim;
    int qi = q0 + lid;
    int active = qi < len;

    float q[EXAM_ATTN_HEAD_MAX];
    float acc[EXAM_ATTN_HEAD_MAX];
    const GLOBAL float *qrow = qkv + (size_t)(start + (active ? qi : q0)) * stride + head_col;
    EXAM_UNROLL
    for (int d = 0; d < EXAM_ATTN_HEAD_MAX; d++) {
        q[d] = d < head_dim ? qrow[d] * scale : 0.0f;
        acc[d] = 0.0f;
    }
    float m = -1e30f; /* running maximum score */
    float l = 0.0f;   /* running sum of exp(score - m) */

    for (int k0 = 0; k0 < len; k0 += EXAM_ATTN_KTILE) {
        int nk = len - k0 < EXAM_ATTN_KTILE ? len - k0 : EXAM_ATTN_KTILE;
        for (int e = lid; e < nk * head_dim; e += n) {
            int j = e / head_dim;
            int d = e - j * head_dim;
            size_t src = (size_t)(start + k0 + j) * stride + head_col + (size_t)d;
            k_tile[j * EXAM_ATTN_HEAD_MAX + d] = qkv[src + (size_t)width];
            v_tile[j * EXAM_ATTN_HEAD_MAX + d] = qkv[src + 2 * (size_t)width];
        }
        BARRIER_LOCAL();

        float s[EXAM_ATTN_KTILE];
        float tile_max = m;
        EXAM_UNROLL
        for (int j = 0; j < EXAM_ATTN_KTILE; j++) {
            float dot = 0.0f;
            if (j < nk) {
                EXAM_UNROLL
                for (int d = 0; d < EXAM_ATTN_HEAD_MAX; d++)
                    if (d < head_dim) dot = EXAM_FMA(q[d], k_tile[j * EXAM_ATTN_HEAD_MAX + d], dot);
                tile_max = EXAM_FMAX(tile_max, dot);
            }
            s[j] = dot;
        }
        float corr = EXAM_EXP(m - tile_max);
        l *= corr;
        EXAM_UNROLL
        for (int d = 0; d < EXAM_ATTN_HEAD_MAX; d++) acc[d] *= corr;
        EXAM_UNROLL
        for (int j = 0; j < EXAM_ATTN_KTILE; j++) {
            if (j < nk) {
                float p = EXAM_EXP(s[j] - tile_max);
                l += p;
                EXAM_UNROLL
                for (int d = 0; d < EXAM_ATTN_HEAD_MAX; d++)
                    if (d < head_dim)
                        acc[d] = EXAM_FMA(p, v_tile[j * EXAM_ATTN_HEAD_MAX + d], acc[d]);
            }
        }
        m = tile_max;
        BARRIER_LOCAL();
    }

    if (active) {
        GLOBAL float *orow = out + (size_t)(start + qi) * (size_t)width + head_col;
        float inv = 1.0f / l;
        EXAM_UNROLL
        for (int d = 0; d < EXAM_ATTN_HEAD_MAX; d++)
            if (d < head_dim) orow[d] = acc[d] * inv;
    }
}
