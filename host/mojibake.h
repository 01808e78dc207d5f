/* Repair of double-encoded UTF-8 ("mojibake"): text whose UTF-8 bytes were once decoded with
 * a single-byte Windows code page (â€™ for ’, ΒΆ for ¶) and encoded to UTF-8 again. */
#ifndef EXAM_MOJIBAKE_H
#define EXAM_MOJIBAKE_H

#include <stddef.h>

#include "error.h"

/* What exam_mojibake_repair found. */
typedef struct exam_mojibake_report {
    const char *codepage; /* the code page the text had been mis-decoded with, or NULL */
    size_t repaired;      /* multi-byte characters restored */
    size_t left_alone;    /* other non-ASCII characters, kept as they were */
} exam_mojibake_report;

/* Detects and undoes double encoding in valid UTF-8 text[0..len). Each run of non-ASCII
 * characters is mapped back to bytes through a candidate code page (windows-1252, ISO-8859-7,
 * windows-1253, 1251, 1250, ISO-8859-2; bytes a page leaves undefined fall back to
 * windows-1252, then Latin-1), and every valid multi-byte UTF-8 sequence among those bytes is
 * decoded again. The page that restores the most characters wins (ties: the one whose restored
 * characters are more plausible, punctuation and letters over rare symbols), and the repair is
 * applied only when it restores at least three and no fewer than the non-ASCII characters it cannot
 * explain, so genuine text with the odd Greek letter or dash is left untouched. *out
 * (NUL-terminated, caller frees) is always a fresh copy, repaired or not. The tables come from the
 * C library's iconv. Errors: EXAM_ERR_UTF8 (input not valid UTF-8), EXAM_ERR_NOMEM,
 * EXAM_ERR_UNAVAILABLE (iconv lacks the code pages). */
exam_status exam_mojibake_repair(const char *text, size_t len, char **out, size_t *out_len,
                                 exam_mojibake_report *report);

/* Decodes bytes that are not UTF-8 as windows-1252 (undefined bytes as Latin-1) into a fresh
 * NUL-terminated UTF-8 string. Errors: EXAM_ERR_NOMEM, EXAM_ERR_UNAVAILABLE. */
exam_status exam_mojibake_decode_cp1252(const char *bytes, size_t len, char **out, size_t *out_len);

#endif
