/* Loading vocab.txt and looking pieces up by their text (FNV-1a hash, linear probing). */
#include "wordpiece_vocab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

static uint32_t hash_bytes(uint32_t h, const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

int32_t exam_wordpiece_vocab_find(const exam_wordpiece_vocab *vocab, const char *prefix,
                                  size_t plen, const char *s, size_t len) {
    size_t total = plen + len;
    if (!vocab->slots || total > vocab->max_length) return -1;
    uint32_t h = hash_bytes(hash_bytes(FNV_OFFSET, prefix, plen), s, len);
    for (uint32_t i = h & vocab->mask;; i = (i + 1) & vocab->mask) {
        int32_t id = vocab->slots[i];
        if (id < 0) return -1;
        if (vocab->hashes[i] != h || vocab->lengths[id] != total) continue;
        const char *piece = vocab->text + vocab->offsets[id];
        if (memcmp(piece, prefix, plen) == 0 && memcmp(piece + plen, s, len) == 0) return id;
    }
}

/* Inserts id; returns 0, or -1 when an equal piece is already present. */
static int vocab_insert(exam_wordpiece_vocab *vocab, int32_t id) {
    const char *piece = vocab->text + vocab->offsets[id];
    uint32_t len = vocab->lengths[id];
    uint32_t h = hash_bytes(FNV_OFFSET, piece, len);
    for (uint32_t i = h & vocab->mask;; i = (i + 1) & vocab->mask) {
        int32_t other = vocab->slots[i];
        if (other < 0) {
            vocab->slots[i] = id;
            vocab->hashes[i] = h;
            return 0;
        }
        if (vocab->hashes[i] == h && vocab->lengths[other] == len &&
            memcmp(vocab->text + vocab->offsets[other], piece, len) == 0)
            return -1;
    }
}

static exam_status read_whole_file(const char *path, char **out, size_t *out_len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return exam_error_set(EXAM_ERR_IO, "cannot open vocabulary %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return exam_error_set(EXAM_ERR_IO, "vocabulary %s is not a regular file", path);
    }
    if ((uint64_t)st.st_size >= UINT32_MAX) {
        fclose(f);
        return exam_error_set(EXAM_ERR_FORMAT, "vocabulary %s is too large (%lld bytes)", path,
                              (long long)st.st_size);
    }
    size_t len = (size_t)st.st_size;
    char *buf = malloc(len + 1);
    if (!buf) {
        fclose(f);
        return exam_error_set(EXAM_ERR_NOMEM, "no memory for vocabulary %s (%zu bytes)", path, len);
    }
    size_t got = fread(buf, 1, len, f);
    int failed = ferror(f);
    fclose(f);
    if (failed || got != len) {
        free(buf);
        return exam_error_set(EXAM_ERR_IO, "cannot read vocabulary %s", path);
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return EXAM_OK;
}

/* Splits text into NUL-terminated lines and records them as pieces. */
static exam_status index_lines(const char *path, exam_wordpiece_vocab *vocab, size_t len) {
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += vocab->text[i] == '\n';
    if (len > 0 && vocab->text[len - 1] != '\n') lines++;
    if (lines == 0) return exam_error_set(EXAM_ERR_FORMAT, "vocabulary %s is empty", path);
    if (lines > (size_t)INT32_MAX / 4)
        return exam_error_set(EXAM_ERR_FORMAT, "vocabulary %s has too many lines", path);
    uint32_t slots = 1;
    while (slots < 2 * lines) slots <<= 1;
    vocab->offsets = malloc(lines * sizeof *vocab->offsets);
    vocab->lengths = malloc(lines * sizeof *vocab->lengths);
    vocab->slots = malloc(slots * sizeof *vocab->slots);
    vocab->hashes = malloc(slots * sizeof *vocab->hashes);
    if (!vocab->offsets || !vocab->lengths || !vocab->slots || !vocab->hashes)
        return exam_error_set(EXAM_ERR_NOMEM, "no memory to index vocabulary %s", path);
    memset(vocab->slots, 0xff, slots * sizeof *vocab->slots);
    vocab->mask = slots - 1;
    size_t start = 0;
    for (size_t id = 0; id < lines; id++) {
        char *nl = memchr(vocab->text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - vocab->text) : len;
        size_t next = end + 1;
        if (end > start && vocab->text[end - 1] == '\r') end--;
        vocab->text[end] = '\0';
        if (end == start)
            return exam_error_set(EXAM_ERR_FORMAT, "vocabulary %s: line %zu is empty", path,
                                  id + 1);
        vocab->offsets[id] = (uint32_t)start;
        vocab->lengths[id] = (uint32_t)(end - start);
        if (end - start > vocab->max_length) vocab->max_length = end - start;
        if (vocab_insert(vocab, (int32_t)id) != 0)
            return exam_error_set(EXAM_ERR_FORMAT, "vocabulary %s: line %zu repeats the piece '%s'",
                                  path, id + 1, vocab->text + start);
        vocab->count = (int32_t)(id + 1);
        start = next;
    }
    return EXAM_OK;
}

exam_status exam_wordpiece_vocab_load(const char *path, exam_wordpiece_vocab *vocab) {
    memset(vocab, 0, sizeof *vocab);
    size_t len = 0;
    exam_status st = read_whole_file(path, &vocab->text, &len);
    if (st == EXAM_OK) st = index_lines(path, vocab, len);
    if (st != EXAM_OK) exam_wordpiece_vocab_free(vocab);
    return st;
}

void exam_wordpiece_vocab_free(exam_wordpiece_vocab *vocab) {
    free(vocab->text);
    free(vocab->offsets);
    free(vocab->lengths);
    free(vocab->slots);
    free(vocab->hashes);
    memset(vocab, 0, sizeof *vocab);
}
