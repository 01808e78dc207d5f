/* The bank's id index: an open-addressing hash table from question id to its position in the
 * bank, kept up to date by exam_bank_add, so that finding an id and giving a colliding id its
 * suffix take constant time instead of a scan of the whole bank. */
#ifndef EXAM_BANK_INDEX_H
#define EXAM_BANK_INDEX_H

#include <stddef.h>

#include "bank.h"

/* The position of the question whose id is `id` in bank->questions, or -1. Uses the index when
 * the bank has one, else scans. */
long exam_bank_index_find(const exam_bank *bank, const char *id);

/* Records that bank->questions[pos] holds its id (grows the table as needed).
 * Errors: EXAM_ERR_NOMEM (the index is then unchanged). */
exam_status exam_bank_index_add(exam_bank *bank, size_t pos);

/* The first suffix worth trying for a copy of the id at position `pos` (2 when none was
 * handed out yet), and notes that suffixes below `next` are taken. */
unsigned exam_bank_index_next_suffix(const exam_bank *bank, size_t pos);
void exam_bank_index_set_suffix(exam_bank *bank, size_t pos, unsigned next);

/* Frees the index (NULL-safe through bank->index). */
void exam_bank_index_free(exam_bank *bank);

#endif
