"""flightcache.kfp: the example pipeline compiles (kfp's compiler) to the exact spec, and the component's
function loads a Parquet file into a real `flightcache serve` node, whose rows read back equal pyarrow's.
kfp lives in its own venv (scripts/kfp-venv.sh; test/interop/kfp.test.ts runs this file there), so the
shared venv's run skips this module.
"""

import importlib.util
from pathlib import Path

import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.parquet as pq
import pytest
from conftest import Server
from torch_common import make_table

kfp = pytest.importorskip("kfp", reason="kfp is installed only in the venv of scripts/kfp-venv.sh")
import yaml  # type: ignore[import-untyped]  # noqa: E402 (kfp brings PyYAML)
from flightcache.kfp import BASE_IMAGE, PYARROW, load_dataset  # noqa: E402
from kfp import compiler  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "client" / "python" / "examples" / "kfp_load_pipeline.py"


def example_pipeline():
    spec = importlib.util.spec_from_file_location("kfp_load_pipeline", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_imagenet


def test_the_example_pipeline_compiles_to_one_uncached_retried_load_step(tmp_path: Path) -> None:
    out = tmp_path / "pipeline.yaml"
    compiler.Compiler().compile(example_pipeline(), str(out))
    spec = yaml.safe_load(out.read_text())
    assert spec["pipelineInfo"] == {"name": "load-imagenet", "description": "Loads the ImageNet training split into the imagenet DataCache."}
    assert spec["root"]["inputDefinitions"]["parameters"] == {
        "endpoint": {"defaultValue": "grpc://imagenet-coordinator.ml.svc:8815", "isOptional": True, "parameterType": "STRING"},
        "name": {"defaultValue": "train", "isOptional": True, "parameterType": "STRING"},
        "source": {"defaultValue": "s3://bucket/imagenet/train/", "isOptional": True, "parameterType": "STRING"},
    }
    task = spec["root"]["dag"]["tasks"]["load-dataset"]
    assert task["cachingOptions"] == {}
    assert task["retryPolicy"] == {"backoffDuration": "0s", "backoffFactor": 2.0, "backoffMaxDuration": "3600s", "maxRetryCount": 2}
    assert task["inputs"]["parameters"] == {
        "endpoint": {"componentInputParameter": "endpoint"},
        "name": {"componentInputParameter": "name"},
        "source": {"componentInputParameter": "source"},
        "format": {"runtimeValue": {"constant": "parquet"}},
        "columns": {"runtimeValue": {"constant": "image,label"}},
    }
    assert spec["root"]["dag"]["outputs"]["parameters"] == {"Output": {"valueFromParameter": {"outputParameterKey": "rows", "producerSubtask": "load-dataset"}}}
    component = spec["components"]["comp-load-dataset"]
    assert component["outputDefinitions"]["parameters"] == {"bytes": {"parameterType": "NUMBER_INTEGER"}, "files": {"parameterType": "NUMBER_INTEGER"}, "rows": {"parameterType": "NUMBER_INTEGER"}}
    assert component["inputDefinitions"]["parameters"]["timeout_seconds"] == {"defaultValue": 3600.0, "isOptional": True, "parameterType": "NUMBER_DOUBLE"}
    container = spec["deploymentSpec"]["executors"][component["executorLabel"]]["container"]
    assert container["image"] == BASE_IMAGE
    assert container["args"][:4] == ["--executor_input", "{{$}}", "--function_to_execute", "load_dataset"]
    # sh -c INSTALL sh -ec RUNNER SOURCE: pip installs pyarrow and the kfp runtime, then the executor runs SOURCE.
    assert container["command"][:2] == ["sh", "-c"] and container["command"][3:5] == ["sh", "-ec"]
    install, source = container["command"][2], container["command"][6]
    assert f"install --quiet --no-warn-script-location '{PYARROW}'" in install and f"'kfp=={kfp.__version__}'" in install
    # The function runs from its own source in the image: nothing of flightcache is imported there.
    assert "def load_dataset(" in source and "flightcache" not in source.split("def load_dataset(", 1)[1]


def test_the_component_loads_a_parquet_file_into_a_real_node_and_the_rows_read_back_equal_pyarrows(server: Server, tmp_path: Path) -> None:
    table = make_table(1000)
    path = tmp_path / "train.parquet"
    pq.write_table(table, path, row_group_size=300)
    loaded = load_dataset.python_func(endpoint=server.url, name="kfp-train", source=str(path), format="parquet", columns="")
    assert (loaded.rows, loaded.files) == (1000, 1)
    expected = pq.read_table(path)
    client = flight.FlightClient(server.url)
    info = client.get_flight_info(flight.FlightDescriptor.for_path("kfp-train"))
    got = pa.concat_tables([client.do_get(endpoint.ticket).read_all() for endpoint in info.endpoints])
    client.close()
    assert got.equals(expected), (got.schema, expected.schema)


def test_a_load_of_a_missing_file_fails_with_the_nodes_not_found_status(server: Server, tmp_path: Path) -> None:
    missing = tmp_path / "nope.parquet"
    # pyarrow raises gRPC NOT_FOUND as ArrowKeyError.
    with pytest.raises(pa.ArrowKeyError) as raised:
        load_dataset.python_func(endpoint=server.url, name="kfp-missing", source=str(missing), format="parquet")
    assert str(raised.value) == f'Flight returned not found error, with message: source "{missing}" does not exist'
