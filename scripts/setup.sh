#!/usr/bin/env bash
# Installs the Debian packages examiner builds and tests with; does nothing when they are present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config python3 python3-pip python3-venv unzip clang-format
  clang libclang-rt-14-dev
  libjansson-dev libutf8proc-dev libopenblas-dev libopenblas-openmp-dev
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo libclblast-dev
  libhiredis-dev redis-server redis-tools libmicrohttpd-dev nettle-dev
  python3-yaml
  libbenchmark-dev libgsl-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} Debian packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
