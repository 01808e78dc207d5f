#!/usr/bin/env bash
# Prints, one a line, the Debian/Ubuntu packages that hold the shared libraries the given ELF
# files load, so a Dockerfile's runtime stage installs exactly what its build stage linked.
# Usage: runtime-deps.sh [--provided REGEX] FILE...
#   --provided REGEX  libraries whose path matches come with the runtime base image (e.g. CUDA
#                     under /usr/local/cuda) and are left out
set -euo pipefail

provided='^$'
if [ "${1:-}" = "--provided" ]; then
  provided="$2"
  shift 2
fi
[ $# -gt 0 ] || { echo "usage: $0 [--provided REGEX] FILE..." >&2; exit 2; }

# dpkg knows a file by the path its package ships it under; with a merged /usr that can differ
# from what ldd prints (/lib vs /usr/lib) or from where a symlink (alternatives) points.
owner() {
  local p="$1" real q out
  real="$(readlink -f "$p")"
  for q in "$real" "$p" "${real#/usr}" "/usr$real" "${p#/usr}" "/usr$p"; do
    if out="$(dpkg-query -S "$q" 2>/dev/null)"; then
      printf '%s\n' "${out%%:*}"
      return 0
    fi
  done
  return 1
}

mapfile -t libs < <(ldd "$@" | awk '/=> not found/ { print "MISSING:" $1 } / => \// { print $3 }' |
                    sort -u)
pkgs=()
status=0
for lib in "${libs[@]}"; do
  case "$lib" in
    MISSING:*) echo "runtime-deps: ${lib#MISSING:} not found by the loader" >&2; status=1; continue ;;
  esac
  if [[ "$lib" =~ $provided || "$(readlink -f "$lib")" =~ $provided ]]; then continue; fi
  if pkg="$(owner "$lib")"; then
    pkgs+=("$pkg")
  else
    echo "runtime-deps: no package owns $lib" >&2
    status=1
  fi
done
[ ${#pkgs[@]} -eq 0 ] || printf '%s\n' "${pkgs[@]}" | sort -u
exit $status
