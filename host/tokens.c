/* The growable token list (ids with byte spans) that the tokenizer appends to. */
#include "tokenizer.h"

#include <stdlib.h>
#include <string.h>

static exam_status tokens_grow(exam_tokens *t) {
    size_t cap = t->capacity ? t->capacity * 2 : 64;
    if (cap > SIZE_MAX / sizeof(int32_t) / 2)
        return exam_error_set(EXAM_ERR_NOMEM, "token list cannot grow past %zu tokens",
                              t->capacity);
    /* Each array is replaced as soon as it has grown, so a later failure leaves t consistent. */
    int32_t *ids = realloc(t->ids, cap * sizeof *ids);
    if (!ids) goto fail;
    t->ids = ids;
    uint32_t *starts = realloc(t->starts, cap * sizeof *starts);
    if (!starts) goto fail;
    t->starts = starts;
    uint32_t *ends = realloc(t->ends, cap * sizeof *ends);
    if (!ends) goto fail;
    t->ends = ends;
    t->capacity = cap;
    return EXAM_OK;
fail:
    return exam_error_set(EXAM_ERR_NOMEM, "no memory for %zu tokens", cap);
}

exam_status exam_tokens_push(exam_tokens *t, int32_t id, uint32_t start, uint32_t end) {
    if (t->count == t->capacity) {
        exam_status st = tokens_grow(t);
        if (st != EXAM_OK) return st;
    }
    t->ids[t->count] = id;
    t->starts[t->count] = start;
    t->ends[t->count] = end;
    t->count++;
    return EXAM_OK;
}

void exam_tokens_clear(exam_tokens *t) {
    t->count = 0;
}

void exam_tokens_free(exam_tokens *t) {
    free(t->ids);
    free(t->starts);
    free(t->ends);
    memset(t, 0, sizeof *t);
}
