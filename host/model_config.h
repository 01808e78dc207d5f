/* The shape and pipeline of a BERT-family sentence-transformer, read from its JSON configs. */
#ifndef EXAM_MODEL_CONFIG_H
#define EXAM_MODEL_CONFIG_H

#include "error.h"

typedef enum exam_pooling { EXAM_POOL_MEAN = 0, EXAM_POOL_CLS } exam_pooling;

typedef struct exam_model_config {
    int vocab_size;
    int hidden;
    int layers;
    int heads;
    int intermediate;
    int max_positions;
    int type_vocab;
    float layer_norm_eps;
    int max_seq_length; /* sentence_bert_config.json, else min(512, max_positions) */
    exam_pooling pooling;
    int normalize; /* a Normalize module follows pooling (modules.json) */
    int lowercase; /* tokenizer_config.json do_lower_case (default 1) */
} exam_model_config;

/* Reads config.json (required) and sentence_bert_config.json, 1_Pooling/config.json,
 * modules.json, tokenizer_config.json (optional) from `dir`. Errors: EXAM_ERR_IO when
 * config.json is missing, EXAM_ERR_FORMAT for malformed JSON, out-of-range sizes, a hidden size
 * not divisible by the head count, an activation other than erf GELU, or unsupported pooling. */
exam_status exam_model_config_load(const char *dir, exam_model_config *out);

#endif
