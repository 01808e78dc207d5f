/* The grader's first half (see grade.h): question lookup, text signals, injection removal,
 * sentence splitting and WordPiece of what will be encoded. It only reads the grader, so it can
 * run on another thread while a batch is graded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grade_internal.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void job_error(exam_prep_job *p, exam_status st, const char *msg) {
    p->status = st;
    snprintf(p->error, sizeof p->error, "%s", msg);
}

static void prep_job_free(exam_prep_job *p) {
    exam_text_signals_free(&p->sig);
    free(p->kept);
    for (size_t k = 0; p->sent_tok && k < p->sentences.count; k++)
        exam_tokens_free(&p->sent_tok[k]);
    free(p->sent_tok);
    exam_spans_free(&p->sentences);
    exam_strlist_free(&p->own_kps);
    exam_tokens_free(&p->ans_tok);
    memset(p, 0, sizeof *p);
}

/* Tokenizes text[0..len) as the encoder would the NUL-terminated copy the grader once made
 * (so up to the first NUL). A bad text is the job's error (1 returned); only out of memory
 * is the batch's. */
static exam_status tokenize(const exam_tokenizer *tok, const char *text, size_t len,
                            exam_tokens *out, exam_prep_job *p, const char *what, int *bad) {
    exam_status st = exam_tokenizer_encode(tok, text, strnlen(text, len), out);
    if (st == EXAM_ERR_NOMEM) return st;
    if (st != EXAM_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s: %s", what, exam_error_message());
        job_error(p, st, msg);
        *bad = 1;
    }
    return EXAM_OK;
}

/* Resolves a job's question and text signals, splits and tokenizes what will be encoded; marks
 * it active when it needs features. Returns an error only for out of memory. */
static exam_status prepare_job(const exam_grader *g, const exam_grade_job *job, exam_prep_job *p) {
    const exam_question *bq = NULL;
    p->question = job->question;
    p->reference = job->reference;
    if (job->question_id && job->question_id[0]) {
        bq = exam_bank_find(g->bank, job->question_id);
        if (!bq && (!job->reference || !job->reference[0])) {
            char msg[200];
            snprintf(msg, sizeof msg, "unknown question_id \"%.120s\"", job->question_id);
            job_error(p, EXAM_ERR_NOT_FOUND, msg);
            return EXAM_OK;
        }
    }
    p->bq = bq;
    p->question_id = bq ? bq->id : "";
    const char *question_text = job->question ? job->question : (bq ? bq->question : "");
    exam_status st =
        exam_text_signals_compute(job->answer, job->answer_len, question_text, &p->sig);
    if (st == EXAM_ERR_NOMEM) return st;
    if (st != EXAM_OK) {
        job_error(p, st, exam_error_message());
        return EXAM_OK;
    }
    if ((st = exam_text_signals_strip(&p->sig, job->answer, job->answer_len, &p->kept,
                                      &p->kept_len)) != EXAM_OK)
        return st;
    if ((st = exam_split_sentences(p->kept, p->kept_len, &p->sentences)) != EXAM_OK) return st;
    if (p->sig.empty || p->sig.non_answer || exam_text_is_blank(p->kept, p->kept_len))
        return EXAM_OK;
    if (job->reference && job->reference[0]) {
        if ((st = exam_bank_split_points(job->reference, &p->own_kps)) != EXAM_OK) return st;
        if (p->own_kps.count == 0 && (st = exam_strlist_push(&p->own_kps, job->reference,
                                                             strlen(job->reference))) != EXAM_OK)
            return st;
    }
    const exam_tokenizer *tok = exam_encoder_tokenizer(g->enc);
    int bad = 0;
    if ((st = tokenize(tok, p->kept, p->kept_len, &p->ans_tok, p, "answer", &bad)) != EXAM_OK ||
        bad)
        return st;
    p->sent_tok = calloc(p->sentences.count + 1, sizeof *p->sent_tok);
    if (!p->sent_tok) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < p->sentences.count; k++) {
        exam_span sp = p->sentences.items[k];
        if ((st = tokenize(tok, p->kept + sp.start, sp.end - sp.start, &p->sent_tok[k], p,
                           "sentence", &bad)) != EXAM_OK ||
            bad)
            return st;
    }
    p->active = 1;
    return EXAM_OK;
}

exam_status exam_grader_prepare(const exam_grader *g, const exam_grade_job *jobs, size_t n,
                                exam_grade_prep **out) {
    *out = NULL;
    double t0 = now_seconds();
    exam_grade_prep *prep = calloc(1, sizeof *prep);
    if (!prep) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    prep->jobs = calloc(n ? n : 1, sizeof *prep->jobs);
    if (!prep->jobs) {
        free(prep);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    prep->cap = n ? n : 1;
    prep->n = n;
    for (size_t i = 0; i < n; i++) {
        exam_status st = prepare_job(g, &jobs[i], &prep->jobs[i]);
        if (st != EXAM_OK) {
            exam_grade_prep_free(prep);
            return st;
        }
        /* a job that failed keeps nothing but its error */
        if (prep->jobs[i].status != EXAM_OK) {
            exam_prep_job e = prep->jobs[i];
            memset(&prep->jobs[i], 0, sizeof prep->jobs[i]);
            prep->jobs[i].status = e.status;
            prep->jobs[i].question_id = e.question_id;
            memcpy(prep->jobs[i].error, e.error, sizeof e.error);
            prep_job_free(&e);
        }
    }
    prep->seconds = now_seconds() - t0;
    *out = prep;
    return EXAM_OK;
}

size_t exam_grade_prep_count(const exam_grade_prep *prep) {
    return prep ? prep->n : 0;
}

size_t exam_grade_prep_answer_tokens(const exam_grade_prep *prep, size_t i) {
    return prep && i < prep->n ? prep->jobs[i].ans_tok.count : 0;
}

double exam_grade_prep_seconds(const exam_grade_prep *prep) {
    return prep ? prep->seconds : 0.0;
}

exam_status exam_grade_prep_append(exam_grade_prep *dst, exam_grade_prep *src) {
    if (!src || src->n == 0) return EXAM_OK;
    if (dst->n + src->n > dst->cap) {
        size_t cap = dst->cap * 2 > dst->n + src->n ? dst->cap * 2 : dst->n + src->n;
        exam_prep_job *jobs = realloc(dst->jobs, cap * sizeof *jobs);
        if (!jobs) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        dst->jobs = jobs;
        dst->cap = cap;
    }
    memcpy(dst->jobs + dst->n, src->jobs, src->n * sizeof *src->jobs);
    dst->n += src->n;
    dst->seconds += src->seconds;
    src->n = 0;
    src->seconds = 0;
    return EXAM_OK;
}

exam_status exam_grade_prep_new(exam_grade_prep **out) {
    *out = calloc(1, sizeof **out);
    return *out ? EXAM_OK : exam_error_set(EXAM_ERR_NOMEM, "out of memory");
}

void exam_grade_prep_free(exam_grade_prep *prep) {
    if (!prep) return;
    for (size_t i = 0; i < prep->n; i++) prep_job_free(&prep->jobs[i]);
    free(prep->jobs);
    free(prep);
}
