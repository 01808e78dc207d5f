#!/usr/bin/env bash
# The benchmark behind `make bench`: examiner against onnxruntime and sentence-transformers on
# this machine's CPU, same thread count, same texts (bench/peers/run_peers.py). The peers'
# Python packages come from PyPI into a virtual environment under .cache/ (first run: minutes).
set -euo pipefail
build="${1:-build}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# First the harness: the default set through Google Benchmark, appended to bench/history/,
# and the trend page (BENCH_REPS repetitions; 10 or more let examiner-bench-compare judge).
if [ -x "$build/examiner-bench" ]; then
  "$build/examiner-bench" --history=bench/history --benchmark_repetitions="${BENCH_REPS:-3}" \
    --benchmark_min_time="${BENCH_MIN_TIME:-0.2}" --benchmark_out="$build/bench.json" \
    --benchmark_out_format=json ${BENCH_HARNESS_ARGS:-}
  "$build/examiner-bench" report --history=bench/history/runs.jsonl --out="$build/bench-report.html"
  echo "bench: results in $build/bench.json, trends in $build/bench-report.html"
fi
[ "${BENCH_PEERS:-1}" = 1 ] || exit 0
venv="${EXAMINER_PEERS_VENV:-$root/.cache/peers-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import sentence_transformers, onnxruntime, onnx" 2>/dev/null; then
  echo "bench: installing the peers (sentence-transformers, onnxruntime) into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet sentence-transformers tokenizers onnxruntime onnx numpy
fi
model="${EXAMINER_MODEL_DIR:-$root/models/all-MiniLM-L6-v2}"
out="$build/peers.json"
HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 "$venv/bin/python" bench/peers/run_peers.py \
  --model "$model" --examiner "$build/examiner" --threads "${BENCH_THREADS:-2}" \
  --repeat "${BENCH_REPEAT:-3}" --json "$out" ${BENCH_ARGS:-}
echo "bench: results in $out"
