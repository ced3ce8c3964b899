#!/usr/bin/env bash
# Builds the binaries of a real Kubernetes control plane for the operator tests: kube-apiserver from
# the k8s.io/kubernetes Go module (its staging modules replaced by their published versions, since
# its own go.mod points them at local paths) and etcd (Debian's etcd-server, or built from
# go.etcd.io/etcd/server/v3 when apt is unavailable). Binaries are cached per pinned version under
# ${FLIGHTCACHE_KUBE_CACHE:-~/.cache/flightcache/kube}/<version>/ and rebuilt only when it changes.
# Prints the cache directory on its last line.
set -euo pipefail
KUBE_VERSION="${KUBE_VERSION:-v1.34.1}"
ETCD_VERSION="${ETCD_VERSION:-v3.5.21}"
CACHE_ROOT="${FLIGHTCACHE_KUBE_CACHE:-$HOME/.cache/flightcache/kube}"
DIR="$CACHE_ROOT/$KUBE_VERSION"
mkdir -p "$DIR"

if [ ! -x "$DIR/kube-apiserver" ]; then
  command -v go >/dev/null || { echo "kube-control-plane: go is not installed" >&2; exit 1; }
  staging="v0.${KUBE_VERSION#v1.}"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  gomod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')"
  {
    echo "module flightcache.io/kubebuild"
    echo
    grep -E '^go [0-9]' "$gomod"
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    # Every `k8s.io/x => ./staging/src/k8s.io/x` becomes `k8s.io/x => k8s.io/x v0.<minor>.<patch>`.
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/\1$#replace \1 => \1 '"$staging"'#p' "$gomod"
  } > "$work/go.mod"
  printf 'package kubebuild\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n' > "$work/tools.go"
  echo "kube-control-plane: building kube-apiserver $KUBE_VERSION (staging $staging); this takes minutes" >&2
  start=$(date +%s)
  (cd "$work" && GOFLAGS=-mod=mod go mod tidy >&2 && nice -n 10 go build -o "$DIR/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2)
  mv "$DIR/kube-apiserver.tmp" "$DIR/kube-apiserver"
  echo "kube-control-plane: kube-apiserver built in $(( $(date +%s) - start ))s" >&2
fi

if [ ! -x "$DIR/etcd" ]; then
  if [ -x /usr/bin/etcd ]; then
    ln -sf /usr/bin/etcd "$DIR/etcd"
  elif [ "$(id -u)" = 0 ] && (apt-get install -y etcd-server >&2 || (apt-get update >&2 && apt-get install -y etcd-server >&2)); then
    ln -sf /usr/bin/etcd "$DIR/etcd"
  else
    echo "kube-control-plane: building etcd $ETCD_VERSION from go.etcd.io/etcd/server/v3" >&2
    GOBIN="$DIR" nice -n 10 go install "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
    mv "$DIR/server" "$DIR/etcd"
  fi
fi
echo "$DIR"
