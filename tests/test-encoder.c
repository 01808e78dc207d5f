/* Encoder properties that need no reference: packing and pass splits change nothing, windows
 * keep every wordpiece, short texts are equal in both modes, bad text names itself. */
/* labels: unit */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "encoder.h"
#include "testlib.h"
#include "tokenizer.h"

static exam_encoder *enc;

static float max_abs_diff(const float *a, const float *b, int n) {
    float m = 0;
    for (int i = 0; i < n; i++) m = fmaxf(m, fabsf(a[i] - b[i]));
    return m;
}

/* A long text of about `words` words, deterministic. */
static char *long_text(int words) {
    static const char *vocab[] = {
        "gradient", "descent",      "updates",  "the",     "weights", "of",        "a",
        "model",    "by",           "stepping", "against", "loss",    "curvature", "regularisation",
        "keeps",    "variance",     "low",      "while",   "bias",    "rises",     "slightly",
        "cache",    "invalidation", "is",       "hard"};
    size_t cap = (size_t)words * 16 + 1;
    char *s = malloc(cap);
    s[0] = '\0';
    unsigned seed = 7;
    for (int i = 0; i < words; i++) {
        seed = seed * 1103515245u + 12345u;
        strcat(s, vocab[(seed >> 16) % (sizeof vocab / sizeof vocab[0])]);
        strcat(s, i % 17 == 16 ? ". " : " ");
    }
    return s;
}

static void test_batch_invariance(void) {
    char *longer = long_text(400);
    const char *texts[] = {"A man is playing a guitar.", longer, "", "Short.",
                           "Transformers use self-attention to mix information across tokens."};
    const int n = 5;
    size_t lens[5];
    for (int i = 0; i < n; i++) lens[i] = strlen(texts[i]);
    exam_encode_options o = exam_encode_default_options();
    exam_embeddings all;
    CHECK(exam_encoder_encode(enc, texts, lens, n, &o, &all) == EXAM_OK);
    /* Each text alone, and the batch split into many passes, give the same vectors. */
    exam_encode_options tiny = o;
    tiny.batch_tokens = 1; /* every text in a pass of its own */
    exam_embeddings split;
    CHECK(exam_encoder_encode(enc, texts, lens, n, &tiny, &split) == EXAM_OK);
    for (int i = 0; i < n; i++) {
        exam_embeddings one;
        CHECK(exam_encoder_encode(enc, &texts[i], &lens[i], 1, &o, &one) == EXAM_OK);
        float d = max_abs_diff(one.sentences, all.sentences + (size_t)i * all.dim, all.dim);
        CHECKF(d < 2e-5f, "text %d alone vs in a batch differ by %g", i, d);
        d = max_abs_diff(split.sentences + (size_t)i * all.dim, all.sentences + (size_t)i * all.dim,
                         all.dim);
        CHECKF(d < 2e-5f, "text %d in split passes differs by %g", i, d);
        CHECK(one.n_tokens[0] == all.n_tokens[i]);
        exam_embeddings_free(&one);
    }
    CHECK(all.n_tokens[2] == 2);   /* empty text: [CLS] [SEP] */
    CHECK(all.n_tokens[1] == 256); /* truncated to the model's window */
    double norm = 0;
    for (int d = 0; d < all.dim; d++)
        norm += all.sentences[2 * all.dim + d] * all.sentences[2 * all.dim + d];
    CHECKF(fabs(norm - 1.0) < 1e-4, "empty text embedding norm^2 %g", norm);
    exam_embeddings_free(&split);
    exam_embeddings_free(&all);
    free(longer);
}

static void test_window_mode(void) {
    char *longer = long_text(700);
    const char *texts[] = {"Caching trades memory for latency.", longer};
    size_t lens[] = {strlen(texts[0]), strlen(texts[1])};
    exam_tokens tk = {0};
    CHECK(exam_tokenizer_encode(exam_encoder_tokenizer(enc), texts[1], lens[1], &tk) == EXAM_OK);
    exam_encode_options tr = exam_encode_default_options(), wi = tr;
    tr.want_tokens = wi.want_tokens = 1;
    wi.long_mode = EXAM_LONG_WINDOW;
    exam_embeddings a, b;
    CHECK(exam_encoder_encode(enc, texts, lens, 2, &tr, &a) == EXAM_OK);
    CHECK(exam_encoder_encode(enc, texts, lens, 2, &wi, &b) == EXAM_OK);
    /* The short text is the same either way, token rows included. */
    CHECK(max_abs_diff(a.sentences, b.sentences, a.dim) < 1e-6f);
    int short_rows = a.token_offsets[1];
    CHECK(short_rows == b.token_offsets[1] && short_rows == a.n_tokens[0] - 2);
    CHECK(max_abs_diff(a.tokens, b.tokens, short_rows * a.dim) < 1e-6f);
    /* Truncation keeps 254 wordpieces; windows keep them all, in order, ids intact. */
    CHECK(a.token_offsets[2] - a.token_offsets[1] == 254);
    int kept = b.token_offsets[2] - b.token_offsets[1];
    CHECKF(kept == (int)tk.count, "window mode kept %d of %zu wordpieces", kept, tk.count);
    CHECK(b.n_tokens[1] == (int)tk.count + 2);
    int same_ids = 1;
    for (int p = 0; p < kept && p < (int)tk.count; p++)
        same_ids &= b.token_ids[b.token_offsets[1] + p] == tk.ids[p];
    CHECK(same_ids);
    /* The first window's opening rows are the same computation as truncation's. */
    CHECK(max_abs_diff(a.tokens + (size_t)a.token_offsets[1] * a.dim,
                       b.tokens + (size_t)b.token_offsets[1] * b.dim, 20 * a.dim) < 1e-5f);
    /* The windowed embedding sees the tail the truncated one never saw. */
    CHECK(max_abs_diff(a.sentences + a.dim, b.sentences + b.dim, a.dim) > 1e-3f);
    exam_tokens_free(&tk);
    exam_embeddings_free(&a);
    exam_embeddings_free(&b);
    free(longer);
}

