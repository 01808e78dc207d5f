#!/usr/bin/env bash
# Runs every libFuzzer target built in BUILD_DIR/fuzz for SECONDS each, with a corpus kept under
# BUILD_DIR/fuzz-corpus/<target> (seeded on first use from fuzz/corpus-<name>/, e.g.
# fuzz/corpus-safetensors for fuzz-safetensors, plus built-in texts for the tokenizer); exits
# non-zero on any finding.
# Usage: scripts/run-fuzz.sh BUILD_DIR SECONDS
set -euo pipefail

build=${1:?usage: run-fuzz.sh BUILD_DIR SECONDS}
seconds=${2:?usage: run-fuzz.sh BUILD_DIR SECONDS}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Starting texts for fuzz-tokenizer.
seed_tokenizer() {
    local dir=$1 i=0
    local texts=(
        'The quick brown fox jumps over the lazy dog.'
        'Café, naïve résumé — ÉCOLE! İstanbul ǅ ß ﬁ'
        '東京タワーは高い。한국어 텍스트 العربية مُحَمَّد'
        'a[SEP]b [CLS] [MASK] [unk] [[PAD]]'
        $'tab\there\nnew\rline\x01\x7f zero\u200bwidth \ufeff'
        $'e\u0301\u0316 x\u0345\u0334 \u0f73 \U0001d165\U0001d16d'
        'supercalifragilisticexpialidociouswordthatgoesonandonandonandonandonandonandonandonandon'
        $'emoji \U0001f970\U0001f44d\U0001f3fd family \U0001f468\u200d\U0001f469'
    )
    for t in "${texts[@]}"; do
        printf '%s' "$t" >"$dir/seed-$i"
        i=$((i + 1))
    done
    printf 'ok \xff\xfe bad \xc3' >"$dir/seed-invalid-0"
    printf '\xed\xa0\x80 surrogate \xf4\x90\x80\x80' >"$dir/seed-invalid-1"
}

shopt -s nullglob
targets=("$build"/fuzz/fuzz-*)
ran=0
failed=()
for target in "${targets[@]}"; do
    [[ -f $target && -x $target ]] || continue
    name=$(basename "$target")
    corpus="$build/fuzz-corpus/$name"
    artifacts="$build/fuzz-artifacts/$name"
    mkdir -p "$corpus" "$artifacts"
    if [[ -z $(ls -A "$corpus") ]]; then
        [[ $name == fuzz-tokenizer ]] && seed_tokenizer "$corpus"
        seeds="$root/fuzz/corpus-${name#fuzz-}"
        if [[ -d $seeds ]]; then
            cp "$seeds"/* "$corpus"/ 2>/dev/null || true
        fi
    fi
    log="$build/fuzz-artifacts/$name.log"
    echo "== $name: ${seconds}s, corpus $corpus"
    if "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1; then
        grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" | sed 's/^/   /' || true
        echo "   ok ($(ls "$corpus" | wc -l) corpus inputs)"
    else
        echo "   FAILED: last lines of $log:"
        tail -n 40 "$log" | sed 's/^/   | /'
        echo "   reproducers: $(ls "$artifacts" | sed "s|^|$artifacts/|" | tr '\n' ' ')"
        failed+=("$name")
    fi
    ran=$((ran + 1))
done

if ((ran == 0)); then
    echo "run-fuzz: no fuzz targets in $build/fuzz (configure with -DEXAMINER_FUZZ=ON, CC=clang)" >&2
    exit 1
fi
if ((${#failed[@]})); then
    echo "run-fuzz: findings in: ${failed[*]}" >&2
    exit 1
fi
echo "run-fuzz: $ran target(s), no findings"
