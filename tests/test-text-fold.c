/* Case folding (exam_text_fold) and the text signals built on it stay linear on pathological
 * answers (long runs of combining marks, alternating marks, U+0F73, Hangul jamo, one word
 * repeated) and fold byte for byte as utf8proc_map does, on every code point and on random runs
 * of marks. */
/* labels: unit */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "grade_signals.h"
#include "testlib.h"
#include "text_split.h"
#include "tokenizer.h"

/* A generous backstop only (the pathological inputs take milliseconds; before the fix, seconds
 * to tens of seconds). Correctness is checked by comparing outputs, not by timing. */
#define BACKSTOP_S 2.0

typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void put_cp(text *t, int32_t cp) {
    if (t->n + 5 > t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->s = realloc(t->s, t->cap);
        if (!t->s) abort();
    }
    t->n += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)t->s + t->n);
    t->s[t->n] = '\0';
}

static void put_str(text *t, const char *s) {
    for (; *s; s++) put_cp(t, (unsigned char)*s);
}

/* 1 when exam_text_fold and utf8proc_map agree on t (both fail alike, or same bytes). */
static int same_as_utf8proc(const char *s, size_t n) {
    char *mine = NULL;
    utf8proc_uint8_t *ref = NULL;
    exam_status st = exam_text_fold(s, n, &mine);
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &ref,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
    int ok = (st == EXAM_OK) == (r >= 0);
    if (ok && st == EXAM_OK) ok = strlen(mine) == (size_t)r && memcmp(mine, ref, (size_t)r) == 0;
    if (ok && st != EXAM_OK) ok = st == EXAM_ERR_UTF8;
    free(mine);
    free(ref);
    return ok;
}

/* Every scalar value, in runs of 64 between starters and marks, folds as utf8proc_map does. */
static void test_every_code_point(void) {
    int bad = 0;
    for (int32_t lo = 0; lo <= 0x10FFFF; lo += 64) {
        text t = {0};
        put_str(&t, "A");
        for (int32_t cp = lo; cp < lo + 64 && cp <= 0x10FFFF; cp++) {
            if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) continue;
            put_cp(&t, cp);
            if (cp % 3 == 0) put_cp(&t, 0x0301);
        }
        put_cp(&t, 0x0323);
        if (!same_as_utf8proc(t.s, t.n) && bad++ < 5) CHECKF(0, "block at U+%04X differs", lo);
        free(t.s);
    }
    CHECKF(bad == 0, "%d blocks of code points fold differently from utf8proc_map", bad);
}

/* Random sequences over marks of many classes, decompositions into marks, jamo and letters. */
static void test_random_runs(void) {
    static const int32_t pool[] = {
        'a',    'E',    ' ',    0x0301, 0x0323, 0x0308, 0x0327, 0x0345,  0x0344,  0x0F73,
        0x0F75, 0x0F81, 0x0F71, 0x0F72, 0x0F80, 0x05B0, 0x0591, 0x05C4,  0x0E48,  0x1100,
        0x1161, 0x11A8, 0xAC00, 0x00C5, 0x1E09, 0x0130, 0x03A3, 0x1F80,  0x0300,  0x031B,
        0x0334, 0x093C, 0x094D, 0x302A, 0x3099, 0x309A, 0x304B, 0x1D165, 0x1D16D, 0x0CD5,
        0x0CC6, 0x09BE, 0x09C7, 0x0DCF, 0x0DD9, 0x212B, 0xFB1D, 0x0652,  0x0651,  0x064B};
    const size_t npool = sizeof pool / sizeof pool[0];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    int bad = 0;
    for (int iter = 0; iter < 3000; iter++) {
        text t = {0};
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t len = 1 + (size_t)(x % 300);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            put_cp(&t, pool[x % npool]);
        }
        if (!same_as_utf8proc(t.s, t.n) && bad++ < 5) CHECKF(0, "random run %d differs", iter);
        free(t.s);
    }
    CHECKF(bad == 0, "%d random runs fold differently from utf8proc_map", bad);
    CHECK(same_as_utf8proc("", 0));
    CHECK(same_as_utf8proc("a\xCC", 2)); /* truncated: both refuse it */
    char *out = NULL;
    CHECK(exam_text_fold("\xFF", 1, &out) == EXAM_ERR_UTF8 && out == NULL);
}

typedef struct pathological {
    const char *name;
    const char *lead; /* ASCII before the repeated unit */
    int32_t unit[3];  /* repeated code points (0-terminated) */
} pathological;

static const pathological cases[] = {
    {"one mark repeated", "a", {0x0301}},
    {"two marks alternating", "a", {0x0301, 0x0323}},
    {"two marks descending", "a", {0x0323, 0x0301}},
    {"Hebrew marks alternating", "x", {0x05B0, 0x0591}},
    {"U+0F73 (two marks each)", "", {0x0F73}},
    {"U+0344 (two marks each)", "o", {0x0344, 0x0323}},
    {"Hangul jamo L V T", "", {0x1100, 0x1161, 0x11A8}},
    {"one word repeated", "", {'x', ' '}},
    {"one word with a mark repeated", "", {'q', 0x0301, ' '}},
};

