/* Text-only signals about a candidate's answer, computed before any embedding: empty and
 * non-answers, prompt-injection sentences, keyword stuffing and copying the question. */
#ifndef EXAM_GRADE_SIGNALS_H
#define EXAM_GRADE_SIGNALS_H

#include <stddef.h>

#include "error.h"
#include "text_split.h"

/* What the text alone says about an answer. */
typedef struct exam_text_signals {
    int empty;             /* no letter or digit at all */
    int non_answer;        /* "I don't know", "pass", "n/a", ... and nothing else */
    size_t words;          /* words in the answer */
    exam_spans injection;  /* sentences that instruct the grader; removed before scoring */
    size_t kept_words;     /* words left once injection sentences are removed */
    double function_ratio; /* share of kept words that are English function words */
    double stuffing;       /* 0..1: how much the kept text looks like a bare keyword list */
    double copy_ratio;     /* share of the kept content words that also occur in the question */
    size_t novel_words;    /* kept content words that are not in the question */
} exam_text_signals;

/* Computes the signals of `answer` (len bytes) for `question` (NUL-terminated, may be "").
 * Stuffing: for at least 6 kept words, (0.25 - function_ratio) / 0.25 clamped to 0..1, raised
 * by up to 0.5 when one word makes up over a quarter of the text; 0 for shorter answers.
 * Injection: a sentence that tells the reader to ignore / disregard / override instructions,
 * the rubric or the reference; that demands a score ("give 10", "full marks", "score=10"); or
 * that speaks as the system or to the grader ("you are now", "SYSTEM:", "as the grader",
 * "</answer>"). Errors: EXAM_ERR_NOMEM, EXAM_ERR_UTF8. Free with exam_text_signals_free. */
exam_status exam_text_signals_compute(const char *answer, size_t len, const char *question,
                                      exam_text_signals *out);

/* Releases the signal's storage and zeroes it. */
void exam_text_signals_free(exam_text_signals *s);

/* A new NUL-terminated copy of answer without the injection sentences (*out_len its length).
 * Errors: EXAM_ERR_NOMEM. */
exam_status exam_text_signals_strip(const exam_text_signals *s, const char *answer, size_t len,
                                    char **out, size_t *out_len);

/* 1 when text[0..len) contains a negation: not, no, never, none, nothing, neither, nor,
 * cannot, or a word ending in n't. */
int exam_text_has_negation(const char *text, size_t len);

/* 1 when the lowercased word w[0..n) is an English function word (articles, pronouns,
 * auxiliaries, prepositions, conjunctions, common adverbs). */
int exam_is_function_word(const char *w, size_t n);

#endif
