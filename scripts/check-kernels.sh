#!/usr/bin/env bash
# Builds every kernel the strict way CI wants: each kernels/cuda/*.cu (which includes the
# prelude and its kernels/*.cl) with nvcc for sm_80 and sm_90 (+ compute_90 PTX), failing on any
# warning; then each kernels/*.cl on every OpenCL device (PoCL here), failing on any build log.
# Usage: scripts/check-kernels.sh [BUILD_DIR]   (BUILD_DIR holds a built `examiner`, default build)
# Set EXAMINER_REQUIRE_NVCC=0 to let a machine without nvcc skip the CUDA half.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
status=0

# Every OpenCL C file must have its CUDA twin, or nvcc would never see it.
for cl in kernels/*.cl; do
  name=$(basename "$cl" .cl)
  if [ ! -f "kernels/cuda/$name.cu" ]; then
    echo "FAIL $cl has no kernels/cuda/$name.cu"
    status=1
  fi
done

nvcc=$(command -v nvcc || true)
[ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc=/usr/local/cuda/bin/nvcc
if [ -n "$nvcc" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  export nvcc tmp
  # two at a time: each file takes tens of seconds per architecture
  if ! ls kernels/cuda/*.cu | xargs -P 2 -I{} bash -c '
      out="$tmp/$(basename {} .cu).log"
      if "$nvcc" -c -o "$tmp/$(basename {} .cu).o" -std=c++17 -O3 \
           -gencode arch=compute_80,code=sm_80 \
           -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90 \
           -Werror all-warnings -Xcompiler -Wall,-Wextra,-Werror {} >"$out" 2>&1 \
         && [ ! -s "$out" ]; then
        echo "ok   nvcc sm_80 sm_90 {}"
      else
        echo "FAIL nvcc sm_80 sm_90 {}"; cat "$out"; exit 1
      fi'; then
    status=1
  fi
elif [ "${EXAMINER_REQUIRE_NVCC:-1}" = 0 ]; then
  echo "SKIP nvcc: not installed (EXAMINER_REQUIRE_NVCC=0)"
else
  echo "FAIL nvcc not found (set EXAMINER_REQUIRE_NVCC=0 to skip the CUDA half)"
  status=1
fi

if [ ! -x "$build/examiner" ]; then
  echo "FAIL $build/examiner is not built (build first, e.g. make build)"
  exit 1
fi
"$build/examiner" backends --check-kernels || status=1
exit $status
