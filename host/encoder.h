/* The sentence encoder: a BERT forward pass written once against the backend interface,
 * with mean pooling and L2 normalisation, over batches packed as one token stream. */
#ifndef EXAM_ENCODER_H
#define EXAM_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "error.h"

typedef struct exam_encoder exam_encoder;

/* What to do with texts longer than the model's window (max_tokens wordpieces incl. specials). */
typedef enum exam_long_mode {
    EXAM_LONG_TRUNCATE = 0, /* keep the first max_tokens-2 wordpieces, as sentence-transformers */
    EXAM_LONG_WINDOW,       /* overlapping windows; every wordpiece is kept */
} exam_long_mode;

typedef struct exam_encode_options {
    exam_long_mode long_mode;
    int max_tokens;     /* window length incl. [CLS]/[SEP]; 0: the model's (256) */
    int window_overlap; /* wordpieces shared by neighbouring windows; 0: max_tokens / 4 */
    int want_tokens;    /* also return token-level embeddings */
    int batch_tokens;   /* token budget of one packed forward pass; 0: 2048 */
} exam_encode_options;

/* Embeddings of a batch of texts, in host memory. */
typedef struct exam_embeddings {
    int n_texts;
    int dim;
    float *sentences; /* [n_texts × dim], L2-normalised */
    int *n_tokens;    /* per text: wordpieces that went into its embedding, specials included */
    /* Token level (when want_tokens): for text i, rows token_offsets[i] .. token_offsets[i+1]-1
     * of `tokens` are the final hidden states of its wordpieces in order, [CLS]/[SEP] excluded,
     * with their ids and byte spans in the text. Windowed texts keep each wordpiece once, taken
     * from the window in which it lies furthest from an edge. */
    int *token_offsets; /* [n_texts + 1] */
    float *tokens;      /* [token_offsets[n_texts] × dim] */
    int32_t *token_ids; /* [token_offsets[n_texts]] */
    uint32_t *token_starts;
    uint32_t *token_ends;
} exam_embeddings;

/* Loads a BERT-family sentence-transformer from `model_dir` (model.safetensors, config.json,
 * vocab.txt, optional sentence_bert_config.json / 1_Pooling/config.json) onto backend `be`,
 * which must outlive the encoder. Errors: EXAM_ERR_IO, EXAM_ERR_FORMAT (a truncated, lying or
 * unsupported model), EXAM_ERR_BACKEND. */
exam_status exam_encoder_init(const char *model_dir, exam_backend *be, exam_encoder **out);

/* Frees the encoder and its device buffers (NULL is allowed). */
void exam_encoder_free(exam_encoder *enc);

/* Sensible defaults: truncate, the model's window, overlap a quarter, no tokens. */
exam_encode_options exam_encode_default_options(void);

/* Embeds n texts (texts[i] of lens[i] bytes, UTF-8). On error nothing is returned in `out`
 * and the message names the failing text's index (EXAM_ERR_UTF8 names the byte offset too).
 * Every vector returned is finite: one with a NaN or infinity (weights that overflow, a failing
 * backend) fails the call with EXAM_ERR_NUMERIC naming the text. */
exam_status exam_encoder_encode(exam_encoder *enc, const char *const *texts, const size_t *lens,
                                int n, const exam_encode_options *opts, exam_embeddings *out);

struct exam_tokens;

/* Embeds n texts given as wordpieces: toks[i] is what exam_tokenizer_encode with this encoder's
 * tokenizer (exam_encoder_tokenizer) appended for text i, without [CLS]/[SEP]. The embeddings,
 * n_tokens and token rows are bit for bit those exam_encoder_encode gives for the texts (same
 * options, same backend); token spans are copied from toks. toks are only read and may be
 * used by other threads meanwhile. Tokens from any other tokenizer give meaningless vectors.
 * Errors: EXAM_ERR_ARG (an id outside the vocabulary, naming the text), EXAM_ERR_NOMEM,
 * EXAM_ERR_BACKEND, EXAM_ERR_NUMERIC (as exam_encoder_encode); on error nothing is returned in
 * `out`. */
exam_status exam_encoder_encode_tokens(exam_encoder *enc, const struct exam_tokens *toks, int n,
                                       const exam_encode_options *opts, exam_embeddings *out);

/* Releases what exam_encoder_encode or exam_encoder_encode_tokens filled in and zeroes it. */
void exam_embeddings_free(exam_embeddings *emb);

/* The embedding width (384 for all-MiniLM-L6-v2). */
int exam_encoder_dim(const exam_encoder *enc);

/* The model's window in wordpieces (max_seq_length, 256 for all-MiniLM-L6-v2). */
int exam_encoder_max_tokens(const exam_encoder *enc);

/* The tokenizer the encoder uses (owned by the encoder). */
const struct exam_tokenizer *exam_encoder_tokenizer(const exam_encoder *enc);

/* The backend the encoder runs on. */
exam_backend *exam_encoder_backend(const exam_encoder *enc);

/* The model's name (the model folder's last path component). */
const char *exam_encoder_model_name(const exam_encoder *enc);

#endif
