/* The score combination (see score.h for its contract and score_defaults.h for the values). */
#include "score.h"

#include <math.h>

#include "score_defaults.h"

exam_score_params exam_score_default_params(void) {
    exam_score_params p = {
        .bias = EXAM_SCORE_BIAS,
        .w_cosine = EXAM_SCORE_W_COSINE,
        .w_bert_p = EXAM_SCORE_W_BERT_P,
        .w_bert_r = EXAM_SCORE_W_BERT_R,
        .w_bert_f = EXAM_SCORE_W_BERT_F,
        .w_coverage = EXAM_SCORE_W_COVERAGE,
        .w_demoted_p = EXAM_SCORE_W_DEMOTED_P,
        .w_demoted_r = EXAM_SCORE_W_DEMOTED_R,
        .w_demoted_f = EXAM_SCORE_W_DEMOTED_F,
        .w_misconception = EXAM_SCORE_W_MISCONCEPTION,
        .w_negation = EXAM_SCORE_W_NEGATION,
        .coverage_threshold = EXAM_SCORE_COVERAGE_THRESHOLD,
        .coverage_width = EXAM_SCORE_COVERAGE_WIDTH,
        .misconception_threshold = EXAM_SCORE_MISCONCEPTION_THRESHOLD,
        .misconception_margin = EXAM_SCORE_MISCONCEPTION_MARGIN,
        .relevance_floor = EXAM_SCORE_RELEVANCE_FLOOR,
        .relevance_full = EXAM_SCORE_RELEVANCE_FULL,
        .stuffing_penalty = EXAM_SCORE_STUFFING_PENALTY,
        .copy_cosine_start = EXAM_SCORE_COPY_COSINE_START,
        .copy_cosine_zero = EXAM_SCORE_COPY_COSINE_ZERO,
        .copy_max_novel = EXAM_SCORE_COPY_MAX_NOVEL,
    };
    return p;
}

static double clamp01(double x) {
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

double exam_score_model(const exam_score_params *p, const exam_features *f) {
    double z = p->bias + p->w_cosine * f->cosine + p->w_bert_p * f->bert_p +
               p->w_bert_r * f->bert_r + p->w_bert_f * f->bert_f + p->w_coverage * f->coverage +
               p->w_demoted_p * f->demoted_p + p->w_demoted_r * f->demoted_r +
               p->w_demoted_f * f->demoted_f - p->w_misconception * f->misconception -
               p->w_negation * f->negation_mismatch;
    return 10.0 / (1.0 + exp(-z));
}

double exam_score_coverage_step(const exam_score_params *p, double sim) {
    if (p->coverage_width <= 0) return sim >= p->coverage_threshold ? 1.0 : 0.0;
    return clamp01((sim - p->coverage_threshold) / p->coverage_width + 0.5);
}

double exam_score_offtopic_factor(const exam_score_params *p, double relevance) {
    if (p->relevance_full <= p->relevance_floor) return relevance > p->relevance_floor ? 1.0 : 0.0;
    return clamp01((relevance - p->relevance_floor) / (p->relevance_full - p->relevance_floor));
}

double exam_score_stuffing_factor(const exam_score_params *p, double stuffing) {
    return clamp01(1.0 - p->stuffing_penalty * clamp01(stuffing));
}

double exam_score_copy_factor(const exam_score_params *p, double question_cosine,
                              double novel_words) {
    if (novel_words > p->copy_max_novel) return 1.0;
    if (p->copy_cosine_zero <= p->copy_cosine_start)
        return question_cosine >= p->copy_cosine_zero ? 0.0 : 1.0;
    return clamp01((p->copy_cosine_zero - question_cosine) /
                   (p->copy_cosine_zero - p->copy_cosine_start));
}

double exam_score_combine(const exam_score_params *p, const exam_features *f,
                          const exam_score_signals *s) {
    if (s->empty || s->nothing_left) return 0.0;
    double score = exam_score_model(p, f) * exam_score_offtopic_factor(p, f->relevance) *
                   exam_score_stuffing_factor(p, s->stuffing) *
                   exam_score_copy_factor(p, s->question_cosine, s->novel_words);
    score = round(score * 100.0) / 100.0;
    return score < 0 ? 0 : score > 10 ? 10 : score;
}
