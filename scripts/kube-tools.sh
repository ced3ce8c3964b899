#!/usr/bin/env bash
# Builds the manifest tools the operator tests render with, from their Go modules through the Go
# module proxy: helm (helm.sh/helm/v3) and kustomize (sigs.k8s.io/kustomize/kustomize/v5), and the
# Kubeflow Trainer controller (github.com/kubeflow/trainer/v2, its trainer-controller-manager command)
# that turns TrainJobs into JobSets in test/operator/trainer-controller.test.ts. Cached under
# ${FLIGHTCACHE_KUBE_CACHE:-~/.cache/flightcache/kube}/tools/<tool>-<version>/ and built only when a
# pinned version changes. Prints the cache directory on its last line.
set -euo pipefail
HELM_VERSION="${HELM_VERSION:-v3.19.0}"
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.2}"
# The same version as the TrainJob CRDs scripts/kube-crds.sh fetches.
TRAINER_VERSION="${TRAINER_VERSION:-v2.2.0}"
CACHE_ROOT="${FLIGHTCACHE_KUBE_CACHE:-$HOME/.cache/flightcache/kube}"
DIR="$CACHE_ROOT/tools"

build() { # name module version
  local out="$DIR/$1-$3"
  [ -x "$out/$1" ] && return
  command -v go >/dev/null || { echo "kube-tools: go is not installed" >&2; exit 1; }
  echo "kube-tools: building $1 $3 from $2; this takes minutes" >&2
  local start
  start=$(date +%s)
  mkdir -p "$out"
  GOBIN="$out" nice -n 10 go install "$2@$3" >&2
  echo "kube-tools: $1 built in $(( $(date +%s) - start ))s" >&2
}
build helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
build kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION"
build trainer-controller-manager github.com/kubeflow/trainer/v2/cmd/trainer-controller-manager "$TRAINER_VERSION"
echo "$DIR"
