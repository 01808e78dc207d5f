/* A WordPiece vocabulary (vocab.txt) held in one buffer with an open-addressing hash index. */
#ifndef EXAM_WORDPIECE_VOCAB_H
#define EXAM_WORDPIECE_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct exam_wordpiece_vocab {
    char *text;        /* the file's bytes; each piece NUL-terminated in place */
    uint32_t *offsets; /* id -> offset of its piece in text */
    uint32_t *lengths; /* id -> byte length of its piece */
    int32_t count;     /* number of pieces (ids 0..count-1) */
    int32_t *slots;    /* hash slots holding ids, -1 when empty */
    uint32_t *hashes;  /* the full hash of the id in each slot */
    uint32_t mask;     /* slot count - 1 (a power of two) */
    size_t max_length; /* longest piece in bytes */
} exam_wordpiece_vocab;

/* Reads `path` (one piece per line, id = line number, "\n" or "\r\n" endings) into `vocab`.
 * Errors: EXAM_ERR_IO, EXAM_ERR_FORMAT (empty file, empty line, duplicate piece, too large),
 * EXAM_ERR_NOMEM. On error `vocab` is left zeroed. */
exam_status exam_wordpiece_vocab_load(const char *path, exam_wordpiece_vocab *vocab);

/* Releases what exam_wordpiece_vocab_load allocated and zeroes `vocab`. */
void exam_wordpiece_vocab_free(exam_wordpiece_vocab *vocab);

/* Id of the piece spelled `prefix` (plen bytes, may be 0) followed by `s` (len bytes), or -1. */
int32_t exam_wordpiece_vocab_find(const exam_wordpiece_vocab *vocab, const char *prefix,
                                  size_t plen, const char *s, size_t len);

#endif
