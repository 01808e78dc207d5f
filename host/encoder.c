/* The BERT forward pass over packed batches, written once against the backend interface:
 * plan (tokenize, window, pack by token budget), then embeddings, layers, pooling per pass. */
#include "encoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoder_plan.h"
#include "encoder_weights.h"
#include "model_config.h"
#include "tokenizer.h"

struct exam_encoder {
    exam_backend *be;
    exam_model_config cfg;
    exam_encoder_weights weights;
    exam_tokenizer *tok;
    char model_name[128];
    /* Work buffers, grown to the largest pass seen. */
    int cap_tokens, cap_seqs, cap_rows, cap_out;
    exam_buffer *ids, *positions, *offsets, *hidden, *qkv, *ctx, *tmp, *ffn;
    exam_buffer *pool_rows, *pool_offsets, *pooled;
};

exam_encode_options exam_encode_default_options(void) {
    exam_encode_options o = {0};
    o.long_mode = EXAM_LONG_TRUNCATE;
    return o;
}

static void free_work(exam_encoder *enc) {
    exam_buffer **bufs[] = {&enc->ids,       &enc->positions,    &enc->offsets, &enc->hidden,
                            &enc->qkv,       &enc->ctx,          &enc->tmp,     &enc->ffn,
                            &enc->pool_rows, &enc->pool_offsets, &enc->pooled};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        enc->be->ops->buffer_free(enc->be, *bufs[i]);
        *bufs[i] = NULL;
    }
    enc->cap_tokens = enc->cap_seqs = enc->cap_rows = enc->cap_out = 0;
}

void exam_encoder_free(exam_encoder *enc) {
    if (!enc) return;
    free_work(enc);
    exam_encoder_weights_free(&enc->weights, enc->be);
    exam_tokenizer_free(enc->tok);
    free(enc);
}

