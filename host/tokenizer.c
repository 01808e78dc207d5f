/* The tokenizer: loads the vocabulary, then per text runs clean-up, CJK spacing, accent
 * stripping, lowercasing, whitespace/punctuation splitting and WordPiece in one pass. */
#include "tokenizer.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "text_normalize.h"
#include "wordpiece.h"
#include "word_buffer.h"
#include "wordpiece_vocab.h"

/* Longest max_word_chars accepted (bounds the per-call word buffer). */
#define MAX_WORD_CHARS_LIMIT 4096

/* A special token matched verbatim in the raw text, as HF's added-token pass does. */
typedef struct special_token {
    const char *text;
    size_t len;
    int32_t id;
} special_token;

struct exam_tokenizer {
    exam_wordpiece_vocab vocab;
    exam_tokenizer_options opts;
    int32_t cls_id, sep_id, pad_id, unk_id;
    special_token specials[5];
    int n_specials;
};

/* Per-call state of one encode: the word being collected and WordPiece scratch. */
typedef struct encode_state {
    exam_word_buffer word;
    char *bytes;  /* 4 * max_word_chars + 1 */
    size_t *offs; /* max_word_chars + 1 */
} encode_state;

exam_tokenizer_options exam_tokenizer_default_options(void) {
    exam_tokenizer_options o = {
        .lowercase = 1, .strip_accents = 1, .tokenize_cjk = 1, .max_word_chars = 100};
    return o;
}

