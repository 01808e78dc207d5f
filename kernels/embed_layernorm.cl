/* Embedding gather + LayerNorm: one work-group per token sums its word, position and type
 * embedding rows and normalises the result. Needs prelude.h (OpenCL C 1.2 and CUDA C++). */

KERNEL exam_embed_layernorm(const GLOBAL int *ids, const GLOBAL int *positions,
                            const GLOBAL float *word, const GLOBAL float *pos,
                            const GLOBAL float *type, const GLOBAL float *gamma,
                            const GLOBAL float *beta, float eps, int n_tokens, int hidden,
                            GLOBAL float *out) {
    LOCAL_MEM float scratch[EXAM_ROW_THREADS];
    int t = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int n = LOCAL_SIZE(0);
    if (t >= n_tokens) return; /* the whole group leaves together */

    const GLOBAL float *w = word + (size_t)ids[t] * (size_t)hidden;
    const GLOBAL float *p = pos + (size_t)positions[t] * (size_t)hidden;
    GLOBAL float *row = out + (size_t)t * (size_t)hidden;
    float sum = 0.0f;
    for (int c = lid; c < hidden; c += n) {
        float v = w[c] + p[c] + type[c];
        row[c] = v;
        sum += v;
    }
    exam_row_layernorm(row, gamma, beta, eps, hidden, sum, scratch, lid, n);
}
