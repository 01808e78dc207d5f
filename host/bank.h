/* The question bank: questions with a model answer, key points, common mistakes and follow-ups,
 * stored as JSONL (one question a line) and loaded from one file or a folder of *.jsonl. */
#ifndef EXAM_BANK_H
#define EXAM_BANK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

struct json_t;

/* A growable list of owned strings. */
typedef struct exam_strlist {
    char **items;
    size_t count;
    size_t capacity;
} exam_strlist;

/* Appends a copy of s[0..len). Errors: EXAM_ERR_NOMEM. */
exam_status exam_strlist_push(exam_strlist *l, const char *s, size_t len);

/* Frees every string and the list's storage, and zeroes it. */
void exam_strlist_free(exam_strlist *l);

/* One question. Strings are owned, NUL-terminated UTF-8; absent optional strings are "". */
typedef struct exam_question {
    char *id;
    char *question;
    char *answer;                 /* the model answer */
    exam_strlist alt_answers;     /* optional further acceptable reference answers */
    exam_strlist key_points;      /* what a complete answer states; from the answer if absent */
    exam_strlist common_mistakes; /* misconception statements */
    exam_strlist follow_ups;
    char *topic;
    char *level;
    int difficulty;    /* 1..10, 0 when unknown */
    char *explanation; /* optional longer explanation (not used for scoring) */
} exam_question;

/* Frees a question's strings and zeroes it. */
void exam_question_free(exam_question *q);

/* The bank: questions in file order. `version` is a hex digest of the bytes it was loaded
 * from, so caches keyed on it are invalidated by any edit. */
typedef struct exam_bank {
    exam_question *questions;
    size_t count;
    size_t capacity;
    uint64_t hash;
    char version[17];
    struct exam_bank_index *index; /* id lookup (bank_index.c), kept by exam_bank_add */
} exam_bank;

/* Fills q from one JSON object. Required: non-empty strings "id", "question", "answer".
 * Optional: "key_points", "common_mistakes", "follow_ups", "alt_answers" (arrays of strings),
 * "topic", "level", "explanation" (strings), "difficulty" (integer 0..10). Missing key points
 * are derived by splitting the answer into sentences. Errors: EXAM_ERR_FORMAT naming the
 * offending field; q is left zeroed on error. */
exam_status exam_question_from_json(const struct json_t *obj, exam_question *q);

/* A new JSON object for q (the bank schema); NULL when out of memory. */
struct json_t *exam_question_to_json(const exam_question *q);

/* Loads the bank at `path`: a JSONL file, or a folder whose *.jsonl files are read in name
 * order. Blank lines and lines starting with '#' are ignored. The first bad line stops the
 * load with EXAM_ERR_FORMAT / EXAM_ERR_UTF8 naming file and line; duplicate ids are an error.
 * Errors also: EXAM_ERR_IO, EXAM_ERR_NOMEM. On error *bank is left empty. */
exam_status exam_bank_load(const char *path, exam_bank *bank);

/* The files a bank path stands for: the path itself, or a folder's *.jsonl in name order.
 * Errors: EXAM_ERR_IO (also for a path that is neither a regular file nor a folder: a FIFO,
 * device or socket), EXAM_ERR_NOT_FOUND (a folder without bank files), EXAM_ERR_NOMEM. */
exam_status exam_bank_files(const char *path, exam_strlist *files);

/* Reads a whole regular file into a new NUL-terminated buffer (*len excludes the NUL). Anything
 * else (a FIFO, a device, a socket, a folder) is refused with EXAM_ERR_IO without waiting: the
 * open does not block and the kind is checked on the open descriptor.
 * Errors: EXAM_ERR_IO, EXAM_ERR_NOMEM. */
exam_status exam_bank_read_file(const char *path, char **out, size_t *len);

/* Steps *pos through text[0..len) to the next line that is neither blank nor a '#' comment:
 * sets *line and *n (without the newline) and *line_no (1-based, every line counted).
 * Returns 0 when no such line is left. */
int exam_bank_next_line(const char *text, size_t len, size_t *pos, size_t *line_no,
                        const char **line, size_t *n);

/* Appends q to the bank, taking ownership of its strings (q is zeroed). An id already in the
 * bank gets a numeric suffix ("-2", "-3", ...) so imports never collide.
 * Errors: EXAM_ERR_NOMEM (q is freed). */
exam_status exam_bank_add(exam_bank *bank, exam_question *q);

/* The question with this id, or NULL (constant time: the bank keeps an index of its ids). */
const exam_question *exam_bank_find(const exam_bank *bank, const char *id);

/* Writes the bank as JSONL to f. Errors: EXAM_ERR_IO, EXAM_ERR_NOMEM. */
exam_status exam_bank_write(const exam_bank *bank, FILE *f);

/* Frees every question and zeroes the bank. */
void exam_bank_free(exam_bank *bank);

/* Appends the sentences of text to list as key points (see exam_split_sentences), dropping
 * lead-in fragments that end with ':' and bare labels of fewer than three words.
 * Errors: EXAM_ERR_NOMEM. */
exam_status exam_bank_split_points(const char *text, exam_strlist *list);

/* A 64-bit FNV-1a digest of data, continuing from `seed` (use 0 to start). */
uint64_t exam_bank_digest(const void *data, size_t len, uint64_t seed);

#endif
