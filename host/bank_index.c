/* The bank's id index (see bank_index.h): linear probing over a power-of-two table of question
 * positions, at most half full, with the next free "-N" suffix kept per id. */
#include "bank_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct exam_bank_index {
    size_t *slots;     /* position + 1; 0 is an empty slot */
    size_t mask;       /* table size - 1 */
    size_t used;       /* filled slots */
    unsigned *suffix;  /* per position: next suffix to try for copies of its id (0: 2) */
    size_t suffix_cap; /* entries of `suffix` */
};

static size_t hash_id(const char *id) {
    return (size_t)exam_bank_digest(id, strlen(id), 0);
}

/* The slot holding id, or the empty slot where it would go. */
static size_t probe(const exam_bank *bank, const char *id) {
    const struct exam_bank_index *x = bank->index;
    size_t i = hash_id(id) & x->mask;
    while (x->slots[i] && strcmp(bank->questions[x->slots[i] - 1].id, id) != 0)
        i = (i + 1) & x->mask;
    return i;
}

long exam_bank_index_find(const exam_bank *bank, const char *id) {
    if (!bank->index) {
        for (size_t i = 0; i < bank->count; i++)
            if (strcmp(bank->questions[i].id, id) == 0) return (long)i;
        return -1;
    }
    size_t s = bank->index->slots[probe(bank, id)];
    return s ? (long)(s - 1) : -1;
}

/* Rehashes every indexed position into a table of `size` slots. */
static exam_status rehash(exam_bank *bank, size_t size) {
    struct exam_bank_index *x = bank->index;
    size_t *slots = calloc(size, sizeof *slots);
    if (!slots) return exam_error_set(EXAM_ERR_NOMEM, "out of memory indexing the bank");
    size_t *old = x->slots, old_size = x->slots ? x->mask + 1 : 0;
    x->slots = slots;
    x->mask = size - 1;
    for (size_t i = 0; i < old_size; i++)
        if (old[i]) x->slots[probe(bank, bank->questions[old[i] - 1].id)] = old[i];
    free(old);
    return EXAM_OK;
}

exam_status exam_bank_index_add(exam_bank *bank, size_t pos) {
    if (!bank->index) {
        bank->index = calloc(1, sizeof *bank->index);
        if (!bank->index) return exam_error_set(EXAM_ERR_NOMEM, "out of memory indexing the bank");
    }
    struct exam_bank_index *x = bank->index;
    if (!x->slots || 2 * (x->used + 1) > x->mask + 1) {
        size_t size = x->slots ? 2 * (x->mask + 1) : 64;
        exam_status st = rehash(bank, size);
        if (st != EXAM_OK) return st;
    }
    if (pos >= x->suffix_cap) {
        size_t cap = x->suffix_cap ? 2 * x->suffix_cap : 64;
        while (cap <= pos) cap *= 2;
        unsigned *s = realloc(x->suffix, cap * sizeof *s);
        if (!s) return exam_error_set(EXAM_ERR_NOMEM, "out of memory indexing the bank");
        memset(s + x->suffix_cap, 0, (cap - x->suffix_cap) * sizeof *s);
        x->suffix = s;
        x->suffix_cap = cap;
    }
    size_t i = probe(bank, bank->questions[pos].id);
    if (!x->slots[i]) x->used++;
    x->slots[i] = pos + 1;
    return EXAM_OK;
}

unsigned exam_bank_index_next_suffix(const exam_bank *bank, size_t pos) {
    const struct exam_bank_index *x = bank->index;
    return x && pos < x->suffix_cap && x->suffix[pos] ? x->suffix[pos] : 2;
}

void exam_bank_index_set_suffix(exam_bank *bank, size_t pos, unsigned next) {
    struct exam_bank_index *x = bank->index;
    if (x && pos < x->suffix_cap) x->suffix[pos] = next;
}

void exam_bank_index_free(exam_bank *bank) {
    if (!bank->index) return;
    free(bank->index->slots);
    free(bank->index->suffix);
    free(bank->index);
    bank->index = NULL;
}
