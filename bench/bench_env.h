/* What the benchmark sets share: options from the command line, the backends opened for them,
 * lazily loaded encoders and texts, and clean-ups run after the benchmarks. */
#ifndef EXAM_BENCH_ENV_H
#define EXAM_BENCH_ENV_H

#include <stddef.h>

#include "backend.h"
#include "encoder.h"
#include "error.h"

#define EXAM_BENCH_MAX_BACKENDS 3
#define EXAM_BENCH_MAX_CLEANUPS 32

typedef struct exam_bench_env {
    const char *model_dir; /* NULL: no model found (model benchmarks are not registered) */
    const char *root;      /* project root (data/, ../shared) */
    int threads;           /* CPU threads for the CPU backend */
    int full;              /* 1: the larger grids (nightly), 0: the default set */
    const char *backends;  /* comma list the encoder set tries: "cpu,cuda" by default */
    /* backends opened so far, by name */
    exam_backend *be[EXAM_BENCH_MAX_BACKENDS];
    exam_encoder *enc[EXAM_BENCH_MAX_BACKENDS];
    int n_be;
    /* texts for the tokenizer and encoder: STS-B test sentences, or the bank's answers */
    char **texts;
    size_t *lens;
    size_t n_texts;
    const char *texts_source;
    struct {
        void (*fn)(void *);
        void *arg;
    } cleanups[EXAM_BENCH_MAX_CLEANUPS];
    int n_cleanups;
} exam_bench_env;

/* Registers a set's benchmarks; an error means the set could not even register (its reason is
 * printed, the other sets still run). */
typedef exam_status (*exam_bench_set_fn)(exam_bench_env *env);

/* Opens backend `name` once (later calls return the same one). Errors: those of
 * exam_backend_create (EXAM_ERR_UNAVAILABLE when the backend is absent here). */
exam_status exam_bench_env_backend(exam_bench_env *env, const char *name, exam_backend **out);

/* The encoder of the model on backend `name`, loaded on first use. */
exam_status exam_bench_env_encoder(exam_bench_env *env, const char *name, exam_encoder **out);

/* Loads the benchmark texts once. Errors: EXAM_ERR_NOT_FOUND when neither STS-B nor the bank
 * can be read. */
exam_status exam_bench_env_texts(exam_bench_env *env);

/* 1 when `name` is in the comma-separated list `list`. */
int exam_bench_list_has(const char *list, const char *name);

/* Runs fn(arg) when the environment is freed (in reverse order of registration). */
exam_status exam_bench_env_on_free(exam_bench_env *env, void (*fn)(void *), void *arg);

/* Runs the clean-ups and frees encoders, backends and texts. */
void exam_bench_env_free(exam_bench_env *env);

/* The sets (one file each). */
exam_status exam_bench_tokenizer_register(exam_bench_env *env);
exam_status exam_bench_encoder_register(exam_bench_env *env);
exam_status exam_bench_similarity_register(exam_bench_env *env);
exam_status exam_bench_grade_register(exam_bench_env *env);
exam_status exam_bench_calib_register(exam_bench_env *env);
exam_status exam_bench_queue_register(exam_bench_env *env);

#endif
