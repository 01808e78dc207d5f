#!/bin/sh
# Grading throughput on one backend (default cpu): answers per second and the share of the
# grading time spent encoding answers, for the demo cohort and the SciEntsBank training set.
#   tools/grade_bench.sh [BACKEND]
# Each run embeds the bank first (not counted: the bank's vectors are cached per bank version
# in normal use; the run passes --no-cache so that figure is printed too). Environment: BUILD
# (build), OUT (BUILD/semeval, shared with tools/semeval_eval.sh).
set -eu
BACKEND=${1:-cpu}
BUILD=${BUILD:-build}
OUT=${OUT:-$BUILD/semeval}
DATA=${DATA:-../shared/datasets/semeval2013-task7/training-3way}
echo "demo cohort (data/cohorts/demo.jsonl):"
"$BUILD/examiner" grade --backend "$BACKEND" --bank data/bank --answers data/cohorts/demo.jsonl \
    --out /dev/null --quiet --no-cache 2>&1 | grep 'answers/s'
if [ -d "$DATA" ]; then
    mkdir -p "$OUT"
    [ -f "$OUT/sciEntsBank-jobs.jsonl" ] || python3 tools/semeval_jobs.py "$DATA" "$OUT" >/dev/null
    echo "SciEntsBank training set ($OUT/sciEntsBank-jobs.jsonl):"
    "$BUILD/examiner" grade --backend "$BACKEND" --bank "$OUT/sciEntsBank-bank.jsonl" \
        --answers "$OUT/sciEntsBank-jobs.jsonl" --out /dev/null --quiet --no-cache --batch 128 2>&1 |
        grep 'answers/s'
else
    echo "SKIP SciEntsBank: $DATA not found"
fi
