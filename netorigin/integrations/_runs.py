"""Tracked runs: train or evaluate, save the bundle, draw the plots, log to MLflow.

The CLI and the pipelines call these; the library layers below never touch mlflow.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import numpy as np

from ._fields import SITES
from .bundle import load_bundle
from .train import fingerprint, labelled_cases, train_site_model

__all__ = ["train_run", "train_dask_run", "evaluate_run", "load_model", "metrics_json"]


def _versions() -> dict:
    out = {}
    for pkg in ("netorigin", "numpy", "pandas", "scikit-learn", "xgboost", "mlflow", "shap"):
        try:
            out[f"version.{pkg}"] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def load_model(spec: str, tracking_uri: str | None = None):
    """A SiteModel from a bundle folder, ``models:/NAME@ALIAS`` or ``runs:/RUN_ID/model``."""
    if spec.startswith(("models:/", "runs:/")):
        from .tracking import load_registered_bundle

        return load_registered_bundle(spec, tracking_uri)
    return load_bundle(spec)


def _plots(result, kind: str) -> dict[str, bytes]:
    from . import plots

    out = {}
    t = result.metrics.get("test")
    if not t or result.test_predictions is None:
        return out
    y, raw, cal, table = result.test_predictions
    out["confusion_matrix.png"] = plots.confusion_png(t["calibrated"]["confusion_matrix"])
    out["reliability.png"] = plots.reliability_png(y, raw, cal)
    out["risk_coverage.png"] = plots.risk_coverage_png(t["risk_coverage"])
    if kind == "xgboost":
        import xgboost as xgb

        m = result.model
        X = m.transform(table.iloc[:2000])
        contrib = m.predictor.booster.predict(xgb.DMatrix(X, missing=np.nan), pred_contribs=True)
        for k, site in enumerate(SITES):
            out[f"shap_beeswarm_{site}.png"] = plots.shap_beeswarm_png(contrib, X, m.features.feature_names_out_, k)
    return out


def train_run(cohort, *, kind="xgboost", params=None, out_dir=None, random_state=0,
              target_prior="training", bayes_scenario=None, tracking_uri=None, track=True,
              register_name=None, alias="champion", config_text=None, description=None,
              n_bootstrap=200, name=None, data_params: dict | None = None) -> dict:
    """Train, save the bundle to ``out_dir``, plot, and log one MLflow run. Returns a summary."""
    result = train_site_model(cohort, kind=kind, params=params, random_state=random_state,
                              target_prior=target_prior, bayes_scenario=bayes_scenario,
                              n_bootstrap=n_bootstrap, description=description, name=name)
    summary = {"metrics": result.model.metadata["metrics"], "notices": [n.message for n in result.notices]}
    out_dir = _bundle_dir(result.model, out_dir)
    summary["bundle"] = str(out_dir)
    summary["bundle_hash"] = result.model.bundle_hash
    if track:
        from .tracking import log_run

        table, y, _, _ = labelled_cases(cohort)
        td = result.model.metadata["training_data"]
        params_log = {"model.kind": kind, "random_state": random_state, "target_prior": target_prior,
                      "bayes_scenario": bayes_scenario or "", "data.fingerprint": td["fingerprint"],
                      "data.description": td["description"], "data.n_labelled": td["n_labelled"],
                      **{f"data.n_{s}": int((y == k).sum()) for k, s in enumerate(SITES)},
                      **{f"model.{k}": v for k, v in (params or {}).items()},
                      **{f"data.{k}": v for k, v in (data_params or {}).items()}, **_versions()}
        artifacts = _plots(result, kind)
        if config_text:
            artifacts["pipeline_config.yaml"] = config_text.encode("utf-8")
        bundle_dir = out_dir
        summary["tracking"] = log_run(run_name=f"train-{kind}", params=params_log, metrics=result.metrics,
                                      tags={"netorigin.task": "train", "netorigin.bundle_hash": result.model.bundle_hash},
                                      bundle_dir=bundle_dir, register_name=register_name, alias=alias,
                                      artifacts=artifacts, tracking_uri=tracking_uri)
    summary["result"] = result
    return summary


def _bundle_dir(model, out_dir):
    """Save the bundle to ``out_dir``, or to ``bundles/<hash>/`` when none was given."""
    import shutil
    import tempfile

    if out_dir is not None:
        model.save(out_dir)
        return Path(out_dir)
    tmp = Path(tempfile.mkdtemp(prefix="netorigin-bundle-"))
    h = model.save(tmp / "b")["bundle_hash"]
    dest = Path("bundles") / h[:12]
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(tmp / "b", dest)
    shutil.rmtree(tmp, ignore_errors=True)
    return dest


def train_dask_run(path, *, out_dir=None, scheduler=None, workers=2, random_state=0, target_prior="training",
                   tracking_uri=None, track=True, register_name=None, alias="champion", n_bootstrap=200,
                   params=None) -> dict:
    """Train on Dask (xgboost.dask), save the same kind of bundle, and log one MLflow run."""
    from .distributed import train_dask

    result = train_dask(path, scheduler=scheduler, workers=workers, params=params, random_state=random_state,
                        target_prior=target_prior, n_bootstrap=n_bootstrap)
    summary = {"metrics": result.model.metadata["metrics"], "notices": []}
    out_dir = _bundle_dir(result.model, out_dir)
    summary["bundle"] = str(out_dir)
    summary["bundle_hash"] = result.model.bundle_hash
    if track:
        from .tracking import log_run

        td = result.model.metadata["training_data"]
        bundle_dir = out_dir
        params_log = {"model.kind": "xgboost", "engine": "dask", "workers": workers, "scheduler": scheduler or "local",
                      "random_state": random_state, "target_prior": target_prior, "data.fingerprint": td["fingerprint"],
                      "data.n_labelled": td["n_labelled"], **{f"data.n_train_{s}": n for s, n in td["site_counts_train"].items()},
                      **_versions()}
        summary["tracking"] = log_run(run_name="train-xgboost-dask", params=params_log, metrics=result.metrics,
                                      tags={"netorigin.task": "train", "netorigin.engine": "dask",
                                            "netorigin.bundle_hash": result.model.bundle_hash},
                                      bundle_dir=bundle_dir, register_name=register_name, alias=alias,
                                      tracking_uri=tracking_uri)
    summary["result"] = result
    return summary


def evaluate_run(model_spec: str, cohort, *, target_prior="training", bayes_scenario=None,
                 tracking_uri=None, track=True, n_bootstrap=200, description=None) -> dict:
    """Evaluate a saved model on a labelled cohort (external validation) and log the run."""
    from .evaluate import evaluate_site_model

    model = load_model(model_spec, tracking_uri)
    table, y, groups, notices = labelled_cases(cohort, min_per_site=1)
    bayes = None
    if bayes_scenario:
        from .synth import bayes_posterior

        bayes = bayes_posterior(table, scenario=bayes_scenario).to_numpy()
    metrics = evaluate_site_model(model, table, y, groups=groups, target_prior=target_prior,
                                  n_bootstrap=n_bootstrap, bayes_proba=bayes)
    metrics["model"] = model.identity()  # every output names the bundle that produced it
    summary = {"metrics": metrics, "notices": [n.message for n in notices], "model": model.identity()}
    if track:
        from .tracking import log_run

        params = {"model.bundle_hash": model.bundle_hash, "model.kind": model.kind, "target_prior": target_prior,
                  "data.fingerprint": fingerprint(table), "data.description": description or "user cohort",
                  "data.n_labelled": len(y), **{f"data.n_{s}": int((y == k).sum()) for k, s in enumerate(SITES)},
                  **_versions()}
        from . import plots

        artifacts = {"confusion_matrix.png": plots.confusion_png(metrics["calibrated"]["confusion_matrix"]),
                     "risk_coverage.png": plots.risk_coverage_png(metrics["risk_coverage"])}
        summary["tracking"] = log_run(run_name=f"evaluate-{model.kind}", params=params, metrics=metrics,
                                      tags={"netorigin.task": "evaluate"}, artifacts=artifacts,
                                      tracking_uri=tracking_uri)
    return summary


def metrics_json(metrics: dict) -> str:
    return json.dumps(metrics, indent=1, default=str)

