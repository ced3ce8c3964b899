#!/usr/bin/env bash
# Makes the venv the KFP component tests run in: the kfp SDK (test/python/kfp-requirements.txt) from
# PyPI in a venv of its own under ${FLIGHTCACHE_KFP_VENV:-~/.cache/flightcache/kfp-venv}, with the
# shared venv's site-packages appended to its path (a .pth file), so pyarrow and pytest come from there
# while kfp's protobuf<7 shadows the shared venv's protobuf 7 only here. Installs again only when the
# pinned kfp changes; the .pth is written on every run, since the cached venv outlives the checkout
# whose .venv it first pointed at. Prints the venv's python on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${FLIGHTCACHE_KFP_VENV:-$HOME/.cache/flightcache/kfp-venv}"
PINS=test/python/kfp-requirements.txt
SHARED_PY="$(pwd)/.venv/bin/python"
[ -x "$SHARED_PY" ] || { echo "kfp-venv: no shared venv at .venv" >&2; exit 1; }
STAMP="$VENV/.pins"
if ! cmp -s "$PINS" "$STAMP"; then
  echo "kfp-venv: installing $(grep -v '^#' "$PINS" | tr '\n' ' ')into $VENV" >&2
  rm -rf "$VENV"
  "$SHARED_PY" -m venv "$VENV"
  # Before the .pth exists, so pip sees only this venv and never touches the shared one.
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$PINS" >&2
  cp "$PINS" "$STAMP"
fi
"$SHARED_PY" -c 'import site; print("\n".join(site.getsitepackages()))' > "$("$VENV/bin/python" -c 'import site; print(site.getsitepackages()[0])')/flightcache-shared-venv.pth"
echo "$VENV/bin/python"