exam_status exam_tokenizer_init(const char *vocab_path, const exam_tokenizer_options *opts,
                                exam_tokenizer **out) {
    if (!vocab_path || !out) return exam_error_set(EXAM_ERR_ARG, "tokenizer: NULL argument");
    *out = NULL;
    exam_tokenizer_options o = opts ? *opts : exam_tokenizer_default_options();
    if (o.max_word_chars < 1 || o.max_word_chars > MAX_WORD_CHARS_LIMIT)
        return exam_error_set(EXAM_ERR_ARG, "tokenizer: max_word_chars %d is outside 1..%d",
                              o.max_word_chars, MAX_WORD_CHARS_LIMIT);
    exam_tokenizer *tok = calloc(1, sizeof *tok);
    if (!tok) return exam_error_set(EXAM_ERR_NOMEM, "no memory for a tokenizer");
    tok->opts = o;
    exam_status st = exam_wordpiece_vocab_load(vocab_path, &tok->vocab);
    if (st != EXAM_OK) {
        free(tok);
        return st;
    }
    static const char *const names[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    int32_t *const ids[] = {&tok->pad_id, &tok->unk_id, &tok->cls_id, &tok->sep_id, NULL};
    for (int i = 0; i < 5; i++) {
        size_t len = strlen(names[i]);
        int32_t id = exam_wordpiece_vocab_find(&tok->vocab, "", 0, names[i], len);
        if (ids[i]) *ids[i] = id;
        if (id < 0 && ids[i]) {
            exam_tokenizer_free(tok);
            return exam_error_set(EXAM_ERR_FORMAT, "vocabulary %s lacks the special token %s",
                                  vocab_path, names[i]);
        }
        if (id >= 0) tok->specials[tok->n_specials++] = (special_token){names[i], len, id};
    }
    *out = tok;
    return EXAM_OK;
}

void exam_tokenizer_free(exam_tokenizer *tok) {
    if (!tok) return;
    exam_wordpiece_vocab_free(&tok->vocab);
    free(tok);
}

int32_t exam_tokenizer_token_id(const exam_tokenizer *tok, const char *piece, size_t len) {
    return exam_wordpiece_vocab_find(&tok->vocab, "", 0, piece, len);
}

const char *exam_tokenizer_token_text(const exam_tokenizer *tok, int32_t id) {
    if (id < 0 || id >= tok->vocab.count) return NULL;
    return tok->vocab.text + tok->vocab.offsets[id];
}

int32_t exam_tokenizer_vocab_size(const exam_tokenizer *tok) {
    return tok->vocab.count;
}

int32_t exam_tokenizer_cls_id(const exam_tokenizer *tok) {
    return tok->cls_id;
}

int32_t exam_tokenizer_sep_id(const exam_tokenizer *tok) {
    return tok->sep_id;
}

int32_t exam_tokenizer_pad_id(const exam_tokenizer *tok) {
    return tok->pad_id;
}

int32_t exam_tokenizer_unk_id(const exam_tokenizer *tok) {
    return tok->unk_id;
}

exam_status exam_tokens_wrap(const exam_tokenizer *tok, exam_tokens *t, size_t first,
                             uint32_t text_len) {
    if (first > t->count) return exam_error_set(EXAM_ERR_ARG, "wrap: first %zu > count", first);
    size_t before = t->count;
    exam_status st = exam_tokens_push(t, tok->cls_id, 0, 0);
    if (st == EXAM_OK) st = exam_tokens_push(t, tok->sep_id, text_len, text_len);
    if (st != EXAM_OK) {
        t->count = before;
        return st;
    }
    size_t n = before - first; /* the wrapped tokens move up by one to make room for [CLS] */
    memmove(t->ids + first + 1, t->ids + first, n * sizeof *t->ids);
    memmove(t->starts + first + 1, t->starts + first, n * sizeof *t->starts);
    memmove(t->ends + first + 1, t->ends + first, n * sizeof *t->ends);
    t->ids[first] = tok->cls_id;
    t->starts[first] = t->ends[first] = 0;
    return EXAM_OK;
}

static exam_status word_flush(const exam_tokenizer *tok, encode_state *es, exam_tokens *out) {
    exam_word_buffer *w = &es->word;
    exam_word_buffer_settle(w);
    size_t n = exam_word_buffer_length(w);
    exam_status st = EXAM_OK;
    if (n > (size_t)tok->opts.max_word_chars) {
        st = exam_tokens_push(out, tok->unk_id, w->starts[0], w->ends[w->n - 1]);
    } else if (n > 0) {
        exam_wordpiece_word word = {w->cps, w->starts, w->ends, n};
        st = exam_wordpiece_split(&tok->vocab, tok->unk_id, &word, es->bytes, es->offs, out);
    }
    exam_word_buffer_reset(w);
    return st;
}

/* Feeds one normalised code point to the pre-tokenizer: whitespace ends the word,
 * punctuation becomes a word of its own, anything else joins the current word. */
static exam_status pretokenize_cp(const exam_tokenizer *tok, encode_state *es, int32_t cp,
                                  unsigned flags, uint32_t start, uint32_t end, exam_tokens *out) {
    if (exam_text_is_whitespace(cp)) {
        exam_status st = word_flush(tok, es, out);
        if (!(flags & EXAM_WORD_TAIL)) { /* it still takes its span, as a starter would */
            es->word.last_start = start;
            es->word.last_end = end;
        }
        return st;
    }
    if (exam_text_is_punctuation(cp)) {
        exam_status st = word_flush(tok, es, out);
        if (st == EXAM_OK) st = exam_word_buffer_push(&es->word, cp, 0, flags, start, end);
        if (st == EXAM_OK) st = word_flush(tok, es, out);
        return st;
    }
    int ccc = (tok->opts.strip_accents && cp >= 0x300) ? exam_text_combining_class(cp) : 0;
    return exam_word_buffer_push(&es->word, cp, ccc, flags, start, end);
}

/* Normalises one input code point (already cleaned) and pre-tokenizes the result. Marks that
 * accent stripping removes still enter the word buffer, which orders runs of marks first. */
static exam_status normalize_cp(const exam_tokenizer *tok, encode_state *es, int32_t cp,
                                uint32_t start, uint32_t end, exam_tokens *out) {
    int32_t nfd[EXAM_TEXT_MAX_EXPANSION];
    size_t n = 1;
    nfd[0] = cp;
    if (tok->opts.strip_accents) n = exam_text_decompose(cp, nfd);
    for (size_t i = 0; i < n; i++) {
        exam_status st;
        if (tok->opts.strip_accents && exam_text_is_nonspacing_mark(nfd[i])) {
            st = exam_word_buffer_push(&es->word, nfd[i], exam_text_combining_class(nfd[i]),
                                       EXAM_WORD_DROP | (i ? EXAM_WORD_TAIL : 0), start, end);
            if (st != EXAM_OK) return st;
            continue;
        }
        int32_t lower[3];
        size_t m = 1;
        lower[0] = nfd[i];
        if (tok->opts.lowercase) m = exam_text_lowercase(nfd[i], lower);
        for (size_t j = 0; j < m; j++) {
            st = pretokenize_cp(tok, es, lower[j], (i || j) ? EXAM_WORD_TAIL : 0, start, end, out);
            if (st != EXAM_OK) return st;
        }
    }
    return EXAM_OK;
}

/* Id of the special token spelled at text[0..], or -1; its length goes to *len. */
static int32_t match_special(const exam_tokenizer *tok, const char *text, size_t avail,
                             size_t *len) {
    for (int i = 0; i < tok->n_specials; i++) {
        const special_token *s = &tok->specials[i];
        if (s->len <= avail && memcmp(text, s->text, s->len) == 0) {
            *len = s->len;
            return s->id;
        }
    }
    return -1;
}

static exam_status encode_text(const exam_tokenizer *tok, const char *text, size_t len,
                               encode_state *es, exam_tokens *out) {
    exam_status st = EXAM_OK;
    size_t i = 0;
    while (i < len && st == EXAM_OK) {
        unsigned char b = (unsigned char)text[i];
        int32_t cp = b;
        size_t clen = 1;
        if (b >= 0x80) {
            utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                                  (utf8proc_ssize_t)(len - i), &cp);
            if (r < 0)
                return exam_error_set(EXAM_ERR_UTF8, "invalid UTF-8 at byte offset %zu (0x%02x)", i,
                                      b);
            clen = (size_t)r;
        } else if (b == '[') {
            size_t slen;
            int32_t id = match_special(tok, text + i, len - i, &slen);
            if (id >= 0) {
                st = word_flush(tok, es, out);
                if (st == EXAM_OK)
                    st = exam_tokens_push(out, id, (uint32_t)i, (uint32_t)(i + slen));
                i += slen;
                continue;
            }
        }
        uint32_t start = (uint32_t)i, end = (uint32_t)(i + clen);
        i += clen;
        if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')) {
            st = exam_word_buffer_push(&es->word, cp, 0, 0, start, end); /* the common case */
            continue;
        }
        exam_text_clean cls = exam_text_clean_class(cp);
        if (cls == EXAM_TEXT_DROP) continue;
        if (cls == EXAM_TEXT_SPACE) {
            st = word_flush(tok, es, out);
            continue;
        }
        int cjk = tok->opts.tokenize_cjk && exam_text_is_cjk(cp);
        if (cjk) st = word_flush(tok, es, out);
        if (st == EXAM_OK) st = normalize_cp(tok, es, cp, start, end, out);
        if (cjk && st == EXAM_OK) st = word_flush(tok, es, out);
    }
    if (st == EXAM_OK) st = word_flush(tok, es, out);
    return st;
}

exam_status exam_tokenizer_encode(const exam_tokenizer *tok, const char *text, size_t len,
                                  exam_tokens *out) {
    if (!tok || !out || (!text && len > 0))
        return exam_error_set(EXAM_ERR_ARG, "tokenizer_encode: NULL argument");
    if (len >= UINT32_MAX)
        return exam_error_set(EXAM_ERR_LIMIT, "text of %zu bytes is too long to tokenize", len);
    if (len == 0) return EXAM_OK;
    size_t max = (size_t)tok->opts.max_word_chars;
    encode_state es;
    es.bytes = malloc(4 * max + 1);
    es.offs = malloc((max + 1) * sizeof *es.offs);
    exam_status st = exam_word_buffer_init(&es.word, max);
    if (st == EXAM_OK && (!es.bytes || !es.offs))
        st = exam_error_set(EXAM_ERR_NOMEM, "no memory to tokenize");
    size_t before = out->count;
    if (st == EXAM_OK) st = encode_text(tok, text, len, &es, out);
    if (st != EXAM_OK) out->count = before;
    exam_word_buffer_free(&es.word);
    free(es.bytes);
    free(es.offs);
    return st;
}
