/* Planning a batch for the encoder: tokenize every text, cut long ones into windows (or
 * truncate), and pack whole texts into passes under a token budget, as flat int32 lists. */
#ifndef EXAM_ENCODER_PLAN_H
#define EXAM_ENCODER_PLAN_H

#include "encoder.h"
#include "tokenizer.h"

/* One window of a text: wordpieces [start, end) of its token list, framed by [CLS] ... [SEP]. */
typedef struct exam_plan_segment {
    int start, end;
} exam_plan_segment;

typedef struct exam_plan_text {
    int first_seg, n_segs;
    int kept; /* wordpieces that reach the output (all in window mode) */
} exam_plan_text;

typedef struct exam_encode_plan {
    int n_texts;
    const exam_tokens *tokens; /* per text, without specials (owned or borrowed) */
    exam_tokens *owned;        /* the tokens when the plan tokenized them, else NULL */
    exam_plan_text *texts;
    exam_plan_segment *segs;
    int n_segs;
    int *pass_first_text; /* n_passes + 1 entries */
    int n_passes;
    int cls_pool;
    int32_t cls_id, sep_id;
} exam_encode_plan;

/* The flat lists one forward pass uploads. Rows are indices into the pass's packed tokens. */
typedef struct exam_pass {
    int first_text, n_texts;
    int n_tokens, n_seqs, max_len, n_pool_rows;
    int32_t *ids, *positions, *seq_offsets; /* n_tokens, n_tokens, n_seqs + 1 */
    int32_t *pool_rows, *pool_offsets;      /* n_pool_rows, n_texts + 1 */
    int32_t *seg_row;                       /* first row of each of the pass's segments */
} exam_pass;

/* Tokenizes and plans. Errors name the failing text's index (invalid UTF-8: the byte offset). */
exam_status exam_encode_plan_build(exam_encode_plan *plan, const exam_tokenizer *tok,
                                   const char *const *texts, const size_t *lens, int n,
                                   const exam_encode_options *opts, int cls_pool);

/* Plans texts already tokenized (toks[i] without specials): the same plan as
 * exam_encode_plan_build on the texts those tokens came from. The plan borrows toks, which must
 * outlive it. Errors: EXAM_ERR_ARG (an id outside [0, vocab)), EXAM_ERR_NOMEM. */
exam_status exam_encode_plan_build_tokens(exam_encode_plan *plan, const exam_tokenizer *tok,
                                          const exam_tokens *toks, int n,
                                          const exam_encode_options *opts, int cls_pool);

/* Allocates out's arrays for the plan's texts (sentences, n_tokens, and token rows if asked)
 * and fills what is known before encoding (n_tokens, token offsets, ids and spans). */
exam_status exam_encode_plan_alloc_output(const exam_encode_plan *plan, int dim, int want_tokens,
                                          exam_embeddings *out);

/* Builds pass p's upload lists. */
exam_status exam_encode_plan_pass(const exam_encode_plan *plan, int p, exam_pass *pass);

/* Copies the kept wordpieces' rows of `hidden` (the pass's [n_tokens × dim] output) into out. */
void exam_encode_plan_gather_tokens(const exam_encode_plan *plan, const exam_pass *pass,
                                    const float *hidden, int dim, exam_embeddings *out);

void exam_pass_free(exam_pass *pass);
void exam_encode_plan_free(exam_encode_plan *plan);

#endif
