/* Checks the tokenizer against Hugging Face's fast BertTokenizer: every line of
 * tests/fixtures/tokens.jsonl ({"set", "text", "ids"} with [CLS]/[SEP], no truncation) must give
 * identical ids. Lines that also carry "byte_offsets" ([start, end] per id) check spans too.
 * EXAMINER_TOKENS_FIXTURE overrides the path. Prints match rates per set and the STS-B time. */
/* labels: unit */
#include "testlib.h"
#include "tokenizer.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SETS 16
#define SHOW_MISMATCHES 8

typedef struct set_stats {
    char name[32];
    long lines, id_matches, span_lines, span_matches;
    double seconds;
} set_stats;

static set_stats sets[MAX_SETS];
static int n_sets;
static int shown;

static set_stats *stats_for(const char *name) {
    for (int i = 0; i < n_sets; i++)
        if (strcmp(sets[i].name, name) == 0) return &sets[i];
    set_stats *s = &sets[n_sets < MAX_SETS ? n_sets++ : MAX_SETS - 1];
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void print_ids(const char *label, const int32_t *ids, size_t n) {
    fprintf(stderr, "    %s (%zu):", label, n);
    for (size_t i = 0; i < n && i < 80; i++) fprintf(stderr, " %d", ids[i]);
    fprintf(stderr, n > 80 ? " ...\n" : "\n");
}

static void show_mismatch(long line_no, const char *text, const json_t *want,
                          const exam_tokens *got) {
    if (shown++ >= SHOW_MISMATCHES) return;
    fprintf(stderr, "  line %ld: ids differ for \"%.200s\"\n", line_no, text);
    size_t n = json_array_size(want);
    int32_t *w = malloc((n + 1) * sizeof *w);
    if (!w) return;
    for (size_t i = 0; i < n; i++) w[i] = (int32_t)json_integer_value(json_array_get(want, i));
    print_ids("want", w, n);
    print_ids("got ", got->ids, got->count);
    free(w);
}

static int ids_equal(const json_t *want, const exam_tokens *got) {
    if (json_array_size(want) != got->count) return 0;
    for (size_t i = 0; i < got->count; i++)
        if (json_integer_value(json_array_get(want, i)) != got->ids[i]) return 0;
    return 1;
}

/* Spans of the wordpieces (the [CLS] and [SEP] ends are left out: HF gives both (0, 0)). */
static int spans_equal(const json_t *want, const exam_tokens *got) {
    if (json_array_size(want) != got->count) return 0;
    for (size_t i = 1; i + 1 < got->count; i++) {
        const json_t *pair = json_array_get(want, i);
        if (json_integer_value(json_array_get(pair, 0)) != got->starts[i] ||
            json_integer_value(json_array_get(pair, 1)) != got->ends[i])
            return 0;
    }
    return 1;
}

static void check_line(const exam_tokenizer *tok, long line_no, json_t *obj, exam_tokens *got) {
    json_t *jtext = json_object_get(obj, "text"), *jids = json_object_get(obj, "ids");
    const char *set = json_string_value(json_object_get(obj, "set"));
    if (!json_is_string(jtext) || !json_is_array(jids) || !set) {
        CHECKF(0, "line %ld lacks set/text/ids", line_no);
        return;
    }
    set_stats *s = stats_for(set);
    const char *text = json_string_value(jtext);
    size_t len = json_string_length(jtext);
    exam_tokens_clear(got);
    double t0 = now();
    exam_status st = exam_tokenizer_encode(tok, text, len, got);
    s->seconds += now() - t0;
    if (st == EXAM_OK) st = exam_tokens_wrap(tok, got, 0, (uint32_t)len);
    s->lines++;
    if (st != EXAM_OK) {
        CHECKF(0, "line %ld: %s", line_no, exam_error_message());
        return;
    }
    if (ids_equal(jids, got))
        s->id_matches++;
    else
        show_mismatch(line_no, text, jids, got);
    json_t *joffs = json_object_get(obj, "byte_offsets");
    if (json_is_array(joffs)) {
        s->span_lines++;
        if (spans_equal(joffs, got))
            s->span_matches++;
        else if (shown++ < SHOW_MISMATCHES)
            fprintf(stderr, "  line %ld: spans differ for \"%.200s\"\n", line_no, text);
    }
}

int main(void) {
    const char *path = getenv("EXAMINER_TOKENS_FIXTURE");
    if (!path || !*path) path = "tests/fixtures/tokens.jsonl";
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("SKIP ALL: %s missing\n", path);
        return 0;
    }
    exam_tokenizer *tok = NULL;
    exam_status st =
        exam_tokenizer_init(exam_test_path(exam_test_model_dir(), "vocab.txt"), NULL, &tok);
    if (st != EXAM_OK) {
        fclose(f);
        printf("SKIP ALL: no vocabulary (%s)\n", exam_error_message());
        return 0;
    }
    exam_tokens got = {0};
    char *line = NULL;
    size_t cap = 0;
    long line_no = 0;
    while (getline(&line, &cap, f) > 0) {
        line_no++;
        json_error_t err;
        json_t *obj = json_loads(line, JSON_ALLOW_NUL, &err);
        if (!obj) {
            CHECKF(0, "line %ld is not JSON: %s", line_no, err.text);
            continue;
        }
        check_line(tok, line_no, obj, &got);
        json_decref(obj);
    }
    free(line);
    fclose(f);
    CHECKF(line_no > 0, "%s is empty", path);
    for (int i = 0; i < n_sets; i++) {
        set_stats *s = &sets[i];
        printf("%-12s %6ld lines, ids identical %6ld (%.3f%%), %.2f ms tokenizing", s->name,
               s->lines, s->id_matches, s->lines ? 100.0 * s->id_matches / s->lines : 0.0,
               1e3 * s->seconds);
        if (s->span_lines) printf(", spans identical %ld/%ld", s->span_matches, s->span_lines);
        printf("\n");
        CHECKF(s->id_matches == s->lines, "set %s: %ld of %ld lines differ", s->name,
               s->lines - s->id_matches, s->lines);
        CHECKF(s->span_matches == s->span_lines, "set %s: spans differ on %ld lines", s->name,
               s->span_lines - s->span_matches);
    }
    exam_tokens_free(&got);
    exam_tokenizer_free(tok);
    return exam_test_finish();
}
