/* Collecting one word's code points: canonical reordering of mark runs with the tokenizers
 * library's span bookkeeping, removal of stripped marks, bounded storage for [UNK] words. */
#include "word_buffer.h"

#include <stdlib.h>
#include <string.h>

/* Runs up to this length are insertion-sorted; longer ones are counting-sorted. */
#define SMALL_RUN 16

static exam_status buffer_reserve(exam_word_buffer *w, size_t want) {
    if (want <= w->cap) return EXAM_OK;
    size_t cap = w->cap ? w->cap : 64;
    while (cap < want) cap *= 2;
    int32_t *cps = realloc(w->cps, cap * sizeof *cps);
    if (!cps) goto fail;
    w->cps = cps;
    unsigned char *ccc = realloc(w->ccc, cap);
    if (!ccc) goto fail;
    w->ccc = ccc;
    unsigned char *flags = realloc(w->flags, cap);
    if (!flags) goto fail;
    w->flags = flags;
    uint32_t *starts = realloc(w->starts, cap * sizeof *starts);
    if (!starts) goto fail;
    w->starts = starts;
    uint32_t *ends = realloc(w->ends, cap * sizeof *ends);
    if (!ends) goto fail;
    w->ends = ends;
    w->cap = cap;
    return EXAM_OK;
fail:
    return exam_error_set(EXAM_ERR_NOMEM, "no memory for a word of %zu code points", want);
}

exam_status exam_word_buffer_init(exam_word_buffer *w, size_t limit) {
    memset(w, 0, sizeof *w);
    w->limit = limit;
    return buffer_reserve(w, limit + 2 < 64 ? 64 : limit + 2);
}

void exam_word_buffer_free(exam_word_buffer *w) {
    free(w->cps);
    free(w->ccc);
    free(w->flags);
    free(w->starts);
    free(w->ends);
    memset(w, 0, sizeof *w);
}

void exam_word_buffer_reset(exam_word_buffer *w) {
    w->n = w->run_start = w->collapsed = 0;
}

/* Stable sort of entries [lo, hi) by combining class, moving code points and flags but not
 * spans. Entries [n, n + hi - lo) serve as scratch for long runs (push reserves them). */
static void sort_run(exam_word_buffer *w, size_t lo, size_t hi) {
    if (hi - lo <= SMALL_RUN) {
        for (size_t i = lo + 1; i < hi; i++) {
            int32_t cp = w->cps[i];
            unsigned char ccc = w->ccc[i], flags = w->flags[i];
            size_t j = i;
            for (; j > lo && w->ccc[j - 1] > ccc; j--) {
                w->cps[j] = w->cps[j - 1];
                w->ccc[j] = w->ccc[j - 1];
                w->flags[j] = w->flags[j - 1];
            }
            w->cps[j] = cp;
            w->ccc[j] = ccc;
            w->flags[j] = flags;
        }
        return;
    }
    size_t count[257] = {0};
    for (size_t i = lo; i < hi; i++) count[w->ccc[i] + 1]++;
    for (int c = 1; c < 257; c++) count[c] += count[c - 1];
    size_t tmp = w->n;
    for (size_t i = lo; i < hi; i++) {
        size_t k = tmp + count[w->ccc[i]]++;
        w->cps[k] = w->cps[i];
        w->ccc[k] = w->ccc[i];
        w->flags[k] = w->flags[i];
    }
    memcpy(w->cps + lo, w->cps + tmp, (hi - lo) * sizeof *w->cps);
    memcpy(w->ccc + lo, w->ccc + tmp, hi - lo);
    memcpy(w->flags + lo, w->flags + tmp, hi - lo);
}

/* Sorts the run [lo, hi) and hands out its spans (see word_buffer.h). */
static void order_run(exam_word_buffer *w, size_t lo, size_t hi) {
    /* The input characters' spans in input order, parked in the scratch entries. */
    size_t tmp = w->n, k = 0;
    for (size_t i = lo; i < hi; i++)
        if (!(w->flags[i] & EXAM_WORD_TAIL)) {
            w->starts[tmp + k] = w->starts[i];
            w->ends[tmp + k] = w->ends[i];
            k++;
        }
    sort_run(w, lo, hi);
    k = 0;
    for (size_t i = lo; i < hi; i++) {
        if (!(w->flags[i] & EXAM_WORD_TAIL)) {
            w->last_start = w->starts[tmp + k];
            w->last_end = w->ends[tmp + k];
            k++;
        }
        w->starts[i] = w->last_start;
        w->ends[i] = w->last_end;
    }
}

void exam_word_buffer_settle(exam_word_buffer *w) {
    size_t lo = w->run_start, hi = w->n;
    if (hi - lo > 1)
        order_run(w, lo, hi);
    else if (hi - lo == 1 && !(w->flags[lo] & EXAM_WORD_TAIL)) {
        w->last_start = w->starts[lo];
        w->last_end = w->ends[lo];
    } else if (hi - lo == 1) {
        w->starts[lo] = w->last_start;
        w->ends[lo] = w->last_end;
    }
    size_t k = lo;
    for (size_t i = lo; i < hi; i++) {
        if (w->flags[i] & EXAM_WORD_DROP) continue;
        w->cps[k] = w->cps[i];
        w->ccc[k] = w->ccc[i];
        w->flags[k] = 0;
        w->starts[k] = w->starts[i];
        w->ends[k] = w->ends[i];
        k++;
    }
    w->n = w->run_start = k;
    /* A word this long becomes [UNK]: keep its first entry and let the tail overwrite the rest. */
    if (w->collapsed + w->n > w->limit + 1 && w->n > 2) {
        w->collapsed += w->n - 2;
        w->cps[1] = w->cps[w->n - 1];
        w->starts[1] = w->starts[w->n - 1];
        w->ends[1] = w->ends[w->n - 1];
        w->n = w->run_start = 2;
    }
}

size_t exam_word_buffer_length(const exam_word_buffer *w) {
    return w->collapsed + w->n;
}

exam_status exam_word_buffer_push(exam_word_buffer *w, int32_t cp, int ccc, unsigned flags,
                                  uint32_t start, uint32_t end) {
    if (ccc == 0) {
        /* A starter ends the run (nothing moves across it) and takes its own span. */
        exam_word_buffer_settle(w);
        if (flags & EXAM_WORD_TAIL) {
            start = w->last_start;
            end = w->last_end;
        } else {
            w->last_start = start;
            w->last_end = end;
        }
        if (flags & EXAM_WORD_DROP) return EXAM_OK;
    }
    /* Room for this entry plus scratch the size of the run for ordering it. */
    size_t run = w->n - w->run_start + 1;
    exam_status st = buffer_reserve(w, w->n + 1 + run);
    if (st != EXAM_OK) return st;
    w->cps[w->n] = cp;
    w->ccc[w->n] = (unsigned char)ccc;
    w->flags[w->n] = (unsigned char)flags;
    w->starts[w->n] = start;
    w->ends[w->n] = end;
    w->n++;
    if (ccc == 0) w->run_start = w->n;
    return EXAM_OK;
}
