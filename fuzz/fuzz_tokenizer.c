/* libFuzzer target: any bytes given to exam_tokenizer_encode give wordpieces with sane spans or,
 * for invalid UTF-8 only, a clean EXAM_ERR_UTF8 that leaves the token list untouched. Each input
 * also runs through one of the other option settings. Vocabulary: $EXAMINER_MODEL_DIR/vocab.txt
 * or models/all-MiniLM-L6-v2/vocab.txt. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenizer.h"

#define VARIANTS 8

static exam_tokenizer *toks[VARIANTS];

static void fail(const char *what, size_t size) {
    fprintf(stderr, "fuzz-tokenizer: %s (input of %zu bytes; %s)\n", what, size,
            exam_error_message());
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *dir = getenv("EXAMINER_MODEL_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/vocab.txt", (dir && *dir) ? dir : "models/all-MiniLM-L6-v2");
    for (int v = 0; v < VARIANTS; v++) {
        exam_tokenizer_options o = exam_tokenizer_default_options();
        o.lowercase = !(v & 1);
        o.strip_accents = !(v & 2);
        o.tokenize_cjk = !(v & 4);
        if (v == VARIANTS - 1) o.max_word_chars = 7;
        if (exam_tokenizer_init(path, &o, &toks[v]) != EXAM_OK) {
            fprintf(stderr, "fuzz-tokenizer: cannot load %s: %s\n", path, exam_error_message());
            exit(1);
        }
    }
    return 0;
}

static int valid_utf8(const uint8_t *data, size_t size) {
    size_t i = 0;
    while (i < size) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(data + i, (utf8proc_ssize_t)(size - i), &cp);
        if (n < 0) return 0;
        i += (size_t)n;
    }
    return 1;
}

static void run(const exam_tokenizer *tok, const uint8_t *data, size_t size, int valid) {
    exam_tokens t = {0};
    /* A token already in the list must survive whatever happens next. */
    if (exam_tokens_push(&t, 7, 1, 2) != EXAM_OK) fail("push failed", size);
    exam_status st = exam_tokenizer_encode(tok, (const char *)data, size, &t);
    if (st == EXAM_OK && !valid) fail("invalid UTF-8 accepted", size);
    if (st != EXAM_OK && (valid || st != EXAM_ERR_UTF8)) fail("valid text refused", size);
    if (t.count < 1 || t.ids[0] != 7 || t.starts[0] != 1 || t.ends[0] != 2)
        fail("earlier token changed", size);
    if (st != EXAM_OK && t.count != 1) fail("tokens left behind after an error", size);
    int32_t vocab = exam_tokenizer_vocab_size(tok);
    for (size_t i = 1; i < t.count; i++) {
        if (t.ids[i] < 0 || t.ids[i] >= vocab) fail("id outside the vocabulary", size);
        if (t.starts[i] >= t.ends[i] || t.ends[i] > size) fail("bad span", size);
    }
    exam_tokens_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int valid = valid_utf8(data, size);
    run(toks[0], data, size, valid);
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size && i < 64; i++) h = (h ^ data[i]) * 16777619u;
    run(toks[1 + h % (VARIANTS - 1)], data, size, valid);
    return 0;
}
