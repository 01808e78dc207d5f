/* Encoder throughput per backend over a (batch, length) grid: texts cut from the corpus at word
 * boundaries to about `length` wordpieces each, embedded as one batch per iteration. Backends
 * other than the CPU report manual time: device events (timer_begin/timer_end) where the
 * backend has them (CUDA), else the host clock around a call that ends with the results
 * downloaded and the backend synchronised, so the work of the device is all inside. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_env.h"
#include "bench_shim.h"
#include "load_gen.h"
#include "tokenizer.h"

#define ENC_MAX_BACKENDS EXAM_BENCH_MAX_BACKENDS

typedef struct enc_bench {
    exam_bench_env *env;
    char backend[16];
    int manual;
} enc_bench;

static void fail_status(exam_bench_state *st, const char *what) {
    char msg[600];
    snprintf(msg, sizeof msg, "%s: %s", what, exam_error_message());
    exam_bench_fail(st, msg);
}

static int word_start(const exam_tokenizer *tok, int32_t id) {
    const char *t = exam_tokenizer_token_text(tok, id);
    return !(t && t[0] == '#' && t[1] == '#');
}

/* Fills texts[0..batch) with slices of the joined corpus of about len-2 wordpieces each. */
static exam_status make_texts(exam_bench_env *env, const exam_tokenizer *tok, int batch, int len,
                              char ***out_texts, size_t **out_lens) {
    size_t total = 0;
    for (size_t i = 0; i < env->n_texts; i++) {
        total += env->lens[i] + 1;
    }
    char *joined = malloc(total + 1);
    char **texts = calloc((size_t)batch, sizeof *texts);
    size_t *lens = calloc((size_t)batch, sizeof *lens);
    exam_tokens toks = {0};
    exam_status st = EXAM_OK;
    if (!joined || !texts || !lens) {
        st = exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
        goto done;
    }
    size_t pos = 0;
    for (size_t i = 0; i < env->n_texts; i++) {
        memcpy(joined + pos, env->texts[i], env->lens[i]);
        pos += env->lens[i];
        joined[pos++] = ' ';
    }
    joined[pos] = 0;
    if ((st = exam_tokenizer_encode(tok, joined, pos, &toks)) != EXAM_OK) {
        goto done;
    }
    size_t want = len > 2 ? (size_t)len - 2 : 1;
    if (toks.count < want + 2) {
        st = exam_error_set(EXAM_ERR_LIMIT, "bench: corpus has only %zu wordpieces", toks.count);
        goto done;
    }
    for (int j = 0; j < batch; j++) {
        size_t s = ((size_t)j * 7919 * want) % (toks.count - want - 1);
        while (s > 0 && !word_start(tok, toks.ids[s])) {
            s--;
        }
        size_t e = s + want;
        while (e > s + 1 && !word_start(tok, toks.ids[e])) {
            e--;
        }
        size_t b0 = toks.starts[s], b1 = toks.starts[e];
        if (!(texts[j] = malloc(b1 - b0 + 1))) {
            st = exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
            goto done;
        }
        memcpy(texts[j], joined + b0, b1 - b0);
        texts[j][b1 - b0] = 0;
        lens[j] = b1 - b0;
    }
done:
    exam_tokens_free(&toks);
    free(joined);
    if (st != EXAM_OK) {
        for (int j = 0; texts && j < batch; j++) {
            free(texts[j]);
        }
        free(texts);
        free(lens);
        texts = NULL;
        lens = NULL;
    }
    *out_texts = texts;
    *out_lens = lens;
    return st;
}

