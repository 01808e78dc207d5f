#!/usr/bin/env bash
# The demo behind `make demo`: examiner end to end on the default (CPU) backend. It grades the
# demo cohort against the shipped question bank (table, results JSONL, HTML report), shows two
# similarities, and reproduces the STS Benchmark figure when ../shared/datasets is present.
set -euo pipefail
exe="${1:-build/examiner}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$(dirname "$exe")"

echo "== examiner backends"
"$exe" backends

echo
echo "== examiner grade: 7 candidates x 10 questions against data/bank"
"$exe" grade --bank data/bank --answers data/cohorts/demo.jsonl \
  --out "$out/demo-results.jsonl" --report "$out/demo-report.html"
echo "results: $out/demo-results.jsonl   report: $out/demo-report.html"

echo
echo "== examiner similarity"
for pair in "A cache stores recent results to avoid recomputation.|Caching keeps computed values so they need not be computed again." \
            "A cache stores recent results to avoid recomputation.|The Eiffel Tower is in Paris."; do
  a="${pair%%|*}"; b="${pair#*|}"
  printf '  %s  <->  %s\n  cosine = %s\n' "$a" "$b" "$("$exe" similarity "$a" "$b")"
done

sts="../shared/datasets/stsbenchmark/sts-test.csv"
if [ -f "$sts" ]; then
  echo
  echo "== examiner sts $sts (published figure for all-MiniLM-L6-v2: spearman=0.8203)"
  "$exe" sts "$sts"
else
  echo "== STS Benchmark not found at $sts: skipping the benchmark figure"
fi
