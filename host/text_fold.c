/* Case folding to NFC (exam_text_fold, declared in text_split.h) in time linear in the input.
 *
 * utf8proc_map gives the same result but puts each run of combining marks into canonical order
 * with a bubble sort, so a long run of marks whose classes alternate (U+0301 U+0323 ..., or
 * U+0F73, which decomposes into two marks) costs time quadratic in the run: 60 KB took seconds.
 * This file does what utf8proc_map does, in the same three steps, with a linear stable sort in
 * the middle: utf8proc_decompose_char on each code point, stable ordering of each run of
 * nonzero combining classes by class (the order the bubble sort reaches), then utf8proc_reencode
 * (composition and UTF-8). The output is byte for byte utf8proc_map's (tests/test-text-fold.c
 * compares them). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "text_split.h"

#define FOLD_OPTIONS (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD)

/* Runs up to this length are insertion-sorted (bounded work); longer ones counting-sorted. */
#define SMALL_RUN 32

typedef struct fold_mark {
    utf8proc_int32_t cp;
    unsigned char ccc;
} fold_mark;

static unsigned char combining_class(utf8proc_int32_t cp) {
    return (unsigned char)utf8proc_get_property(cp)->combining_class;
}

/* Stable sort of cps[0..n) by combining class (all nonzero); tmp has room for n entries. */
static void sort_run(utf8proc_int32_t *cps, size_t n, fold_mark *tmp) {
    for (size_t i = 0; i < n; i++) tmp[i] = (fold_mark){cps[i], combining_class(cps[i])};
    if (n <= SMALL_RUN) {
        for (size_t i = 1; i < n; i++) {
            fold_mark m = tmp[i];
            size_t j = i;
            for (; j > 0 && tmp[j - 1].ccc > m.ccc; j--) tmp[j] = tmp[j - 1];
            tmp[j] = m;
        }
        for (size_t i = 0; i < n; i++) cps[i] = tmp[i].cp;
        return;
    }
    size_t count[257] = {0};
    for (size_t i = 0; i < n; i++) count[tmp[i].ccc + 1]++;
    for (int c = 1; c < 257; c++) count[c] += count[c - 1];
    for (size_t i = 0; i < n; i++) cps[count[tmp[i].ccc]++] = tmp[i].cp;
}

/* Puts every run of code points with a nonzero combining class into canonical order. */
static exam_status order_marks(utf8proc_int32_t *cps, size_t n) {
    fold_mark *tmp = NULL;
    size_t tmp_cap = 0;
    size_t i = 0;
    while (i < n) {
        if (combining_class(cps[i]) == 0) {
            i++;
            continue;
        }
        size_t lo = i;
        while (i < n && combining_class(cps[i]) != 0) i++;
        size_t run = i - lo;
        if (run < 2) continue;
        if (run > tmp_cap) {
            fold_mark *t = realloc(tmp, run * sizeof *t);
            if (!t) {
                free(tmp);
                return exam_error_set(EXAM_ERR_NOMEM, "out of memory folding text");
            }
            tmp = t;
            tmp_cap = run;
        }
        sort_run(cps + lo, run, tmp);
    }
    free(tmp);
    return EXAM_OK;
}

/* Decomposes (and case-folds) text[0..len) into dst (room for cap code points; NULL to count);
 * returns the number of code points, or a negative utf8proc error. */
static utf8proc_ssize_t decompose(const char *text, size_t len, utf8proc_int32_t *dst, size_t cap) {
    size_t pos = 0, n = 0;
    int boundclass = UTF8PROC_BOUNDCLASS_START;
    while (pos < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)text + pos,
                                              (utf8proc_ssize_t)(len - pos), &cp);
        if (r < 0) return r;
        if (r == 0) return UTF8PROC_ERROR_INVALIDUTF8;
        pos += (size_t)r;
        utf8proc_ssize_t room = dst && cap > n ? (utf8proc_ssize_t)(cap - n) : 0;
        utf8proc_ssize_t k =
            utf8proc_decompose_char(cp, dst ? dst + n : NULL, room, FOLD_OPTIONS, &boundclass);
        if (k < 0) return k;
        n += (size_t)k;
        if (n > (size_t)(SIZE_MAX / 8 / sizeof *dst)) return UTF8PROC_ERROR_OVERFLOW;
    }
    return (utf8proc_ssize_t)n;
}

static exam_status fold_error(utf8proc_ssize_t r) {
    if (r == UTF8PROC_ERROR_NOMEM)
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory folding text");
    return exam_error_set(EXAM_ERR_UTF8, "cannot fold text: %s", utf8proc_errmsg(r));
}

exam_status exam_text_fold(const char *text, size_t len, char **out) {
    *out = NULL;
    utf8proc_ssize_t n = decompose(text, len, NULL, 0);
    if (n < 0) return fold_error(n);
    /* reencode writes UTF-8 (at most 4 bytes a code point) and a NUL over the same buffer */
    utf8proc_int32_t *buf = malloc(((size_t)n + 1) * sizeof *buf);
    if (!buf) return fold_error(UTF8PROC_ERROR_NOMEM);
    utf8proc_ssize_t m = decompose(text, len, buf, (size_t)n);
    exam_status st =
        m == n ? order_marks(buf, (size_t)n) : fold_error(m < 0 ? m : UTF8PROC_ERROR_OVERFLOW);
    if (st != EXAM_OK) {
        free(buf);
        return st;
    }
    utf8proc_ssize_t bytes = utf8proc_reencode(buf, n, FOLD_OPTIONS);
    if (bytes < 0) {
        free(buf);
        return fold_error(bytes);
    }
    *out = (char *)buf;
    return EXAM_OK;
}