exam_status exam_encoder_init(const char *model_dir, exam_backend *be, exam_encoder **out) {
    exam_encoder *enc = calloc(1, sizeof *enc);
    if (!enc) return exam_error_set(EXAM_ERR_NOMEM, "encoder: out of memory");
    enc->be = be;
    exam_status st = exam_model_config_load(model_dir, &enc->cfg);
    if (st != EXAM_OK) goto fail;
    char path[4096];
    snprintf(path, sizeof path, "%s/vocab.txt", model_dir);
    exam_tokenizer_options topts = exam_tokenizer_default_options();
    topts.lowercase = enc->cfg.lowercase;
    topts.strip_accents = enc->cfg.lowercase;
    st = exam_tokenizer_init(path, &topts, &enc->tok);
    if (st != EXAM_OK) goto fail;
    if (exam_tokenizer_vocab_size(enc->tok) > enc->cfg.vocab_size) {
        st = exam_error_set(EXAM_ERR_FORMAT, "%s: %d wordpieces but the model has %d embeddings",
                            path, exam_tokenizer_vocab_size(enc->tok), enc->cfg.vocab_size);
        goto fail;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", model_dir);
    st = exam_encoder_weights_load(&enc->weights, path, &enc->cfg, be);
    if (st != EXAM_OK) goto fail;
    const char *slash = strrchr(model_dir, '/');
    const char *name = slash && slash[1] ? slash + 1 : model_dir;
    snprintf(enc->model_name, sizeof enc->model_name, "%s", name);
    *out = enc;
    return EXAM_OK;
fail:
    exam_encoder_free(enc);
    return st;
}

int exam_encoder_dim(const exam_encoder *enc) {
    return enc->cfg.hidden;
}

int exam_encoder_max_tokens(const exam_encoder *enc) {
    return enc->cfg.max_seq_length;
}

const struct exam_tokenizer *exam_encoder_tokenizer(const exam_encoder *enc) {
    return enc->tok;
}

exam_backend *exam_encoder_backend(const exam_encoder *enc) {
    return enc->be;
}

const char *exam_encoder_model_name(const exam_encoder *enc) {
    return enc->model_name;
}

/* (Re)allocates *buf to hold at least `bytes` when `need` exceeds the current capacity. */
static exam_status grow(exam_encoder *enc, exam_buffer **buf, size_t bytes) {
    enc->be->ops->buffer_free(enc->be, *buf);
    *buf = NULL;
    return enc->be->ops->buffer_alloc(enc->be, bytes ? bytes : 4, buf);
}

static exam_status reserve_work(exam_encoder *enc, int tokens, int seqs, int rows, int n_out) {
    const size_t f = sizeof(float), h = (size_t)enc->cfg.hidden;
    exam_status st = EXAM_OK;
    if (tokens > enc->cap_tokens) {
        size_t t = (size_t)tokens;
        if ((st = grow(enc, &enc->ids, t * 4)) || (st = grow(enc, &enc->positions, t * 4)) ||
            (st = grow(enc, &enc->hidden, t * h * f)) ||
            (st = grow(enc, &enc->qkv, 3 * t * h * f)) || (st = grow(enc, &enc->ctx, t * h * f)) ||
            (st = grow(enc, &enc->tmp, t * h * f)) ||
            (st = grow(enc, &enc->ffn, t * (size_t)enc->cfg.intermediate * f)))
            goto fail;
        enc->cap_tokens = tokens;
    }
    if (seqs + 1 > enc->cap_seqs) {
        if ((st = grow(enc, &enc->offsets, (size_t)(seqs + 1) * 4))) goto fail;
        enc->cap_seqs = seqs + 1;
    }
    if (rows > enc->cap_rows) {
        if ((st = grow(enc, &enc->pool_rows, (size_t)rows * 4))) goto fail;
        enc->cap_rows = rows;
    }
    if (n_out + 1 > enc->cap_out) {
        if ((st = grow(enc, &enc->pool_offsets, (size_t)(n_out + 1) * 4)) ||
            (st = grow(enc, &enc->pooled, (size_t)n_out * h * f)))
            goto fail;
        enc->cap_out = n_out + 1;
    }
    return EXAM_OK;
fail:
    free_work(enc); /* capacities reset so the next call reallocates everything */
    return st;
}

/* Runs embeddings and every layer over the pass's packed tokens, leaving hidden states. */
static exam_status forward(exam_encoder *enc, int n_tokens, int n_seqs, int max_len) {
    exam_backend *be = enc->be;
    const exam_backend_ops *op = be->ops;
    const exam_model_config *c = &enc->cfg;
    const exam_encoder_weights *w = &enc->weights;
    const int h = c->hidden, t = n_tokens;
    exam_status st =
        op->embed_layernorm(be, enc->ids, enc->positions, w->word, w->pos, w->type, w->emb_gamma,
                            w->emb_beta, c->layer_norm_eps, t, h, enc->hidden);
    for (int l = 0; st == EXAM_OK && l < c->layers; l++) {
        const exam_layer_weights *lw = &w->layers[l];
        if ((st = op->gemm(be, enc->hidden, lw->qkv_w, enc->qkv, t, 3 * h, h)) ||
            (st = op->bias_add(be, enc->qkv, lw->qkv_b, t, 3 * h)) ||
            (st = op->attention(be, enc->qkv, enc->offsets, n_seqs, t, c->heads, h / c->heads,
                                max_len, enc->ctx)) ||
            (st = op->gemm(be, enc->ctx, lw->attn_out_w, enc->tmp, t, h, h)) ||
            (st = op->bias_residual_layernorm(be, enc->tmp, lw->attn_out_b, enc->hidden,
                                              lw->ln1_gamma, lw->ln1_beta, c->layer_norm_eps, t, h,
                                              enc->hidden)) ||
            (st = op->gemm(be, enc->hidden, lw->ffn_in_w, enc->ffn, t, c->intermediate, h)) ||
            (st = op->bias_gelu(be, enc->ffn, lw->ffn_in_b, t, c->intermediate)) ||
            (st = op->gemm(be, enc->ffn, lw->ffn_out_w, enc->tmp, t, h, c->intermediate)) ||
            (st = op->bias_residual_layernorm(be, enc->tmp, lw->ffn_out_b, enc->hidden,
                                              lw->ln2_gamma, lw->ln2_beta, c->layer_norm_eps, t, h,
                                              enc->hidden)))
            break;
    }
    return st;
}

/* Encodes one pass of the plan: uploads, forward, pooling, downloads into `out`. */
static exam_status run_pass(exam_encoder *enc, const exam_encode_plan *plan, const exam_pass *pass,
                            int want_tokens, exam_embeddings *out) {
    exam_backend *be = enc->be;
    const exam_backend_ops *op = be->ops;
    const int h = enc->cfg.hidden;
    exam_status st =
        reserve_work(enc, pass->n_tokens, pass->n_seqs, pass->n_pool_rows, pass->n_texts);
    if (st != EXAM_OK) return st;
    if ((st = op->buffer_upload(be, enc->ids, 0, pass->ids, (size_t)pass->n_tokens * 4)) ||
        (st = op->buffer_upload(be, enc->positions, 0, pass->positions,
                                (size_t)pass->n_tokens * 4)) ||
        (st = op->buffer_upload(be, enc->offsets, 0, pass->seq_offsets,
                                (size_t)(pass->n_seqs + 1) * 4)) ||
        (st = op->buffer_upload(be, enc->pool_rows, 0, pass->pool_rows,
                                (size_t)pass->n_pool_rows * 4)) ||
        (st = op->buffer_upload(be, enc->pool_offsets, 0, pass->pool_offsets,
                                (size_t)(pass->n_texts + 1) * 4)))
        return st;
    if ((st = forward(enc, pass->n_tokens, pass->n_seqs, pass->max_len))) return st;
    if ((st = op->mean_pool(be, enc->hidden, enc->pool_rows, enc->pool_offsets, pass->n_texts, h,
                            enc->pooled)))
        return st;
    if (enc->cfg.normalize && (st = op->l2_normalize(be, enc->pooled, pass->n_texts, h))) return st;
    float *dst = out->sentences + (size_t)pass->first_text * h;
    if ((st = op->buffer_download(be, enc->pooled, 0, dst, (size_t)pass->n_texts * h * 4)))
        return st;
    if (!want_tokens) return EXAM_OK;
    /* Token rows: download the pass's hidden states once and gather the kept rows. */
    float *hidden = malloc((size_t)pass->n_tokens * h * sizeof(float));
    if (!hidden) return exam_error_set(EXAM_ERR_NOMEM, "encoder: token download");
    st = op->buffer_download(be, enc->hidden, 0, hidden, (size_t)pass->n_tokens * h * 4);
    if (st == EXAM_OK) exam_encode_plan_gather_tokens(plan, pass, hidden, h, out);
    free(hidden);
    return st;
}

/* The options with every default and bound applied. */
static exam_encode_options resolve_options(const exam_encoder *enc,
                                           const exam_encode_options *opts) {
    exam_encode_options o = opts ? *opts : exam_encode_default_options();
    if (o.max_tokens <= 0 || o.max_tokens > enc->cfg.max_positions)
        o.max_tokens = o.max_tokens > 0 ? enc->cfg.max_positions : enc->cfg.max_seq_length;
    if (o.max_tokens < 3) o.max_tokens = 3;
    if (o.window_overlap <= 0 || o.window_overlap >= o.max_tokens - 2)
        o.window_overlap = (o.max_tokens - 2) / 4;
    if (o.batch_tokens <= 0) o.batch_tokens = 2048;
    o.batch_tokens = o.batch_tokens < o.max_tokens ? o.max_tokens : o.batch_tokens;
    return o;
}

/* 1 when any of v[0..n) is NaN or infinite (read from the exponent bits, so that no compiler
 * flag can drop the test). */
static int any_non_finite(const float *v, size_t n) {
    uint32_t any = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        any |= (uint32_t)((bits & 0x7f800000u) == 0x7f800000u);
    }
    return any != 0;
}