static void bm_encode(exam_bench_state *st, void *ctx) {
    enc_bench *eb = ctx;
    int batch = (int)exam_bench_arg(st, 0), len = (int)exam_bench_arg(st, 1);
    exam_encoder *enc;
    if (exam_bench_env_encoder(eb->env, eb->backend, &enc) != EXAM_OK) {
        fail_status(st, "encoder");
        return;
    }
    char **texts;
    size_t *lens;
    if (make_texts(eb->env, exam_encoder_tokenizer(enc), batch, len, &texts, &lens) != EXAM_OK) {
        fail_status(st, "texts");
        return;
    }
    exam_encode_options opts = exam_encode_default_options();
    exam_backend *be = exam_encoder_backend(enc);
    /* one warm-up call: first-use costs (kernel builds, cuBLAS heuristics) are not measured */
    exam_embeddings emb = {0};
    exam_status rc = exam_encoder_encode(enc, (const char *const *)texts, lens, batch, &opts, &emb);
    int64_t tokens = 0;
    for (int j = 0; rc == EXAM_OK && j < batch; j++) {
        tokens += emb.n_tokens[j];
    }
    exam_embeddings_free(&emb);
    while (rc == EXAM_OK && exam_bench_batch(st, 1) > 0) {
        int device_clock = eb->manual && be->ops->timer_begin && be->ops->timer_end;
        uint64_t t0 = eb->manual ? exam_clock_ns() : 0;
        if (device_clock) rc = be->ops->timer_begin(be);
        if (rc == EXAM_OK)
            rc = exam_encoder_encode(enc, (const char *const *)texts, lens, batch, &opts, &emb);
        if (rc == EXAM_OK && device_clock) {
            double seconds = 0;
            rc = be->ops->timer_end(be, &seconds);
            exam_bench_set_iteration_time(st, seconds);
        } else if (rc == EXAM_OK && eb->manual) {
            rc = be->ops->synchronize(be);
            exam_bench_set_iteration_time(st, (double)(exam_clock_ns() - t0) * 1e-9);
        }
        exam_embeddings_free(&emb);
    }
    if (rc != EXAM_OK) {
        fail_status(st, "encode");
    } else {
        int64_t it = exam_bench_iterations(st);
        exam_bench_set_items(st, (int64_t)batch * it);
        exam_bench_counter(st, "tokens", (double)(tokens * it), EXAM_BENCH_COUNTER_RATE);
        exam_bench_counter(st, "tokens_per_text", (double)tokens / batch, 0);
    }
    for (int j = 0; j < batch; j++) {
        free(texts[j]);
    }
    free(texts);
    free(lens);
}

static void register_grid(exam_bench_def *b, const int *batches, int nb, const int *lens, int nl) {
    static const char *const names[] = {"batch", "len"};
    exam_bench_arg_names(b, names, 2);
    for (int i = 0; i < nb; i++) {
        for (int j = 0; j < nl; j++) {
            int64_t row[2] = {batches[i], lens[j]};
            exam_bench_args(b, row, 2);
        }
    }
}

exam_status exam_bench_encoder_register(exam_bench_env *env) {
    if (!env->model_dir) {
        return exam_error_set(EXAM_ERR_NOT_FOUND, "no model");
    }
    exam_status st = exam_bench_env_texts(env);
    if (st != EXAM_OK) {
        return st;
    }
    static const char *const all[] = {"cpu", "opencl", "cuda"};
    for (int k = 0; k < 3; k++) {
        if (!exam_bench_list_has(env->backends, all[k])) {
            continue;
        }
        exam_backend *be;
        if (exam_bench_env_backend(env, all[k], &be) != EXAM_OK) {
            fprintf(stderr, "bench: encoder/%s not registered: %s\n", all[k], exam_error_message());
            exam_error_clear();
            continue;
        }
        enc_bench *eb = calloc(1, sizeof *eb);
        if (!eb || exam_bench_env_on_free(env, free, eb) != EXAM_OK) {
            free(eb);
            return exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
        }
        eb->env = env;
        snprintf(eb->backend, sizeof eb->backend, "%s", all[k]);
        eb->manual = k != 0;
        char name[64];
        snprintf(name, sizeof name, "encoder/%s", all[k]);
        exam_bench_def *b = exam_bench_register(name, bm_encode, eb);
        exam_bench_set_unit(b, EXAM_BENCH_MS);
        if (eb->manual) {
            exam_bench_use_manual_time(b);
        } else {
            exam_bench_use_real_time(b); /* OpenMP threads do the work */
        }
        if (k == 0) { /* cpu */
            static const int b_def[] = {1, 8}, l_def[] = {32, 128};
            static const int b_full[] = {1, 8, 64}, l_full[] = {16, 64, 128, 256};
            if (env->full) {
                register_grid(b, b_full, 3, l_full, 4);
            } else {
                register_grid(b, b_def, 2, l_def, 2);
            }
        } else if (k == 1) { /* opencl: PoCL on a CPU is slow, keep it tiny */
            static const int b1[] = {1, 8}, l1[] = {32};
            register_grid(b, b1, env->full ? 2 : 1, l1, 1);
        } else { /* cuda: the NOTES.md targets, single answer to big batches */
            static const int bc[] = {1, 64, 512, 4096}, lc[] = {32, 128, 256};
            register_grid(b, bc, env->full ? 4 : 3, lc, 3);
        }
    }
    return EXAM_OK;
}
