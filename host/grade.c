/* The grader: answer embedding, similarity features through the backend, score and
 * explanation (see grade.h); the question vectors live in grade_vectors.c. */
#include "grade.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grade_internal.h"
#include "similarity.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double exam_grader_bank_seconds(const exam_grader *g) {
    return g->bank_seconds;
}

double exam_grader_encode_seconds(const exam_grader *g) {
    return g->encode_seconds;
}

exam_status exam_grader_init(const exam_bank *bank, exam_encoder *enc,
                             const exam_score_params *params, const char *cache_dir,
                             exam_grader **out) {
    *out = NULL;
    exam_grader *g = calloc(1, sizeof *g);
    if (!g) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    g->bank = bank;
    g->enc = enc;
    g->be = exam_encoder_backend(enc);
    g->dim = exam_encoder_dim(enc);
    g->params = params ? *params : exam_score_default_params();
    double t0 = now_seconds();
    exam_status st = exam_bank_vectors_build(bank, enc, cache_dir, &g->bv, &g->from_cache, NULL);
    g->bank_seconds = now_seconds() - t0;
    if (st != EXAM_OK) {
        free(g);
        return st;
    }
    *out = g;
    return EXAM_OK;
}

void exam_grader_free(exam_grader *g) {
    if (!g) return;
    exam_bank_vectors_free(&g->bv);
    free(g);
}

int exam_grader_from_cache(const exam_grader *g) {
    return g->from_cache;
}

static exam_status encode(exam_grader *g, const exam_tokens *toks, int n, int want_tokens,
                          exam_embeddings *out) {
    return exam_gv_encode_tokens(g->enc, toks, n, want_tokens, out, &g->encode_seconds);
}

static float idf_of(const exam_grader *g, int32_t id) {
    return exam_idf_weight(&g->bv.idf, id);
}

/* ---- grading ---- */

/* Per-job working state of the second half. */
typedef struct job_work {
    const exam_prep_job *pj; /* what exam_grader_prepare found */
    int active;              /* features are computed for it */
    exam_qvec *v;            /* the vectors used (bank cache or `own`) */
    exam_qvec own;           /* vectors of an inline question */
    int owns;
    const char *const *kp_text;
    const char *const *mis_text;
    const char **ref_text; /* the reference texts, in exam_qvec order */
    int ans_index;         /* its row among the encoded answers */
    int sent_first;        /* its first row among the encoded sentences */
} job_work;

static void set_error(exam_grade_result *r, exam_status st, const char *msg) {
    r->status = st;
    snprintf(r->error, sizeof r->error, "%s", msg);
}

static exam_status add_flag(exam_grade_result *r, const char *flag) {
    return exam_strlist_push(&r->flags, flag, strlen(flag));
}

/* The idf-weighted mean of best[0..n) (weights given, or looked up from ids); with `demote`,
 * tokens that occur in the question weigh nothing (0 when every token does). */
static double weighted_mean(const float *best, const float *weights, const int32_t *ids,
                            const exam_grader *g, int n, const exam_qvec *demote) {
    double num = 0, den = 0;
    for (int i = 0; i < n; i++) {
        double wgt = weights ? weights[i] : idf_of(g, ids[i]);
        if (demote && exam_qvec_in_question(demote, ids[i])) continue;
        num += wgt * best[i];
        den += wgt;
    }
    if (den <= 1e-9) { /* every token weighs nothing: fall back to a plain mean */
        if (demote) return 0.0;
        num = 0;
        for (int i = 0; i < n; i++) num += best[i];
        return n ? num / n : 0.0;
    }
    return num / den;
}

