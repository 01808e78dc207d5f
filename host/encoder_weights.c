/* Loads BERT weights from safetensors onto a backend, with every shape checked. */
#include "encoder_weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct loader {
    exam_encoder_weights *w;
    exam_backend *be;
    const char *prefix; /* "" or "bert." */
} loader;

/* Finds `name` (prefixed), checks its shape and gives an fp32 pointer into the file. */
static exam_status tensor_f32(loader *ld, const char *name, int64_t d0, int64_t d1,
                              const float **out) {
    char full[256];
    snprintf(full, sizeof full, "%s%s", ld->prefix, name);
    int64_t shape[2] = {d0, d1};
    exam_status st = exam_safetensors_get_f32(ld->w->file, full, d1 ? 2 : 1, shape, out);
    if (st == EXAM_ERR_NOT_FOUND)
        return exam_error_set(EXAM_ERR_FORMAT, "%s", exam_error_message());
    return st;
}

static exam_status load_tensor(loader *ld, const char *name, int64_t d0, int64_t d1,
                               exam_buffer **out) {
    const float *data;
    exam_status st = tensor_f32(ld, name, d0, d1, &data);
    if (st != EXAM_OK) return st;
    size_t bytes = (size_t)d0 * (size_t)(d1 ? d1 : 1) * sizeof(float);
    return ld->be->ops->buffer_from_host(ld->be, data, bytes, out);
}

/* Concatenates layer l's query, key and value `part` ("weight" or "bias") into one buffer. */
static exam_status load_fused(loader *ld, int l, const char *part, int h, exam_buffer **out) {
    size_t rows = part[0] == 'w' ? (size_t)h : 1, one = rows * (size_t)h;
    float *fused = malloc(3 * one * sizeof(float));
    if (!fused) return exam_error_set(EXAM_ERR_NOMEM, "encoder: fused QKV");
    ld->w->fused[2 * l + (part[0] == 'b')] = fused;
    const char *names[3] = {"query", "key", "value"};
    for (int i = 0; i < 3; i++) {
        char name[128];
        snprintf(name, sizeof name, "encoder.layer.%d.attention.self.%s.%s", l, names[i], part);
        const float *src;
        exam_status st = tensor_f32(ld, name, h, part[0] == 'w' ? h : 0, &src);
        if (st != EXAM_OK) return st;
        memcpy(fused + i * one, src, one * sizeof(float));
        char full[160];
        snprintf(full, sizeof full, "%s%s", ld->prefix, name);
        exam_safetensors_release(ld->w->file, full); /* only the fused copy is read from now on */
    }
    return ld->be->ops->buffer_from_host(ld->be, fused, 3 * one * sizeof(float), out);
}

static exam_status load_layer(loader *ld, int l, const exam_model_config *c) {
    exam_layer_weights *lw = &ld->w->layers[l];
    const int h = c->hidden, in = c->intermediate;
    char n[10][128];
    const char *fmt[10] = {
        "encoder.layer.%d.attention.output.dense.weight",
        "encoder.layer.%d.attention.output.dense.bias",
        "encoder.layer.%d.attention.output.LayerNorm.weight",
        "encoder.layer.%d.attention.output.LayerNorm.bias",
        "encoder.layer.%d.intermediate.dense.weight",
        "encoder.layer.%d.intermediate.dense.bias",
        "encoder.layer.%d.output.dense.weight",
        "encoder.layer.%d.output.dense.bias",
        "encoder.layer.%d.output.LayerNorm.weight",
        "encoder.layer.%d.output.LayerNorm.bias",
    };
    for (int i = 0; i < 10; i++) snprintf(n[i], sizeof n[i], fmt[i], l);
    exam_status st;
    if ((st = load_fused(ld, l, "weight", h, &lw->qkv_w)) ||
        (st = load_fused(ld, l, "bias", h, &lw->qkv_b)) ||
        (st = load_tensor(ld, n[0], h, h, &lw->attn_out_w)) ||
        (st = load_tensor(ld, n[1], h, 0, &lw->attn_out_b)) ||
        (st = load_tensor(ld, n[2], h, 0, &lw->ln1_gamma)) ||
        (st = load_tensor(ld, n[3], h, 0, &lw->ln1_beta)) ||
        (st = load_tensor(ld, n[4], in, h, &lw->ffn_in_w)) ||
        (st = load_tensor(ld, n[5], in, 0, &lw->ffn_in_b)) ||
        (st = load_tensor(ld, n[6], h, in, &lw->ffn_out_w)) ||
        (st = load_tensor(ld, n[7], h, 0, &lw->ffn_out_b)) ||
        (st = load_tensor(ld, n[8], h, 0, &lw->ln2_gamma)) ||
        (st = load_tensor(ld, n[9], h, 0, &lw->ln2_beta)))
        return st;
    return EXAM_OK;
}

exam_status exam_encoder_weights_load(exam_encoder_weights *w, const char *path,
                                      const exam_model_config *cfg, exam_backend *be) {
    memset(w, 0, sizeof *w);
    exam_status st = exam_safetensors_open(path, &w->file);
    if (st != EXAM_OK) return st;
    loader ld = {w, be, ""};
    if (!exam_safetensors_find(w->file, "embeddings.word_embeddings.weight") &&
        exam_safetensors_find(w->file, "bert.embeddings.word_embeddings.weight"))
        ld.prefix = "bert.";
    w->layers = calloc((size_t)cfg->layers, sizeof *w->layers);
    w->fused = calloc(2 * (size_t)cfg->layers, sizeof *w->fused);
    if (!w->layers || !w->fused) return exam_error_set(EXAM_ERR_NOMEM, "encoder: weights");
    w->n_layers = cfg->layers;
    const int h = cfg->hidden;
    if ((st =
             load_tensor(&ld, "embeddings.word_embeddings.weight", cfg->vocab_size, h, &w->word)) ||
        (st = load_tensor(&ld, "embeddings.position_embeddings.weight", cfg->max_positions, h,
                          &w->pos)) ||
        (st = load_tensor(&ld, "embeddings.token_type_embeddings.weight", cfg->type_vocab, h,
                          &w->type)) ||
        (st = load_tensor(&ld, "embeddings.LayerNorm.weight", h, 0, &w->emb_gamma)) ||
        (st = load_tensor(&ld, "embeddings.LayerNorm.bias", h, 0, &w->emb_beta)))
        return st;
    for (int l = 0; l < cfg->layers; l++)
        if ((st = load_layer(&ld, l, cfg))) return st;
    return EXAM_OK;
}

void exam_encoder_weights_free(exam_encoder_weights *w, exam_backend *be) {
    exam_buffer **top[] = {&w->word, &w->pos, &w->type, &w->emb_gamma, &w->emb_beta};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) be->ops->buffer_free(be, *top[i]);
    for (int l = 0; w->layers && l < w->n_layers; l++) {
        exam_layer_weights *lw = &w->layers[l];
        exam_buffer *bufs[] = {lw->qkv_w,     lw->qkv_b,     lw->attn_out_w, lw->attn_out_b,
                               lw->ln1_gamma, lw->ln1_beta,  lw->ffn_in_w,   lw->ffn_in_b,
                               lw->ffn_out_w, lw->ffn_out_b, lw->ln2_gamma,  lw->ln2_beta};
        for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) be->ops->buffer_free(be, bufs[i]);
    }
    for (int i = 0; w->fused && i < 2 * w->n_layers; i++) free(w->fused[i]);
    free(w->fused);
    free(w->layers);
    exam_safetensors_close(w->file);
    memset(w, 0, sizeof *w);
}
