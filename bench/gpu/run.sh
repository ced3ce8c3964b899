#!/usr/bin/env bash
# GPU feed benchmark: starts a local flightcache cluster (GPU_FEED_SHARDS shards, default 2), then runs gpu_feed.py against it
# (generate + load, then epochs through FlightCacheDataset into CUDA tensors under a training step).
#
#   bash bench/gpu/run.sh [--device cuda|cpu] [--gb 1] [--out bench/results/gpu.json] [gpu_feed.py options]
#
# Needs a Python with pyarrow, numpy and torch: $FLIGHTCACHE_PYTHON, else the repo's .venv, else
# python3 (no network is used; a CUDA-capable candidate is preferred unless --device cpu). Node, dist/,
# the native addon and node_modules come from the tree when node is on PATH and they are built, else
# from .gpu-pack/runtime.tar.xz (made by bench/gpu/pack.sh; FLIGHTCACHE_GPU_RUNTIME=pack insists on
# it). Progress goes to stderr, the summary to stdout; exits non-zero on any failure. Method and
# output: bench/gpu/README.md.
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

# The tree's own build when it has one and node is on PATH (unless the pack is asked for), else the pack.
node="$(command -v node || true)"
if [[ "${FLIGHTCACHE_GPU_RUNTIME:-}" == "pack" || -z "$node" || ! -f "$main" || ! -d "$repo/node_modules" || ! -f "$repo/build/Release/flightcache_native.node" ]]; then
  pack="$repo/.gpu-pack/runtime.tar.xz"
  [[ -f "$pack" ]] || fail "no node with a built tree here (node: ${node:-not on PATH}; $main, node_modules, build/) and no $pack:
  run \`bash bench/gpu/pack.sh\` where they are built and send .gpu-pack along"
  runtime="$repo/.gpu-pack/runtime"
  if [[ ! -x "$runtime/node" || "$pack" -nt "$runtime/node" ]]; then
    say "unpacking $pack"
    rm -rf "$runtime"
    tar -C "$repo/.gpu-pack" -xJf "$pack" || fail "cannot unpack $pack"
    touch "$runtime/node"
  fi
  node="$runtime/node"
  main="$runtime/dist/cache-server/cli/main.js"
  say "runtime from $pack (commit $(cat "$runtime/COMMIT"))"
fi
"$node" --version >/dev/null || fail "$node does not run"

# Prints "cuda" or "cpu" when $1 imports everything gpu_feed.py needs; fails otherwise.
probe() {
  "$1" - <<'PY' 2>/dev/null
import numpy, pyarrow, pyarrow.flight, pyarrow.parquet, torch
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
    tried+=("$candidate (cannot import numpy, pyarrow.flight, pyarrow.parquet and torch)")
  fi
done
if [[ -z "$python" ]]; then
  fail "no Python with numpy, pyarrow (with Flight) and torch; tried: ${tried[*]:-nothing}. A machine without network
  installs them from a local wheel store (FLIGHTCACHE_WHEELS=WHEEL_DIR FLIGHTCACHE_OFFLINE=1 bash scripts/setup-venv.sh),
  one with PyPI by bash scripts/setup-venv.sh; or point FLIGHTCACHE_PYTHON at an interpreter that has them"
fi
versions="$("$python" -c 'import sys, numpy, pyarrow, torch; print(f"python {sys.version.split()[0]}, torch {torch.__version__} (CUDA {torch.version.cuda}), pyarrow {pyarrow.__version__}, numpy {numpy.__version__}")')"
say "python: $(command -v "$python") ($python_kind): $versions"
say "node: $("$node" --version) ($node)"

work="$(mktemp -d "${TMPDIR:-/tmp}/fc-gpu-XXXXXX")"
cluster_pid=""
mounted=""
cleanup() {
  if [[ -n "$cluster_pid" ]] && kill -0 "$cluster_pid" 2>/dev/null; then
    kill -TERM "$cluster_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$cluster_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$cluster_pid" 2>/dev/null || true
  fi
  [[ -n "$mounted" ]] && umount "$mounted" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# More shards spread the server-side work (row shuffles) over more cores: GPU_FEED_SHARDS=8 on a 16-core box.
shards="${GPU_FEED_SHARDS:-2}"
# The shards keep the data in shared memory for the same-host readers: /dev/shm unless it has too
# little room for the data (a container's 64 MB default); then a tmpfs mounted for this run (as
# root), else files in the work directory when its filesystem has O_TMPFILE, else private memory
# (--shm-dir off: the shm contender is then skipped, with the reason in the record).
gb=1
for ((i = 1; i <= $#; i++)); do
  if [[ "${!i}" == "--gb" ]]; then next=$((i + 1)); gb="${!next:-1}"; fi
done
need_kb="$(awk -v gb="$gb" 'BEGIN { printf "%d", gb * 1e9 * 1.25 / 1024 + 65536 }')"
tmpfile_ok() { "$python" -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_TMPFILE | os.O_RDWR, 0o600))' "$1" 2>/dev/null; }
shm_dir=/dev/shm
free_kb="$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')"
if [[ -z "$free_kb" || "$free_kb" -lt "$need_kb" ]]; then
  shm_dir="$work/shm"
  mkdir -p "$shm_dir"
  if mount -t tmpfs -o "size=${need_kb}k,mode=700" flightcache-gpu "$shm_dir" 2>/dev/null; then
    mounted="$shm_dir"
    say "/dev/shm has ${free_kb:-no} KiB free, under the ${need_kb} KiB this size needs: a tmpfs mounted at $shm_dir instead"
  elif tmpfile_ok "$shm_dir"; then
    say "/dev/shm has ${free_kb:-no} KiB free, under the ${need_kb} KiB this size needs: shared-memory files in $shm_dir instead"
  else
    shm_dir=off
    say "/dev/shm has ${free_kb:-no} KiB free and no other directory takes O_TMPFILE files: the shards keep private memory (no same-host reads)"
  fi
fi
# Made before the cluster starts, so the wait below never reads a file its redirection has not created yet.
: >"$work/cluster.out"
say "starting a cluster: $node $main serve --host 127.0.0.1 --port 0 --shards $shards --replicas 1 --shm-dir $shm_dir"
FLIGHTCACHE_LOG_LEVEL="${FLIGHTCACHE_LOG_LEVEL:-warn}" "$node" "$main" serve --host 127.0.0.1 --port 0 --shards "$shards" --replicas 1 --shm-dir "$shm_dir" \
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

"$python" "$repo/bench/gpu/gpu_feed.py" --url "$url" --node-version "$("$node" --version)" "$@" \
  || fail "gpu_feed.py exited with status $? (cluster stderr: $(tail -n 5 "$work/cluster.err"))"
say "done"
