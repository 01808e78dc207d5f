#!/bin/sh
# SemEval-2013 Task 7 (training split) evaluation of the grader, end to end:
#   tools/semeval_eval.sh [--fit]
# converts the XML to a bank and jobs (tools/semeval_jobs.py), grades every answer with the
# built `examiner` (the features come from our C code), then reports per-feature and per-corpus
# ROC AUC of the score (tools/fit_score.py --no-fit). With --fit it also re-fits the score's
# defaults with 5-fold cross-validation and rewrites the FITTED block of host/score_defaults.h
# (rebuild afterwards). Environment: BUILD (build), OUT (BUILD/semeval), PYTHON (a python
# with numpy and scipy; default /work/refenv/bin/python when present, else python3).
set -eu
BUILD=${BUILD:-build}
OUT=${OUT:-$BUILD/semeval}
DATA=${DATA:-../shared/datasets/semeval2013-task7/training-3way}
if [ -z "${PYTHON:-}" ]; then
    if [ -x /work/refenv/bin/python ]; then PYTHON=/work/refenv/bin/python; else PYTHON=python3; fi
fi
[ -d "$DATA" ] || { echo "SKIP: $DATA not found" >&2; exit 0; }
mkdir -p "$OUT"
python3 tools/semeval_jobs.py "$DATA" "$OUT"
for c in sciEntsBank beetle; do
    "$BUILD/examiner" grade --bank "$OUT/$c-bank.jsonl" --answers "$OUT/$c-jobs.jsonl" \
        --out "$OUT/$c-results.jsonl" --quiet --batch 128
done
if [ "${1:-}" = "--fit" ]; then
    "$PYTHON" tools/fit_score.py "$OUT/sciEntsBank-results.jsonl" "$OUT/beetle-results.jsonl" \
        --write-header host/score_defaults.h
else
    "$PYTHON" tools/fit_score.py "$OUT/sciEntsBank-results.jsonl" "$OUT/beetle-results.jsonl" --no-fit
fi
