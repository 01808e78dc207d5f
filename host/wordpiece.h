/* Splitting one normalised word into WordPieces (greedy longest match first, "##" continuation). */
#ifndef EXAM_WORDPIECE_H
#define EXAM_WORDPIECE_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"
#include "wordpiece_vocab.h"

/* One pre-tokenized word: its code points with each one's byte span in the original text. */
typedef struct exam_wordpiece_word {
    const int32_t *cps;
    const uint32_t *starts;
    const uint32_t *ends;
    size_t n;
} exam_wordpiece_word;

/* Appends the pieces of `word` (n >= 1) to `out`; a word with no full split becomes one `unk_id`
 * covering the word's span. `scratch` needs room for 4 * n + 1 bytes and `offs` for n + 1 entries.
 * Errors: EXAM_ERR_NOMEM (out keeps what it had before the word). */
exam_status exam_wordpiece_split(const exam_wordpiece_vocab *vocab, int32_t unk_id,
                                 const exam_wordpiece_word *word, char *scratch, size_t *offs,
                                 exam_tokens *out);

#endif
