#!/usr/bin/env python3
"""Fits the score's defaults on SemEval-2013 Task 7 training data, with 5-fold cross-validation.

    tools/fit_score.py RESULTS.jsonl... [--write-header host/score_defaults.h]

RESULTS are what `examiner grade` wrote for the jobs of tools/semeval_jobs.py (their meta
carries the corpus and the label); the features are therefore computed by our C code, and
nothing here touches text. It fits what host/score.c combines:

    z = bias + w_cos*cosine + w_p*bert_p + w_r*bert_r + w_f*bert_f + w_cov*coverage(tau)
              - w_neg*negation_mismatch          (every w >= 0: the score is monotone)
    score = 10 * sigmoid(z)

by maximum likelihood for "correct" vs "not correct" with non-negative weights (L-BFGS-B, a
small L2 penalty), choosing the coverage threshold tau and soft-step width from a grid inside
each training fold. Coverage is recomputed here from the per-key-point best matches the
results carry, exactly as host/score.c does. Reported: per-feature ROC AUC per corpus, and the
cross-validated AUC of the fitted score per corpus for two splits: 5 folds grouped by question
(questions unseen in training) and 5 stratified folds over answers (answers unseen). The final
defaults are fitted on all the training data and printed as C #defines (or written into the
header between its FITTED markers).

Needs numpy and scipy (the project's reference environment has them).
"""
import argparse
import json
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.stats import rankdata

TAUS = [0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75]
WIDTHS = [0.0, 0.1, 0.2, 0.3]
SEED = 20131
L2 = 1e-3


def auc(score, y):
    r = rankdata(score)
    n1 = y.sum()
    n0 = len(y) - n1
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def step(sim, tau, width):
    if width <= 0:
        return (sim >= tau).astype(float)
    return np.clip((sim - tau) / width + 0.5, 0.0, 1.0)


_FLAT = {}


def _flatten(rows):
    """Per-key-point best matches of every row, with (row, group) ids, computed once."""
    key = id(rows)
    if key not in _FLAT:
        sims, grp, row = [], [], []
        g = 0
        for i, r in enumerate(rows):
            for group in [r.get("key_point_scores") or []] + (r.get("alt_key_point_scores") or []):
                if group:
                    sims.extend(group)
                    grp.extend([g] * len(group))
                    row.append(i)
                    g += 1
        _FLAT[key] = (np.array(sims, float), np.array(grp, int), np.array(row, int), rows)
    return _FLAT[key]


def coverage(rows, tau, width):
    """Best over a row's references of the mean soft step of its key points (as score.c)."""
    sims, grp, row, _ = _flatten(rows)
    out = np.zeros(len(rows))
    if len(sims) == 0:
        return out
    per_group = np.bincount(grp, weights=step(sims, tau, width)) / np.bincount(grp)
    np.maximum.at(out, row, per_group)
    return out


def load(paths):
    rows = []
    for p in paths:
        with open(p) as f:
            for line in f:
                r = json.loads(line)
                if "error" in r or "meta" not in r:
                    continue
                rows.append(r)
    return rows


def matrix(rows, names, cov):
    cols = []
    for n in names:
        if n == "coverage":
            cols.append(cov)
        elif n in rows[0]["features"]:
            cols.append(np.array([r["features"][n] for r in rows], float))
        else:
            cols.append(np.array([r["signals"][n] for r in rows], float))
    return np.stack(cols, 1)


def fit(X, y, signs):
    """Logistic regression with sign-constrained weights: w_j * sign_j >= 0."""
    Xs = X * signs  # fit non-negative weights on sign-flipped columns

    def loss(theta):
        b, w = theta[0], theta[1:]
        z = b + Xs @ w
        p = 1 / (1 + np.exp(-z))
        ll = np.sum(np.logaddexp(0, z) - y * z) / len(y) + L2 * np.sum(w * w)
        g = np.concatenate([[np.mean(p - y)], Xs.T @ (p - y) / len(y) + 2 * L2 * w])
        return ll, g

    theta0 = np.zeros(X.shape[1] + 1)
    bounds = [(None, None)] + [(0, None)] * X.shape[1]
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", bounds=bounds)
    return res.x[0], res.x[1:] * signs, res.fun


def predict(b, w, X):
    return 1 / (1 + np.exp(-(b + X @ w)))


