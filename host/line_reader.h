/* Reading a stream line by line with a bound on the line's length that holds while reading: a
 * line over the bound is skipped to its newline without being kept in memory. Every reader of
 * line-oriented input (jobs, texts, results, STS files) goes through it. */
#ifndef EXAM_LINE_READER_H
#define EXAM_LINE_READER_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

typedef struct exam_line_reader {
    FILE *in;
    size_t max_bytes; /* longest line kept, line end excluded */
    char *buf;
    size_t cap;
    size_t line_no; /* 1-based number of the line last returned (or skipped) */
    size_t len;     /* its length in bytes, line end excluded (counted in full when skipped) */
} exam_line_reader;

/* Reads `in` (not owned) keeping lines of at most max_bytes bytes (0: no bound). */
void exam_line_reader_init(exam_line_reader *r, FILE *in, size_t max_bytes);

/* Frees the line buffer and zeroes the reader (the stream is left open). */
void exam_line_reader_free(exam_line_reader *r);

/* Reads the next line. EXAM_OK with *line (NUL-terminated, owned by the reader and valid until
 * the next call; it may hold NUL bytes, *len counts them) and *len, the '\n' and any '\r'
 * before it removed; a last line without '\n' counts. At the end of the input: EXAM_OK with
 * *line NULL. Per-line errors, after which the next call reads the following line:
 * EXAM_ERR_LIMIT (the line is longer than max_bytes: it was skipped, r->len is its length),
 * EXAM_ERR_NOMEM (no memory to hold it: skipped too). EXAM_ERR_IO: a read error (the input is
 * not read further). Errors set a message naming the line number and its size; r->line_no is
 * the line's number in every case. */
exam_status exam_line_reader_next(exam_line_reader *r, char **line, size_t *len);

#endif
