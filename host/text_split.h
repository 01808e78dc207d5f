/* Splitting text into sentences and words, case folding and UTF-8 checks for the grader and
 * the question-bank importer. Everything works on byte spans of the caller's UTF-8 text. */
#ifndef EXAM_TEXT_SPLIT_H
#define EXAM_TEXT_SPLIT_H

#include <stddef.h>

#include "error.h"

/* A byte range [start, end) of some text. */
typedef struct exam_span {
    size_t start;
    size_t end;
} exam_span;

/* A growable list of spans. */
typedef struct exam_spans {
    exam_span *items;
    size_t count;
    size_t capacity;
} exam_spans;

/* Appends one span. Errors: EXAM_ERR_NOMEM. */
exam_status exam_spans_push(exam_spans *s, size_t start, size_t end);

/* Releases a span list's storage and zeroes it. */
void exam_spans_free(exam_spans *s);

/* Returns 1 when text[0..len) is valid UTF-8; otherwise 0 and, when bad_offset is non-NULL,
 * the offset of the first invalid byte. */
int exam_utf8_valid(const char *text, size_t len, size_t *bad_offset);

/* Appends the sentences of text[0..len) to out, trimmed of surrounding whitespace and bullet
 * markers. A sentence ends at . ! ? … followed by space and a non-lowercase start (common
 * abbreviations, initials and decimals do not end one), at a blank line, and at a line break
 * that follows end punctuation or precedes a bullet, a number or a capital. Spans without a
 * letter or digit are dropped. Invalid UTF-8 bytes are treated as ordinary characters.
 * Errors: EXAM_ERR_NOMEM (out keeps the spans appended so far). */
exam_status exam_split_sentences(const char *text, size_t len, exam_spans *out);

/* Appends the words of text[0..len): maximal runs of letters, digits and combining marks,
 * joined across a single inner apostrophe, hyphen, underscore or dot between word characters
 * ("don't", "k-fold", "max_depth", "0.5"). Errors: EXAM_ERR_NOMEM. */
exam_status exam_split_words(const char *text, size_t len, exam_spans *out);

/* A newly allocated, NUL-terminated case-folded (lowercased) NFC copy of text[0..len).
 * Errors: EXAM_ERR_UTF8 (invalid input), EXAM_ERR_NOMEM. */
exam_status exam_text_fold(const char *text, size_t len, char **out);

/* 1 when text[0..len) contains no letter or digit (empty, whitespace or punctuation only). */
int exam_text_is_blank(const char *text, size_t len);

/* Counts the words of text[0..len) (as exam_split_words would find them). */
size_t exam_text_count_words(const char *text, size_t len);

#endif
