/* Internal to the grader: the embeddings of a question's reference answers (token level too),
 * key points, common mistakes and question text, the idf weights from the bank's references,
 * and their on-disk cache keyed by the bank's version, the model and the backend. */
#ifndef EXAM_GRADE_VECTORS_H
#define EXAM_GRADE_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include "bank.h"
#include "encoder.h"
#include "error.h"
#include "tokenizer.h"

/* The embeddings of one question's texts. */
typedef struct exam_qvec {
    int n_refs;
    float *ref;       /* [n_refs × dim] */
    int *tok_off;     /* [n_refs + 1] rows of tok per reference */
    float *tok;       /* reference token rows */
    float *tok_w;     /* idf weight of each token row */
    int32_t *tok_ids; /* wordpiece id of each token row */
    int32_t *q_ids;   /* sorted distinct wordpiece ids of the question text */
    int n_q_ids;
    int n_kp;
    float *kp;   /* [n_kp × dim]: every reference's key points, the first reference's first */
    int *kp_off; /* [n_refs + 1]: reference r owns key points kp_off[r] .. kp_off[r+1]-1 */
    int n_mis;
    float *mis;      /* [n_mis × dim] */
    float *question; /* [dim], zero when there is no question text */
    int n_rs;
    float *rs; /* [n_rs × dim]: every sentence of every reference, for misconception margins */
} exam_qvec;

/* The texts an exam_qvec is built from. */
typedef struct exam_qsrc {
    const char *const *refs;
    int n_refs;
    const char *const *kps;
    int n_kp;
    const int *kp_off; /* per reference (n_refs + 1), or NULL: all belong to the first */
    const char *const *mis;
    int n_mis;
    const char *question;
    const char *const *rs; /* the references' sentences */
    int n_rs;
} exam_qsrc;

/* BERTScore idf weights: ln((N + 1) / (df + 1)) over the bank's N reference texts. */
typedef struct exam_idf {
    float *w; /* per vocabulary id */
    int32_t vocab;
    float unseen; /* ln(N + 1), for ids outside the table */
} exam_idf;

/* A bank's vectors: one exam_qvec per question, in bank order, and the idf. */
typedef struct exam_bank_vectors {
    size_t n;
    int dim;
    exam_qvec *q;
    exam_idf idf;
} exam_bank_vectors;

/* The idf weight of a wordpiece id. */
float exam_idf_weight(const exam_idf *idf, int32_t id);

/* 1 when wordpiece `id` occurs in the question text of v. */
int exam_qvec_in_question(const exam_qvec *v, int32_t id);

/* Embeds texts with the encoder in windowed mode (nothing is cut off), adding the wall time to
 * *seconds. Errors: those of exam_encoder_encode. */
exam_status exam_gv_encode(exam_encoder *enc, const char *const *texts, int n, int want_tokens,
                           exam_embeddings *out, double *seconds);

/* exam_gv_encode for texts already tokenized by the encoder's tokenizer (see
 * exam_encoder_encode_tokens): the same options, the same vectors. */
exam_status exam_gv_encode_tokens(exam_encoder *enc, const exam_tokens *toks, int n,
                                  int want_tokens, exam_embeddings *out, double *seconds);

/* Embeds n sources into vecs[0..n). When idf->w is NULL the idf is first computed from these
 * sources' references (the bank's); token weights come from it. Errors: EXAM_ERR_NOMEM and
 * the encoder's. */
exam_status exam_qvecs_build(exam_encoder *enc, const exam_qsrc *src, int n, exam_idf *idf,
                             exam_qvec *vecs, double *seconds);

/* Frees one question's vectors. */
void exam_qvec_free(exam_qvec *v);

/* Appends the sentences of text to out (exam_split_sentences). Errors: EXAM_ERR_NOMEM. */
exam_status exam_qsrc_sentences(const char *text, exam_strlist *out);

/* The reference texts of a question: its answer and alternatives (caller frees the array). */
const char **exam_question_refs(const exam_question *q, int *n);

/* Builds the vectors of every bank question. With cache_dir (may be NULL) it first tries
 * "<cache_dir>/bank-<version>-<model>-<backend>.vec" and writes that file after building;
 * *from_cache tells which happened. A missing, stale or damaged cache is rebuilt, never an
 * error. Errors: EXAM_ERR_NOMEM and the encoder's. */
exam_status exam_bank_vectors_build(const exam_bank *bank, exam_encoder *enc, const char *cache_dir,
                                    exam_bank_vectors *out, int *from_cache, double *seconds);

/* Frees the vectors and zeroes them. */
void exam_bank_vectors_free(exam_bank_vectors *bv);

#endif
