/* `examiner bank import`: turns interview-question documents into bank questions. Handles
 * ID-headed questions with labelled sections, "N. Question?" lists with noise between them,
 * "Q1: ...?" blocks, markdown question tables, and recognises answer-only blocks; repairs
 * double-encoded UTF-8 and reports every region it could not use, with line numbers. */
#ifndef EXAM_BANK_IMPORT_H
#define EXAM_BANK_IMPORT_H

#include <stddef.h>

#include "bank.h"
#include "error.h"
#include "mojibake.h"

/* A region of the input that produced no question, and why. Lines count from 1. */
typedef struct exam_import_skip {
    size_t first_line;
    size_t last_line;
    char reason[96];
} exam_import_skip;

/* What an import did with one document. */
typedef struct exam_import_report {
    size_t questions;        /* questions added to the bank */
    size_t lines;            /* lines in the document */
    exam_import_skip *skips; /* skipped regions in line order */
    size_t n_skips;
    size_t cap_skips;
    exam_mojibake_report mojibake; /* codepage != NULL when double encoding was repaired */
    int decoded_cp1252;            /* the bytes were not UTF-8 and were read as windows-1252 */
    char layouts[96];              /* the layouts found, comma separated ("id-headed", ...) */
} exam_import_report;

/* Imports the document text[0..len) (any bytes) named `name` (its file name: question ids of
 * undocumented questions are "<name without folder and extension>-<n>") into bank.
 * rep is reset and filled in. Errors: EXAM_ERR_NOMEM, EXAM_ERR_UNAVAILABLE (iconv);
 * a document with no questions is not an error (rep->questions == 0). */
exam_status exam_bank_import_text(const char *name, const char *text, size_t len, exam_bank *bank,
                                  exam_import_report *rep);

/* Reads the file at path and imports it as exam_bank_import_text does.
 * Errors also: EXAM_ERR_IO. */
exam_status exam_bank_import_file(const char *path, exam_bank *bank, exam_import_report *rep);

/* Frees the report's storage and zeroes it. */
void exam_import_report_free(exam_import_report *rep);

#endif
