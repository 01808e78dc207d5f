/* `examiner bank lint`: checks a bank file or folder line by line and reports every problem. */
#ifndef EXAM_BANK_LINT_H
#define EXAM_BANK_LINT_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* Counts of what exam_bank_lint found. */
typedef struct exam_lint_counts {
    size_t questions; /* lines that parsed as questions */
    size_t errors;    /* problems that make the bank unloadable */
    size_t warnings;  /* problems that weaken grading (no mistakes, unknown difficulty, ...) */
} exam_lint_counts;

/* Lints the bank at `path` (file or folder), writing one "file:line: error|warning: message"
 * line per problem to `out`. Errors (the bank would not load): malformed JSON, invalid UTF-8,
 * missing or mistyped fields, duplicate ids. Warnings: no key points (they would be derived),
 * no common mistakes, difficulty 0, empty topic or level, duplicate key points, a very short
 * model answer, a key point longer than 60 words, more than 15 key points.
 * Returns EXAM_OK even when problems were found (see counts); errors only for I/O failures. */
exam_status exam_bank_lint(const char *path, FILE *out, exam_lint_counts *counts);

#endif