/* EXAM_ERR_NUMERIC naming the first text whose sentence or token embeddings hold a NaN or an
 * infinity: finite weights can still overflow, and no caller can use such a vector (JSON has no
 * NaN; every cosine with it is NaN). */
static exam_status check_finite(const exam_embeddings *e) {
    const size_t dim = (size_t)e->dim;
    for (int i = 0; i < e->n_texts; i++) {
        int bad = any_non_finite(e->sentences + (size_t)i * dim, dim);
        if (!bad && e->tokens && e->token_offsets) {
            size_t first = (size_t)e->token_offsets[i],
                   rows = (size_t)e->token_offsets[i + 1] - first;
            bad = any_non_finite(e->tokens + first * dim, rows * dim);
        }
        if (bad)
            return exam_error_set(EXAM_ERR_NUMERIC,
                                  "encoder: text %d: the model produced a non-finite embedding "
                                  "(NaN or infinity); its weights overflow or the backend failed",
                                  i);
    }
    return EXAM_OK;
}

/* Runs every pass of a built plan into out, then frees the plan; refuses non-finite output. */
static exam_status encode_plan(exam_encoder *enc, exam_encode_plan *plan,
                               const exam_encode_options *o, exam_embeddings *out) {
    exam_status st = exam_encode_plan_alloc_output(plan, enc->cfg.hidden, o->want_tokens, out);
    for (int p = 0; st == EXAM_OK && p < plan->n_passes; p++) {
        exam_pass pass;
        st = exam_encode_plan_pass(plan, p, &pass);
        if (st == EXAM_OK) st = run_pass(enc, plan, &pass, o->want_tokens, out);
        exam_pass_free(&pass);
    }
    exam_encode_plan_free(plan);
    if (st == EXAM_OK) st = check_finite(out);
    if (st != EXAM_OK) exam_embeddings_free(out);
    return st;
}

