/* Sentence and word splitting, case folding and UTF-8 checks (see text_split.h). */
#include "text_split.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

exam_status exam_spans_push(exam_spans *s, size_t start, size_t end) {
    if (s->count == s->capacity) {
        size_t cap = s->capacity ? s->capacity * 2 : 16;
        exam_span *items = realloc(s->items, cap * sizeof *items);
        if (!items) return exam_error_set(EXAM_ERR_NOMEM, "out of memory growing a span list");
        s->items = items;
        s->capacity = cap;
    }
    s->items[s->count].start = start;
    s->items[s->count].end = end;
    s->count++;
    return EXAM_OK;
}

void exam_spans_free(exam_spans *s) {
    free(s->items);
    memset(s, 0, sizeof *s);
}

int exam_utf8_valid(const char *text, size_t len, size_t *bad_offset) {
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n =
            utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0) {
            if (bad_offset) *bad_offset = i;
            return 0;
        }
        i += (size_t)n;
    }
    return 1;
}

/* Decodes the code point at text[i]; invalid bytes decode as -1 with length 1. */
static int32_t decode_at(const char *text, size_t len, size_t i, size_t *n_bytes) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n =
        utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &cp);
    if (n <= 0) {
        *n_bytes = 1;
        return -1;
    }
    *n_bytes = (size_t)n;
    return cp;
}

