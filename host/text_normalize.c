/* The per-code-point rules of HF's BertNormalizer and BertPreTokenizer, built on utf8proc.
 *
 * The tokenizers library mixes Unicode versions: its control, nonspacing-mark and punctuation
 * tests come from the unicode_categories crate (Unicode 8 era), its NFD from an older
 * unicode-normalization table, while whitespace and lowercasing come from Rust's std (Unicode 17).
 * utf8proc 2.8 speaks Unicode 15, so the tables below list where tokenizers 0.23 disagrees with it.
 * They were measured, not typed: tools/hf_unicode_dump.py dumps what tokenizers does to every code
 * point and tests/test-tokenizer-unicode.c checks this file against that dump (re-run both when
 * utf8proc or tokenizers changes version). */
#include "text_normalize.h"

#include <utf8proc.h>

/* An inclusive range of code points. */
typedef struct cp_range {
    int32_t lo, hi;
} cp_range;

/* An inclusive range of code points whose lowercase is the code point plus delta. */
typedef struct cp_case_range {
    int32_t lo, hi, delta;
} cp_case_range;

static int in_ranges(const cp_range *r, size_t n, int32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].lo)
            hi = mid;
        else if (cp > r[mid].hi)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

#define RANGES_HAVE(table, cp) in_ranges((table), sizeof(table) / sizeof((table)[0]), (cp))

/* The ranges HF's is_chinese_char accepts (2B920, not 2B820, is where the library starts its
 * sixth range). */
static const cp_range cjk_ranges[] = {
    {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xF900, 0xFAFF},   {0x20000, 0x2A6DF},
    {0x2A700, 0x2B73F}, {0x2B740, 0x2B81F}, {0x2B920, 0x2CEAF}, {0x2F800, 0x2FA1F},
};

/* Unicode's White_Space property, which Rust's char::is_whitespace tests. */
static const cp_range white_space[] = {
    {0x0009, 0x000D}, {0x0020, 0x0020}, {0x0085, 0x0085}, {0x00A0, 0x00A0}, {0x1680, 0x1680},
    {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000},
};

/* Format characters (Cf) that tokenizers does not know as such, so keeps. */
static const cp_range control_unknown[] = {
    {0x0890, 0x0891},
    {0x08E2, 0x08E2},
    {0x110CD, 0x110CD},
    {0x13430, 0x1343F},
};

/* Nonspacing marks (Mn) that tokenizers does not know as such, so keeps. */
static const cp_range nonspacing_unknown[] = {
    {0x07FD, 0x07FD},   {0x0898, 0x089F},   {0x08CA, 0x08E1},   {0x09FE, 0x09FE},
    {0x0AFA, 0x0AFF},   {0x0B55, 0x0B55},   {0x0C04, 0x0C04},   {0x0C3C, 0x0C3C},
    {0x0D00, 0x0D00},   {0x0D3B, 0x0D3C},   {0x0D81, 0x0D81},   {0x0EBA, 0x0EBA},
    {0x0ECE, 0x0ECE},   {0x180F, 0x180F},   {0x1885, 0x1886},   {0x1ABF, 0x1ACE},
    {0x1DF6, 0x1DFB},   {0xA82C, 0xA82C},   {0xA8C5, 0xA8C5},   {0xA8FF, 0xA8FF},
    {0xA9BD, 0xA9BD},   {0x10D24, 0x10D27}, {0x10EAB, 0x10EAC}, {0x10EFD, 0x10EFF},
    {0x10F46, 0x10F50}, {0x10F82, 0x10F85}, {0x11070, 0x11070}, {0x11073, 0x11074},
    {0x110C2, 0x110C2}, {0x111C9, 0x111C9}, {0x111CF, 0x111CF}, {0x1123E, 0x1123E},
    {0x11241, 0x11241}, {0x1133B, 0x1133B}, {0x11438, 0x1143F}, {0x11442, 0x11444},
    {0x11446, 0x11446}, {0x1145E, 0x1145E}, {0x1182F, 0x11837}, {0x11839, 0x1183A},
    {0x1193B, 0x1193C}, {0x1193E, 0x1193E}, {0x11943, 0x11943}, {0x119D4, 0x119D7},
    {0x119DA, 0x119DB}, {0x119E0, 0x119E0}, {0x11A01, 0x11A0A}, {0x11A33, 0x11A38},
    {0x11A3B, 0x11A3E}, {0x11A47, 0x11A47}, {0x11A51, 0x11A56}, {0x11A59, 0x11A5B},
    {0x11A8A, 0x11A96}, {0x11A98, 0x11A99}, {0x11C30, 0x11C36}, {0x11C38, 0x11C3D},
    {0x11C3F, 0x11C3F}, {0x11C92, 0x11CA7}, {0x11CAA, 0x11CB0}, {0x11CB2, 0x11CB3},
    {0x11CB5, 0x11CB6}, {0x11D31, 0x11D36}, {0x11D3A, 0x11D3A}, {0x11D3C, 0x11D3D},
    {0x11D3F, 0x11D45}, {0x11D47, 0x11D47}, {0x11D90, 0x11D91}, {0x11D95, 0x11D95},
    {0x11D97, 0x11D97}, {0x11EF3, 0x11EF4}, {0x11F00, 0x11F01}, {0x11F36, 0x11F3A},
    {0x11F40, 0x11F40}, {0x11F42, 0x11F42}, {0x13440, 0x13440}, {0x13447, 0x13455},
    {0x16F4F, 0x16F4F}, {0x16FE4, 0x16FE4}, {0x1CF00, 0x1CF2D}, {0x1CF30, 0x1CF46},
    {0x1E000, 0x1E006}, {0x1E008, 0x1E018}, {0x1E01B, 0x1E021}, {0x1E023, 0x1E024},
    {0x1E026, 0x1E02A}, {0x1E08F, 0x1E08F}, {0x1E130, 0x1E136}, {0x1E2AE, 0x1E2AE},
    {0x1E2EC, 0x1E2EF}, {0x1E4EC, 0x1E4EF}, {0x1E944, 0x1E94A},
};

