/* Tokenizer throughput (bytes per second): short sentences one call each, and one long text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_env.h"
#include "bench_shim.h"
#include "tokenizer.h"

typedef struct tok_bench {
    exam_bench_env *env;
    exam_tokenizer *tok;
    char *joined; /* every text joined by spaces, for the long-text run */
    size_t joined_len;
} tok_bench;

static void tok_bench_free(void *arg) {
    tok_bench *tb = arg;
    exam_tokenizer_free(tb->tok);
    free(tb->joined);
    free(tb);
}

static void fail_status(exam_bench_state *st) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", exam_error_message());
    exam_bench_fail(st, msg);
}

/* Every sentence tokenized separately: the worker's per-answer path. */
static void bm_sentences(exam_bench_state *st, void *ctx) {
    tok_bench *tb = ctx;
    exam_bench_env *env = tb->env;
    exam_tokens toks = {0};
    size_t bytes = 0, tokens = 0;
    for (size_t i = 0; i < env->n_texts; i++) {
        bytes += env->lens[i];
    }
    int64_t n;
    while ((n = exam_bench_batch(st, 1)) > 0) {
        for (size_t i = 0; i < env->n_texts; i++) {
            exam_tokens_clear(&toks);
            if (exam_tokenizer_encode(tb->tok, env->texts[i], env->lens[i], &toks) != EXAM_OK) {
                exam_tokens_free(&toks);
                fail_status(st);
                return;
            }
            tokens += toks.count;
        }
    }
    int64_t it = exam_bench_iterations(st);
    exam_bench_set_bytes(st, (int64_t)bytes * it);
    exam_bench_set_items(st, (int64_t)env->n_texts * it);
    exam_bench_counter(st, "tokens", (double)tokens, EXAM_BENCH_COUNTER_RATE);
    exam_tokens_free(&toks);
}

/* One long text: the word loop without per-call overhead. */
static void bm_document(exam_bench_state *st, void *ctx) {
    tok_bench *tb = ctx;
    exam_tokens toks = {0};
    size_t tokens = 0;
    int64_t n;
    while ((n = exam_bench_batch(st, 1)) > 0) {
        exam_tokens_clear(&toks);
        if (exam_tokenizer_encode(tb->tok, tb->joined, tb->joined_len, &toks) != EXAM_OK) {
            exam_tokens_free(&toks);
            fail_status(st);
            return;
        }
        tokens += toks.count;
    }
    exam_bench_set_bytes(st, (int64_t)tb->joined_len * exam_bench_iterations(st));
    exam_bench_counter(st, "tokens", (double)tokens, EXAM_BENCH_COUNTER_RATE);
    exam_tokens_free(&toks);
}

exam_status exam_bench_tokenizer_register(exam_bench_env *env) {
    if (!env->model_dir) {
        return exam_error_set(EXAM_ERR_NOT_FOUND, "no model for its vocab.txt");
    }
    exam_status st = exam_bench_env_texts(env);
    if (st != EXAM_OK) {
        return st;
    }
    tok_bench *tb = calloc(1, sizeof *tb);
    if (!tb) {
        return exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
    }
    tb->env = env;
    char path[4096];
    snprintf(path, sizeof path, "%s/vocab.txt", env->model_dir);
    st = exam_tokenizer_init(path, NULL, &tb->tok);
    size_t total = 0;
    for (size_t i = 0; i < env->n_texts; i++) {
        total += env->lens[i] + 1;
    }
    if (st == EXAM_OK && !(tb->joined = malloc(total + 1))) {
        st = exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
    }
    if (st == EXAM_OK) {
        for (size_t i = 0; i < env->n_texts; i++) {
            memcpy(tb->joined + tb->joined_len, env->texts[i], env->lens[i]);
            tb->joined_len += env->lens[i];
            tb->joined[tb->joined_len++] = ' ';
        }
        tb->joined[tb->joined_len] = 0;
        st = exam_bench_env_on_free(env, tok_bench_free, tb);
    }
    if (st != EXAM_OK) {
        tok_bench_free(tb);
        return st;
    }
    exam_bench_def *b = exam_bench_register("tokenizer/sentences", bm_sentences, tb);
    exam_bench_set_unit(b, EXAM_BENCH_MS);
    b = exam_bench_register("tokenizer/document", bm_document, tb);
    exam_bench_set_unit(b, EXAM_BENCH_MS);
    return EXAM_OK;
}