static int is_word_cp(int32_t cp) {
    if (cp < 0) return 0;
    if (cp < 128) {
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    }
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

static int is_space_cp(int32_t cp) {
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v') return 1;
    if (cp < 128 || cp < 0) return 0;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

static int is_lower_cp(int32_t cp) {
    return cp >= 0 && utf8proc_category(cp) == UTF8PROC_CATEGORY_LL;
}

int exam_text_is_blank(const char *text, size_t len) {
    size_t i = 0, n;
    while (i < len) {
        if (is_word_cp(decode_at(text, len, i, &n))) return 0;
        i += n;
    }
    return 1;
}

exam_status exam_split_words(const char *text, size_t len, exam_spans *out) {
    size_t i = 0, n;
    while (i < len) {
        int32_t cp = decode_at(text, len, i, &n);
        if (!is_word_cp(cp)) {
            i += n;
            continue;
        }
        size_t start = i;
        i += n;
        while (i < len) {
            cp = decode_at(text, len, i, &n);
            if (is_word_cp(cp)) {
                i += n;
                continue;
            }
            /* one joiner between two word characters keeps the word together */
            if ((cp == '\'' || cp == '-' || cp == '_' || cp == '.' || cp == 0x2019) &&
                i + n < len) {
                size_t n2;
                if (is_word_cp(decode_at(text, len, i + n, &n2))) {
                    i += n + n2;
                    continue;
                }
            }
            break;
        }
        exam_status st = exam_spans_push(out, start, i);
        if (st != EXAM_OK) return st;
    }
    return EXAM_OK;
}

size_t exam_text_count_words(const char *text, size_t len) {
    exam_spans words = {0};
    size_t count = 0;
    if (exam_split_words(text, len, &words) == EXAM_OK) count = words.count;
    exam_spans_free(&words);
    return count;
}

/* Words after which a full stop does not end a sentence. */
static int is_abbreviation(const char *w, size_t n) {
    static const char *const abbrevs[] = {
        "e.g",  "i.e",  "etc",  "vs",  "cf",  "al",  "approx", "dr",  "mr", "mrs",
        "ms",   "prof", "inc",  "ltd", "fig", "no",  "st",     "jr",  "sr", "eq",
        "resp", "esp",  "incl", "min", "max", "avg", "sec",    "vol", "p",  "pp"};
    for (size_t k = 0; k < sizeof abbrevs / sizeof abbrevs[0]; k++) {
        if (strlen(abbrevs[k]) == n && strncasecmp(abbrevs[k], w, n) == 0) return 1;
    }
    /* a single capital letter: an initial such as "J. Smith" */
    return n == 1 && w[0] >= 'A' && w[0] <= 'Z';
}

/* The word (letters and inner dots) that ends just before text[dot]. */
static int ends_with_abbreviation(const char *text, size_t dot) {
    size_t b = dot;
    while (b > 0) {
        unsigned char c = (unsigned char)text[b - 1];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.')
            b--;
        else
            break;
    }
    if (b == dot) return 0;
    if (b > 0 && (unsigned char)text[b - 1] >= 0x80) return 0; /* not an ASCII word */
    return is_abbreviation(text + b, dot - b);
}

/* Is text[start..dot) (spaces aside) just a list number such as "12"? */
static int is_list_number(const char *text, size_t start, size_t dot) {
    while (start < dot && (text[start] == ' ' || text[start] == '\t' || text[start] == '\n'))
        start++;
    if (start == dot || dot - start > 3) return 0;
    for (size_t k = start; k < dot; k++)
        if (text[k] < '0' || text[k] > '9') return 0;
    return 1;
}

static int is_bullet_cp(int32_t cp) {
    return cp == '-' || cp == '*' || cp == 0x2022 || cp == 0x00B7 || cp == 0x25AA || cp == 0x25CF ||
           cp == 0x2013 || cp == 0x2014 || cp == 0x25E6;
}

/* Trims whitespace, bullet markers and list numbers ("1.", "2)") from a span and pushes it
 * when it contains a word character. */
static exam_status push_sentence(const char *text, size_t start, size_t end, exam_spans *out) {
    size_t n;
    for (;;) {
        while (start < end && is_space_cp(decode_at(text, end, start, &n))) start += n;
        if (start >= end) return EXAM_OK;
        int32_t cp = decode_at(text, end, start, &n);
        if (is_bullet_cp(cp) && start + n < end &&
            is_space_cp(decode_at(text, end, start + n, &(size_t){0}))) {
            start += n;
            continue;
        }
        /* "12. " or "3) " list numbers */
        size_t d = start;
        while (d < end && text[d] >= '0' && text[d] <= '9' && d - start < 3) d++;
        if (d > start && d + 1 < end && (text[d] == '.' || text[d] == ')') &&
            (text[d + 1] == ' ' || text[d + 1] == '\t')) {
            start = d + 1;
            continue;
        }
        break;
    }
    while (end > start) {
        size_t b = end - 1;
        while (b > start && ((unsigned char)text[b] & 0xC0) == 0x80) b--;
        if (!is_space_cp(decode_at(text, end, b, &n))) break;
        end = b;
    }
    if (exam_text_is_blank(text + start, end - start)) return EXAM_OK;
    return exam_spans_push(out, start, end);
}

/* Is the text starting at i (after spaces) the start of a new sentence on a new line? */
static int line_starts_new_unit(const char *text, size_t len, size_t i) {
    size_t n;
    while (i < len && (text[i] == ' ' || text[i] == '\t')) i++;
    if (i >= len) return 1;
    int32_t cp = decode_at(text, len, i, &n);
    if (cp == '\n' || cp == '\r') return 1;
    if (is_bullet_cp(cp) || (cp >= '0' && cp <= '9')) return 1;
    if (cp >= 0 && utf8proc_category(cp) == UTF8PROC_CATEGORY_LU) return 1;
    return !is_word_cp(cp) && cp != '(' && cp != '"' && cp != '\'';
}

exam_status exam_split_sentences(const char *text, size_t len, exam_spans *out) {
    size_t start = 0, i = 0, n;
    int32_t last_visible = 0; /* the last non-space code point seen */
    while (i < len) {
        int32_t cp = decode_at(text, len, i, &n);
        size_t next = i + n;
        if (cp == '\n') {
            /* blank line, or line break after end punctuation / before a new unit */
            size_t j = next;
            while (j < len && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r')) j++;
            int blank = j < len && text[j] == '\n';
            int after_end = last_visible == '.' || last_visible == '!' || last_visible == '?' ||
                            last_visible == ':' || last_visible == ';' || last_visible == 0x2026;
            if (blank || after_end || line_starts_new_unit(text, len, next)) {
                exam_status st = push_sentence(text, start, i, out);
                if (st != EXAM_OK) return st;
                start = next;
                last_visible = 0;
            }
            i = next;
            continue;
        }
        if (cp == '.' || cp == '!' || cp == '?' || cp == 0x2026) {
            size_t j = next;
            /* runs of end punctuation and closing quotes or brackets */
            for (;;) {
                if (j >= len) break;
                size_t m;
                int32_t c2 = decode_at(text, len, j, &m);
                if (c2 == '.' || c2 == '!' || c2 == '?' || c2 == '"' || c2 == '\'' || c2 == ')' ||
                    c2 == ']' || c2 == 0x201D || c2 == 0x2019 || c2 == 0x2026) {
                    j += m;
                    continue;
                }
                break;
            }
            size_t k = j;
            int spaced = 0;
            while (k < len) {
                size_t m;
                int32_t c2 = decode_at(text, len, k, &m);
                if (c2 == ' ' || c2 == '\t' || c2 == 0xA0) {
                    k += m;
                    spaced = 1;
                    continue;
                }
                break;
            }
            int boundary = 0;
            if (j >= len)
                boundary = 1;
            else if (spaced && k < len) {
                size_t m;
                int32_t c3 = decode_at(text, len, k, &m);
                boundary = !is_lower_cp(c3) && c3 != '\n';
                if (boundary && cp == '.' && j == next && ends_with_abbreviation(text, i))
                    boundary = 0;
                if (boundary && cp == '.' && is_list_number(text, start, i)) boundary = 0;
            }
            if (boundary) {
                exam_status st = push_sentence(text, start, j, out);
                if (st != EXAM_OK) return st;
                start = j;
                last_visible = 0;
                i = j;
                continue;
            }
        }
        if (!is_space_cp(cp)) last_visible = cp;
        i = next;
    }
    return push_sentence(text, start, len, out);
}