/* Marks tokenizers still counts as Mn that Unicode 15 calls Mc. */
static const cp_range nonspacing_extra[] = {
    {0x1734, 0x1734},
};

/* Punctuation (P*) that tokenizers does not know as such, so leaves inside words. */
static const cp_range punct_unknown[] = {
    {0x061D, 0x061D},   {0x09FD, 0x09FD},   {0x0A76, 0x0A76},   {0x0C77, 0x0C77},
    {0x0C84, 0x0C84},   {0x1B7D, 0x1B7E},   {0x2E43, 0x2E4F},   {0x2E52, 0x2E5D},
    {0x10EAD, 0x10EAD}, {0x10F55, 0x10F59}, {0x10F86, 0x10F89}, {0x1144B, 0x1144F},
    {0x1145A, 0x1145B}, {0x1145D, 0x1145D}, {0x11660, 0x1166C}, {0x116B9, 0x116B9},
    {0x1183B, 0x1183B}, {0x11944, 0x11946}, {0x119E2, 0x119E2}, {0x11A3F, 0x11A46},
    {0x11A9A, 0x11A9C}, {0x11A9E, 0x11AA2}, {0x11B00, 0x11B09}, {0x11C41, 0x11C45},
    {0x11C70, 0x11C71}, {0x11EF7, 0x11EF8}, {0x11F43, 0x11F4F}, {0x11FFF, 0x11FFF},
    {0x12FF1, 0x12FF2}, {0x16E97, 0x16E9A}, {0x16FE2, 0x16FE2}, {0x1E95E, 0x1E95F},
};

/* Characters tokenizers still counts as punctuation that Unicode 15 does not. */
static const cp_range punct_extra[] = {
    {0x166D, 0x166D},
    {0x111C9, 0x111C9},
};

/* Marks with a nonzero combining class that tokenizers' NFD treats as starters (class 0). */
static const cp_range ccc_unknown[] = {
    {0x07FD, 0x07FD},   {0x0898, 0x089F},   {0x08CA, 0x08D3},   {0x09FE, 0x09FE},
    {0x0C3C, 0x0C3C},   {0x0D3B, 0x0D3C},   {0x0EBA, 0x0EBA},   {0x1715, 0x1715},
    {0x1ABF, 0x1ACE},   {0x1DF6, 0x1DFA},   {0xA82C, 0xA82C},   {0x10D24, 0x10D27},
    {0x10EAB, 0x10EAC}, {0x10EFD, 0x10EFF}, {0x10F46, 0x10F50}, {0x10F82, 0x10F85},
    {0x11070, 0x11070}, {0x1133B, 0x1133B}, {0x1145E, 0x1145E}, {0x11839, 0x1183A},
    {0x1193D, 0x1193E}, {0x11943, 0x11943}, {0x119E0, 0x119E0}, {0x11A34, 0x11A34},
    {0x11A47, 0x11A47}, {0x11A99, 0x11A99}, {0x11D42, 0x11D42}, {0x11D44, 0x11D45},
    {0x11D97, 0x11D97}, {0x11F41, 0x11F42}, {0x16FF0, 0x16FF1}, {0x1E08F, 0x1E08F},
    {0x1E130, 0x1E136}, {0x1E2AE, 0x1E2AE}, {0x1E2EC, 0x1E2EF}, {0x1E4EC, 0x1E4EF},
};

