/* The grader: jobs (the queue's job schema) in, scored results with their explanation out.
 * It embeds answers with the encoder, compares them with the bank's cached reference, key-point
 * and mistake embeddings through the backend's similarity ops, and combines the features. */
#ifndef EXAM_GRADE_H
#define EXAM_GRADE_H

#include <stddef.h>

#include "bank.h"
#include "encoder.h"
#include "error.h"
#include "score.h"

struct json_t;

/* One grading job. Strings are owned; absent optional strings are NULL. */
typedef struct exam_grade_job {
    char *id;
    char *cohort;
    char *candidate;
    char *question_id; /* resolves against the bank */
    char *question;    /* inline question text (needs a reference when there is no bank id) */
    char *reference;   /* inline reference answer: overrides the bank's model answer */
    char *answer;
    size_t answer_len;
    int has_judge;
    double judge_score;
    double judge_scale_max;
    char *judge_source;
    char *judge_model;
    struct json_t *meta; /* passed through to the result (a new reference), or NULL */
} exam_grade_job;

/* Parses a job object. Errors: EXAM_ERR_FORMAT naming the field (missing id or answer, a field
 * of the wrong type, a judge score that is not a finite number, no question_id and no
 * reference); job is zeroed on error, except that job->id is kept when it could be read so
 * the caller can address the error result. */
exam_status exam_grade_job_from_json(const struct json_t *obj, exam_grade_job *job);

/* Frees a job's strings and zeroes it. */
void exam_grade_job_free(exam_grade_job *job);

/* The outcome of grading one job. */
typedef struct exam_grade_result {
    exam_status status;      /* EXAM_OK, or why the job failed */
    char error[256];         /* the message when status != EXAM_OK */
    const char *question_id; /* the bank id used ("" for an inline question) */
    double score;            /* 0..10 */
    double model_score;      /* the logistic part before penalties */
    exam_features features;
    double question_cosine; /* answer vs the question text */
    double *kp_best;        /* best match of each key point, n_kp entries */
    size_t n_kp;
    double *alt_kp_best; /* the same for the alternative answers' key points, in order */
    size_t n_alt_kp;
    int *alt_kp_off; /* alternative a owns alt_kp_best[alt_kp_off[a] .. alt_kp_off[a+1]-1] */
    size_t n_alt;
    exam_strlist covered;
    exam_strlist missed;
    exam_strlist misconceptions; /* common mistakes the answer states */
    exam_strlist flags;          /* "empty", "non_answer", "off_topic", "keyword_stuffing",
                                    "copied_question", "prompt_injection", "misconception" */
    int negation_mismatch;       /* the answer negates where its closest reference does not, or
                                    the other way round */
    double stuffing;
    double copy_ratio;
    size_t novel_words;
    size_t injected_sentences;
    double latency_ms; /* this job's share of the batch's wall time */
} exam_grade_result;

/* Frees a result's storage and zeroes it. */
void exam_grade_result_free(exam_grade_result *r);

/* Context written into every result. */
typedef struct exam_grade_context {
    const char *backend;
    const char *model;
    const char *worker;
    const char *version;
    const char *bank_version;
} exam_grade_context;

/* The result object (queue result schema): id, cohort, candidate, question_id, score, features,
 * covered, missed, misconceptions, flags, signals, key_point_scores, judge (echoed), meta,
 * backend, model, bank, latency_ms, worker, version; or {"id", "error": {"code", "message"}}
 * for a failed job. NULL when out of memory. */
struct json_t *exam_grade_result_to_json(const exam_grade_job *job, const exam_grade_result *r,
                                         const exam_grade_context *ctx);

/* An error result object for a line that could not even be parsed as a job (id may be NULL). */
struct json_t *exam_grade_error_json(const char *id, exam_status status, const char *message);

typedef struct exam_grader exam_grader;

/* Builds a grader for `bank` (which must outlive it) on encoder `enc`: embeds every question's
 * reference answers (token level too), key points, common mistakes and question text once, and
 * computes idf weights from the bank's reference answers. params may be NULL for the defaults.
 * cache_dir (may be NULL) holds the vectors between runs, one file per bank version, model
 * and backend (see grade_vectors.h).
 * Errors: EXAM_ERR_NOMEM, EXAM_ERR_BACKEND, EXAM_ERR_UTF8. */
exam_status exam_grader_init(const exam_bank *bank, exam_encoder *enc,
                             const exam_score_params *params, const char *cache_dir,
                             exam_grader **out);

/* 1 when the bank's vectors came from the cache file rather than the encoder. */
int exam_grader_from_cache(const exam_grader *g);

/* Frees the grader (NULL is allowed). */
void exam_grader_free(exam_grader *g);

/* Seconds spent embedding the bank, and in exam_encoder_encode during grading so far. */
double exam_grader_bank_seconds(const exam_grader *g);
double exam_grader_encode_seconds(const exam_grader *g);

/* Grades n jobs as one batch into results[0..n) (each initialised here). A job that cannot be
 * graded (unknown question, bad text) gets status != EXAM_OK and a message; the others are
 * unaffected. Returns an error only when the batch as a whole failed (out of memory, backend
 * failure); then every result carries that error. Deterministic for a given backend. */
exam_status exam_grader_grade(exam_grader *g, const exam_grade_job *jobs, size_t n,
                              exam_grade_result *results);

#endif
