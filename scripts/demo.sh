#!/usr/bin/env bash
# The demo behind `make demo`: examiner end to end on the best backend. It grades the demo
# cohort against the shipped question bank (table, results JSONL, HTML report), then does the
# same through the Redis queue (a private redis-server on a free loopback port: submit, worker,
# results), shows two similarities, and reproduces the STS Benchmark figure when
# ../shared/datasets is present.
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
echo "== the same cohort through the Redis queue: submit, worker, results"
redis_dir="$(mktemp -d "${TMPDIR:-/tmp}/examiner-demo-redis.XXXXXX")"
redis_pid=""
worker_pid=""
cleanup() {
  [ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  rm -rf "$redis_dir"
}
trap cleanup EXIT
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 40000))
  if port_free "$p"; then port="$p"; break; fi
done
[ -n "$port" ] || { echo "no free loopback port for redis-server" >&2; exit 1; }
redis-server --port "$port" --bind 127.0.0.1 --dir "$redis_dir" --appendonly yes \
  --appendfsync everysec --save "" --maxmemory-policy noeviction --protected-mode yes \
  --logfile "$redis_dir/redis.log" --daemonize no &
redis_pid=$!
for _ in $(seq 1 100); do
  [ "$(redis-cli -p "$port" ping 2>/dev/null)" = "PONG" ] && break
  sleep 0.05
done
[ "$(redis-cli -p "$port" ping 2>/dev/null)" = "PONG" ] || { echo "redis-server did not start" >&2; exit 1; }
export REDIS_URL="redis://127.0.0.1:$port/0"
echo "redis-server on 127.0.0.1:$port (AOF, noeviction, in $redis_dir)"
"$exe" submit data/cohorts/demo.jsonl
"$exe" worker --bank data/bank --log-level warn &
worker_pid=$!
"$exe" results --cohort demo --wait --timeout 600 --table \
  --out "$out/demo-queue-results.jsonl" --report "$out/demo-queue-report.html" \
  --bank data/bank --answers data/cohorts/demo.jsonl --title "examiner demo (Redis queue)"
kill -TERM "$worker_pid" && wait "$worker_pid" || true
worker_pid=""
"$exe" status
echo "== agreement with the judge scores some demo jobs carry, and the fitted map (worker-side)"
"$exe" calibrate show demo --report "$out/demo-calibration.html"
echo "results: $out/demo-queue-results.jsonl   report: $out/demo-queue-report.html" \
  "  calibration: $out/demo-calibration.html"
cleanup
trap - EXIT

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
