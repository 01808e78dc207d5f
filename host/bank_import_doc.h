/* Internal to the importer: a document split into lines, each either used by a question or
 * carrying the reason it was skipped, and the helpers the layout parsers share. */
#ifndef EXAM_BANK_IMPORT_DOC_H
#define EXAM_BANK_IMPORT_DOC_H

#include <stddef.h>

#include "bank.h"
#include "bank_import.h"

typedef struct exam_doc_line {
    char *s;            /* NUL-terminated, trimmed of trailing whitespace */
    size_t n;           /* its length */
    size_t no;          /* 1-based line number */
    int blank;          /* no letter or digit */
    int used;           /* claimed by a parsed question (or a heading it used) */
    const char *reason; /* why it was skipped, when not used */
    size_t region;      /* skipped lines with different region numbers are reported apart */
} exam_doc_line;

typedef struct exam_doc {
    char *text; /* the normalised text the lines point into */
    exam_doc_line *lines;
    size_t n_lines;
    char stem[64];  /* file name without folder and extension */
    char title[96]; /* topic guessed from the document title, or "" */
    exam_bank *bank;
    exam_import_report *rep;
    size_t next_seq; /* numbering of generated ids */
    size_t next_region;
} exam_doc;

/* A question being assembled by a parser. */
typedef struct exam_doc_question {
    exam_question q;
    size_t first_line; /* for messages */
} exam_doc_question;

/* Sets q.question (trimmed copy of s[0..n)), an id (explicit or generated), and the topic. */
exam_status exam_doc_question_start(exam_doc *d, exam_doc_question *dq, const char *id,
                                    const char *question, size_t n, const char *topic);

/* Joins the usable lines first..last (inclusive) with '\n' into a new string; lines that
 * carry a skip reason are left out. Returns NULL when out of memory. */
char *exam_doc_join(const exam_doc *d, size_t first, size_t last);

/* Finishes the question: an empty answer marks lines first..last skipped with `reason_if_empty`
 * and drops it; otherwise derives key points and adds it to the bank (lines marked used). */
exam_status exam_doc_question_finish(exam_doc *d, exam_doc_question *dq, size_t first, size_t last,
                                     const char *reason_if_empty);

/* Marks lines first..last (inclusive, non-blank ones) as skipped for `reason` unless used;
 * each call opens a region of its own in the report. */
void exam_doc_skip(exam_doc *d, size_t first, size_t last, const char *reason);

/* Case-insensitive: does line s start with prefix? */
int exam_doc_starts_with(const char *s, const char *prefix);

/* Marketing and page-furniture detection for a line of prose. */
int exam_doc_is_noise(const char *s);

/* The layout parsers; each claims the lines it understands and leaves the rest. */
exam_status exam_import_id_headed(exam_doc *d, int *found);
exam_status exam_import_tables(exam_doc *d, int *found);
exam_status exam_import_labelled(exam_doc *d, int *found);
exam_status exam_import_numbered(exam_doc *d, int *found);
void exam_import_answer_only(exam_doc *d, int *found);

#endif