static void test_bad_text(void) {
    const char *texts[] = {"fine", "bad \xff byte"};
    size_t lens[] = {4, 10};
    exam_embeddings e;
    exam_status st = exam_encoder_encode(enc, texts, lens, 2, NULL, &e);
    CHECK(st == EXAM_ERR_UTF8);
    CHECKF(strstr(exam_error_message(), "text 1") != NULL, "%s", exam_error_message());
    CHECKF(strstr(exam_error_message(), "4") != NULL, "%s", exam_error_message());
    CHECK(e.sentences == NULL);
    /* The encoder still works afterwards. */
    CHECK(exam_encoder_encode(enc, texts, lens, 1, NULL, &e) == EXAM_OK);
    exam_embeddings_free(&e);
}

static void test_bad_model_dirs(void) {
    exam_backend *be = exam_encoder_backend(enc);
    exam_encoder *bad = NULL;
    CHECK(exam_encoder_init("/nonexistent-model-dir", be, &bad) == EXAM_ERR_IO);
    CHECK(bad == NULL);
}

/* Finite weights that overflow (a LayerNorm gain of 3e38) give NaN hidden states: the encoder
 * refuses the output with EXAM_ERR_NUMERIC naming the text instead of handing NaN vectors on,
 * for text and token input alike, with token embeddings or without. */
static void test_overflowing_model(void) {
    char dir[] = "/tmp/exam-enc-big-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK(exam_test_model_poison(dir, "embeddings.LayerNorm.weight", 3e38f) == 0);
    exam_backend *be = exam_encoder_backend(enc);
    exam_encoder *big = NULL;
    CHECKF(exam_encoder_init(dir, be, &big) == EXAM_OK, "%s", exam_error_message());
    if (big) {
        const char *texts[] = {"a finite text"};
        size_t lens[] = {strlen(texts[0])};
        exam_embeddings e;
        exam_encode_options o = exam_encode_default_options();
        for (int want = 0; want < 2; want++) {
            o.want_tokens = want;
            exam_status st = exam_encoder_encode(big, texts, lens, 1, &o, &e);
            CHECKF(st == EXAM_ERR_NUMERIC && e.sentences == NULL, "%s: %s", exam_status_name(st),
                   exam_error_message());
            CHECKF(strstr(exam_error_message(), "text 0") &&
                       strstr(exam_error_message(), "non-finite embedding"),
                   "%s", exam_error_message());
        }
        exam_tokens t = {0};
        CHECK(exam_tokenizer_encode(exam_encoder_tokenizer(big), texts[0], lens[0], &t) == EXAM_OK);
        CHECK(exam_encoder_encode_tokens(big, &t, 1, NULL, &e) == EXAM_ERR_NUMERIC);
        exam_tokens_free(&t);
        CHECK(strcmp(exam_status_name(EXAM_ERR_NUMERIC), "non_finite") == 0);
    }
    exam_encoder_free(big);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void) {
    exam_backend *be;
    if (exam_backend_create("cpu", NULL, &be) != EXAM_OK) {
        fprintf(stderr, "%s\n", exam_error_message());
        return 1;
    }
    if (exam_encoder_init(exam_test_model_dir(), be, &enc) != EXAM_OK) {
        fprintf(stderr, "cannot load the model: %s (run scripts/fetch-model.sh)\n",
                exam_error_message());
        return 1;
    }
    test_batch_invariance();
    test_window_mode();
    test_bad_text();
    test_bad_model_dirs();
    test_overflowing_model();
    exam_encoder_free(enc);
    exam_backend_free(be);
    return exam_test_finish();
}
