/* Batch planning for the encoder: windows, packing by token budget, pooling row lists. */
#include "encoder_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void exam_encode_plan_free(exam_encode_plan *plan) {
    for (int i = 0; plan->owned && i < plan->n_texts; i++) exam_tokens_free(&plan->owned[i]);
    free(plan->owned);
    free(plan->texts);
    free(plan->segs);
    free(plan->pass_first_text);
    memset(plan, 0, sizeof *plan);
}

/* Cuts text t's n wordpieces into windows of at most w, overlapping by `overlap`. */
static int count_windows(int n, int w, int overlap, int window_mode) {
    if (!window_mode || n <= w) return 1;
    int stride = w - overlap, count = 1, start = 0;
    while (start + w < n) {
        start += stride;
        count++;
    }
    return count;
}

static void fill_windows(exam_plan_segment *segs, int count, int n, int w, int overlap) {
    int stride = w - overlap;
    for (int k = 0; k < count; k++) {
        int start = k * stride;
        if (k > 0 && k == count - 1) start = n - w; /* the last window ends at the text's end */
        segs[k].start = start;
        segs[k].end = start + w < n ? start + w : n;
    }
}

/* Allocates the per-text arrays (tokens are set by the caller). */
static exam_status plan_init(exam_encode_plan *plan, const exam_tokenizer *tok, int n,
                             int cls_pool) {
    memset(plan, 0, sizeof *plan);
    plan->n_texts = n;
    plan->cls_pool = cls_pool;
    plan->cls_id = exam_tokenizer_cls_id(tok);
    plan->sep_id = exam_tokenizer_sep_id(tok);
    plan->texts = calloc(n ? (size_t)n : 1, sizeof *plan->texts);
    plan->pass_first_text = calloc((size_t)n + 1, sizeof *plan->pass_first_text);
    if (!plan->texts || !plan->pass_first_text) {
        exam_encode_plan_free(plan);
        return exam_error_set(EXAM_ERR_NOMEM, "encoder: cannot plan %d texts", n);
    }
    return EXAM_OK;
}

/* Windows and passes for plan->tokens; frees the plan on error. */
static exam_status plan_layout(exam_encode_plan *plan, const exam_encode_options *opts) {
    const int n = plan->n_texts;
    const int w = opts->max_tokens - 2, window = opts->long_mode == EXAM_LONG_WINDOW;
    for (int i = 0; i < n; i++) {
        int pieces = (int)plan->tokens[i].count;
        plan->texts[i].n_segs = count_windows(pieces, w, opts->window_overlap, window);
        plan->texts[i].first_seg = plan->n_segs;
        plan->texts[i].kept = window ? pieces : (pieces < w ? pieces : w);
        plan->n_segs += plan->texts[i].n_segs;
    }
    plan->segs = calloc(plan->n_segs ? (size_t)plan->n_segs : 1, sizeof *plan->segs);
    if (!plan->segs) {
        exam_encode_plan_free(plan);
        return exam_error_set(EXAM_ERR_NOMEM, "encoder: cannot plan %d texts", n);
    }
    /* Pack whole texts into passes: a pass closes before a text that would exceed the budget. */
    long in_pass = 0;
    for (int i = 0; i < n; i++) {
        exam_plan_text *t = &plan->texts[i];
        fill_windows(plan->segs + t->first_seg, t->n_segs, (int)plan->tokens[i].count, w,
                     opts->window_overlap);
        long need = 0;
        for (int k = 0; k < t->n_segs; k++)
            need += plan->segs[t->first_seg + k].end - plan->segs[t->first_seg + k].start + 2;
        if (in_pass > 0 && in_pass + need > opts->batch_tokens) {
            plan->pass_first_text[++plan->n_passes] = i;
            in_pass = 0;
        }
        in_pass += need;
    }
    if (n > 0) plan->pass_first_text[++plan->n_passes] = n;
    return EXAM_OK;
}

