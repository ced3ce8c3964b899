#!/usr/bin/env bash
# Creates .venv in the repo root and installs test/python/requirements.txt. Sources, in order:
#   1. a local wheel store, when one holds wheels (the directories in $FLIGHTCACHE_WHEELS, default
#      /opt/pypi/files /opt/pypi-more/files /opt/wheels): offline machines and the GPU machine
#      install from it with --no-index;
#   2. PyPI, for whatever the local store lacks (or for everything where there is no store), unless
#      FLIGHTCACHE_OFFLINE=1.
# Wheels fetched from PyPI are kept in $FLIGHTCACHE_WHEEL_CACHE (default ~/.cache/flightcache/wheels),
# so a re-install after `rm -rf .venv` downloads nothing. Safe to re-run: it skips whatever is
# already importable at its pinned version, so a re-run that finds everything installed takes
# seconds. Required pins must install; an optional pin (comment starting with "optional") that
# cannot be installed is reported and skipped, and the benchmark peer that needs it is skipped too.
#
# torch: PyPI's torch for Linux x86_64 is the CUDA build (~0.9 GB, plus ~3 GB of nvidia-* wheels).
# We take it deliberately rather than a smaller CPU-only set-up: PyPI has no CPU-only wheel, a torch
# without its nvidia-* dependencies does not import, and the CUDA build is the very wheel GPU users
# (and bench/gpu/run.sh) run, so the tests exercise what ships. It works on CPU-only machines; the
# cost is a one-time download that the wheel cache below absorbs.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Overridable for the script's own test (test/setup/setup-venv.test.ts).
venv="${FLIGHTCACHE_VENV:-$repo_root/.venv}"
requirements="${FLIGHTCACHE_REQUIREMENTS:-$repo_root/test/python/requirements.txt}"
python="$venv/bin/python"

if [[ -x "$python" ]]; then
  echo "setup-venv: reusing $venv"
else
  echo "setup-venv: creating $venv"
  python3 -m venv "$venv"
fi

# pins MODE: MODE "required" or "optional" prints the pins of that kind the venv does not satisfy,
# one per line (a stale version counts as unsatisfied, so the venv gets upgraded); MODE "versions"
# prints the installed version of every required pin.
pins() {
  "$python" - "$requirements" "$1" <<'PY'
import importlib.metadata as md
import re
import sys

path, mode = sys.argv[1], sys.argv[2]
for line in open(path):
    pin, _, comment = line.partition("#")
    pin = pin.strip()
    if not pin or comment.strip().startswith("optional") != (mode == "optional"):
        continue
    name, _, version = pin.partition("==")
    dist = re.sub(r"\[.*\]$", "", name)
    if mode == "versions":
        print(f"{dist} {md.version(dist)}")
        continue
    try:
        # A local label (2.13.0+cpu from a wheel store) satisfies the public pin 2.13.0, as in pip.
        satisfied = md.version(dist).partition("+")[0] == version
        # The module a distribution installs is named with underscores (adbc-driver-manager: adbc_driver_manager).
        __import__(dist.replace("-", "_"))
    except Exception:
        satisfied = False
    if not satisfied:
        print(pin)
PY
}

cache="${FLIGHTCACHE_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flightcache/wheels}"
mkdir -p "$cache"

# A store counts only when it holds wheels: an empty /opt/wheels is not an offline machine.
stores=()
find_links=()
for dir in ${FLIGHTCACHE_WHEELS:-/opt/pypi/files /opt/pypi-more/files /opt/wheels}; do
  if [[ -d "$dir" ]] && compgen -G "$dir/*.whl" >/dev/null; then stores+=("$dir"); find_links+=(--find-links "$dir"); fi
done
if [[ ${#stores[@]} -gt 0 ]]; then
  echo "setup-venv: local wheel store: ${stores[*]}"
elif [[ "${FLIGHTCACHE_OFFLINE:-0}" == 1 ]] && ! compgen -G "$cache/*.whl" >/dev/null; then
  echo "setup-venv: FLIGHTCACHE_OFFLINE=1 and neither a local wheel store nor $cache holds wheels" >&2
  exit 1
else
  echo "setup-venv: no local wheel store; installing from PyPI through $cache"
fi

# Installs the pins given, offline from the stores (local ones, then our download cache) when they
# hold them all; else (unless offline) downloads what is missing into the cache first. pip's own HTTP
# cache is not enough: the index here answers with headers that pip does not cache, so a re-install
# would fetch the ~4 GB again.
pip_install() {
  local pip=("$venv/bin/pip" --no-input)
  local from_stores=(install --progress-bar off --no-index "${find_links[@]}" --find-links "$cache" "$@")
  [[ "${FLIGHTCACHE_OFFLINE:-0}" == 1 ]] && { "${pip[@]}" "${from_stores[@]}"; return; }
  "${pip[@]}" "${from_stores[@]}" >/dev/null 2>&1 && return 0
  echo "setup-venv: downloading into $cache: $*"
  "${pip[@]}" download --progress-bar off --quiet -d "$cache" "${find_links[@]}" "$@" || return 1
  "${pip[@]}" "${from_stores[@]}" --quiet
}

mapfile -t required < <(pins required)
if [[ ${#required[@]} -eq 0 ]]; then
  echo "setup-venv: required packages already satisfied"
else
  echo "setup-venv: installing ${required[*]}"
  if ! pip_install "${required[@]}"; then
    echo "setup-venv: pip install failed; see the output above" >&2
    exit 1
  fi
fi

mapfile -t optional < <(pins optional)
for pin in "${optional[@]}"; do
  echo "setup-venv: installing optional $pin"
  if ! output="$(pip_install "$pin" 2>&1)"; then
    echo "setup-venv: optional $pin not installed, its benchmark peer will be skipped: $(tail -n 1 <<<"$output")" >&2
  fi
done

mapfile -t missing < <(pins required)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup-venv: still unsatisfied after installing: ${missing[*]}" >&2
  exit 1
fi
echo "setup-venv: ready: $(pins versions | paste -sd, - | sed 's/,/, /g')"
