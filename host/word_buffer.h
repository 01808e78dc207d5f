/* The word being pre-tokenized: normalised code points with their byte spans in the input, kept
 * in NFD's canonical order the way the tokenizers library aligns them. */
#ifndef EXAM_WORD_BUFFER_H
#define EXAM_WORD_BUFFER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* A run of combining marks (nonzero combining class) is sorted by class when it ends. Spans are
 * then handed out as the tokenizers library aligns its NFD output: walking the sorted run, each
 * code point that heads its input character's decomposition takes the next input character's
 * span, and each later piece of a decomposition repeats the span handed out last. Marks that
 * accent stripping removes take part in this and are removed afterwards. Once a word holds more
 * than `limit` kept code points only its first and its tail are stored: it will become [UNK]
 * and only its span is still needed. */
typedef struct exam_word_buffer {
    int32_t *cps;
    unsigned char *ccc;   /* combining class of each entry */
    unsigned char *flags; /* EXAM_WORD_DROP, EXAM_WORD_TAIL */
    uint32_t *starts, *ends;
    size_t n;         /* entries stored */
    size_t cap;       /* entries allocated */
    size_t run_start; /* first entry of the unfinished run of marks (n when none) */
    size_t collapsed; /* kept code points no longer stored (see above) */
    size_t limit;
    uint32_t last_start, last_end; /* the span handed out last */
} exam_word_buffer;

#define EXAM_WORD_DROP 1u /* removed once its run is sorted (accent stripping) */
#define EXAM_WORD_TAIL 2u /* not the first code point its input character became */

/* Prepares an empty buffer for words of up to `limit` code points. Errors: EXAM_ERR_NOMEM. */
exam_status exam_word_buffer_init(exam_word_buffer *w, size_t limit);

/* Releases the buffer's storage. */
void exam_word_buffer_free(exam_word_buffer *w);

/* Appends one code point (ccc: its combining class; flags: EXAM_WORD_*) with the span of the
 * input character it came from. Errors: EXAM_ERR_NOMEM. */
exam_status exam_word_buffer_push(exam_word_buffer *w, int32_t cp, int ccc, unsigned flags,
                                  uint32_t start, uint32_t end);

/* Ends any pending run of marks; afterwards entries 0..n-1 are all kept code points. */
void exam_word_buffer_settle(exam_word_buffer *w);

/* Kept code points of the settled word, stored or not. */
size_t exam_word_buffer_length(const exam_word_buffer *w);

/* Empties the buffer for the next word, keeping its storage. */
void exam_word_buffer_reset(exam_word_buffer *w);

#endif
