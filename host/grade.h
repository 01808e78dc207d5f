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

/* The longest job id and cohort name in bytes. Both name Redis keys (result:<id>, cohort:<c>,
 * escaped by queue_keys.c), so one rule holds for every producer and consumer:
 * exam_grade_job_from_json refuses longer ones, `examiner submit` therefore rejects the line,
 * and the worker dead-letters such a job (docs/queue.md). */
#define EXAM_JOB_ID_MAX 512
#define EXAM_COHORT_NAME_MAX 4096

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
 * reference), EXAM_ERR_LIMIT when the id or the cohort is longer than EXAM_JOB_ID_MAX bytes;
 * job is zeroed on error, except that job->id is kept when it could be read (and is within
 * the limit) so the caller can address the error result. */
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
 * failure); then every result carries that error. Deterministic for a given backend.
 * The same as exam_grader_prepare followed by exam_grader_grade_prepared. */
exam_status exam_grader_grade(exam_grader *g, const exam_grade_job *jobs, size_t n,
                              exam_grade_result *results);

/* Jobs made ready for grading by exam_grader_prepare: everything that needs no backend. */
typedef struct exam_grade_prep exam_grade_prep;

/* The first half of grading: resolves each job's question, computes its text signals, removes
 * injected sentences, splits the rest into sentences and tokenizes the answer and its
 * sentences with the encoder's tokenizer. A job that cannot be graded (unknown question,
 * invalid UTF-8, ...) keeps its error for its result; the others are unaffected.
 * It only reads g (the bank, the tokenizer) and uses no shared scratch, so it may run on one
 * thread while exam_grader_grade_prepared runs on another with the same grader. The prep
 * borrows the jobs' strings (not the exam_grade_job structs, which may move): they must
 * outlive it. *out is NULL on error. Errors: EXAM_ERR_NOMEM. */
exam_status exam_grader_prepare(const exam_grader *g, const exam_grade_job *jobs, size_t n,
                                exam_grade_prep **out);

/* The second half: inline-reference vectors, encoding of the prepared tokens, similarity ops
 * and scoring, into results[0..exam_grade_prep_count(prep)) in prep order; results as
 * exam_grader_grade gives for the same jobs (latency_ms counts the prep's time too). prep must
 * come from exam_grader_prepare on this grader; it is only read and is still the caller's to
 * free. Errors as exam_grader_grade: then every result carries the error. */
exam_status exam_grader_grade_prepared(exam_grader *g, const exam_grade_prep *prep,
                                       exam_grade_result *results);

/* An empty prep, to gather others into with exam_grade_prep_append. Errors: EXAM_ERR_NOMEM. */
exam_status exam_grade_prep_new(exam_grade_prep **out);

/* Moves src's jobs to the end of dst (src is left empty, still to be freed), so preps of single
 * jobs can be graded as one batch. Errors: EXAM_ERR_NOMEM (both unchanged). */
exam_status exam_grade_prep_append(exam_grade_prep *dst, exam_grade_prep *src);

/* The number of jobs in a prep (0 for NULL). */
size_t exam_grade_prep_count(const exam_grade_prep *prep);

/* Wordpieces of job i's answer as it will be encoded (injected sentences removed, no
 * [CLS]/[SEP]); 0 for a job that will not be encoded (failed, empty, a non-answer). */
size_t exam_grade_prep_answer_tokens(const exam_grade_prep *prep, size_t i);

/* Seconds spent in exam_grader_prepare for the jobs a prep holds. */
double exam_grade_prep_seconds(const exam_grade_prep *prep);

/* Frees a prep (NULL is allowed). */
void exam_grade_prep_free(exam_grade_prep *prep);

#endif