def fit_with_grid(rows, y, names, signs):
    best = None
    grid = [(t, w) for t in TAUS for w in WIDTHS] if "coverage" in names else [(0.6, 0.2)]
    for tau, width in grid:
        if True:
            X = matrix(rows, names, coverage(rows, tau, width))
            b, w, nll = fit(X, y, signs)
            if best is None or nll < best[0]:
                best = (nll, tau, width, b, w)
    return best[1:]


def folds_grouped(groups, k, rng):
    uniq = sorted(set(groups))
    rng.shuffle(uniq)
    fold_of = {g: i % k for i, g in enumerate(uniq)}
    return np.array([fold_of[g] for g in groups])


def folds_stratified(y, k, rng):
    f = np.zeros(len(y), int)
    for cls in (0, 1):
        idx = np.where(y == cls)[0]
        rng.shuffle(idx)
        f[idx] = np.arange(len(idx)) % k
    return f


def cross_validate(rows, y, corpus, names, signs, fold):
    pred = np.zeros(len(y))
    for k in range(5):
        tr = np.where(fold != k)[0]
        te = np.where(fold == k)[0]
        tau, width, b, w = fit_with_grid([rows[i] for i in tr], y[tr], names, signs)
        Xte = matrix([rows[i] for i in te], names, coverage([rows[i] for i in te], tau, width))
        pred[te] = predict(b, w, Xte)
    return {c: auc(pred[corpus == c], y[corpus == c]) for c in sorted(set(corpus))}


CANDIDATES = [
    ["demoted_r"],
    ["bert_r", "demoted_r"],
    ["bert_r", "demoted_r", "coverage"],
    ["bert_r", "demoted_r", "negation_mismatch"],
    ["bert_r", "demoted_r", "coverage", "negation_mismatch"],
    ["cosine", "bert_p", "bert_r", "bert_f", "coverage"],
    ["cosine", "bert_p", "bert_r", "bert_f", "demoted_p", "demoted_r", "demoted_f", "coverage",
     "negation_mismatch"],
]
NEGATIVE = ("negation_mismatch", "misconception", "question_cosine")
MACROS = (("cosine", "W_COSINE"), ("bert_p", "W_BERT_P"), ("bert_r", "W_BERT_R"),
          ("bert_f", "W_BERT_F"), ("demoted_p", "W_DEMOTED_P"), ("demoted_r", "W_DEMOTED_R"),
          ("demoted_f", "W_DEMOTED_F"), ("coverage", "W_COVERAGE"))


