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

echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
log="$(mktemp "${TMPDIR:-/tmp}/examiner-setup.XXXXXX.log")"

# The project always starts its own redis-server on a free loopback port; the package would
# enable and start the system service. When this run installs redis-server, keep the system as
# it was: no service start during the install (policy-rc.d), and the unit left disabled after.
installing_redis=0
for p in "${missing[@]}"; do [ "$p" = redis-server ] && installing_redis=1; done
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ "$installing_redis" -eq 1 ] && [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# examiner setup: no service starts while packages install\nexit 101\n' |
    $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ "$own_policy" -eq 1 ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT

if ! { $SUDO apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"; } >"$log" 2>&1; then
  echo "setup: apt-get failed; the last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi

if [ "$installing_redis" -eq 1 ]; then
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    $SUDO systemctl disable --now --quiet redis-server >>"$log" 2>&1 || true
  elif command -v update-rc.d >/dev/null; then
    $SUDO update-rc.d redis-server disable >>"$log" 2>&1 || true
  fi
  echo "setup: the system redis-server service was left disabled (examiner starts its own)"
fi
rm -f "$log"
echo "setup: installed ${missing[*]}"
