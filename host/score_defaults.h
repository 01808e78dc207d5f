/* The score's default parameters. The FITTED block comes from tools/fit_score.py run on the
 * SemEval-2013 Task 7 training data only (tools/semeval_eval.sh --fit; the full output is in
 * docs/grading-semeval-fit.txt): the feature set by 5-fold cross-validation, the weights by
 * maximum likelihood with non-negative weights, the key-point threshold by coverage AUC, and
 * the misconception weight and flag margin with half of each question's answers held out and
 * their contradictory ones standing in as common mistakes. The design constants below cover
 * what SemEval cannot inform (it has no stuffed, copied or off-topic answers to speak of). */
#ifndef EXAM_SCORE_DEFAULTS_H
#define EXAM_SCORE_DEFAULTS_H

/* FITTED: written by tools/fit_score.py; do not edit by hand */
#define EXAM_SCORE_BIAS (-2.6577)
#define EXAM_SCORE_W_COSINE 0.0000
#define EXAM_SCORE_W_BERT_P 0.0000
#define EXAM_SCORE_W_BERT_R 2.4003
#define EXAM_SCORE_W_BERT_F 0.0000
#define EXAM_SCORE_W_DEMOTED_P 0.0000
#define EXAM_SCORE_W_DEMOTED_R 2.1509
#define EXAM_SCORE_W_DEMOTED_F 0.0000
#define EXAM_SCORE_W_COVERAGE 0.0000
#define EXAM_SCORE_W_NEGATION 0.4707
#define EXAM_SCORE_W_MISCONCEPTION 5.5000
#define EXAM_SCORE_MISCONCEPTION_MARGIN 0.03
#define EXAM_SCORE_COVERAGE_THRESHOLD 0.55
#define EXAM_SCORE_COVERAGE_WIDTH 0.20
/* features: bert_r,demoted_r,negation_mismatch */
/* 5-fold cross-validated ROC AUC, folds grouped by question: beetle 0.8249, sciEntsBank 0.7332;
 * stratified over answers: beetle 0.8258, sciEntsBank 0.7360 */
/* END FITTED */

/* ---- design constants ---- */
/* A sentence states a misconception when it matches a common mistake at 0.55 or more and beats
 * everything in the reference by the (fitted) margin. */
#define EXAM_SCORE_MISCONCEPTION_THRESHOLD 0.55
/* Off topic: relevance (best cosine with the reference or the question) at or below 0.10
 * scores 0; the penalty fades out linearly by 0.25. */
#define EXAM_SCORE_RELEVANCE_FLOOR 0.10
#define EXAM_SCORE_RELEVANCE_FULL 0.25
/* Keyword stuffing earns nothing: the score is multiplied by 1 - stuffing, so a bare keyword
 * list (stuffing 1) scores 0 and a partly list-like answer keeps the share that reads as
 * prose. */
#define EXAM_SCORE_STUFFING_PENALTY 1.0
/* Copying the question: an answer that adds at most one content word of its own and whose
 * embedding is as close to the question's as 0.90 scores 0; the penalty fades out by 0.85.
 * (A rule on the share of question words instead zeroed 1.4-4.7% of SemEval's correct answers,
 * which often reuse the question's words, and cost up to 0.04 AUC; this one touches under
 * 0.1% of them and leaves the AUC as it was.) */
#define EXAM_SCORE_COPY_COSINE_START 0.85
#define EXAM_SCORE_COPY_COSINE_ZERO 0.90
#define EXAM_SCORE_COPY_MAX_NOVEL 1.0

#endif
