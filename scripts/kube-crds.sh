#!/usr/bin/env bash
# Fetches the CRDs the operator tests install beside our own, from the projects' Go modules through
# the Go module proxy: Kubeflow Trainer's TrainJob, TrainingRuntime and ClusterTrainingRuntime (github.com/kubeflow/trainer/v2, which carries its
# CRD YAML under manifests/base/crds/, and its torch-distributed ClusterTrainingRuntime under manifests/base/runtimes/), JobSet's (sigs.k8s.io/jobset, config/components/crd/bases/) and
# Katib's Experiment (github.com/kubeflow/katib, manifests/v1beta1/components/crd/) and the Spark
# operator's SparkApplication (github.com/kubeflow/spark-operator/v2, config/crd/bases/).
# They are cached under ${FLIGHTCACHE_KUBE_CACHE:-~/.cache/flightcache/kube}/crds/ and fetched again
# only when a pinned version changes. Prints the cache directory on its last line.
set -euo pipefail
TRAINER_VERSION="${TRAINER_VERSION:-v2.2.0}"
JOBSET_VERSION="${JOBSET_VERSION:-v0.11.1}"
KATIB_VERSION="${KATIB_VERSION:-v0.19.0}"
SPARK_OPERATOR_VERSION="${SPARK_OPERATOR_VERSION:-v2.3.0}"
CACHE_ROOT="${FLIGHTCACHE_KUBE_CACHE:-$HOME/.cache/flightcache/kube}"
DIR="$CACHE_ROOT/crds"
mkdir -p "$DIR"

fetch() { # module version path-in-module file-name
  local out="$DIR/$4"
  [ -s "$out" ] && grep -q "^# from $1@$2\$" "$out" && return
  command -v go >/dev/null || { echo "kube-crds: go is not installed" >&2; exit 1; }
  local moddir
  moddir="$(go mod download -json "$1@$2" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  [ -f "$moddir/$3" ] || { echo "kube-crds: $1@$2 has no $3" >&2; exit 1; }
  { echo "# from $1@$2"; cat "$moddir/$3"; } > "$out.tmp"
  mv "$out.tmp" "$out"
  echo "kube-crds: $4 from $1@$2" >&2
}
fetch github.com/kubeflow/trainer/v2 "$TRAINER_VERSION" manifests/base/crds/trainer.kubeflow.org_trainjobs.yaml trainer.kubeflow.org_trainjobs.yaml
fetch github.com/kubeflow/trainer/v2 "$TRAINER_VERSION" manifests/base/crds/trainer.kubeflow.org_clustertrainingruntimes.yaml trainer.kubeflow.org_clustertrainingruntimes.yaml
fetch github.com/kubeflow/trainer/v2 "$TRAINER_VERSION" manifests/base/crds/trainer.kubeflow.org_trainingruntimes.yaml trainer.kubeflow.org_trainingruntimes.yaml
fetch github.com/kubeflow/trainer/v2 "$TRAINER_VERSION" manifests/base/runtimes/torch_distributed.yaml trainer-runtime-torch-distributed.yaml
fetch sigs.k8s.io/jobset "$JOBSET_VERSION" config/components/crd/bases/jobset.x-k8s.io_jobsets.yaml jobset.x-k8s.io_jobsets.yaml
fetch github.com/kubeflow/katib "$KATIB_VERSION" manifests/v1beta1/components/crd/experiment.yaml kubeflow.org_experiments.yaml
fetch github.com/kubeflow/spark-operator/v2 "$SPARK_OPERATOR_VERSION" config/crd/bases/sparkoperator.k8s.io_sparkapplications.yaml sparkoperator.k8s.io_sparkapplications.yaml
echo "$DIR"