static exam_status explain(exam_grader *g, job_work *w, const float *cos, int rows, int cols,
                           exam_grade_result *r) {
    const exam_qvec *v = w->v;
    const exam_score_params *p = &g->params;
    /* column layout: refs | key points | mistakes | question | reference sentences */
    int c_kp = v->n_refs, c_mis = c_kp + v->n_kp, c_q = c_mis + v->n_mis;
    double best_ref = -1;
    int best_k = 0;
    for (int k = 0; k < v->n_refs; k++)
        if (cos[k] > best_ref) {
            best_ref = cos[k];
            best_k = k;
        }
    const char *ref_text = w->ref_text ? w->ref_text[best_k] : NULL;
    if (ref_text)
        r->negation_mismatch = exam_text_has_negation(w->pj->kept, w->pj->kept_len) !=
                               exam_text_has_negation(ref_text, strlen(ref_text));
    r->features.negation_mismatch = r->negation_mismatch;
    r->features.cosine = best_ref;
    r->question_cosine = cos[c_q];
    r->features.relevance = best_ref > r->question_cosine ? best_ref : r->question_cosine;
    /* coverage: the best of the references' key-point coverages; the explanation lists the
     * model answer's key points (the first reference's) */
    r->n_kp = (size_t)v->kp_off[1];
    r->kp_best = calloc(r->n_kp ? r->n_kp : 1, sizeof *r->kp_best);
    if (!r->kp_best) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    double best_cov = 0;
    if (v->n_refs > 1) {
        r->n_alt = (size_t)v->n_refs - 1;
        r->n_alt_kp = (size_t)(v->kp_off[v->n_refs] - v->kp_off[1]);
        r->alt_kp_best = calloc(r->n_alt_kp ? r->n_alt_kp : 1, sizeof *r->alt_kp_best);
        r->alt_kp_off = malloc((r->n_alt + 1) * sizeof *r->alt_kp_off);
        if (!r->alt_kp_best || !r->alt_kp_off)
            return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        for (size_t a = 0; a <= r->n_alt; a++) r->alt_kp_off[a] = v->kp_off[a + 1] - v->kp_off[1];
    }
    for (int ref = 0; ref < v->n_refs; ref++) {
        int k0 = v->kp_off[ref], k1 = v->kp_off[ref + 1];
        if (k1 <= k0) continue;
        double cov = 0;
        for (int k = k0; k < k1; k++) {
            double b = -1;
            for (int s = 0; s < rows; s++)
                if (cos[s * cols + c_kp + k] > b) b = cos[s * cols + c_kp + k];
            cov += exam_score_coverage_step(p, b);
            if (ref > 0) {
                r->alt_kp_best[k - v->kp_off[1]] = b;
                continue;
            }
            r->kp_best[k] = b;
            exam_strlist *dst = b >= p->coverage_threshold ? &r->covered : &r->missed;
            exam_status st = exam_strlist_push(dst, w->kp_text[k], strlen(w->kp_text[k]));
            if (st != EXAM_OK) return st;
        }
        cov /= (double)(k1 - k0);
        if (cov > best_cov) best_cov = cov;
    }
    r->features.coverage = best_cov;
    /* misconceptions: a sentence closer to a common mistake than to anything in the reference */
    double mis = 0;
    int first_sentence_row = rows > 1 ? 1 : 0;
    for (int m = 0; m < v->n_mis; m++) {
        int flagged = 0;
        for (int s = first_sentence_row; s < rows; s++) {
            const float *row = cos + (size_t)s * cols;
            double ref = -1;
            for (int c = 0; c < c_mis; c++)
                if (row[c] > ref) ref = row[c];
            for (int c = c_q + 1; c < cols; c++) /* the references' own sentences */
                if (row[c] > ref) ref = row[c];
            double margin = row[c_mis + m] - ref;
            if (margin > mis) mis = margin;
            if (row[c_mis + m] >= p->misconception_threshold && margin >= p->misconception_margin)
                flagged = 1;
        }
        if (flagged) {
            exam_status st =
                exam_strlist_push(&r->misconceptions, w->mis_text[m], strlen(w->mis_text[m]));
            if (st != EXAM_OK) return st;
        }
    }
    r->features.misconception = mis;
    return EXAM_OK;
}

