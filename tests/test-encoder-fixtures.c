/* The encoder against sentence-transformers: every fixture embedding must have cosine ≥ 0.99999
 * to ours and the same token count, encoded together in one packed batch and text by text. */
/* labels: unit */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "encoder.h"
#include "testlib.h"

#define FIXTURE "tests/fixtures/embeddings.jsonl"
#define MAX_TEXTS 4096

typedef struct fixture {
    char *text;
    size_t len;
    char set[16];
    int n_tokens;
    float *embedding;
    int dim;
} fixture;

static int load_fixtures(fixture *fx, int cap) {
    FILE *f = fopen(FIXTURE, "rb");
    if (!f) return -1;
    char *line = NULL;
    size_t linecap = 0;
    int n = 0;
    while (n < cap && getline(&line, &linecap, f) > 0) {
        json_error_t err;
        json_t *o = json_loads(line, JSON_ALLOW_NUL, &err);
        json_t *text = json_object_get(o, "text"), *emb = json_object_get(o, "embedding");
        if (!json_is_string(text) || !json_is_array(emb)) {
            fprintf(stderr, "bad fixture line %d: %s\n", n + 1, err.text);
            json_decref(o);
            continue;
        }
        fixture *x = &fx[n++];
        x->len = json_string_length(text);
        x->text = malloc(x->len + 1);
        memcpy(x->text, json_string_value(text), x->len + 1);
        snprintf(x->set, sizeof x->set, "%s", json_string_value(json_object_get(o, "set")));
        x->n_tokens = (int)json_integer_value(json_object_get(o, "n_tokens"));
        x->dim = (int)json_array_size(emb);
        x->embedding = malloc(sizeof(float) * x->dim);
        for (int d = 0; d < x->dim; d++)
            x->embedding[d] = (float)json_number_value(json_array_get(emb, d));
        json_decref(o);
    }
    free(line);
    fclose(f);
    return n;
}

static double cosine(const float *a, const float *b, int dim) {
    double dot = 0, na = 0, nb = 0;
    for (int d = 0; d < dim; d++) {
        dot += (double)a[d] * b[d];
        na += (double)a[d] * a[d];
        nb += (double)b[d] * b[d];
    }
    return dot / sqrt(na * nb);
}

/* Compares one encoding of the fixtures; returns the lowest cosine. */
static double compare(const fixture *fx, int n, const exam_embeddings *e, const char *how) {
    double worst = 1.0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        CHECKF(e->dim == fx[i].dim, "dim %d vs %d", e->dim, fx[i].dim);
        double c = cosine(e->sentences + (size_t)i * e->dim, fx[i].embedding, fx[i].dim);
        if (c < worst) worst = c;
        if ((c < 0.99999 || e->n_tokens[i] != fx[i].n_tokens) && bad++ < 5)
            fprintf(stderr, "%s: fixture %d (%s) cosine %.7f tokens %d vs %d\n", how, i, fx[i].set,
                    c, e->n_tokens[i], fx[i].n_tokens);
    }
    CHECKF(bad == 0, "%s: %d of %d embeddings below cosine 0.99999 or with other token counts", how,
           bad, n);
    return worst;
}

int main(void) {
    static fixture fx[MAX_TEXTS];
    int n = load_fixtures(fx, MAX_TEXTS);
    if (n < 0) {
        printf("SKIP ALL: %s missing (generate with tools/make_reference.py)\n", FIXTURE);
        return 0;
    }
    CHECKF(n >= 200, "only %d fixtures", n);
    exam_backend *be;
    exam_encoder *enc;
    if (exam_backend_create("cpu", NULL, &be) != EXAM_OK ||
        exam_encoder_init(exam_test_model_dir(), be, &enc) != EXAM_OK) {
        fprintf(stderr, "cannot load the model: %s\n", exam_error_message());
        return 1;
    }
    const char **texts = malloc(sizeof *texts * n);
    size_t *lens = malloc(sizeof *lens * n);
    for (int i = 0; i < n; i++) {
        texts[i] = fx[i].text;
        lens[i] = fx[i].len;
    }
    exam_embeddings e;
    exam_status st = exam_encoder_encode(enc, texts, lens, n, NULL, &e);
    CHECKF(st == EXAM_OK, "%s", exam_error_message());
    if (st == EXAM_OK) {
        printf("packed batch: lowest cosine %.8f over %d texts\n", compare(fx, n, &e, "batch"), n);
        exam_embeddings_free(&e);
    }
    /* Small passes: texts packed a few at a time must give the same answers. */
    exam_encode_options small = exam_encode_default_options();
    small.batch_tokens = 300;
    st = exam_encoder_encode(enc, texts, lens, n, &small, &e);
    CHECKF(st == EXAM_OK, "%s", exam_error_message());
    if (st == EXAM_OK) {
        printf("300-token passes: lowest cosine %.8f\n", compare(fx, n, &e, "small passes"));
        exam_embeddings_free(&e);
    }
    free(texts);
    free(lens);
    for (int i = 0; i < n; i++) {
        free(fx[i].text);
        free(fx[i].embedding);
    }
    exam_encoder_free(enc);
    exam_backend_free(be);
    return exam_test_finish();
}
