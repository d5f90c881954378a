"""MLflow tracking: the only module (with the pyfunc entry point) that imports mlflow.

What is logged (and what never is):
- parameters: model kind, hyper-parameters, seeds, scenario, target prior, package versions;
- the data's fingerprint (sha256 of the canonical table) and per-site counts;
- metrics (per fold and summary), plots (PNG), metrics.json, the pipeline config;
- the model: the netorigin bundle as an MLflow pyfunc (models-from-code, no pickle), with a
  signature and a synthetic input example, registered in the model registry with an alias and
  a model card as the description of the model and of the version;
- the data as MLflow datasets (name, fingerprint, schema, counts: metadata, not rows);
- per-fold metrics as stepped metrics; the run's note says what was trained, on what, with
  which prior; runs start when the work starts (true durations).
- **Never** a case table, a case_id or an input example built from real cases.

Every function takes the tracking URI as an argument; the CLI chooses the default
(``MLFLOW_TRACKING_URI``, else ``sqlite:///mlruns/mlflow.db`` in the working folder).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

from .._extras import require
from ..contract import RESEARCH_NOTICE
from ._serving import pyfunc_arguments

EXPERIMENT = "netorigin"


@contextlib.contextmanager
def _store_lock(uri: str):
    """Serialise use of a local sqlite store across processes (two trainings at once would
    otherwise race to create its tables or hit 'database is locked')."""
    if not isinstance(uri, str) or not uri.startswith("sqlite:///"):
        yield
        return
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, sqlite's own locking only
        yield
        return
    lock_path = Path(uri[len("sqlite:///") :]).with_suffix(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _setup(uri: str):
    mlflow = require("mlflow", "tracking")

    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    exp = mlflow.get_experiment_by_name(EXPERIMENT)
    if exp is None:
        location = None
        if uri.startswith("sqlite:///"):
            location = (Path(uri[len("sqlite:///") :]).parent / "artifacts").resolve().as_uri()
        try:
            mlflow.create_experiment(EXPERIMENT, artifact_location=location)
        except Exception:  # created concurrently by another run
            pass
    exp = mlflow.set_experiment(EXPERIMENT)
    if exp.tags.get("mlflow.experimentKind") != "custom_model_development":
        client = mlflow.MlflowClient()
        # what the experiment is; MLflow 3.17's UI picks its view from its own GenAI / machine-learning
        # switch (or ?workflowType=machine_learning), not from this tag (docs/mlflow.md)
        client.set_experiment_tag(exp.experiment_id, "mlflow.experimentKind", "custom_model_development")
        client.set_experiment_tag(
            exp.experiment_id,
            "mlflow.note.content",
            "netorigin: primary site of NET liver metastases. " + RESEARCH_NOTICE,
        )
    return mlflow


def _flat(prefix: str, obj, out: dict) -> None:
    if isinstance(obj, dict) and prefix != "model":
        for k, v in obj.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        if obj == obj:  # skip NaN
            out[prefix.replace("/", "_")] = float(obj)


def _pip_requirements() -> list[str]:
    from importlib import metadata  # here: a cold start that never records versions skips its import

    reqs = []
    for pkg in ("netorigin", "numpy", "pandas", "scikit-learn", "xgboost", "scipy", "pyyaml", "mlflow"):
        try:
            reqs.append(f"{pkg}=={metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            pass
    return reqs


def log_run(
    *,
    run_name: str,
    params: dict,
    metrics: dict,
    tags: dict | None = None,
    bundle_dir=None,
    register_name: str | None = None,
    alias: str = "champion",
    artifacts: dict | None = None,
    tracking_uri: str,
    started: float | None = None,
    description: str | None = None,
    datasets: list | None = None,
    steps: dict | None = None,
    model_card: str | None = None,
) -> dict:
    """Log one run: params, flattened metrics, JSON/plot artifacts, and optionally the model.

    ``artifacts`` maps an artifact file name to bytes or a local path; ``started`` (epoch
    seconds) is when the work began, so that the run's duration is the work's; ``description``
    is the run's note; ``datasets`` are :func:`dataset_entry` dicts (metadata only, never rows);
    ``steps`` maps a metric name to its values by step (per fold); ``model_card`` describes the
    registered model and its version. Returns the run id and, when a model was logged, its URI
    and registered version.
    """
    from ..exceptions import InputError, NetoriginError

    try:
        with _store_lock(tracking_uri):
            return _log_run(
                run_name=run_name,
                params=params,
                metrics=metrics,
                tags=tags,
                bundle_dir=bundle_dir,
                register_name=register_name,
                alias=alias,
                artifacts=artifacts,
                tracking_uri=tracking_uri,
                started=started,
                description=description,
                datasets=datasets or [],
                steps=steps or {},
                model_card=model_card,
            )
    except NetoriginError:
        raise
    except Exception as e:  # mlflow raises many types for a store it cannot use (bad URI, read-only folder)
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputError(
            f"tracking URI {tracking_uri!r}: the MLflow store cannot be used ({type(e).__name__}: "
            f"{first[:300]}); the bundle is saved; fix the URI (or --no-track) and retry"
        ) from None


def dataset_entry(table, *, name: str, fingerprint: str, context: str, counts: dict) -> dict:
    """An MLflow dataset entry for a table: its name, fingerprint, schema and counts - never its
    rows (the schema is built from the column types only)."""
    cols = [
        (str(c), "double" if str(t).startswith(("float", "int")) else "string")
        for c, t in table.dtypes.items()
        if str(c) != "case_id"
    ]
    return {
        "name": name,
        "digest": fingerprint[:20],
        "columns": cols,
        "context": context,
        "counts": {k: str(v) for k, v in counts.items()},
    }


def _log_datasets(mlflow, entries) -> None:
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.data.sources import LocalArtifactDatasetSource
    from mlflow.types.schema import ColSpec, Schema

    for d in entries:
        ds = MetaDataset(
            source=LocalArtifactDatasetSource(f"netorigin:{d['name']}"),
            name=d["name"],
            digest=d["digest"],
            schema=Schema([ColSpec(t, c) for c, t in d["columns"]]),
        )
        mlflow.log_input(ds, context=d["context"], tags=d["counts"])


def _log_run(
    *,
    run_name,
    params,
    metrics,
    tags,
    bundle_dir,
    register_name,
    alias,
    artifacts,
    tracking_uri,
    started=None,
    description=None,
    datasets=(),
    steps=None,
    model_card=None,
) -> dict:
    mlflow = _setup(tracking_uri)
    flat: dict[str, float] = {}
    _flat("", metrics, flat)
    client = mlflow.MlflowClient()
    exp = mlflow.get_experiment_by_name(EXPERIMENT)
    run_tags = {"netorigin.notice": RESEARCH_NOTICE, "mlflow.runName": run_name, **(tags or {})}
    if description:
        run_tags["mlflow.note.content"] = description
    created = client.create_run(
        exp.experiment_id, start_time=int(started * 1000) if started else None, tags=run_tags, run_name=run_name
    )
    with mlflow.start_run(run_id=created.info.run_id) as run:
        mlflow.log_params({k: (str(v)[:500]) for k, v in params.items()})
        for k in sorted(flat):
            mlflow.log_metric(k[:250], flat[k])
        for k, values in (steps or {}).items():
            for step, v in enumerate(values):
                if v == v:  # skip NaN
                    mlflow.log_metric(k[:250], float(v), step=step)
        _log_datasets(mlflow, datasets)
        _log_artifacts(mlflow, artifacts, metrics)
        out = {"run_id": run.info.run_id}
        if bundle_dir is not None:
            out.update(_log_bundle(mlflow, client, bundle_dir, register_name, alias, model_card))
    return out


def _log_artifacts(mlflow, artifacts: dict | None, metrics: dict) -> None:
    """Each artifact (bytes, text, or a file's path) and the figures as metrics.json."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, content in (artifacts or {}).items():
            p = Path(tmp) / name
            if isinstance(content, (bytes, bytearray)):
                p.write_bytes(content)
            elif isinstance(content, str) and not Path(content).exists():
                p.write_text(content)
            else:
                p.write_bytes(Path(content).read_bytes())
            mlflow.log_artifact(str(p))
        p = Path(tmp) / "metrics.json"
        p.write_text(json.dumps(metrics, indent=1, default=str))
        mlflow.log_artifact(str(p))


def _log_bundle(mlflow, client, bundle_dir, register_name, alias, model_card) -> dict:
    """The bundle as an MLflow pyfunc model (stored as artifacts/bundle), registered under
    ``register_name`` with ``alias`` and the model card when asked: ``{model_uri, registered}``."""
    import shutil

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "bundle"  # stored as artifacts/bundle whatever the folder's name
        shutil.copytree(bundle_dir, staged)
        info = mlflow.pyfunc.log_model(name="model", **pyfunc_arguments(staged, _pip_requirements()))
    out["model_uri"] = info.model_uri
    if register_name:
        mv = mlflow.register_model(info.model_uri, register_name)
        client.set_registered_model_alias(register_name, alias, mv.version)
        if model_card:
            client.update_registered_model(register_name, description=model_card)
            client.update_model_version(register_name, mv.version, description=model_card)
        out["registered"] = {"name": register_name, "version": mv.version, "alias": alias}
    return out


def save_pyfunc(bundle_dir, path) -> str:
    """The bundle as an MLflow model folder at ``path``, with no tracking store: the model that
    ``--register`` logs (the same pyfunc, signature, example and requirements), which
    ``mlflow models serve -m PATH`` serves. Returns the folder."""
    import shutil

    mlflow = require("mlflow", "tracking")
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "bundle"  # stored as artifacts/bundle whatever the folder's name
        shutil.copytree(bundle_dir, staged)
        mlflow.pyfunc.save_model(str(path), **pyfunc_arguments(staged, _pip_requirements()))
    return str(path)


def model_version(uri: str, tracking_uri: str | None) -> dict:
    """The registered name and version behind models:/NAME@ALIAS or models:/NAME/VERSION (empty for
    any other model, or without a tracking URI)."""
    if not str(uri).startswith("models:/") or tracking_uri is None:
        return {}
    rest = uri[len("models:/") :]
    with _store_lock(tracking_uri):
        mlflow = _setup(tracking_uri)
        client = mlflow.MlflowClient()
        try:
            if "@" in rest:
                name, alias = rest.split("@", 1)
                mv = client.get_model_version_by_alias(name, alias)
            else:
                name, version = rest.rsplit("/", 1)
                mv = client.get_model_version(name, version)
        except Exception:  # not registered: the URI alone names it
            return {}
    return {"name": mv.name, "version": int(mv.version), "run_id": mv.run_id or ""}


def registered_bundle_path(uri: str, tracking_uri: str) -> str:
    """Download the bundle behind ``models:/NAME@ALIAS`` or ``runs:/RUN/model``; its local folder."""
    with _store_lock(tracking_uri):
        mlflow = _setup(tracking_uri)
        try:
            return mlflow.artifacts.download_artifacts(artifact_uri=uri.rstrip("/") + "/artifacts/bundle")
        except Exception as e:  # mlflow raises its own exception types for unknown models/runs
            from ..exceptions import InputError

            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise InputError(f"{uri}: cannot be loaded from the MLflow store at {tracking_uri} ({first})") from None


def load_registered_bundle(uri: str, tracking_uri: str):
    """A netorigin bundle from ``models:/NAME@ALIAS`` or ``runs:/RUN/model``, loaded through the
    same sha256-checked, pickle-free loader as a bundle folder."""
    from ..estimator import load_bundle

    return load_bundle(registered_bundle_path(uri, tracking_uri))