/* bytes of the case repeated up to about `bytes` */
static text build(const pathological *c, size_t bytes) {
    text t = {0};
    put_str(&t, c->lead);
    while (t.n < bytes)
        for (int k = 0; k < 3 && c->unit[k]; k++) put_cp(&t, c->unit[k]);
    return t;
}

/* The 60 KB answers fold in pieces of time (a backstop), and a 2 KB one, small enough for
 * utf8proc_map's quadratic ordering, folds exactly like it. Doubling the input doubles the
 * folded output (so the output is built in one pass, not truncated or cut). */
static void test_pathological(const exam_tokenizer *tok) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const pathological *c = &cases[i];
        text small = build(c, 2000);
        CHECKF(same_as_utf8proc(small.s, small.n), "%s: differs from utf8proc_map", c->name);
        free(small.s);

        text half = build(c, 30000), big = build(c, 60000);
        char *fh = NULL, *fb = NULL;
        double t0 = exam_test_now();
        exam_status st = exam_text_fold(big.s, big.n, &fb);
        double fold_s = exam_test_now() - t0;
        CHECKF(st == EXAM_OK, "%s: %s", c->name, exam_error_message());
        CHECKF(fold_s < BACKSTOP_S, "%s: folding 60 KB took %.2f s", c->name, fold_s);
        CHECK(exam_text_fold(half.s, half.n, &fh) == EXAM_OK);
        if (fh && fb) {
            size_t lh = strlen(fh), lb = strlen(fb);
            CHECKF(lb > lh && lb <= 2 * lh + 64 && lb + 64 >= 2 * lh,
                   "%s: 30 KB folds to %zu bytes, 60 KB to %zu", c->name, lh, lb);
        }
        free(fh);
        free(fb);

        exam_text_signals sig;
        t0 = exam_test_now();
        st = exam_text_signals_compute(big.s, big.n, "Explain the word x, please.", &sig);
        double sig_s = exam_test_now() - t0;
        CHECKF(st == EXAM_OK, "%s: signals: %s", c->name, exam_error_message());
        CHECKF(sig_s < BACKSTOP_S, "%s: text signals of 60 KB took %.2f s", c->name, sig_s);
        exam_text_signals_free(&sig);

        if (tok) {
            exam_tokens toks = {0};
            t0 = exam_test_now();
            st = exam_tokenizer_encode(tok, big.s, big.n, &toks);
            double tok_s = exam_test_now() - t0;
            CHECKF(st == EXAM_OK, "%s: tokenizer: %s", c->name, exam_error_message());
            CHECKF(tok_s < BACKSTOP_S, "%s: tokenizing 60 KB took %.2f s", c->name, tok_s);
            exam_tokens_free(&toks);
        }
        free(half.s);
        free(big.s);
    }
}

/* The folded form of the alternating case, built by hand: the marks sorted by class (U+0323,
 * class 220, before U+0301, 230), the first U+0323 composed into U+1EA1. */
static void test_alternating_result(void) {
    const size_t pairs = 15000;
    text in = {0}, want = {0};
    put_str(&in, "a");
    for (size_t k = 0; k < pairs; k++) put_cp(&in, 0x0301), put_cp(&in, 0x0323);
    put_cp(&want, 0x1EA1);
    for (size_t k = 1; k < pairs; k++) put_cp(&want, 0x0323);
    for (size_t k = 0; k < pairs; k++) put_cp(&want, 0x0301);
    char *out = NULL;
    CHECK(exam_text_fold(in.s, in.n, &out) == EXAM_OK);
    CHECKF(out && strlen(out) == want.n && memcmp(out, want.s, want.n) == 0,
           "a + (U+0301 U+0323) x %zu is not folded into canonical order", pairs);
    free(out);
    free(in.s);
    free(want.s);
}

/* Text signals that the rewritten repetition and overlap counts compute: unchanged meaning. */
static void test_signals_counts(void) {
    exam_text_signals s;
    const char *stuffed = "thread thread thread thread thread lock lock mutex";
    CHECK(exam_text_signals_compute(stuffed, strlen(stuffed), "What is a thread?", &s) == EXAM_OK);
    CHECKF(s.stuffing > 0.5, "stuffing %.3f", s.stuffing);
    CHECKF(s.novel_words == 3, "novel words %zu (want 3: lock lock mutex)", s.novel_words);
    CHECKF(s.copy_ratio > 0.62 && s.copy_ratio < 0.63, "copy ratio %.4f (want 5/8)", s.copy_ratio);
    exam_text_signals_free(&s);
    const char *plain = "Threads share memory, so a lock protects the data they both change.";
    CHECK(exam_text_signals_compute(plain, strlen(plain), "What do threads share?", &s) == EXAM_OK);
    CHECKF(s.stuffing == 0.0, "stuffing %.3f", s.stuffing);
    exam_text_signals_free(&s);
}

int main(void) {
    exam_tokenizer *tok = NULL;
    exam_status st =
        exam_tokenizer_init(exam_test_path(exam_test_model_dir(), "vocab.txt"), NULL, &tok);
    CHECKF(st == EXAM_OK, "vocabulary: %s", exam_error_message());
    test_every_code_point();
    test_random_runs();
    test_alternating_result();
    test_signals_counts();
    test_pathological(tok);
    exam_tokenizer_free(tok);
    return exam_test_finish();
}
