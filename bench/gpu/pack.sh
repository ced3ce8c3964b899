#!/usr/bin/env bash
# Packs everything bench/gpu/run.sh needs besides Python into .gpu-pack/runtime.tar.xz, for a GPU
# machine that has no Node and no network: the node binary, dist/, the native addon and the
# production node_modules (without the demo's vega-datasets). Run it here after `npm ci` and
# `npm run build`; then send .gpu-pack along with the tree (it is ignored by git) and run
# `bash bench/gpu/run.sh` there, which unpacks it when it finds no node or no build.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
say() { echo "gpu/pack.sh: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

node_bin="$(command -v node || true)"
[[ -n "$node_bin" ]] || fail "node is not on PATH"
[[ -f "$repo/dist/cache-server/cli/main.js" ]] || fail "dist/ is not built: npm run build"
[[ -f "$repo/build/Release/flightcache_native.node" ]] || fail "the native addon is not built: npm ci"
[[ -d "$repo/node_modules" ]] || fail "node_modules is missing: npm ci"

stage="$(mktemp -d "${TMPDIR:-/tmp}/fc-gpu-pack-XXXXXX")"
trap 'rm -rf "$stage"' EXIT
runtime="$stage/runtime"
mkdir -p "$runtime/build/Release"
cp "$(readlink -f "$node_bin")" "$runtime/node"
cp -r "$repo/dist" "$runtime/dist"
cp "$repo/build/Release/flightcache_native.node" "$runtime/build/Release/"
cp "$repo/package.json" "$repo/package-lock.json" "$runtime/"
cp -r "$repo/node_modules" "$runtime/node_modules"
(cd "$runtime" && npm prune --omit=dev --no-audit --no-fund >/dev/null)
rm -rf "$runtime/node_modules/vega-datasets"
git -C "$repo" rev-parse HEAD >"$runtime/COMMIT" 2>/dev/null || echo unknown >"$runtime/COMMIT"
mkdir -p "$repo/.gpu-pack"
XZ_OPT="${XZ_OPT:--6 -T0}" tar -C "$stage" -cJf "$repo/.gpu-pack/runtime.tar.xz.part" runtime
mv "$repo/.gpu-pack/runtime.tar.xz.part" "$repo/.gpu-pack/runtime.tar.xz"
rm -rf "$repo/.gpu-pack/runtime"
say "wrote $repo/.gpu-pack/runtime.tar.xz ($(du -h "$repo/.gpu-pack/runtime.tar.xz" | cut -f1), node $("$node_bin" --version), commit $(cat "$runtime/COMMIT"))"
