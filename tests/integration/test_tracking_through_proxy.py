"""The stock MLflow client through the basic-auth proxy: runs, artifacts, models, traces."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from scripts.local_stack import LocalStack

pytestmark = pytest.mark.integration

MB = 1024 * 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(MB), b""):
            digest.update(block)
    return digest.hexdigest()


def _random_file(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:
        for _ in range(size // MB):
            handle.write(os.urandom(MB))
    return path


def _s3_keys(stack: LocalStack, run_id: str) -> dict[str, int]:
    assert stack.s3 is not None
    s3 = stack.s3.client()
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=stack.bucket)  # type: ignore[attr-defined]
    return {
        obj["Key"]: obj["Size"]
        for page in pages
        for obj in page.get("Contents", [])
        if run_id in obj["Key"]
    }


def test_run_with_params_tags_metrics_and_batch_round_trips(as_client: LocalStack) -> None:
    import mlflow
    from mlflow.entities import Metric

    mlflow.set_experiment("roundtrip-metrics")
    with mlflow.start_run() as run:
        mlflow.log_params({"alpha": "0.5", "solver": "lbfgs"})
        mlflow.set_tags({"team": "platform", "stage": "test"})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        batch = [Metric("batch_metric", float(i), 1_700_000_000_000 + i, i) for i in range(1000)]
        mlflow.tracking.MlflowClient().log_batch(run.info.run_id, metrics=batch)

    client = mlflow.tracking.MlflowClient()
    got = client.get_run(run.info.run_id)
    assert got.data.params == {"alpha": "0.5", "solver": "lbfgs"}
    assert got.data.tags["team"] == "platform"
    assert got.data.metrics["loss"] == pytest.approx(0.2)
    history = client.get_metric_history(run.info.run_id, "batch_metric")
    assert sorted(m.step for m in history) == list(range(1000))
    assert len(client.get_metric_history(run.info.run_id, "loss")) == 5


def test_1mb_artifact_is_listed_downloaded_identical_and_stored_in_s3(
    as_client: LocalStack, tmp_path: Path
) -> None:
    import mlflow

    source = _random_file(tmp_path / "one_mb.bin", MB)
    mlflow.set_experiment("roundtrip-artifacts")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(source), artifact_path="data")

    listed = mlflow.artifacts.list_artifacts(run_id=run.info.run_id, artifact_path="data")
    assert [(a.path, a.file_size) for a in listed] == [("data/one_mb.bin", MB)]
    back = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="data/one_mb.bin", dst_path=str(tmp_path / "dl")
    )
    assert _sha256(Path(back)) == _sha256(source)
    keys = _s3_keys(as_client, run.info.run_id)
    assert [size for key, size in keys.items() if key.endswith("data/one_mb.bin")] == [MB]


@pytest.mark.slow
def test_50mb_artifact_passes_a_proxy_capping_bodies_at_10mb_with_multipart(
    as_client: LocalStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """API Gateway HTTP API caps payloads at 10 MB: large artifacts go as presigned parts."""
    import mlflow
    import requests

    capped_uri = as_client.add_proxy(max_body_mb=10)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", capped_uri)
    mlflow.set_tracking_uri(capped_uri)
    source = _random_file(tmp_path / "fifty_mb.bin", 50 * MB)
    mlflow.set_experiment("roundtrip-large")

    # The cap is real: a plain proxied upload of 50 MB is refused by the capped proxy.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with mlflow.start_run(), pytest.raises(requests.HTTPError, match="413"):
        mlflow.log_artifact(str(source))

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "5")
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(8 * MB))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(8 * MB))
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_DOWNLOAD_MINIMUM_FILE_SIZE", str(8 * MB))
    monkeypatch.setenv("MLFLOW_MULTIPART_DOWNLOAD_CHUNK_SIZE", str(8 * MB))
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(source))

    listed = mlflow.artifacts.list_artifacts(run_id=run.info.run_id)
    assert [(a.path, a.file_size) for a in listed] == [("fifty_mb.bin", 50 * MB)]
    back = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="fifty_mb.bin", dst_path=str(tmp_path / "dl")
    )
    assert _sha256(Path(back)) == _sha256(source)
    assert list(_s3_keys(as_client, run.info.run_id).values()) == [50 * MB]
    # The cap held: the plain upload was refused, every request the capped proxy let through
    # was below 10 MB, and the 50 MB went as a multipart upload the server created and completed
    # (its parts go to presigned S3 URLs, not through the proxy).
    entries = [
        json.loads(line) for line in as_client.proxies[-1].access_log.read_text().splitlines()
    ]
    refused = [e for e in entries if e["status"] == 413]
    passed = [e for e in entries if e["status"] != 413]
    assert refused and passed
    assert max(int(e["bytes_in"]) for e in passed) < 10 * MB
    mpu = [
        (e["method"], e["path"].split("/mpu/")[1].split("/")[0])
        for e in entries
        if "/mlflow-artifacts/mpu/" in str(e["path"]) and e["status"] == 200
    ]
    assert ("POST", "create") in mpu and ("POST", "complete") in mpu, mpu


@pytest.mark.slow
def test_registered_model_version_with_alias_loads_with_identical_predictions(
    as_client: LocalStack,
) -> None:
    import mlflow
    import numpy as np
    from sklearn.linear_model import LinearRegression

    features = np.arange(20, dtype=float).reshape(10, 2)
    target = features @ np.array([1.5, -2.0]) + 0.25
    model = LinearRegression().fit(features, target)
    mlflow.set_experiment("roundtrip-models")
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name="roundtrip-regressor",
            # Skip the 6-9 s pip requirement inference.
            pip_requirements=["scikit-learn"],
        )
    client = mlflow.tracking.MlflowClient()
    version = info.registered_model_version
    client.set_registered_model_alias("roundtrip-regressor", "champion", version)

    assert client.get_model_version_by_alias("roundtrip-regressor", "champion").version == str(
        version
    )
    loaded = mlflow.pyfunc.load_model("models:/roundtrip-regressor@champion")
    np.testing.assert_array_equal(loaded.predict(features), model.predict(features))


def test_trace_is_recorded_and_read_back(as_client: LocalStack) -> None:
    import mlflow

    experiment = mlflow.set_experiment("roundtrip-traces")

    @mlflow.trace(name="answer")
    def answer(question: str) -> str:
        with mlflow.start_span(name="lookup") as span:
            span.set_inputs({"q": question})
            span.set_outputs({"a": "42"})
        return "42"

    assert answer("meaning of life?") == "42"
    trace_id = mlflow.get_last_active_trace_id()
    assert trace_id is not None
    trace = mlflow.get_trace(trace_id)
    assert trace is not None
    assert trace.info.experiment_id == experiment.experiment_id
    assert {span.name for span in trace.data.spans} == {"answer", "lookup"}
    found = mlflow.search_traces(locations=[experiment.experiment_id], return_type="list")
    assert trace_id in {t.info.trace_id for t in found}
