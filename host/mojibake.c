/* Double-encoded UTF-8 detection and repair through code-page tables built with iconv. */
#include "mojibake.h"

#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "text_split.h"

enum { N_PAGES = 6 };
static const char *const page_names[N_PAGES] = {"windows-1252", "iso-8859-7",   "windows-1253",
                                                "windows-1251", "windows-1250", "iso-8859-2"};
static const char *const page_iconv[N_PAGES] = {"CP1252", "ISO-8859-7", "CP1253",
                                                "CP1251", "CP1250",     "ISO-8859-2"};

/* table[p][b - 0x80]: the code point byte b means in page p (fallbacks applied). */
static int32_t tables[N_PAGES][128];
static int tables_ok;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* The code point of byte b in iconv code page `name`, or -1 when undefined there. */
static int32_t iconv_byte(iconv_t cd, unsigned char b) {
    char in[1] = {(char)b};
    char outbuf[8];
    char *ip = in, *op = outbuf;
    size_t il = 1, ol = sizeof outbuf;
    iconv(cd, NULL, NULL, NULL, NULL);
    if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) return -1;
    utf8proc_int32_t cp;
    if (utf8proc_iterate((const utf8proc_uint8_t *)outbuf, (utf8proc_ssize_t)(op - outbuf), &cp) <=
        0)
        return -1;
    if (cp >= 0x80 && cp <= 0x9F) return -1; /* a C1 control: the page leaves the byte unused */
    return cp;
}

static void build_tables(void) {
    for (int p = 0; p < N_PAGES; p++) {
        iconv_t cd = iconv_open("UTF-8", page_iconv[p]);
        if (cd == (iconv_t)-1) return;
        for (int b = 0; b < 128; b++) tables[p][b] = iconv_byte(cd, (unsigned char)(0x80 + b));
        iconv_close(cd);
    }
    for (int p = 1; p < N_PAGES; p++)
        for (int b = 0; b < 128; b++)
            if (tables[p][b] < 0) tables[p][b] = tables[0][b];
    for (int p = 0; p < N_PAGES; p++)
        for (int b = 0; b < 128; b++)
            if (tables[p][b] < 0) tables[p][b] = 0x80 + b; /* Latin-1 C1 control */
    tables_ok = 1;
}

static exam_status ensure_tables(void) {
    pthread_once(&tables_once, build_tables);
    if (!tables_ok)
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "iconv lacks the windows code pages");
    return EXAM_OK;
}

/* The byte code point cp stands for in page p, or -1. */
static int page_byte(int p, int32_t cp) {
    if (cp >= 0xA0 && cp <= 0xFF && tables[p][cp - 0x80] == cp) return cp;
    for (int b = 0; b < 128; b++)
        if (tables[p][b] == cp) return 0x80 + b;
    return -1;
}

/* Length of a valid UTF-8 multi-byte sequence at bytes[0..n), or 0. */
static size_t valid_sequence(const unsigned char *bytes, size_t n) {
    if (n < 2 || bytes[0] < 0xC2) return 0;
    size_t want = bytes[0] < 0xE0 ? 2 : bytes[0] < 0xF0 ? 3 : bytes[0] < 0xF5 ? 4 : 0;
    if (want == 0 || n < want) return 0;
    utf8proc_int32_t cp;
    return utf8proc_iterate(bytes, (utf8proc_ssize_t)want, &cp) == (utf8proc_ssize_t)want ? want
                                                                                          : 0;
}

typedef struct growbuf {
    char *data;
    size_t len, cap;
} growbuf;

static int buf_put(growbuf *b, const void *src, size_t n) {
    size_t need = b->len + n + 1;
    if (need > b->cap || !b->data) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) return 0;
        b->data = d;
        b->cap = cap;
    }
    if (n > 0) memcpy(b->data + b->len, src, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 1;
}

/* How plausible a restored character is: punctuation, arrows, letters and common signs
 * score 2, anything else 1, so that among pages restoring as many characters the one that
 * yields "¶" and "→" beats the one that yields "¢" and "↢". */
static int plausibility(const unsigned char *seq, size_t n) {
    utf8proc_int32_t cp;
    if (utf8proc_iterate(seq, (utf8proc_ssize_t)n, &cp) <= 0) return 0;
    if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x2190 && cp <= 0x21FF)) return 2;
    if (cp == 0xB6 || cp == 0xA7 || cp == 0xA9 || cp == 0xAE || cp == 0xB0 || cp == 0xB7 ||
        cp == 0xD7 || cp == 0xA0)
        return 2;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
        return 2;
    default:
        return 1;
    }
}

