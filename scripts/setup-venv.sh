#!/usr/bin/env bash
# Creates .venv in the repo root and installs test/python/requirements.txt from the local wheel
# stores only (no network). Safe to re-run: it skips whatever is already importable at its pinned
# version. Required pins must install; an optional pin (comment starting with "optional") that
# cannot be installed is reported and skipped, and the benchmark peer that needs it is skipped too.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo_root/.venv"
requirements="$repo_root/test/python/requirements.txt"
python="$venv/bin/python"

if [[ -x "$python" ]]; then
  echo "setup-venv: reusing $venv"
else
  echo "setup-venv: creating $venv"
  python3 -m venv "$venv"
fi

# Prints the required or optional pins ($1) that the venv does not satisfy, one per line. A stale
# version counts as unsatisfied, so the venv gets upgraded.
unsatisfied() {
  "$python" - "$requirements" "$1" <<'PY'
import importlib.metadata as md
import re
import sys

path, wanted = sys.argv[1], sys.argv[2]
for line in open(path):
    pin, _, comment = line.partition("#")
    pin = pin.strip()
    if not pin or comment.strip().startswith("optional") != (wanted == "optional"):
        continue
    name, _, version = pin.partition("==")
    dist = re.sub(r"\[.*\]$", "", name)
    try:
        satisfied = md.version(dist) == version
        __import__(dist)
    except Exception:
        satisfied = False
    if not satisfied:
        print(pin)
PY
}

find_links=()
for dir in /opt/pypi/files /opt/pypi-more/files /opt/wheels; do
  [[ -d "$dir" ]] && find_links+=(--find-links "$dir")
done

pip_install() {
  if [[ ${#find_links[@]} -eq 0 ]]; then
    echo "setup-venv: no local wheel store found (/opt/pypi/files, /opt/pypi-more/files, /opt/wheels)" >&2
    return 1
  fi
  "$venv/bin/pip" install --no-index "${find_links[@]}" "$@"
}

mapfile -t required < <(unsatisfied required)
if [[ ${#required[@]} -eq 0 ]]; then
  echo "setup-venv: required packages already satisfied"
else
  echo "setup-venv: installing ${required[*]} from local wheel stores"
  if ! pip_install "${required[@]}"; then
    echo "setup-venv: pip install failed; see the output above" >&2
    exit 1
  fi
fi

mapfile -t optional < <(unsatisfied optional)
for pin in "${optional[@]}"; do
  echo "setup-venv: installing optional $pin from local wheel stores"
  if ! output="$(pip_install "$pin" 2>&1)"; then
    echo "setup-venv: optional $pin not installed, its benchmark peer will be skipped: $(tail -n 1 <<<"$output")" >&2
  fi
done

"$python" -c 'import pyarrow, pyarrow.flight, numpy, torch; print("setup-venv: ready: pyarrow", pyarrow.__version__, "numpy", numpy.__version__, "torch", torch.__version__)'
