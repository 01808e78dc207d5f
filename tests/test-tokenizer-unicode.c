/* Compares every code point's treatment by our normaliser stages with a dump of what Hugging
 * Face's tokenizers library does (tools/hf_unicode_dump.py writes it; point EXAMINER_HF_UNICODE
 * at the file). Without the dump the test is skipped. */
/* labels: unit external */
#include "testlib.h"
#include "text_normalize.h"

#include <stdlib.h>
#include <string.h>

enum { F_CLEAN, F_NFD, F_STRIP, F_LOWER, F_PIECES, F_CJK, F_CCC, F_COUNT };
static const char *field_names[F_COUNT] = {"clean",  "nfd", "strip", "lower",
                                           "pieces", "cjk", "ccc"};

/* One stage's result for one code point: a short code point list (or a number in v[0]). */
typedef struct stage_value {
    int32_t v[EXAM_TEXT_MAX_EXPANSION];
    size_t n;
} stage_value;

/* Mismatch ranges per field, printed as they close. */
typedef struct mismatch_run {
    int32_t lo, hi;
    long total;
    int printed;
} mismatch_run;

static mismatch_run runs[F_COUNT];

static void run_flush(int f) {
    mismatch_run *r = &runs[f];
    if (r->lo < 0) return;
    if (r->printed < 60)
        fprintf(stderr, "  %s mismatch: U+%04X..U+%04X\n", field_names[f], (unsigned)r->lo,
                (unsigned)r->hi);
    r->printed++;
    r->lo = -1;
}

static void run_add(int f, int32_t cp) {
    mismatch_run *r = &runs[f];
    r->total++;
    if (r->lo >= 0 && r->hi == cp - 1) {
        r->hi = cp;
        return;
    }
    run_flush(f);
    r->lo = r->hi = cp;
}

static void parse_list(const char *s, stage_value *out) {
    out->n = 0;
    if (strcmp(s, "-") == 0) return;
    while (*s && out->n < EXAM_TEXT_MAX_EXPANSION) {
        char *end;
        out->v[out->n++] = (int32_t)strtol(s, &end, 16);
        s = (*end == ',') ? end + 1 : end;
        if (end == s && *end != ',') break;
    }
}

static void set_one(stage_value *v, int32_t x) {
    v->v[0] = x;
    v->n = 1;
}

/* Fills `want` with the identity behaviour, then overrides it from a dump line if given. */
static void expected_from(int32_t cp, const char *line, stage_value want[F_COUNT]) {
    for (int f = 0; f < F_COUNT; f++) set_one(&want[f], cp);
    set_one(&want[F_PIECES], 1);
    set_one(&want[F_CJK], 0);
    set_one(&want[F_CCC], 0);
    if (!line) return;
    char fields[8][200];
    if (sscanf(line, "%*x %199s %199s %199s %199s %199s %199s %199s", fields[0], fields[1],
               fields[2], fields[3], fields[4], fields[5], fields[6]) != 7)
        return;
    parse_list(fields[0], &want[F_CLEAN]);
    parse_list(fields[1], &want[F_NFD]);
    parse_list(fields[2], &want[F_STRIP]);
    parse_list(fields[3], &want[F_LOWER]);
    set_one(&want[F_PIECES], atoi(fields[4]));
    set_one(&want[F_CJK], atoi(fields[5]));
    set_one(&want[F_CCC], atoi(fields[6]));
}

static void ours(int32_t cp, stage_value got[F_COUNT]) {
    exam_text_clean c = exam_text_clean_class(cp);
    got[F_CLEAN].n = 0;
    if (c == EXAM_TEXT_KEEP) set_one(&got[F_CLEAN], cp);
    if (c == EXAM_TEXT_SPACE) set_one(&got[F_CLEAN], ' ');
    got[F_NFD].n = exam_text_decompose(cp, got[F_NFD].v);
    got[F_STRIP].n = exam_text_strip_accents(cp, got[F_STRIP].v);
    got[F_LOWER].n = exam_text_lowercase(cp, got[F_LOWER].v);
    set_one(&got[F_PIECES], exam_text_is_whitespace(cp) ? 2 : exam_text_is_punctuation(cp) ? 3 : 1);
    set_one(&got[F_CJK], exam_text_is_cjk(cp));
    int decomposes = !(got[F_NFD].n == 1 && got[F_NFD].v[0] == cp);
    set_one(&got[F_CCC], decomposes ? 0 : exam_text_combining_class(cp));
}

int main(void) {
    const char *path = getenv("EXAMINER_HF_UNICODE");
    FILE *f = (path && *path) ? fopen(path, "r") : NULL;
    if (!f) {
        printf("SKIP ALL: no per-code-point dump (set EXAMINER_HF_UNICODE to the output of "
               "tools/hf_unicode_dump.py)\n");
        return 0;
    }
    for (int i = 0; i < F_COUNT; i++) runs[i].lo = -1;
    char line[1024];
    int have = 0;
    int32_t line_cp = -1;
    long lines = 0;
    for (int32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        while (line_cp < cp) {
            if (!fgets(line, sizeof line, f)) {
                line_cp = 0x7FFFFFFF;
                have = 0;
                break;
            }
            if (line[0] == '#') continue;
            line_cp = (int32_t)strtol(line, NULL, 16);
            have = 1;
            lines++;
        }
        stage_value want[F_COUNT], got[F_COUNT];
        expected_from(cp, (have && line_cp == cp) ? line : NULL, want);
        ours(cp, got);
        for (int i = 0; i < F_COUNT; i++)
            if (want[i].n != got[i].n ||
                memcmp(want[i].v, got[i].v, want[i].n * sizeof(int32_t)) != 0)
                run_add(i, cp);
    }
    fclose(f);
    CHECKF(lines > 100000, "the dump has only %ld lines", lines);
    for (int i = 0; i < F_COUNT; i++) {
        run_flush(i);
        CHECKF(runs[i].total == 0, "%s differs from tokenizers on %ld code points", field_names[i],
               runs[i].total);
    }
    return exam_test_finish();
}
