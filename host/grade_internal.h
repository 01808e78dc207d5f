/* What grade.c (encoding and scoring) and grade_prep.c (the text preparation that needs no
 * backend) share: the grader's state and one prepared job. Private to host/. */
#ifndef EXAM_GRADE_INTERNAL_H
#define EXAM_GRADE_INTERNAL_H

#include "grade.h"
#include "grade_signals.h"
#include "grade_vectors.h"
#include "text_split.h"
#include "tokenizer.h"

struct exam_grader {
    const exam_bank *bank;
    exam_encoder *enc;
    exam_backend *be;
    int dim;
    exam_score_params params;
    exam_bank_vectors bv; /* one exam_qvec per bank question, and the idf */
    int from_cache;
    double bank_seconds;
    double encode_seconds;
};

/* One job as exam_grader_prepare leaves it. Holds no pointer into itself or into the job's
 * struct (only into the job's strings), so it may be moved with memcpy. */
typedef struct exam_prep_job {
    exam_status status;      /* EXAM_OK, or why the job cannot be graded */
    char error[256];         /* the message when status != EXAM_OK */
    const char *question_id; /* for the result: the bank id, "" inline, NULL when unknown */
    const exam_question *bq; /* the bank question, when one was resolved */
    const char *question;    /* the job's inline question text (borrowed), or NULL */
    const char *reference;   /* the job's inline reference (borrowed), or NULL */
    int active;              /* features are computed for it */
    exam_text_signals sig;
    char *kept; /* the answer without injected sentences */
    size_t kept_len;
    exam_spans sentences;  /* of kept */
    exam_strlist own_kps;  /* key points of an inline reference (active jobs) */
    exam_tokens ans_tok;   /* wordpieces of kept (active jobs) */
    exam_tokens *sent_tok; /* wordpieces of each sentence (active jobs) */
} exam_prep_job;

struct exam_grade_prep {
    exam_prep_job *jobs;
    size_t n, cap;
    double seconds; /* time spent preparing these jobs */
};

#endif
