/* WordPiece tokenizer that reproduces Hugging Face's fast BertTokenizer (uncased) exactly. */
#ifndef EXAM_TOKENIZER_H
#define EXAM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct exam_tokenizer exam_tokenizer;

/* Normalisation switches (the BertNormalizer / BertPreTokenizer settings). */
typedef struct exam_tokenizer_options {
    int lowercase;      /* lowercase (and, with strip_accents, NFD + drop Mn) */
    int strip_accents;  /* NFD + drop nonspacing marks */
    int tokenize_cjk;   /* put spaces around CJK ideographs */
    int max_word_chars; /* longer words become [UNK] (HF: 100) */
} exam_tokenizer_options;

/* The defaults of all-MiniLM-L6-v2's tokenizer: lowercase, strip accents, CJK split, 100. */
exam_tokenizer_options exam_tokenizer_default_options(void);

/* A growable list of token ids with each token's byte span in the input text. Special tokens
 * added by exam_tokens_wrap have an empty span at the text's start or end. */
typedef struct exam_tokens {
    int32_t *ids;
    uint32_t *starts; /* byte offset of the token's first byte in the input */
    uint32_t *ends;   /* byte offset one past its last byte */
    size_t count;
    size_t capacity;
} exam_tokens;

/* Loads vocab.txt (one wordpiece per line, id = line number) and the special-token ids.
 * Errors: EXAM_ERR_IO (unreadable), EXAM_ERR_FORMAT (empty, duplicate or missing [UNK]/[CLS]/
 * [SEP]/[PAD]). opts may be NULL for the defaults. */
exam_status exam_tokenizer_init(const char *vocab_path, const exam_tokenizer_options *opts,
                                exam_tokenizer **out);

/* Frees a tokenizer (NULL is allowed). */
void exam_tokenizer_free(exam_tokenizer *tok);

/* Appends the wordpieces of `text` (len bytes, no [CLS]/[SEP] added) to `out`. Like HF, the
 * special tokens' exact spellings ("[SEP]", "[MASK]", ...) in the text become those tokens.
 * Errors: EXAM_ERR_UTF8 with the offending byte offset in the message, EXAM_ERR_LIMIT (4 GiB or
 * more), EXAM_ERR_NOMEM; on error out keeps what it had. */
exam_status exam_tokenizer_encode(const exam_tokenizer *tok, const char *text, size_t len,
                                  exam_tokens *out);

/* Id of a wordpiece, or -1 when the vocabulary lacks it. */
int32_t exam_tokenizer_token_id(const exam_tokenizer *tok, const char *piece, size_t len);

/* The wordpiece string of `id` (NULL when out of range). */
const char *exam_tokenizer_token_text(const exam_tokenizer *tok, int32_t id);

/* Vocabulary size. */
int32_t exam_tokenizer_vocab_size(const exam_tokenizer *tok);

/* Ids of [CLS], [SEP], [PAD], [UNK]. */
int32_t exam_tokenizer_cls_id(const exam_tokenizer *tok);
int32_t exam_tokenizer_sep_id(const exam_tokenizer *tok);
int32_t exam_tokenizer_pad_id(const exam_tokenizer *tok);
int32_t exam_tokenizer_unk_id(const exam_tokenizer *tok);

/* Empties a token list, keeping its storage. */
void exam_tokens_clear(exam_tokens *t);

/* Appends one token with its byte span. */
exam_status exam_tokens_push(exam_tokens *t, int32_t id, uint32_t start, uint32_t end);

/* Puts [CLS] before the tokens from index `first` on and appends [SEP] after them, with empty
 * spans at 0 and text_len. Errors: EXAM_ERR_ARG (first > count), EXAM_ERR_NOMEM (t unchanged). */
exam_status exam_tokens_wrap(const exam_tokenizer *tok, exam_tokens *t, size_t first,
                             uint32_t text_len);

/* Releases a token list's storage and zeroes it. */
void exam_tokens_free(exam_tokens *t);

#endif
