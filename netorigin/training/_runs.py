"""Tracked runs: train or evaluate, save the bundle, draw the plots, log to MLflow.

The CLI and the pipelines call these; every path and the tracking URI come from their arguments.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .._extras import check
from ..contract import SITES
from ..estimator import load_bundle, save_bundle
from ..models import get_kind
from ._card import model_card


def _versions() -> dict:
    from importlib import metadata  # here: a cold start that never records versions skips its import

    out = {}
    for pkg in ("netorigin", "numpy", "pandas", "scikit-learn", "xgboost", "mlflow", "shap"):
        try:
            out[f"version.{pkg}"] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def load_model(spec: str, tracking_uri: str | None = None):
    """A fitted model from a bundle folder, ``models:/NAME@ALIAS`` or ``runs:/RUN_ID/model``."""
    if str(spec).startswith(("models:/", "runs:/")):
        from ._mlflow import load_registered_bundle

        if tracking_uri is None:
            from ..exceptions import InputError

            raise InputError(f"{spec}: an MLflow model needs a tracking URI (--tracking-uri or MLFLOW_TRACKING_URI)")
        return load_registered_bundle(spec, tracking_uri)
    return load_bundle(spec)


def _field_values(model, table) -> tuple:
    """(explanation under the training mix, (n, n_fields) numbers to colour a beeswarm: a
    field's value when it is one feature column, else NaN)."""
    fwd = model.forward(table, target_prior="training", reasons=True)
    e, Xt = fwd.explanation, fwd.inputs
    values = np.full((len(table), len(e.fields)), np.nan)
    if model.features_ is not None:
        ff = model.features_.feature_fields_
        for j, f in enumerate(e.fields):
            cols = np.flatnonzero(ff == f)
            if len(cols) == 1:
                values[:, j] = Xt[:, cols[0]]
    return e, values


def _plots(result) -> dict[str, bytes]:
    from . import _plots as plots

    out = {}
    t = result.metrics.get("test")
    if not t or result.test_predictions is None:
        return out
    y, raw, cal, table = result.test_predictions
    out["confusion_matrix.png"] = plots.confusion_png(t["calibrated"]["confusion_matrix"])
    out["reliability.png"] = plots.reliability_png(y, raw, cal)
    out["risk_coverage.png"] = plots.risk_coverage_png(t["risk_coverage"])
    if get_kind(result.model.kind).explain is not None:
        e, values = _field_values(result.model, table.iloc[:2000])
        for k, site in enumerate(SITES):
            out[f"shap_beeswarm_{site}.png"] = plots.shap_beeswarm_png(e, values, k)
    return out


def _save(model, out_dir, bundles_root) -> Path:
    """Save to ``out_dir``, or to ``bundles_root/<hash>/`` when no folder was named."""
    import shutil
    import tempfile

    if out_dir is not None:
        save_bundle(model, out_dir)
        return Path(out_dir)
    if bundles_root is None:
        from ..exceptions import InputError

        raise InputError("train: name the bundle folder (out_dir) or a folder for bundles (bundles_root)")
    with tempfile.TemporaryDirectory(prefix="netorigin-bundle-") as tmp:
        h = save_bundle(model, Path(tmp) / "b")["bundle_hash"]
        dest = bundle_dir_for(h, bundles_root)
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(Path(tmp) / "b", dest)
    return dest


def train_run(
    cohort,
    *,
    out_dir=None,
    bundles_root=None,
    kind=None,
    engine="local",
    params=None,
    random_state=0,
    target_prior="training",
    bayes_scenario=None,
    tracking_uri=None,
    track=True,
    register_name=None,
    alias="champion",
    config_text=None,
    description=None,
    n_bootstrap=200,
    name=None,
    data_params: dict | None = None,
    scheduler=None,
    workers=2,
    n_splits=5,
    progress=None,
) -> dict:
    """Train, save the bundle to ``out_dir``, plot, and log one MLflow run (refused before any work without MLflow)."""
    # long: one keyword per setting of a training run (24 lines of signature), handed on to train() and the run
    from ._train import train

    check(["tracking"] if track else [], "tracking a training run in MLflow", "train with track=False")
    tell = progress or (lambda *a: None)
    started = time.time()
    result = train(
        cohort,
        kind=kind,
        engine=engine,
        params=params,
        random_state=random_state,
        n_splits=n_splits,
        target_prior=target_prior,
        bayes_scenario=bayes_scenario,
        n_bootstrap=n_bootstrap,
        description=description,
        name=name,
        scheduler=scheduler,
        workers=workers,
        progress=progress,
    )
    tell("saving the bundle", None, None)
    out_dir = _save(result.model, out_dir, bundles_root)
    summary = {
        "metrics": result.model.metadata_["metrics"],
        "notices": [n.message for n in result.notices if n.message not in result.warnings],
        "warnings": result.warnings,
        "bundle": str(out_dir),
        "bundle_hash": result.model.identity_.bundle_hash,
    }
    if track:
        tell("recording the run in MLflow (plots, bundle, model card)", None, None)
        summary["tracking"] = _track_training(
            result,
            cohort,
            out_dir,
            started=started,
            settings={
                "engine": engine,
                "random_state": random_state,
                "target_prior": target_prior,
                "bayes_scenario": bayes_scenario or "",
                **({"workers": workers, "scheduler": scheduler or "local"} if engine == "dask" else {}),
            },
            params=params,
            data_params=data_params,
            config_text=config_text,
            tracking_uri=tracking_uri,
            register_name=register_name,
            alias=alias,
        )
    summary["result"] = result
    return summary


def _training_params(m, settings: dict, params, data_params) -> dict:
    """The run's parameters: the model's kind, level and hyper-parameters, what training chose
    from the data, the data's counts and fingerprint (never a case), the settings, the versions."""
    td = m.metadata_["training_data"]
    hyper = {
        f"model.{k.removeprefix('estimator__')}": v
        for k, v in m.classifier_.get_params().items()
        if k.startswith("estimator__") and k != "estimator__n_jobs"
    }
    chosen = getattr(m.classifier_.estimator_, "literature_weight_", None)  # the latent-class kind's
    return {
        "model.kind": m.kind,
        "model.level": m.level_,
        "model.cv": m.cv,
        "model.calibration": m.calibration_["shipped"],
        **hyper,
        **settings,
        "data.fingerprint": td["fingerprint"],
        "data.description": td["description"],
        "data.n_labelled": td["n_labelled"],
        **{f"data.n_{s}": n for s, n in td["site_counts"].items()},
        **{f"data.n_train_{s}": n for s, n in td["site_counts_train"].items()},
        **{f"model.{k}": v for k, v in (params or {}).items()},
        **{f"data.{k}": v for k, v in (data_params or {}).items()},
        **({"model.literature_weight_chosen": chosen} if chosen is not None else {}),
        **_versions(),
    }


def _track_training(result, cohort, out_dir, *, started, settings, params, data_params, config_text, **where) -> dict:
    """Log one training run: parameters, figures, plots, the bundle, the dataset's name and counts,
    the model card; ``where``: tracking_uri, register_name, alias."""
    from ._checks import calibration_summary
    from ._mlflow import dataset_entry, log_run

    m = result.model
    td = m.metadata_["training_data"]
    artifacts = _plots(result)
    if config_text:
        artifacts["pipeline_config.yaml"] = config_text.encode("utf-8")
    what = (
        f"{m.kind} ({m.level_} level, {m.cv}-fold calibration) on {td['description']}, "
        f"{td['n_labelled']:,} labelled cases, deployment prior {settings['target_prior']}"
    )
    entries = (
        [
            dataset_entry(
                cohort,
                name=f"training: {td['description']}"[:120],
                fingerprint=td["fingerprint"],
                context="training",
                counts={"n_labelled": td["n_labelled"], **td["site_counts"], **(data_params or {})},
            )
        ]
        if hasattr(cohort, "dtypes")
        else []
    )
    folds = result.metrics.get("cv", {}).get("folds", [])
    return log_run(
        run_name=f"train {m.kind} on {td['description']}"[:200],
        params=_training_params(m, settings, params, data_params),
        metrics=result.metrics,
        tags={
            "netorigin.task": "train",
            "netorigin.engine": settings["engine"],
            "netorigin.bundle_hash": m.identity_.bundle_hash,
            # what training found wrong, where the run list shows it ("none" when nothing was)
            "netorigin.warnings": "\n".join(result.warnings)[:4900] or "none",
            "netorigin.calibration": calibration_summary(m.calibration_)[:4900],
            # do the cohort's findings travel together beyond the model's cells? (the global verdict)
            "netorigin.structure": str(
                result.metrics.get("checks", {}).get("structure", {}).get("verdict", "not checked")
            )[:4900],
        },
        bundle_dir=out_dir,
        artifacts=artifacts,
        started=started,
        description=f"Trained {what}.",
        datasets=entries,
        steps={f"cv.{k}": [f[k] for f in folds] for k in (folds[0] if folds else {}) if k not in ("fold", "n")},
        model_card=model_card(m, what),
        **where,
    )


def evaluate_run(
    model_spec: str,
    cohort,
    *,
    target_prior="training",
    bayes_scenario=None,
    tracking_uri=None,
    track=True,
    n_bootstrap=200,
    description=None,
    data_params: dict | None = None,
) -> dict:
    """Evaluate a saved model on a labelled cohort (external validation) and log the run."""
    from ..literature import bayes_posterior
    from ._checks import structure_fit
    from ._metrics import evaluate_model
    from ._train import labelled_cases

    check(["tracking"] if track else [], "tracking an evaluation run in MLflow", "evaluate with track=False")
    started = time.time()
    model = load_model(model_spec, tracking_uri)
    table, y, groups, notices = labelled_cases(cohort, min_per_site=0, purpose="evaluation")
    bayes = bayes_posterior(table, scenario=bayes_scenario).to_numpy() if bayes_scenario else None
    metrics = evaluate_model(
        model, table, groups=groups, target_prior=target_prior, n_bootstrap=n_bootstrap, bayes_proba=bayes
    )
    metrics["model"] = model.identity_.as_dict()  # every output names the bundle that produced it
    metrics["structure"], warned = structure_fit(model, table)  # findings travelling together?
    notices = [*notices, *warned]
    summary = {"metrics": metrics, "notices": [n.message for n in notices], "model": model.identity_.as_dict()}
    if track:
        summary["tracking"] = _track_evaluation(
            model,
            model_spec,
            table,
            y,
            metrics,
            started=started,
            target_prior=target_prior,
            description=description or "user cohort",
            data_params=data_params or {},
            tracking_uri=tracking_uri,
        )
    return summary


def _track_evaluation(
    model, model_spec, table, y, metrics, *, started, target_prior, description, data_params, tracking_uri
):
    """Log one evaluation run: the model's URI, version and hash, the data's counts and
    fingerprint (never a case), the figures and two plots."""
    from . import _plots as plots
    from ._mlflow import dataset_entry, log_run, model_version
    from ._train import fingerprint

    version = model_version(model_spec, tracking_uri)
    counts = {s: int((y == k).sum()) for k, s in enumerate(SITES)}
    params = {
        "model.uri": str(model_spec),
        **{f"model.registered_{k}": v for k, v in version.items()},
        "model.bundle_hash": model.identity_.bundle_hash,
        "model.kind": model.kind,
        "target_prior": target_prior,
        "data.fingerprint": fingerprint(table),
        "data.description": description,
        "data.n_labelled": len(y),
        **{f"data.n_{s}": n for s, n in counts.items()},
        **{f"data.{k}": v for k, v in data_params.items()},
        **_versions(),
    }
    what = (
        f"{model_spec}"
        + (f" (version {version['version']})" if version else "")
        + f" on {description}, {len(y):,} labelled cases, prior {target_prior}"
    )
    registered = (
        {"netorigin.model_name": version["name"], "netorigin.model_version": str(version["version"])} if version else {}
    )
    entry = dataset_entry(
        table,
        name=f"evaluation: {description}"[:120],
        fingerprint=fingerprint(table),
        context="evaluation",
        counts={"n_labelled": len(y), **counts, **data_params},
    )
    return log_run(
        run_name=f"evaluate {what}"[:200],
        params=params,
        metrics=metrics,
        tags={
            "netorigin.task": "evaluate",
            "netorigin.model_uri": str(model_spec),
            "netorigin.bundle_hash": model.identity_.bundle_hash,
            **registered,
        },
        artifacts={
            "confusion_matrix.png": plots.confusion_png(metrics["calibrated"]["confusion_matrix"]),
            "risk_coverage.png": plots.risk_coverage_png(metrics["risk_coverage"]),
        },
        tracking_uri=tracking_uri,
        started=started,
        description=f"Evaluated {what}.",
        datasets=[entry],
    )


def metrics_json(metrics: dict) -> str:
    return json.dumps(json.loads(json.dumps(metrics, default=str), parse_constant=lambda _: None), indent=1)


def bundle_dir_for(model_hash: str, root) -> Path:
    """``root/<first 12 hex digits of the bundle hash>``."""
    return Path(root) / model_hash[:12]