/* Runs page p over the text: counts restored and unexplained characters, and writes the
 * repaired text into `out` when out is non-NULL. Returns 0 on allocation failure. */
static int run_page(int p, const char *text, size_t len, size_t *restored, size_t *unexplained,
                    size_t *score, growbuf *out) {
    *restored = *unexplained = *score = 0;
    size_t i = 0;
    int32_t cps[64];
    unsigned char bytes[64];
    size_t offs[65];
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x80) {
            size_t j = i;
            while (j < len && (unsigned char)text[j] < 0x80) j++;
            if (out && !buf_put(out, text + i, j - i)) return 0;
            i = j;
            continue;
        }
        /* a run of up to 64 non-ASCII code points */
        size_t k = 0;
        while (i < len && (unsigned char)text[i] >= 0x80 && k < 64) {
            utf8proc_int32_t cp;
            utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                                  (utf8proc_ssize_t)(len - i), &cp);
            if (n <= 0) return 0; /* the caller validated the text */
            offs[k] = i;
            cps[k] = cp;
            int b = page_byte(p, cp);
            bytes[k] = b < 0 ? 0 : (unsigned char)b;
            k++;
            i += (size_t)n;
        }
        offs[k] = i;
        size_t a = 0;
        while (a < k) {
            size_t m = 0;
            if (bytes[a] != 0) {
                size_t lim = a;
                while (lim < k && bytes[lim] != 0) lim++;
                m = valid_sequence(bytes + a, lim - a);
            }
            if (m > 0) {
                (*restored)++;
                *score += (size_t)plausibility(bytes + a, m);
                if (out && !buf_put(out, bytes + a, m)) return 0;
                a += m;
            } else {
                (*unexplained)++;
                if (out && !buf_put(out, text + offs[a], offs[a + 1] - offs[a])) return 0;
                a++;
            }
        }
        (void)cps;
    }
    return 1;
}

exam_status exam_mojibake_repair(const char *text, size_t len, char **out, size_t *out_len,
                                 exam_mojibake_report *report) {
    size_t bad;
    if (!exam_utf8_valid(text, len, &bad))
        return exam_error_set(EXAM_ERR_UTF8, "invalid UTF-8 at byte %zu", bad);
    exam_status st = ensure_tables();
    if (st != EXAM_OK) return st;
    exam_mojibake_report rep = {NULL, 0, 0};
    int best = -1;
    size_t best_restored = 0, best_unexplained = 0, best_score = 0;
    for (int p = 0; p < N_PAGES; p++) {
        size_t r, u, sc;
        if (!run_page(p, text, len, &r, &u, &sc, NULL))
            return exam_error_set(EXAM_ERR_NOMEM, "out of memory repairing text");
        if (r > best_restored || (r == best_restored && sc > best_score)) {
            best = p;
            best_restored = r;
            best_unexplained = u;
            best_score = sc;
        }
    }
    growbuf buf = {0};
    if (best >= 0 && best_restored >= 3 && best_restored >= best_unexplained) {
        size_t r, u, sc;
        if (!run_page(best, text, len, &r, &u, &sc, &buf)) {
            free(buf.data);
            return exam_error_set(EXAM_ERR_NOMEM, "out of memory repairing text");
        }
        rep.codepage = page_names[best];
        rep.repaired = r;
        rep.left_alone = u;
    } else if (!buf_put(&buf, text, len)) {
        free(buf.data);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory copying text");
    } else {
        size_t i = 0;
        while (i < len) {
            utf8proc_int32_t cp;
            utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                                  (utf8proc_ssize_t)(len - i), &cp);
            if (cp >= 0x80) rep.left_alone++;
            i += (size_t)n;
        }
    }
    if (!buf.data && !buf_put(&buf, "", 0)) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    *out = buf.data;
    if (out_len) *out_len = buf.len;
    if (report) *report = rep;
    return EXAM_OK;
}

exam_status exam_mojibake_decode_cp1252(const char *bytes, size_t len, char **out,
                                        size_t *out_len) {
    exam_status st = ensure_tables();
    if (st != EXAM_OK) return st;
    growbuf buf = {0};
    if (!buf_put(&buf, "", 0)) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)bytes[i];
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t n;
        if (c < 0x80) {
            enc[0] = c;
            n = 1;
        } else {
            n = utf8proc_encode_char(tables[0][c - 0x80], enc);
        }
        if (!buf_put(&buf, enc, (size_t)n)) {
            free(buf.data);
            return exam_error_set(EXAM_ERR_NOMEM, "out of memory decoding text");
        }
    }
    *out = buf.data;
    if (out_len) *out_len = buf.len;
    return EXAM_OK;
}
