#!/usr/bin/env bash
# GPU feed benchmark: starts a local flightcache cluster (GPU_FEED_SHARDS shards, default 2), then runs gpu_feed.py against it
# (generate + load, then epochs through FlightCacheDataset into CUDA tensors under a training step).
#
#   bash bench/gpu/run.sh [--device cuda|cpu] [--gb 2] [--out bench/results/gpu.json] [gpu_feed.py options]
#
# Needs node and the built dist/ (npx tsc -p tsconfig.json), node_modules, and a Python with pyarrow,
# numpy and torch: $FLIGHTCACHE_PYTHON, else the repo's .venv, else python3 (no network is used; a
# CUDA-capable candidate is preferred unless --device cpu). Progress goes to stderr; exits non-zero
# on any failure. Method and output: bench/gpu/README.md.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
main="$repo/dist/cache-server/cli/main.js"
say() { echo "gpu/run.sh: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

want_cuda=1
for ((i = 1; i <= $#; i++)); do
  if [[ "${!i}" == "--device" ]]; then
    next=$((i + 1))
    [[ "${!next:-}" == "cpu" ]] && want_cuda=0
  elif [[ "${!i}" == "--device=cpu" ]]; then
    want_cuda=0
  fi
done

command -v node >/dev/null || fail "node is not on PATH (Node 20 runs the cluster)"
[[ -f "$main" ]] || fail "$main is missing: build with \`npx tsc -p tsconfig.json\` (and \`npm ci\` for node_modules) first"
[[ -d "$repo/node_modules" ]] || fail "$repo/node_modules is missing: run \`npm ci\` on a machine with network and copy the tree"

# Prints "cuda" or "cpu" when $1 imports everything gpu_feed.py needs; fails otherwise.
probe() {
  "$1" - <<'PY' 2>/dev/null
import numpy, pyarrow, pyarrow.flight, torch
print("cuda" if torch.cuda.is_available() else "cpu")
PY
}

python=""
python_kind=""
tried=()
for candidate in "${FLIGHTCACHE_PYTHON:-}" "$repo/.venv/bin/python" python3 python; do
  [[ -n "$candidate" ]] || continue
  command -v "$candidate" >/dev/null 2>&1 || { tried+=("$candidate (not found)"); continue; }
  if kind="$(probe "$candidate")"; then
    if [[ -z "$python" ]]; then python="$candidate"; python_kind="$kind"; fi
    if [[ "$kind" == "cuda" && $want_cuda -eq 1 ]]; then python="$candidate"; python_kind="$kind"; break; fi
    [[ $want_cuda -eq 0 ]] && break
  else
    tried+=("$candidate (cannot import numpy, pyarrow.flight and torch)")
  fi
done
if [[ -z "$python" ]]; then
  fail "no Python with numpy, pyarrow (with Flight) and torch; tried: ${tried[*]:-nothing}. A machine without network
  installs them from a local wheel store (FLIGHTCACHE_WHEELS=WHEEL_DIR FLIGHTCACHE_OFFLINE=1 bash scripts/setup-venv.sh),
  one with PyPI by bash scripts/setup-venv.sh; or point FLIGHTCACHE_PYTHON at an interpreter that has them"
fi
versions="$("$python" -c 'import sys, numpy, pyarrow, torch; print(f"python {sys.version.split()[0]}, torch {torch.__version__} (CUDA {torch.version.cuda}), pyarrow {pyarrow.__version__}, numpy {numpy.__version__}")')"
say "python: $(command -v "$python") ($python_kind): $versions"
say "node: $(node --version) ($(command -v node))"

work="$(mktemp -d "${TMPDIR:-/tmp}/fc-gpu-XXXXXX")"
cluster_pid=""
cleanup() {
  if [[ -n "$cluster_pid" ]] && kill -0 "$cluster_pid" 2>/dev/null; then
    kill -TERM "$cluster_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$cluster_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$cluster_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# More shards spread the server-side work (row shuffles) over more cores: GPU_FEED_SHARDS=8 on a 16-core box.
shards="${GPU_FEED_SHARDS:-2}"
say "starting a cluster: node $main serve --host 127.0.0.1 --port 0 --shards $shards --replicas 1"
FLIGHTCACHE_LOG_LEVEL="${FLIGHTCACHE_LOG_LEVEL:-warn}" node "$main" serve --host 127.0.0.1 --port 0 --shards "$shards" --replicas 1 \
  >"$work/cluster.out" 2>"$work/cluster.err" &
cluster_pid=$!
url=""
for _ in $(seq 600); do
  url="$(sed -n 's/^flightcache ready \(grpc:\/\/[^ ]*\)$/\1/p' "$work/cluster.out")"
  [[ -n "$url" ]] && break
  kill -0 "$cluster_pid" 2>/dev/null || fail "the cluster exited before its ready line:
$(tail -n 40 "$work/cluster.err")"
  sleep 0.1
done
[[ -n "$url" ]] || fail "no ready line from the cluster within 60 s:
$(tail -n 40 "$work/cluster.err")"
say "cluster ready at $url"

"$python" "$repo/bench/gpu/gpu_feed.py" --url "$url" --node-version "$(node --version)" "$@" \
  || fail "gpu_feed.py exited with status $? (cluster stderr: $(tail -n 5 "$work/cluster.err"))"
say "done"
