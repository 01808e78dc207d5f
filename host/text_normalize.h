/* Per-code-point text rules of the BERT normaliser and pre-tokenizer (clean, CJK, accents, case,
 * whitespace, punctuation) exactly as Hugging Face's tokenizers library applies them. */
#ifndef EXAM_TEXT_NORMALIZE_H
#define EXAM_TEXT_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

/* Room for what one input code point can become after NFD and lowercasing. */
#define EXAM_TEXT_MAX_EXPANSION 32

/* What clean_text does with one code point. */
typedef enum exam_text_clean {
    EXAM_TEXT_KEEP = 0, /* kept as it is */
    EXAM_TEXT_DROP,     /* removed: NUL, U+FFFD, control/format/private-use characters */
    EXAM_TEXT_SPACE,    /* replaced by U+0020: whitespace, \t, \n, \r */
} exam_text_clean;

/* Classifies `cp` for clean_text (HF's filter runs before its whitespace map). */
exam_text_clean exam_text_clean_class(int32_t cp);

/* 1 when `cp` is one of the CJK ideographs that get spaces put around them, else 0. */
int exam_text_is_cjk(int32_t cp);

/* 1 when the pre-tokenizer splits on `cp` as whitespace (Rust's char::is_whitespace), else 0. */
int exam_text_is_whitespace(int32_t cp);

/* 1 when the pre-tokenizer isolates `cp` as punctuation, else 0. */
int exam_text_is_punctuation(int32_t cp);

/* Writes the canonical decomposition (NFD) of `cp` to out (room for EXAM_TEXT_MAX_EXPANSION);
 * returns its length (1..). */
size_t exam_text_decompose(int32_t cp, int32_t *out);

/* 1 when accent stripping removes `cp` (a nonspacing mark as tokenizers knows them), else 0. */
int exam_text_is_nonspacing_mark(int32_t cp);

/* Writes the canonical decomposition (NFD) of `cp` with nonspacing marks removed to out
 * (room for EXAM_TEXT_MAX_EXPANSION); returns how many code points were written (0..). */
size_t exam_text_strip_accents(int32_t cp, int32_t *out);

/* Writes the full lowercase mapping of `cp` to out (room for 3); returns its length (1..3). */
size_t exam_text_lowercase(int32_t cp, int32_t *out);

/* Canonical combining class of `cp` (0 for starters). */
int exam_text_combining_class(int32_t cp);

#endif
