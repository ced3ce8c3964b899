"""A Kubeflow Pipelines pipeline that loads a Parquet table from S3 into a standing DataCache before training.

Compile it with `python kfp_load_pipeline.py pipeline.yaml` and upload the YAML to Kubeflow Pipelines (or
submit it with `kfp.Client().create_run_from_pipeline_package`). The DataCache (`imagenet` in
namespace `ml` here) is created by the platform beforehand (operator/README.md); the step asks its
coordinator to load the source, so the pipeline's service account needs no Kubernetes permissions.
"""

import sys

from flightcache.kfp import load_dataset
from kfp import compiler, dsl


@dsl.pipeline(name="load-imagenet", description="Loads the ImageNet training split into the imagenet DataCache.")
def load_imagenet(
    endpoint: str = "grpc://imagenet-coordinator.ml.svc:8815",
    source: str = "s3://bucket/imagenet/train/",
    name: str = "train",
) -> int:
    load = load_dataset(endpoint=endpoint, name=name, source=source, format="parquet", columns="image,label")
    # A load replaces the dataset with the source as it is now: never reuse an earlier run's result.
    load.set_caching_options(False)
    load.set_retry(num_retries=2)
    return load.outputs["rows"]


if __name__ == "__main__":
    compiler.Compiler().compile(load_imagenet, sys.argv[1] if len(sys.argv) > 1 else "load_imagenet.yaml")