exam_status exam_encode_plan_build(exam_encode_plan *plan, const exam_tokenizer *tok,
                                   const char *const *texts, const size_t *lens, int n,
                                   const exam_encode_options *opts, int cls_pool) {
    exam_status st = plan_init(plan, tok, n, cls_pool);
    if (st != EXAM_OK) return st;
    plan->owned = calloc(n ? (size_t)n : 1, sizeof *plan->owned);
    if (!plan->owned) {
        exam_encode_plan_free(plan);
        return exam_error_set(EXAM_ERR_NOMEM, "encoder: cannot plan %d texts", n);
    }
    plan->tokens = plan->owned;
    for (int i = 0; i < n; i++) {
        st = exam_tokenizer_encode(tok, texts[i], lens[i], &plan->owned[i]);
        if (st != EXAM_OK) {
            char msg[768];
            snprintf(msg, sizeof msg, "%s", exam_error_message());
            exam_encode_plan_free(plan);
            return exam_error_set(st, "text %d: %s", i, msg);
        }
    }
    return plan_layout(plan, opts);
}

exam_status exam_encode_plan_build_tokens(exam_encode_plan *plan, const exam_tokenizer *tok,
                                          const exam_tokens *toks, int n,
                                          const exam_encode_options *opts, int cls_pool) {
    const int32_t vocab = exam_tokenizer_vocab_size(tok);
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < toks[i].count; k++)
            if (toks[i].ids[k] < 0 || toks[i].ids[k] >= vocab)
                return exam_error_set(EXAM_ERR_ARG,
                                      "text %d: token %zu has id %d outside the %d-word vocabulary",
                                      i, k, (int)toks[i].ids[k], (int)vocab);
    exam_status st = plan_init(plan, tok, n, cls_pool);
    if (st != EXAM_OK) return st;
    plan->tokens = toks;
    return plan_layout(plan, opts);
}

/* The segment of text t that keeps wordpiece p: the one where p lies furthest from an edge. */
static int owner_segment(const exam_encode_plan *plan, int t, int p) {
    const exam_plan_text *tx = &plan->texts[t];
    int best = tx->first_seg, best_margin = -1;
    for (int k = tx->first_seg; k < tx->first_seg + tx->n_segs; k++) {
        const exam_plan_segment *s = &plan->segs[k];
        if (p < s->start || p >= s->end) continue;
        int a = p - s->start, b = s->end - 1 - p, margin = a < b ? a : b;
        if (margin > best_margin) {
            best_margin = margin;
            best = k;
        }
    }
    return best;
}

/* Row in the pass of text t's wordpiece p. */
static int32_t piece_row(const exam_encode_plan *plan, const exam_pass *pass, int t, int p) {
    int k = owner_segment(plan, t, p);
    int local = k - plan->texts[pass->first_text].first_seg;
    return pass->seg_row[local] + 1 + (p - plan->segs[k].start);
}

exam_status exam_encode_plan_alloc_output(const exam_encode_plan *plan, int dim, int want_tokens,
                                          exam_embeddings *out) {
    const int n = plan->n_texts;
    memset(out, 0, sizeof *out);
    out->n_texts = n;
    out->dim = dim;
    out->sentences = calloc((size_t)(n ? n : 1) * dim, sizeof(float));
    out->n_tokens = calloc(n ? (size_t)n : 1, sizeof(int));
    if (!out->sentences || !out->n_tokens) goto nomem;
    for (int i = 0; i < n; i++) out->n_tokens[i] = plan->texts[i].kept + 2;
    if (!want_tokens) return EXAM_OK;
    out->token_offsets = calloc((size_t)n + 1, sizeof(int));
    if (!out->token_offsets) goto nomem;
    for (int i = 0; i < n; i++)
        out->token_offsets[i + 1] = out->token_offsets[i] + plan->texts[i].kept;
    size_t rows = (size_t)out->token_offsets[n];
    out->tokens = malloc((rows ? rows : 1) * dim * sizeof(float));
    out->token_ids = malloc((rows ? rows : 1) * sizeof(int32_t));
    out->token_starts = malloc((rows ? rows : 1) * sizeof(uint32_t));
    out->token_ends = malloc((rows ? rows : 1) * sizeof(uint32_t));
    if (!out->tokens || !out->token_ids || !out->token_starts || !out->token_ends) goto nomem;
    for (int i = 0; i < n; i++) {
        const exam_tokens *tk = &plan->tokens[i];
        int base = out->token_offsets[i];
        for (int p = 0; p < plan->texts[i].kept; p++) {
            out->token_ids[base + p] = tk->ids[p];
            out->token_starts[base + p] = tk->starts[p];
            out->token_ends[base + p] = tk->ends[p];
        }
    }
    return EXAM_OK;
nomem:
    exam_embeddings_free(out);
    return exam_error_set(EXAM_ERR_NOMEM, "encoder: cannot allocate output for %d texts", n);
}