/* Characters with a canonical decomposition that tokenizers' NFD does not know. */
static const cp_range no_decompose[] = {
    {0x11938, 0x11938},
};

/* Lowercase mappings newer than utf8proc 2.8 (Unicode 16 and 17) that Rust's std applies. */
static const cp_case_range lower_extra[] = {
    {0x1C89, 0x1C89, 1},      {0xA7CB, 0xA7CB, 0x0264 - 0xA7CB},
    {0xA7CC, 0xA7CC, 1},      {0xA7CE, 0xA7CE, 1},
    {0xA7D2, 0xA7D2, 1},      {0xA7D4, 0xA7D4, 1},
    {0xA7DA, 0xA7DA, 1},      {0xA7DC, 0xA7DC, 0x019B - 0xA7DC},
    {0x10D50, 0x10D65, 0x20}, {0x16EA0, 0x16EB8, 0x1B},
};

int exam_text_is_whitespace(int32_t cp) {
    if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
    return RANGES_HAVE(white_space, cp);
}

int exam_text_is_cjk(int32_t cp) {
    return cp >= 0x3400 && RANGES_HAVE(cjk_ranges, cp);
}

exam_text_clean exam_text_clean_class(int32_t cp) {
    if (cp < 0x80) {
        if (cp == '\t' || cp == '\n' || cp == '\r' || cp == ' ') return EXAM_TEXT_SPACE;
        return (cp < 0x20 || cp == 0x7F) ? EXAM_TEXT_DROP : EXAM_TEXT_KEEP;
    }
    if (cp == 0xFFFD) return EXAM_TEXT_DROP;
    utf8proc_category_t cat = utf8proc_category(cp);
    if ((cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF ||
         cat == UTF8PROC_CATEGORY_CO) &&
        !RANGES_HAVE(control_unknown, cp))
        return EXAM_TEXT_DROP;
    return exam_text_is_whitespace(cp) ? EXAM_TEXT_SPACE : EXAM_TEXT_KEEP;
}

int exam_text_is_punctuation(int32_t cp) {
    if (cp < 0x80)
        return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
               (cp >= 123 && cp <= 126);
    utf8proc_category_t cat = utf8proc_category(cp);
    if (cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO)
        return !RANGES_HAVE(punct_unknown, cp);
    return RANGES_HAVE(punct_extra, cp);
}

int exam_text_is_nonspacing_mark(int32_t cp) {
    if (utf8proc_category(cp) == UTF8PROC_CATEGORY_MN) return !RANGES_HAVE(nonspacing_unknown, cp);
    return RANGES_HAVE(nonspacing_extra, cp);
}

size_t exam_text_decompose(int32_t cp, int32_t *out) {
    if (cp < 0xC0 || RANGES_HAVE(no_decompose, cp)) {
        out[0] = cp;
        return 1;
    }
    int boundclass = UTF8PROC_BOUNDCLASS_START;
    utf8proc_ssize_t n =
        utf8proc_decompose_char(cp, out, EXAM_TEXT_MAX_EXPANSION, UTF8PROC_DECOMPOSE, &boundclass);
    if (n <= 0 || n > EXAM_TEXT_MAX_EXPANSION) {
        out[0] = cp;
        n = 1;
    }
    return (size_t)n;
}

size_t exam_text_strip_accents(int32_t cp, int32_t *out) {
    if (cp < 0x80) {
        out[0] = cp;
        return 1;
    }
    int32_t buf[EXAM_TEXT_MAX_EXPANSION];
    size_t n = exam_text_decompose(cp, buf), kept = 0;
    for (size_t i = 0; i < n; i++)
        if (!exam_text_is_nonspacing_mark(buf[i])) out[kept++] = buf[i];
    return kept;
}

size_t exam_text_lowercase(int32_t cp, int32_t *out) {
    if (cp < 0x80) {
        out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
        return 1;
    }
    if (cp == 0x0130) { /* the one unconditional lowercase mapping to two code points */
        out[0] = 0x0069;
        out[1] = 0x0307;
        return 2;
    }
    for (size_t i = 0; i < sizeof lower_extra / sizeof lower_extra[0]; i++)
        if (cp >= lower_extra[i].lo && cp <= lower_extra[i].hi) {
            out[0] = cp + lower_extra[i].delta;
            return 1;
        }
    out[0] = utf8proc_tolower(cp);
    return 1;
}

int exam_text_combining_class(int32_t cp) {
    if (cp < 0x300) return 0;
    int ccc = utf8proc_get_property(cp)->combining_class;
    return (ccc && RANGES_HAVE(ccc_unknown, cp)) ? 0 : ccc;
}