exam_status exam_encoder_encode(exam_encoder *enc, const char *const *texts, const size_t *lens,
                                int n, const exam_encode_options *opts, exam_embeddings *out) {
    memset(out, 0, sizeof *out);
    if (n < 0 || (n > 0 && (!texts || !lens)))
        return exam_error_set(EXAM_ERR_ARG, "encoder: bad text list");
    exam_encode_options o = resolve_options(enc, opts);
    exam_encode_plan plan;
    exam_status st = exam_encode_plan_build(&plan, enc->tok, texts, lens, n, &o,
                                            enc->cfg.pooling == EXAM_POOL_CLS);
    if (st != EXAM_OK) return st;
    return encode_plan(enc, &plan, &o, out);
}

exam_status exam_encoder_encode_tokens(exam_encoder *enc, const exam_tokens *toks, int n,
                                       const exam_encode_options *opts, exam_embeddings *out) {
    memset(out, 0, sizeof *out);
    if (n < 0 || (n > 0 && !toks)) return exam_error_set(EXAM_ERR_ARG, "encoder: bad token list");
    exam_encode_options o = resolve_options(enc, opts);
    exam_encode_plan plan;
    exam_status st = exam_encode_plan_build_tokens(&plan, enc->tok, toks, n, &o,
                                                   enc->cfg.pooling == EXAM_POOL_CLS);
    if (st != EXAM_OK) return st;
    return encode_plan(enc, &plan, &o, out);
}

void exam_embeddings_free(exam_embeddings *emb) {
    if (!emb) return;
    free(emb->sentences);
    free(emb->n_tokens);
    free(emb->token_offsets);
    free(emb->tokens);
    free(emb->token_ids);
    free(emb->token_starts);
    free(emb->token_ends);
    memset(emb, 0, sizeof *emb);
}
