#!/usr/bin/env python3
"""Writes tests/fixtures/calib_reference.json: reference values for examiner's calibration
statistics, computed with scipy (pearsonr, spearmanr, kendalltau variant b), scikit-learn
(cohen_kappa_score quadratic with the whole label range, IsotonicRegression(out_of_bounds="clip"),
mean_absolute_error, mean_squared_error) and the `krippendorff` package (interval alpha).
Undefined values (n < 2, a constant side, an exception from the reference) are written as null.

Run: /work/refenv/bin/python tools/make_calib_reference.py   (needs numpy, scipy, scikit-learn,
krippendorff). The output is committed; tests/test-calib-*.c compare against it."""
import importlib.metadata
import json
import math
import os
import sys
import warnings

import krippendorff
import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import cohen_kappa_score, mean_absolute_error, mean_squared_error

warnings.filterwarnings("ignore")
rng = np.random.default_rng(20261121)


def clean(v):
    """A float, or None for NaN/inf (examiner's "undefined")."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def guarded(fn, n_min=2):
    def run(*args):
        if len(args[0]) < n_min:
            return None
        try:
            return clean(fn(*args))
        except (ValueError, ZeroDivisionError, FloatingPointError):
            return None
    return run


pearson = guarded(lambda x, y: stats.pearsonr(x, y)[0])
spearman = guarded(lambda x, y: stats.spearmanr(x, y)[0])
kendall = guarded(lambda x, y: stats.kendalltau(x, y, variant="b")[0])


def qwk(a, b, scale_max):
    if len(a) < 2:
        return None
    return clean(cohen_kappa_score(a, b, weights="quadratic", labels=list(range(scale_max + 1))))


def pair_case(name, x, y):
    x = [float(v) for v in x]
    y = [float(v) for v in y]
    n = len(x)
    return {
        "name": name, "x": x, "y": y,
        "pearson": pearson(x, y), "spearman": spearman(x, y), "kendall_tau_b": kendall(x, y),
        "mae": clean(mean_absolute_error(y, x)) if n else None,
        "rmse": clean(math.sqrt(mean_squared_error(y, x))) if n else None,
        "bias": clean(np.mean(np.array(x) - np.array(y))) if n else None,
    }


def pairs():
    out = []
    x = rng.normal(5, 2, 50)
    out.append(pair_case("random-50", x, 0.7 * x + rng.normal(0, 1.5, 50)))
    x = rng.normal(0, 1, 40)
    out.append(pair_case("negative-40", x, -x + rng.normal(0, 0.5, 40)))
    out.append(pair_case("ties-60", rng.integers(0, 5, 60), rng.integers(0, 4, 60)))
    xi = rng.integers(0, 11, 80)
    out.append(pair_case("ties-correlated-80", xi, np.clip(xi + rng.integers(-2, 3, 80), 0, 10)))
    out.append(pair_case("constant-x", [3.0] * 10, rng.normal(0, 1, 10)))
    out.append(pair_case("constant-y", rng.normal(0, 1, 10), [7.0] * 10))
    out.append(pair_case("n1", [4.0], [6.0]))
    out.append(pair_case("n2", [1.0, 2.0], [5.0, 3.0]))
    out.append(pair_case("n2-tied", [1.0, 1.0], [5.0, 3.0]))
    x = rng.uniform(0, 10, 5000)
    out.append(pair_case("large-5000", x, np.round(np.clip(x + rng.normal(0, 2, 5000), 0, 10))))
    return out


def qwk_cases():
    out = []

    def add(name, a, b, scale_max, published=None):
        a = [int(v) for v in a]
        b = [int(v) for v in b]
        case = {"name": name, "a": a, "b": b, "scale_max": scale_max, "qwk": qwk(a, b, scale_max)}
        if published is not None:
            case["published"] = published
            assert abs(case["qwk"] - published) < 1e-9, (name, case["qwk"], published)
        out.append(case)

    # ml_metrics (Kaggle's ASAP-era metric package) unit-test vectors and their stated values
    add("ml_metrics-identical", [1, 2, 3], [1, 2, 3], 3, 1.0)
    add("ml_metrics-0.4", [1, 2, 1], [1, 2, 2], 2, 0.4)
    add("ml_metrics-0.75", [1, 2, 3, 1, 2, 2, 3], [1, 2, 3, 1, 2, 3, 2], 3, 0.75)
    # the Kaggle ASAP-AES forum's "one more kappa check" (thread 1289), answered 0.041025641025641
    add("kaggle-asap-forum", [1, 4, 2, 2, 5, 2, 5, 4, 5, 3, 1],
        [3, 4, 4, 4, 4, 4, 6, 7, 8, 9, 10], 10, 0.041025641025641)
    # TensorFlow Addons' CohenKappa docstring example, stated there as 0.68932 (5 classes)
    add("tfa-docstring", [4, 4, 3, 4, 2, 4, 1, 1], [4, 4, 3, 4, 4, 2, 1, 1], 4)
    assert abs(out[-1]["qwk"] - 0.68932) < 1e-5
    out[-1]["published"] = 0.68932
    out[-1]["published_digits"] = 5
    # the worked example of Kaggle's QWK tutorial notebooks (labels 0..4)
    add("kaggle-tutorial", [4, 4, 3, 4, 4, 0, 1, 1, 2, 1], [0, 4, 1, 0, 4, 0, 1, 1, 2, 1], 4)
    add("random-0-10", rng.integers(0, 11, 100), rng.integers(0, 11, 100), 10)
    a = rng.integers(0, 11, 100)
    add("correlated-0-10", a, np.clip(a + rng.integers(-2, 3, 100), 0, 10), 10)
    # only labels 2, 3 and 8 occur: the full 0..10 scale weights differ from present-only ones
    a = rng.choice([2, 3, 8], 30)
    b = rng.choice([2, 3, 8], 30)
    add("gapped-labels", a, b, 10)
    present = clean(cohen_kappa_score(a, b, weights="quadratic"))
    assert abs(present - out[-1]["qwk"]) > 1e-6, "gapped case does not separate the label sets"
    out[-1]["qwk_present_labels_only"] = present
    add("constant-both-same", [5] * 8, [5] * 8, 10)
    add("constant-one-side", [5] * 8, rng.integers(0, 11, 8), 10)
    add("n1", [3], [4], 10)
    add("n2", [3, 7], [4, 6], 10)
    a = rng.integers(0, 11, 5000)
    add("large-5000", a, np.clip(a + rng.integers(-3, 4, 5000), 0, 10), 10)
    return out


def iso_case(name, x, y, w=None, t=None):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    m = IsotonicRegression(out_of_bounds="clip").fit(x, y, sample_weight=w)
    if t is None:
        t = np.concatenate([[-5.0, x.min() - 1, x.min(), x.max(), x.max() + 1, 100.0],
                            np.linspace(x.min(), x.max(), 37), x[:20]])
    t = np.asarray(t, dtype=float)
    return {"name": name, "x": x.tolist(), "y": y.tolist(),
            "w": None if w is None else [float(v) for v in w],
            "knots_x": m.X_thresholds_.tolist(), "knots_y": m.y_thresholds_.tolist(),
            "t": t.tolist(), "predict": m.predict(t).tolist()}


def isotonic():
    out = []
    x = rng.uniform(0, 10, 60)
    out.append(iso_case("random-60", x, 0.8 * x + rng.normal(0, 1.5, 60)))
    x = rng.integers(0, 11, 80).astype(float)
    out.append(iso_case("tied-x-80", x, np.clip(x + rng.normal(0, 2, 80), 0, 10)))
    out.append(iso_case("tied-x-descending-y", [1, 1, 1, 2, 2, 3, 3, 3], [3, 2, 1, 5, 0, 4, 4, 1]))
    x = rng.uniform(0, 10, 40)
    out.append(iso_case("weighted-40", x, x + rng.normal(0, 3, 40), w=rng.uniform(0.1, 3, 40)))
    out.append(iso_case("weighted-with-zeros", [1, 2, 3, 4, 5], [5, 1, 4, 2, 6],
                        w=[1.0, 0.0, 2.0, 0.0, 1.0]))
    out.append(iso_case("decreasing", [1, 2, 3, 4, 5], [9, 7, 5, 3, 1]))
    out.append(iso_case("n1", [4.0], [6.0]))
    out.append(iso_case("n2", [1.0, 2.0], [5.0, 3.0]))
    out.append(iso_case("n2-increasing", [1.0, 2.0], [3.0, 5.0]))
    out.append(iso_case("constant-x", [3.0] * 6, [1, 2, 3, 4, 5, 9]))
    x = rng.uniform(0, 10, 5000)
    out.append(iso_case("large-5000", x, np.round(np.clip(x + rng.normal(0, 2, 5000), 0, 10))))
    return out


def alpha_case(name, data):
    arr = np.array([[np.nan if v is None else float(v) for v in row] for row in data])
    try:
        a = clean(krippendorff.alpha(reliability_data=arr, level_of_measurement="interval"))
    except (ValueError, ZeroDivisionError):
        a = None
    return {"name": name, "data": [[None if np.isnan(v) else float(v) for v in row]
                                   for row in arr], "alpha": a}


def alpha():
    out = []
    N = None
    # Krippendorff's reliability-data example: 4 observers, 12 units, interval alpha 0.849
    classic = [[1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
               [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
               [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
               [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N]]
    c = alpha_case("krippendorff-classic", classic)
    c["published"] = 0.849
    assert abs(c["alpha"] - 0.849) < 5e-4, c["alpha"]
    out.append(c)
    truth = rng.uniform(0, 10, 30)
    data = [[None if rng.random() < 0.2 else float(np.clip(round(t + rng.normal(0, 1.5)), 0, 10))
             for t in truth] for _ in range(3)]
    out.append(alpha_case("three-judges-missing", data))
    out.append(alpha_case("two-judges", [[float(v) for v in rng.integers(0, 11, 20)],
                                         [float(v) for v in rng.integers(0, 11, 20)]]))
    out.append(alpha_case("constant", [[4.0] * 6, [4.0] * 6]))
    out.append(alpha_case("one-shared-unit", [[1.0, 5.0, N], [2.0, N, 7.0]]))
    return out


def ece_ref(pred, truth, rng_, bins):
    pred = np.asarray(pred, dtype=float)
    truth = np.asarray(truth, dtype=float)
    idx = np.clip(np.floor(pred / rng_ * bins), 0, bins - 1).astype(int)
    rel, e = [], 0.0
    for b in range(bins):
        m = idx == b
        k = int(m.sum())
        mp = float(pred[m].mean()) if k else None
        mt = float(truth[m].mean()) if k else None
        rel.append({"n": k, "mean_pred": mp, "mean_truth": mt})
        if k:
            e += k / len(pred) * abs(mp - mt)
    return (e if len(pred) else None), rel


def ece():
    out = []
    for name, n, bins in [("random-200", 200, 10), ("few-bins-30", 30, 4), ("n1", 1, 10)]:
        pred = rng.uniform(0, 10, n)
        truth = np.clip(pred + rng.normal(0, 2, n), 0, 10)
        if name == "random-200":
            pred[:3] = [0.0, 10.0, 5.0]  # the ends and a bin edge
        e, rel = ece_ref(pred, truth, 10.0, bins)
        out.append({"name": name, "pred": pred.tolist(), "truth": truth.tolist(), "range": 10.0,
                    "bins": bins, "ece": e, "reliability": rel})
    return out


def fit_case(name, score, judge, scale_max):
    score = np.asarray(score, dtype=float)
    judge = np.asarray(judge, dtype=float)
    sr = score * scale_max / 10.0
    a = np.floor(sr + 0.5).astype(int)
    b = np.floor(judge + 0.5).astype(int)
    iso = IsotonicRegression(out_of_bounds="clip").fit(score, judge)
    cal = iso.predict(score)
    e, _ = ece_ref(sr, judge, scale_max, 10)
    return {"name": name, "score": score.tolist(), "judge": judge.tolist(),
            "scale_max": scale_max,
            "expected": {
                "n": len(score), "pearson": pearson(score, judge),
                "spearman": spearman(score, judge), "kendall_tau_b": kendall(score, judge),
                "qwk": qwk(a.tolist(), b.tolist(), int(scale_max)),
                "mae": clean(mean_absolute_error(judge, sr)),
                "rmse": clean(math.sqrt(mean_squared_error(judge, sr))),
                "bias": clean(np.mean(sr - judge)),
                "mae_calibrated": clean(mean_absolute_error(judge, cal)),
                "ece": clean(e),
                "isotonic": {"x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}}}


def fits():
    out = []
    s = np.round(rng.uniform(0, 10, 40), 2)
    out.append(fit_case("cohort-10", s, np.clip(np.round(0.6 * s + 3 + rng.normal(0, 1.2, 40)),
                                                0, 10), 10))
    s = np.round(rng.uniform(0, 10, 30), 2)
    out.append(fit_case("cohort-5", s, np.clip(np.round(s / 2 + rng.normal(0, 0.8, 30)), 0, 5), 5))
    out.append(fit_case("cohort-constant-judge", [1.0, 4.0, 6.5, 9.0], [7.0, 7.0, 7.0, 7.0], 10))
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "tests", "fixtures", "calib_reference.json")
    doc = {"generator": "tools/make_calib_reference.py",
           "versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                        "scikit-learn": sklearn.__version__,
                        "krippendorff": importlib.metadata.version("krippendorff")},
           "pairs": pairs(), "qwk": qwk_cases(), "isotonic": isotonic(), "alpha": alpha(),
           "ece": ece(), "fit": fits()}
    with open(path, "w") as f:
        json.dump(doc, f, allow_nan=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
