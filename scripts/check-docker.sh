#!/usr/bin/env bash
# Offline checks of docker/ (no Docker daemon, no cluster, builds no image): shell syntax, the
# YAML and cross-file consistency (docker/check_manifests.py), kustomize build, compose config,
# and hadolint where installed. A tool that is missing is reported as SKIP, not as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
ok() { printf 'check-docker: ok    %s\n' "$1"; }
skip() { printf 'check-docker: SKIP  %s\n' "$1"; }
bad() { printf 'check-docker: FAIL  %s\n' "$1"; fail=1; }

if bash -n docker/runtime-deps.sh; then ok "runtime-deps.sh syntax"; else bad "runtime-deps.sh syntax"; fi

if python3 -c 'import yaml' 2>/dev/null; then
  if python3 docker/check_manifests.py; then ok "manifests consistent"; else bad "manifests"; fi
else
  skip "manifests: python3 has no yaml module (Debian: python3-yaml)"
fi

if command -v kubectl >/dev/null 2>&1; then
  if out="$(kubectl kustomize docker/k8s 2>&1)"; then
    ok "kubectl kustomize docker/k8s ($(grep -c '^kind:' <<<"$out") objects)"
  else
    bad "kubectl kustomize docker/k8s: $out"
  fi
elif command -v kustomize >/dev/null 2>&1; then
  if kustomize build docker/k8s >/dev/null; then ok "kustomize build"; else bad "kustomize build"; fi
else
  skip "kustomize build: neither kubectl nor kustomize installed"
fi

# `config` resolves and validates the file without a daemon; every profile so all services count.
compose_args=(-f docker/compose.yaml --profile gpu --profile producer config -q)
if docker compose version >/dev/null 2>&1; then
  if docker compose "${compose_args[@]}"; then ok "docker compose config"; else bad "docker compose config"; fi
elif command -v docker-compose >/dev/null 2>&1; then
  if docker-compose "${compose_args[@]}"; then ok "docker-compose config"; else bad "docker-compose config"; fi
else
  skip "compose config: neither docker compose nor docker-compose installed"
fi

if command -v hadolint >/dev/null 2>&1; then
  for f in docker/Dockerfile.cpu docker/Dockerfile.cuda; do
    if hadolint "$f"; then ok "hadolint $f"; else bad "hadolint $f"; fi
  done
else
  skip "hadolint not installed"
fi

exit $fail
