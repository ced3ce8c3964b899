#!/usr/bin/env bash
# Creates .venv in the repo root and installs test/python/requirements.txt from the local wheel
# stores only (no network). Safe to re-run: it skips whatever is already importable.
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

# The import check compares the installed versions with the pins, so a stale venv gets upgraded.
if "$python" - "$requirements" <<'PY'
import importlib.metadata as md
import sys

pins = [line.split("#")[0].strip() for line in open(sys.argv[1])]
for pin in filter(None, pins):
    name, _, version = pin.partition("==")
    try:
        if md.version(name) != version:
            sys.exit(1)
        __import__(name)
    except Exception:
        sys.exit(1)
PY
then
  echo "setup-venv: requirements already satisfied: $(tr '\n' ' ' < <(grep -v '^#' "$requirements"))"
  exit 0
fi

echo "setup-venv: installing $(grep -v '^#' "$requirements" | tr '\n' ' ')from local wheel stores"
find_links=()
for dir in /opt/pypi/files /opt/pypi-more/files /opt/wheels; do
  [[ -d "$dir" ]] && find_links+=(--find-links "$dir")
done
if [[ ${#find_links[@]} -eq 0 ]]; then
  echo "setup-venv: no local wheel store found (/opt/pypi/files, /opt/pypi-more/files, /opt/wheels)" >&2
  exit 1
fi
if ! "$venv/bin/pip" install --no-index "${find_links[@]}" -r "$requirements"; then
  echo "setup-venv: pip install failed; see the output above" >&2
  exit 1
fi
"$python" -c 'import pyarrow, pyarrow.flight, numpy; print("setup-venv: ready: pyarrow", pyarrow.__version__, "numpy", numpy.__version__)'