def fit_misconception(paths, names, b, w, tau, width):
    """SemEval lists no common mistakes. With every other answer held out and the held-out
    contradictory answers standing in as a question's mistakes, the other answers' misconception
    feature is measured. The feature exists to put answers that contradict the reference below
    correct ones without disturbing the overall order, so its weight (the other weights fixed)
    maximises, averaged over corpora, the mean of two ROC AUCs: correct vs not correct, and
    correct vs contradictory. Maximum likelihood alone (printed beside it) gives a smaller
    weight, as the stand-in mistakes are other students' noisy answers; the contradiction AUC
    alone a larger one. The flag margin is the one with the best Youden J (contradictory vs
    correct)."""
    rows = load(paths)
    y = np.array([r["meta"]["correct"] for r in rows], float)
    lab = np.array([r["meta"]["label"] for r in rows])
    corpus = np.array([r["meta"]["corpus"] for r in rows])
    corpora = sorted(set(corpus))
    z0 = b + matrix(rows, names, coverage(rows, tau, width)) @ w
    mis = np.array([r["features"]["misconception"] for r in rows], float)

    def nll(wm):
        z = z0 - wm * mis
        return float(np.mean(np.logaddexp(0, z) - y * z))

    res = minimize(lambda t: nll(t[0]), [1.0], method="L-BFGS-B", bounds=[(0, 100)])
    w_ml = float(res.x[0])

    def contra_auc(wm):
        z = z0 - wm * mis
        out = []
        for c in corpora:
            k = (corpus == c) & ((lab == "correct") | (lab == "contradictory"))
            out.append(auc(z[k], (lab[k] == "correct").astype(int)))
        return float(np.mean(out)), out

    def balanced(wm):
        z = z0 - wm * mis
        overall = [auc(z[corpus == c], y[corpus == c]) for c in corpora]
        return (np.mean(overall) + contra_auc(wm)[0]) / 2

    grid = [0.5 * i for i in range(0, 61)]
    w_mis = max(grid, key=balanced)
    print("\nmisconceptions (held-out contradictory answers as common mistakes, %d answers)" % len(y))
    for c in corpora:
        m = corpus == c
        print("  %s mean misconception feature: " % c + ", ".join(
            "%s %.4f" % (l, mis[m & (lab == l)].mean()) for l in ("correct", "contradictory", "incorrect")))
        k = m & ((lab == "contradictory") | (lab == "correct"))
        print("  %s AUC of the feature, contradictory vs correct: %.4f" % (c, auc(mis[k], (lab[k] == "contradictory").astype(int))))
    w_contra = max(grid, key=lambda wm: contra_auc(wm)[0])
    print("  weight %.2f: best mean of the two AUCs below (maximum likelihood alone: %.2f; "
          "correct vs contradictory alone: %.2f)" % (w_mis, w_ml, w_contra))
    for wm in (0.0, w_ml, w_mis, w_contra):
        z = z0 - wm * mis
        m, per = contra_auc(wm)
        print("  weight %5.2f: AUC correct vs not " % wm + ", ".join(
            "%s %.4f" % (c, auc(z[corpus == c], y[corpus == c])) for c in corpora) +
            "; correct vs contradictory " + ", ".join("%s %.4f" % (c, a) for c, a in zip(corpora, per)))
    best = None
    for d in (0.03, 0.05, 0.08, 0.10, 0.12, 0.15, 0.20):
        f = mis >= d
        j = f[lab == "contradictory"].mean() - f[lab == "correct"].mean()
        if best is None or j > best[0]:
            best = (j, d)
    print("  flag margin %.2f (Youden J %.3f)" % (best[1], best[0]))
    return w_mis, best[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs="+")
    ap.add_argument("--write-header")
    ap.add_argument("--features", help="comma-separated feature set (default: chosen by CV)")
    ap.add_argument("--no-fit", action="store_true", help="only report AUCs of the graded results")
    ap.add_argument("--misconception-results", nargs="+", default=[],
                    help="results of the -mis jobs of tools/semeval_jobs.py --misconceptions: "
                         "fits the misconception weight (others fixed) and the flag margin")
    args = ap.parse_args()
    rows = load(args.results)
    y = np.array([r["meta"]["correct"] for r in rows])
    corpus = np.array([r["meta"]["corpus"] for r in rows])
    corpora = sorted(set(corpus))
    qid = [r["meta"]["question"] for r in rows]
    print("answers: %d (%s)" % (len(y), ", ".join("%s %d, %d correct" % (c, (corpus == c).sum(), y[corpus == c].sum()) for c in corpora)))

    print("\nper-feature ROC AUC (correct vs not), all training answers")
    cov = coverage(rows, 0.6, 0.2)
    extra = ["demoted_p", "demoted_r", "demoted_f", "question_cosine", "negation_mismatch", "copy_ratio"]
    allnames = ["cosine", "bert_p", "bert_r", "bert_f", "coverage"] + [e for e in extra if e in rows[0]["signals"]]
    X = matrix(rows, allnames, cov)
    print("%-18s" % "feature" + "".join("%14s" % c for c in corpora))
    for j, n in enumerate(allnames):
        print("%-18s" % n + "".join("%14.4f" % auc(X[corpus == c, j], y[corpus == c]) for c in corpora))
    # contradictory vs incorrect: does anything separate them?
    lab = np.array([r["meta"]["label"] for r in rows])
    print("(coverage at tau 0.60, width 0.20; negation_mismatch: AUC < 0.5 means it marks wrong answers)")

    shipped = np.array([r["score"] for r in rows], float)
    print("\nROC AUC of the score as graded (the defaults the binary was built with): " + ", ".join(
        "%s %.4f" % (c, auc(shipped[corpus == c], y[corpus == c])) for c in corpora))
    for c in corpora:
        m = corpus == c
        print("  %s mean score by label: " % c + ", ".join(
            "%s %.2f" % (l, shipped[m & (lab == l)].mean()) for l in ("correct", "contradictory", "incorrect")))
    neg = matrix(rows, ["negation_mismatch"], cov)[:, 0]
    print("  share of answers whose negation disagrees with the closest reference: " + ", ".join(
        "%s %s" % (c, " ".join("%s %.2f" % (l, neg[(corpus == c) & (lab == l)].mean())
                               for l in ("correct", "contradictory", "incorrect"))) for c in corpora))
    if args.no_fit:
        return 0

    candidates = [args.features.split(",")] if args.features else CANDIDATES
    print("\n5-fold cross-validated ROC AUC of the fitted score")
    print("%-64s %-10s" % ("features", "split") + "".join("%13s" % c for c in corpora))
    best = None
    for names in candidates:
        signs = np.array([-1.0 if n in NEGATIVE else 1.0 for n in names])
        rng = np.random.default_rng(SEED)
        g = cross_validate(rows, y, corpus, names, signs, folds_grouped(qid, 5, rng))
        s = cross_validate(rows, y, corpus, names, signs, folds_stratified(y, 5, rng))
        label = ",".join(names)
        print("%-64s %-10s" % (label, "question") + "".join("%13.4f" % g[c] for c in corpora))
        print("%-64s %-10s" % ("", "answer") + "".join("%13.4f" % s[c] for c in corpora))
        mean = float(np.mean([g[c] for c in corpora]))
        if best is None or mean > best[0]:
            best = (mean, names, signs, g, s)
    _, names, signs, g, s = best
    print("\nchosen (best mean AUC over corpora, folds grouped by question): " + ",".join(names))

    tau, width, b, w = fit_with_grid(rows, y, names, signs)
    if "coverage" not in names:
        # The score does not use coverage, but the explanation still lists covered and missed
        # key points: take the hard threshold whose coverage best separates correct answers
        # (mean AUC over the corpora).
        best_tau = None
        for t in TAUS + [0.80]:
            c = coverage(rows, t, 0.0)
            m = float(np.mean([auc(c[corpus == k], y[corpus == k]) for k in corpora]))
            if best_tau is None or m > best_tau[0]:
                best_tau = (m, t)
        tau = best_tau[1]
        print("key-point threshold for the explanation: %.2f (hard coverage AUC, mean over corpora, %.4f)" % (tau, best_tau[0]))
    final = predict(b, w, matrix(rows, names, coverage(rows, tau, width)))
    print("fitted on all training data: tau=%.2f width=%.2f bias=%.4f" % (tau, width, b))
    for n, v in zip(names, w):
        print("  w_%-18s %.4f" % (n, v))
    print("in-sample AUC: " + ", ".join("%s %.4f" % (c, auc(final[corpus == c], y[corpus == c])) for c in corpora))
    for c in corpora:
        m = corpus == c
        print("  %s mean score (0-10): " % c + ", ".join(
            "%s %.2f" % (l, 10 * final[m & (lab == l)].mean()) for l in ("correct", "contradictory", "incorrect")))

    w_mis, margin = 8.0, 0.05
    if args.misconception_results:
        w_mis, margin = fit_misconception(args.misconception_results, names, b, w, tau, width)
    weights = dict(zip(names, w))
    block = ["/* FITTED: written by tools/fit_score.py; do not edit by hand */",
             "#define EXAM_SCORE_BIAS (%.4f)" % b]
    for n, macro in MACROS:
        block.append("#define EXAM_SCORE_%s %.4f" % (macro, weights.get(n, 0.0)))
    block.append("#define EXAM_SCORE_W_NEGATION %.4f" % -weights.get("negation_mismatch", 0.0))
    block.append("#define EXAM_SCORE_W_MISCONCEPTION %.4f" % w_mis)
    block.append("#define EXAM_SCORE_MISCONCEPTION_MARGIN %.2f" % margin)
    block.append("#define EXAM_SCORE_COVERAGE_THRESHOLD %.2f" % tau)
    block.append("#define EXAM_SCORE_COVERAGE_WIDTH %.2f" % width)
    block.append("/* features: %s */" % ",".join(names))
    block.append("/* 5-fold cross-validated ROC AUC, folds grouped by question: %s;" % (
        ", ".join("%s %.4f" % (c, g[c]) for c in corpora)))
    block.append(" * stratified over answers: %s */" % ", ".join("%s %.4f" % (c, s[c]) for c in corpora))
    block.append("/* END FITTED */")
    text = "\n".join(block)
    print("\n" + text)
    if args.write_header:
        with open(args.write_header) as f:
            h = f.read()
        a = h.index("/* FITTED:")
        z = h.index("/* END FITTED */") + len("/* END FITTED */")
        with open(args.write_header, "w") as f:
            f.write(h[:a] + text + h[z:])
        print("wrote " + args.write_header)


if __name__ == "__main__":
    sys.exit(main())
