/* The answer score: a documented, monotone combination of the similarity features and the text
 * signals, 0..10, with the parameters it uses (defaults in score_defaults.h). */
#ifndef EXAM_SCORE_H
#define EXAM_SCORE_H

/* The similarity features of one answer (all in -1..1 or 0..1). */
typedef struct exam_features {
    double cosine;                          /* answer vs best reference, sentence embeddings */
    double bert_p;                          /* idf-weighted greedy token matching, candidate side */
    double bert_r;                          /* ... reference side */
    double bert_f;                          /* harmonic mean of the two */
    double demoted_p, demoted_r, demoted_f; /* the same with the question's words weighing 0 */
    double coverage;          /* soft share of key points matched by some answer sentence */
    double misconception;     /* how much more an answer sentence matches a common mistake than
                                 the reference (0 when none does) */
    double relevance;         /* max(cosine, cosine with the question text) */
    double negation_mismatch; /* 1 when the answer negates and its closest reference does not,
                                 or the other way round; else 0 */
} exam_features;

/* What the text signals contribute (see grade_signals.h). */
typedef struct exam_score_signals {
    int empty;              /* blank, or a non-answer ("I don't know") */
    int nothing_left;       /* only injected instructions were written */
    double stuffing;        /* 0..1 */
    double question_cosine; /* the answer's cosine with the question text */
    double novel_words;
} exam_score_signals;

/* Parameters of the score. The logistic part is fitted (tools/fit_score.py); the rest are
 * design constants explained in score_defaults.h. */
typedef struct exam_score_params {
    double bias;
    double w_cosine, w_bert_p, w_bert_r, w_bert_f, w_coverage; /* all >= 0 */
    double w_demoted_p, w_demoted_r, w_demoted_f;              /* all >= 0 */
    double w_misconception;                                    /* >= 0, subtracted */
    double w_negation;                                         /* >= 0, subtracted */
    double coverage_threshold;      /* a key point is covered when its best match reaches this */
    double coverage_width;          /* width of the soft step around the threshold */
    double misconception_threshold; /* a sentence must match a mistake at least this well */
    double misconception_margin;    /* ... and beat its match with the reference by this */
    double relevance_floor;         /* relevance at or below this: off topic, score 0 */
    double relevance_full;          /* relevance from which no off-topic penalty applies */
    double stuffing_penalty;        /* score factor 1 - penalty * stuffing */
    double copy_cosine_start; /* copying: no penalty at or below this cosine with the question */
    double copy_cosine_zero;  /* ... and a score of 0 from this cosine on */
    double copy_max_novel;    /* the penalty applies only with at most this many novel words */
} exam_score_params;

/* The shipped defaults (score_defaults.h). */
exam_score_params exam_score_default_params(void);

/* The logistic part alone: 10 * sigmoid(bias + sum of weighted features), 0..10. */
double exam_score_model(const exam_score_params *p, const exam_features *f);

/* Penalty factors in 0..1 (1: no penalty). */
double exam_score_offtopic_factor(const exam_score_params *p, double relevance);
double exam_score_stuffing_factor(const exam_score_params *p, double stuffing);
double exam_score_copy_factor(const exam_score_params *p, double question_cosine,
                              double novel_words);

/* The final score, 0..10, rounded to 0.01: 0 for empty answers and for answers that were only
 * injected instructions; otherwise the model score times the off-topic, stuffing and copy
 * factors. Non-decreasing in every feature but misconception and negation_mismatch, non-increasing
 * in those and in stuffing and question_cosine, non-decreasing in novel_words and relevance. */
double exam_score_combine(const exam_score_params *p, const exam_features *f,
                          const exam_score_signals *s);

/* The soft coverage contribution of one key point whose best match is `sim`, 0..1. */
double exam_score_coverage_step(const exam_score_params *p, double sim);

#endif