exam_status exam_grader_grade_prepared(exam_grader *g, const exam_grade_prep *prep,
                                       exam_grade_result *results) {
    double t_start = now_seconds();
    const size_t n = prep->n;
    for (size_t i = 0; i < n; i++) memset(&results[i], 0, sizeof results[i]);
    if (n == 0) return EXAM_OK;
    job_work *w = calloc(n, sizeof *w);
    if (!w) {
        exam_status e = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) set_error(&results[i], e, exam_error_message());
        return e;
    }
    exam_status st = EXAM_OK;
    exam_embeddings ea = {0}, es = {0};
    exam_tokens *ans = NULL, *sent = NULL;
    float *cos = NULL, *a_tok = NULL, *b_tok = NULL, *a_best = NULL, *b_best = NULL;
    int *a_off = NULL, *b_off = NULL, *pair_job = NULL, *pair_ref = NULL;
    const int d = g->dim;

    /* 1. what the prep found: questions, text signals, per-job errors */
    for (size_t i = 0; i < n; i++) {
        const exam_prep_job *pj = &prep->jobs[i];
        w[i].pj = pj;
        w[i].active = pj->active;
        results[i].question_id = pj->question_id;
        if (pj->status != EXAM_OK) set_error(&results[i], pj->status, pj->error);
    }
    /* 2. vectors of inline questions */
    for (size_t i = 0; i < n && st == EXAM_OK; i++) {
        if (!w[i].active) continue;
        const exam_prep_job *pj = w[i].pj;
        if (pj->reference && pj->reference[0]) {
            exam_qsrc s = {0};
            const char *ref = pj->reference;
            s.refs = &ref;
            s.n_refs = 1;
            s.kps = (const char *const *)pj->own_kps.items;
            s.n_kp = (int)pj->own_kps.count;
            if (pj->bq) {
                s.mis = (const char *const *)pj->bq->common_mistakes.items;
                s.n_mis = (int)pj->bq->common_mistakes.count;
            }
            s.question = pj->question ? pj->question : (pj->bq ? pj->bq->question : "");
            if ((st = exam_qvecs_build(g->enc, &s, 1, &g->bv.idf, &w[i].own, &g->encode_seconds)) !=
                EXAM_OK)
                break;
            w[i].owns = 1;
            w[i].v = &w[i].own;
            w[i].kp_text = s.kps;
            w[i].ref_text = malloc(sizeof *w[i].ref_text);
            if (!w[i].ref_text) {
                st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
                break;
            }
            w[i].ref_text[0] = pj->reference;
            w[i].mis_text = s.mis;
        } else {
            w[i].v = &g->bv.q[pj->bq - g->bank->questions];
            w[i].kp_text = (const char *const *)pj->bq->key_points.items;
            w[i].mis_text = (const char *const *)pj->bq->common_mistakes.items;
            int nr;
            w[i].ref_text = exam_question_refs(pj->bq, &nr);
            if (!w[i].ref_text) {
                st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
                break;
            }
        }
    }
    /* 3. embed answers (token level) and their sentences */
    int n_ans = 0, n_sent = 0;
    for (size_t i = 0; i < n; i++)
        if (w[i].active) {
            n_ans++;
            n_sent += (int)w[i].pj->sentences.count;
        }
    /* shallow copies of the prepared token lists: the encoder only reads them */
    ans = malloc((size_t)(n_ans + 1) * sizeof *ans);
    sent = malloc((size_t)(n_sent + 1) * sizeof *sent);
    if (st == EXAM_OK && (!ans || !sent)) st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    int a = 0, s = 0;
    for (size_t i = 0; i < n && st == EXAM_OK; i++) {
        if (!w[i].active) continue;
        w[i].ans_index = a;
        ans[a++] = w[i].pj->ans_tok;
        w[i].sent_first = s;
        for (size_t k = 0; k < w[i].pj->sentences.count; k++) sent[s++] = w[i].pj->sent_tok[k];
    }
    if (st == EXAM_OK) st = encode(g, ans, n_ans, 1, &ea);
    if (st == EXAM_OK) st = encode(g, sent, n_sent, 0, &es);

    /* 4. token matching for every (answer, reference) pair in one backend call */
    int n_pairs = 0;
    size_t a_rows = 0, b_rows = 0;
    for (size_t i = 0; i < n && st == EXAM_OK; i++) {
        if (!w[i].active) continue;
        int ai = w[i].ans_index;
        int at = ea.token_offsets[ai + 1] - ea.token_offsets[ai];
        for (int k = 0; k < w[i].v->n_refs; k++) {
            n_pairs++;
            a_rows += (size_t)at;
            b_rows += (size_t)(w[i].v->tok_off[k + 1] - w[i].v->tok_off[k]);
        }
    }
    if (st == EXAM_OK) {
        a_tok = malloc((a_rows + 1) * d * sizeof *a_tok);
        b_tok = malloc((b_rows + 1) * d * sizeof *b_tok);
        a_best = malloc((a_rows + 1) * sizeof *a_best);
        b_best = malloc((b_rows + 1) * sizeof *b_best);
        a_off = malloc((size_t)(n_pairs + 1) * sizeof *a_off);
        b_off = malloc((size_t)(n_pairs + 1) * sizeof *b_off);
        pair_job = malloc((size_t)(n_pairs + 1) * sizeof *pair_job);
        pair_ref = malloc((size_t)(n_pairs + 1) * sizeof *pair_ref);
        if (!a_tok || !b_tok || !a_best || !b_best || !a_off || !b_off || !pair_job || !pair_ref)
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory for token matching");
    }
    if (st == EXAM_OK) {
        int p = 0;
        size_t ar = 0, br = 0;
        a_off[0] = b_off[0] = 0;
        for (size_t i = 0; i < n; i++) {
            if (!w[i].active) continue;
            int ai = w[i].ans_index;
            int t0 = ea.token_offsets[ai], at = ea.token_offsets[ai + 1] - t0;
            for (int k = 0; k < w[i].v->n_refs; k++) {
                int r0 = w[i].v->tok_off[k], rt = w[i].v->tok_off[k + 1] - r0;
                memcpy(a_tok + ar * d, ea.tokens + (size_t)t0 * d, (size_t)at * d * sizeof(float));
                memcpy(b_tok + br * d, w[i].v->tok + (size_t)r0 * d,
                       (size_t)rt * d * sizeof(float));
                ar += (size_t)at;
                br += (size_t)rt;
                pair_job[p] = (int)i;
                pair_ref[p] = k;
                a_off[p + 1] = (int)ar;
                b_off[p + 1] = (int)br;
                p++;
            }
        }
        st = exam_sim_greedy(g->be, a_tok, a_off, b_tok, b_off, n_pairs, d, a_best, b_best);
    }
    /* BERTScore P/R/F per pair; each job keeps its best reference (by F) */
    for (int p = 0; p < n_pairs && st == EXAM_OK; p++) {
        job_work *wk = &w[pair_job[p]];
        exam_grade_result *r = &results[pair_job[p]];
        int ai = wk->ans_index, t0 = ea.token_offsets[ai];
        int na = a_off[p + 1] - a_off[p], nb = b_off[p + 1] - b_off[p];
        const float *rw = wk->v->tok_w + wk->v->tok_off[pair_ref[p]];
        const int32_t *rid = wk->v->tok_ids + wk->v->tok_off[pair_ref[p]];
        double P = weighted_mean(a_best + a_off[p], NULL, ea.token_ids + t0, g, na, NULL);
        double R = weighted_mean(b_best + b_off[p], rw, rid, g, nb, NULL);
        double F = (P + R) > 1e-9 ? 2 * P * R / (P + R) : 0.0;
        if (pair_ref[p] == 0 || F > r->features.bert_f) {
            r->features.bert_p = P;
            r->features.bert_r = R;
            r->features.bert_f = F;
        }
        /* question-demoted variants: words given by the question earn nothing */
        double Pq = weighted_mean(a_best + a_off[p], NULL, ea.token_ids + t0, g, na, wk->v);
        double Rq = weighted_mean(b_best + b_off[p], rw, rid, g, nb, wk->v);
        double Fq = (Pq + Rq) > 1e-9 ? 2 * Pq * Rq / (Pq + Rq) : 0.0;
        if (pair_ref[p] == 0 || Fq > r->features.demoted_f) {
            r->features.demoted_p = Pq;
            r->features.demoted_r = Rq;
            r->features.demoted_f = Fq;
        }
    }
    /* 5. sentence-level cosines, key points, misconceptions, score */
    for (size_t i = 0; i < n && st == EXAM_OK; i++) {
        exam_grade_result *r = &results[i];
        job_work *wk = &w[i];
        const exam_prep_job *pj = wk->pj;
        if (r->status != EXAM_OK) continue;
        r->stuffing = pj->sig.stuffing;
        r->copy_ratio = pj->sig.copy_ratio;
        r->novel_words = pj->sig.novel_words;
        r->injected_sentences = pj->sig.injection.count;
        exam_score_signals ss = {0};
        ss.empty = pj->sig.empty || pj->sig.non_answer;
        ss.nothing_left = !wk->active && !ss.empty;
        ss.stuffing = pj->sig.stuffing;
        ss.novel_words = (double)pj->sig.novel_words;
        if (pj->sig.empty)
            st = add_flag(r, "empty");
        else if (pj->sig.non_answer)
            st = add_flag(r, "non_answer");
        if (st == EXAM_OK && pj->sig.injection.count) st = add_flag(r, "prompt_injection");
        if (st != EXAM_OK) break;
        if (wk->active) {
            const exam_qvec *v = wk->v;
            int rows = 1 + (int)pj->sentences.count;
            int cols = v->n_refs + v->n_kp + v->n_mis + 1 + v->n_rs;
            float *arow = malloc((size_t)rows * d * sizeof *arow);
            float *brow = malloc((size_t)cols * d * sizeof *brow);
            free(cos);
            cos = malloc((size_t)rows * cols * sizeof *cos);
            if (!arow || !brow || !cos) {
                free(arow);
                free(brow);
                st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
                break;
            }
            memcpy(arow, ea.sentences + (size_t)wk->ans_index * d, (size_t)d * sizeof(float));
            memcpy(arow + d, es.sentences + (size_t)wk->sent_first * d,
                   pj->sentences.count * d * sizeof(float));
            float *bp = brow;
            memcpy(bp, v->ref, (size_t)v->n_refs * d * sizeof(float));
            bp += (size_t)v->n_refs * d;
            memcpy(bp, v->kp, (size_t)v->n_kp * d * sizeof(float));
            bp += (size_t)v->n_kp * d;
            memcpy(bp, v->mis, (size_t)v->n_mis * d * sizeof(float));
            bp += (size_t)v->n_mis * d;
            memcpy(bp, v->question, (size_t)d * sizeof(float));
            bp += d;
            memcpy(bp, v->rs, (size_t)v->n_rs * d * sizeof(float));
            st = exam_sim_cosine(g->be, arow, rows, brow, cols, d, cos);
            free(arow);
            free(brow);
            if (st == EXAM_OK) st = explain(g, wk, cos, rows, cols, r);
            if (st != EXAM_OK) break;
            r->model_score = exam_score_model(&g->params, &r->features);
        } else if (pj->bq) {
            /* nothing graded: every key point is missed */
            const exam_strlist *kps = &pj->bq->key_points;
            for (size_t k = 0; k < kps->count && st == EXAM_OK; k++)
                st = exam_strlist_push(&r->missed, kps->items[k], strlen(kps->items[k]));
        }
        ss.question_cosine = r->question_cosine;
        r->score = exam_score_combine(&g->params, &r->features, &ss);
        if (wk->active) {
            const exam_score_params *p = &g->params;
            if (st == EXAM_OK && exam_score_offtopic_factor(p, r->features.relevance) < 0.5)
                st = add_flag(r, "off_topic");
            if (st == EXAM_OK && pj->sig.stuffing >= 0.5) st = add_flag(r, "keyword_stuffing");
            if (st == EXAM_OK &&
                exam_score_copy_factor(p, r->question_cosine, (double)pj->sig.novel_words) < 1.0)
                st = add_flag(r, "copied_question");
            if (st == EXAM_OK && r->misconceptions.count) st = add_flag(r, "misconception");
        }
    }
    double per_job_ms = (now_seconds() - t_start + prep->seconds) * 1000.0 / (double)n;
    for (size_t i = 0; i < n; i++) {
        results[i].latency_ms = per_job_ms;
        if (st != EXAM_OK && results[i].status == EXAM_OK)
            set_error(&results[i], st, exam_error_message());
    }
    for (size_t i = 0; i < n; i++) {
        free(w[i].ref_text);
        if (w[i].owns) exam_qvec_free(&w[i].own);
    }
    free(w);
    free(ans);
    free(sent);
    free(cos);
    free(a_tok);
    free(b_tok);
    free(a_best);
    free(b_best);
    free(a_off);
    free(b_off);
    free(pair_job);
    free(pair_ref);
    exam_embeddings_free(&ea);
    exam_embeddings_free(&es);
    return st;
}

exam_status exam_grader_grade(exam_grader *g, const exam_grade_job *jobs, size_t n,
                              exam_grade_result *results) {
    exam_grade_prep *prep = NULL;
    exam_status st = exam_grader_prepare(g, jobs, n, &prep);
    if (st != EXAM_OK) {
        const char *msg = exam_error_message();
        for (size_t i = 0; i < n; i++) {
            memset(&results[i], 0, sizeof results[i]);
            set_error(&results[i], st, msg);
        }
        return st;
    }
    st = exam_grader_grade_prepared(g, prep, results);
    exam_grade_prep_free(prep);
    return st;
}
