/* The encoder's weights on a backend: loaded from safetensors, checked against the config,
 * Q/K/V fused into one matrix per layer. */
#ifndef EXAM_ENCODER_WEIGHTS_H
#define EXAM_ENCODER_WEIGHTS_H

#include "backend.h"
#include "model_config.h"
#include "safetensors.h"

typedef struct exam_layer_weights {
    exam_buffer *qkv_w, *qkv_b; /* [3H × H], [3H]: query | key | value */
    exam_buffer *attn_out_w, *attn_out_b, *ln1_gamma, *ln1_beta;
    exam_buffer *ffn_in_w, *ffn_in_b, *ffn_out_w, *ffn_out_b, *ln2_gamma, *ln2_beta;
} exam_layer_weights;

typedef struct exam_encoder_weights {
    exam_safetensors *file;
    exam_buffer *word, *pos, *type, *emb_gamma, *emb_beta;
    exam_layer_weights *layers;
    int n_layers;
    float **fused; /* host copies of fused Q/K/V weights and biases (2 per layer) */
} exam_encoder_weights;

/* Opens `path` and puts every tensor the config names on `be`. Accepts names with or without
 * the "bert." prefix. Errors: EXAM_ERR_FORMAT for a missing tensor or a shape that disagrees with
 * the config, plus whatever the safetensors reader or the backend report. */
exam_status exam_encoder_weights_load(exam_encoder_weights *w, const char *path,
                                      const exam_model_config *cfg, exam_backend *be);

/* Frees the buffers, the fused copies and the file (safe on a zeroed or half-loaded struct). */
void exam_encoder_weights_free(exam_encoder_weights *w, exam_backend *be);

#endif
