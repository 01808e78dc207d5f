/* Greedy longest-match-first WordPiece over one word, as the tokenizers library does it. */
#include "wordpiece.h"

static size_t utf8_put(int32_t cp, char *dst) {
    unsigned char *p = (unsigned char *)dst;
    if (cp < 0x80) {
        p[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (unsigned char)(0xC0 | (cp >> 6));
        p[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (unsigned char)(0xE0 | (cp >> 12));
        p[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        p[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    p[0] = (unsigned char)(0xF0 | (cp >> 18));
    p[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    p[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    p[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The byte span in the original text of word characters [from, to): like the tokenizers
 * library, the first character's start and the last one's end. */
static void span_of(const exam_wordpiece_word *w, size_t from, size_t to, uint32_t *start,
                    uint32_t *end) {
    *start = w->starts[from];
    *end = w->ends[to - 1];
}

exam_status exam_wordpiece_split(const exam_wordpiece_vocab *vocab, int32_t unk_id,
                                 const exam_wordpiece_word *word, char *scratch, size_t *offs,
                                 exam_tokens *out) {
    size_t n = word->n, before = out->count;
    offs[0] = 0;
    for (size_t i = 0; i < n; i++)
        offs[i + 1] = offs[i] + utf8_put(word->cps[i], scratch + offs[i]);
    exam_status st = EXAM_OK;
    size_t start = 0;
    while (start < n) {
        size_t plen = start > 0 ? 2 : 0, end = n;
        /* No piece is longer than the vocabulary's longest, so skip ends beyond it. */
        while (end > start && offs[end] - offs[start] + plen > vocab->max_length) end--;
        int32_t id = -1;
        for (; end > start; end--) {
            id = exam_wordpiece_vocab_find(vocab, "##", plen, scratch + offs[start],
                                           offs[end] - offs[start]);
            if (id >= 0) break;
        }
        if (id < 0) break;
        uint32_t s, e;
        span_of(word, start, end, &s, &e);
        st = exam_tokens_push(out, id, s, e);
        if (st != EXAM_OK) break;
        start = end;
    }
    if (start < n || st != EXAM_OK) {
        out->count = before;
        if (st != EXAM_OK) return st;
        uint32_t s, e;
        span_of(word, 0, n, &s, &e);
        return exam_tokens_push(out, unk_id, s, e);
    }
    return EXAM_OK;
}
