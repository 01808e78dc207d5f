#!/usr/bin/env bash
# The demo behind `make demo`: the engine end to end on the default (CPU) backend.
set -euo pipefail
exe="${1:-build/examiner}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

echo "== examiner similarity"
for pair in "A cache stores recent results to avoid recomputation.|Caching keeps computed values so they need not be computed again." \
            "A cache stores recent results to avoid recomputation.|The Eiffel Tower is in Paris."; do
  a="${pair%%|*}"; b="${pair#*|}"
  printf '  %s  <->  %s\n  cosine = %s\n' "$a" "$b" "$("$exe" similarity "$a" "$b")"
done

sts="../shared/datasets/stsbenchmark/sts-test.csv"
if [ -f "$sts" ]; then
  echo "== examiner sts $sts (published figure for all-MiniLM-L6-v2: spearman=0.8203)"
  "$exe" sts "$sts"
else
  echo "== STS Benchmark not found at $sts: skipping the benchmark figure"
fi