void exam_pass_free(exam_pass *pass) {
    free(pass->ids);
    free(pass->positions);
    free(pass->seq_offsets);
    free(pass->pool_rows);
    free(pass->pool_offsets);
    free(pass->seg_row);
    memset(pass, 0, sizeof *pass);
}

exam_status exam_encode_plan_pass(const exam_encode_plan *plan, int p, exam_pass *pass) {
    memset(pass, 0, sizeof *pass);
    pass->first_text = plan->pass_first_text[p];
    pass->n_texts = plan->pass_first_text[p + 1] - pass->first_text;
    const exam_plan_text *first = &plan->texts[pass->first_text];
    const exam_plan_text *last = &plan->texts[pass->first_text + pass->n_texts - 1];
    const int seg0 = first->first_seg;
    pass->n_seqs = last->first_seg + last->n_segs - seg0;
    for (int k = seg0; k < seg0 + pass->n_seqs; k++) {
        int len = plan->segs[k].end - plan->segs[k].start + 2;
        pass->n_tokens += len;
        if (len > pass->max_len) pass->max_len = len;
    }
    for (int t = pass->first_text; t < pass->first_text + pass->n_texts; t++)
        pass->n_pool_rows += plan->cls_pool ? 1 : plan->texts[t].kept + 2;
    pass->ids = malloc(sizeof(int32_t) * pass->n_tokens);
    pass->positions = malloc(sizeof(int32_t) * pass->n_tokens);
    pass->seq_offsets = malloc(sizeof(int32_t) * (pass->n_seqs + 1));
    pass->seg_row = malloc(sizeof(int32_t) * (pass->n_seqs + 1));
    pass->pool_rows = malloc(sizeof(int32_t) * (pass->n_pool_rows ? pass->n_pool_rows : 1));
    pass->pool_offsets = malloc(sizeof(int32_t) * (pass->n_texts + 1));
    if (!pass->ids || !pass->positions || !pass->seq_offsets || !pass->seg_row ||
        !pass->pool_rows || !pass->pool_offsets) {
        exam_pass_free(pass);
        return exam_error_set(EXAM_ERR_NOMEM, "encoder: cannot build a pass");
    }
    int row = 0, t = pass->first_text;
    for (int k = 0; k < pass->n_seqs; k++) {
        const exam_plan_segment *s = &plan->segs[seg0 + k];
        while (plan->texts[t].first_seg + plan->texts[t].n_segs <= seg0 + k) t++;
        const int32_t *ids = plan->tokens[t].ids;
        pass->seq_offsets[k] = pass->seg_row[k] = row;
        int pos = 0;
        pass->ids[row] = plan->cls_id;
        pass->positions[row++] = pos++;
        for (int q = s->start; q < s->end; q++) {
            pass->ids[row] = ids[q];
            pass->positions[row++] = pos++;
        }
        pass->ids[row] = plan->sep_id;
        pass->positions[row++] = pos;
    }
    pass->seq_offsets[pass->n_seqs] = pass->seg_row[pass->n_seqs] = row;
    int r = 0;
    for (int i = 0; i < pass->n_texts; i++) {
        int t = pass->first_text + i;
        const exam_plan_text *tx = &plan->texts[t];
        int local_first = tx->first_seg - seg0, local_last = local_first + tx->n_segs - 1;
        pass->pool_offsets[i] = r;
        pass->pool_rows[r++] = pass->seg_row[local_first]; /* [CLS] */
        if (plan->cls_pool) continue;
        for (int p = 0; p < tx->kept; p++) pass->pool_rows[r++] = piece_row(plan, pass, t, p);
        pass->pool_rows[r++] = pass->seg_row[local_last + 1] - 1; /* [SEP] */
    }
    pass->pool_offsets[pass->n_texts] = r;
    return EXAM_OK;
}

void exam_encode_plan_gather_tokens(const exam_encode_plan *plan, const exam_pass *pass,
                                    const float *hidden, int dim, exam_embeddings *out) {
    for (int i = 0; i < pass->n_texts; i++) {
        int t = pass->first_text + i;
        float *dst = out->tokens + (size_t)out->token_offsets[t] * dim;
        for (int p = 0; p < plan->texts[t].kept; p++)
            memcpy(dst + (size_t)p * dim, hidden + (size_t)piece_row(plan, pass, t, p) * dim,
                   sizeof(float) * dim);
    }
}
