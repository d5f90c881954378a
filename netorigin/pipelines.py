"""Declarative, versioned pipeline configs (YAML), each run by ``netorigin run FILE`` and tracked.

Tasks:

- ``train``: build a model from a cohort file or a synthetic cohort, save the bundle, log it.
- ``benchmark``: every model kind side by side on each synthetic scenario against the exact
  Bayes posterior; writes Markdown and CSV tables.
- ``score``: score a cohort with a saved model and write a Markdown report.

Relative paths are taken from the current working directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._fields import SITES
from .exceptions import InputError

__all__ = ["load_config", "run_pipeline"]

_KEYS = {
    "train": {"name", "version", "task", "description", "data", "model", "target_prior", "bayes_scenario",
              "output", "register", "alias", "n_bootstrap"},
    "benchmark": {"name", "version", "task", "description", "scenarios", "train_n", "test_n", "seed",
                  "models", "output", "n_bootstrap"},
    "score": {"name", "version", "task", "description", "data", "model", "target_prior", "coverage", "output"},
}


def load_config(path) -> tuple[dict, str]:
    import yaml

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such pipeline config")
    text = p.read_text(encoding="utf-8")
    try:
        cfg = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise InputError(f"{p}: not valid YAML ({e})") from None
    if not isinstance(cfg, dict):
        raise InputError(f"{p}: a pipeline config is a mapping of settings")
    task = cfg.get("task")
    if task not in _KEYS:
        raise InputError(f"{p}: task: {task!r} is not one of {', '.join(_KEYS)}")
    unknown = sorted(set(cfg) - _KEYS[task])
    if unknown:
        raise InputError(f"{p}: unknown setting(s) {', '.join(unknown)} for task {task!r}; "
                         f"expected some of {', '.join(sorted(_KEYS[task]))}")
    return cfg, text


def _cohort(data: Any, where: str) -> tuple[pd.DataFrame, str, dict, str | None]:
    """(table, description, params to log, scenario if synthetic) from a ``data`` setting."""
    from .io import load_cohort

    keys = set(data) if isinstance(data, dict) else set()
    if not keys or not (keys <= {"path", "mapping"} or keys == {"synthetic"}) or ("mapping" in keys and "path" not in keys):
        raise InputError(f"{where}: data: give either path: FILE (optionally mapping: FILE) or "
                         "synthetic: {n, scenario, seed}")
    if "path" in data:
        v = load_cohort(data["path"], mapping=data.get("mapping"))
        return v.table, f"file {data['path']}", {"path": data["path"]}, None
    s = dict(data["synthetic"])
    from .synth import make_synthetic_cohort

    n, scenario, seed = int(s.pop("n")), s.pop("scenario", "liver-met-archive"), int(s.pop("seed", 0))
    noise = float(s.pop("label_noise", 0.0))
    if s:
        raise InputError(f"{where}: data.synthetic: unknown setting(s) {', '.join(sorted(s))}")
    table = make_synthetic_cohort(n, scenario=scenario, random_state=seed, label_noise=noise)
    desc = f"synthetic, scenario {scenario}, n={n}, seed={seed}" + (f", label noise {noise}" if noise else "")
    return table, desc, {"synthetic.n": n, "synthetic.scenario": scenario, "synthetic.seed": seed}, scenario


def run_pipeline(path, *, tracking_uri: str | None = None, track: bool = True) -> dict:
    """Run one pipeline config; returns a summary (and writes the outputs it names)."""
    cfg, text = load_config(path)
    task = cfg["task"]
    if task == "train":
        return _train(cfg, text, str(path), tracking_uri, track)
    if task == "benchmark":
        return _benchmark(cfg, text, str(path), tracking_uri, track)
    return _score(cfg)


def _train(cfg, text, where, tracking_uri, track):
    from .runs import train_run

    table, desc, dparams, scenario = _cohort(cfg.get("data"), where)
    model = dict(cfg.get("model") or {})
    return train_run(table, kind=model.get("kind", "xgboost"), params=model.get("params") or {},
                     out_dir=cfg.get("output"), random_state=int(model.get("random_state", 0)),
                     target_prior=cfg.get("target_prior", "training"),
                     bayes_scenario=cfg.get("bayes_scenario", scenario), tracking_uri=tracking_uri,
                     track=track, register_name=cfg.get("register"), alias=cfg.get("alias", "champion"),
                     config_text=text, description=desc, n_bootstrap=int(cfg.get("n_bootstrap", 200)),
                     name=cfg.get("name"), data_params=dparams)


def _benchmark(cfg, text, where, tracking_uri, track):
    from .evaluate import evaluate_site_model
    from .models import MODEL_KINDS
    from .synth import bayes_posterior, make_synthetic_cohort
    from .train import train_site_model

    seed = int(cfg.get("seed", 0))
    kinds = cfg.get("models", list(MODEL_KINDS))
    rows = []
    for scenario in cfg.get("scenarios", ["liver-met-archive", "unknown-primary"]):
        train = make_synthetic_cohort(int(cfg.get("train_n", 20_000)), scenario=scenario, random_state=seed)
        test = make_synthetic_cohort(int(cfg.get("test_n", 50_000)), scenario=scenario, random_state=seed + 1000)
        y = test["primary_site"].cat.codes.to_numpy()
        bayes = bayes_posterior(test, scenario=scenario).to_numpy()
        b = evaluate_site_model(_Fixed(bayes), test, y, n_bootstrap=0, with_robustness=False)
        rows.append(_row(scenario, "bayes posterior (ceiling)", b, None, 0.0))
        for kind in kinds:
            import time

            t0 = time.perf_counter()
            res = train_site_model(train, kind=kind, random_state=seed, test_size=0, n_bootstrap=0,
                                   description=f"synthetic {scenario}", with_robustness=False)
            seconds = time.perf_counter() - t0
            m = evaluate_site_model(res.model, test, y, n_bootstrap=int(cfg.get("n_bootstrap", 0)),
                                    bayes_proba=bayes, with_robustness=False)
            rows.append(_row(scenario, kind, m, b, seconds))
    df = pd.DataFrame(rows)
    out = cfg.get("output")
    md = _markdown(df)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(f"{out}.csv", index=False, float_format="%.4f")
        Path(f"{out}.md").write_text(md)
    summary = {"table": df, "markdown": md}
    if track:
        from .tracking import log_run

        metrics = {f"{r['scenario']}.{r['model']}".replace(" ", "_").replace("(", "").replace(")", ""):
                   {k: r[k] for k in ("accuracy", "log_loss", "ece", "coverage_90")} for r in rows}
        summary["tracking"] = log_run(run_name="benchmark", params={"seed": seed, "models": ",".join(kinds),
                                                                    "train_n": cfg.get("train_n"), "test_n": cfg.get("test_n")},
                                      metrics=metrics, tags={"netorigin.task": "benchmark"},
                                      artifacts={"benchmark.md": md.encode(), "pipeline_config.yaml": text.encode()},
                                      tracking_uri=tracking_uri)
    return summary


class _Fixed:
    """Adapter so the Bayes posterior can be evaluated like a model (its own conformal sets are
    not defined: every set is the top site)."""

    def __init__(self, proba):
        self.proba = proba

    def predict_proba(self, table, target_prior="training", calibrated=True):
        return self.proba

    def sets_prior(self, prior):
        return prior

    def prediction_sets(self, proba=None, coverage=0.9, target_prior=None):
        s = np.zeros_like(self.proba, dtype=bool)
        s[np.arange(len(s)), self.proba.argmax(axis=1)] = True
        return s


def _row(scenario, name, m, bayes, seconds):
    c = m["calibrated"]
    row = {"scenario": scenario, "model": name, "accuracy": c["accuracy"], "balanced_accuracy": c["balanced_accuracy"],
           "macro_auc": c["macro_auc"], "log_loss": c["log_loss"], "brier": c["brier"], "ece": c["ece"],
           "ece_uncalibrated": m["uncalibrated"]["ece"],
           "coverage_90": m["conformal"]["0.90"]["coverage"] if name != "bayes posterior (ceiling)" else np.nan,
           "set_size_90": m["conformal"]["0.90"]["mean_set_size"] if name != "bayes posterior (ceiling)" else np.nan,
           "accuracy_gap": (bayes["calibrated"]["accuracy"] - c["accuracy"]) if bayes else 0.0,
           "log_loss_gap": (c["log_loss"] - bayes["calibrated"]["log_loss"]) if bayes else 0.0,
           "train_seconds": seconds}
    return row


def _markdown(df: pd.DataFrame) -> str:
    cols = ["scenario", "model", "accuracy", "accuracy_gap", "log_loss", "log_loss_gap", "ece", "ece_uncalibrated",
            "macro_auc", "coverage_90", "set_size_90", "train_seconds"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in df[cols].itertuples(index=False):
        cells = [r[0], r[1]] + [("" if (isinstance(v, float) and np.isnan(v)) else f"{v:.4f}" if i < 9 else f"{v:.1f}")
                                for i, v in enumerate(r[2:])]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _score(cfg):
    from .runs import load_model
    from .score import batch_table, score_cases

    where = "score"
    table, desc, _, _ = _cohort(cfg.get("data"), where)
    model = load_model(cfg.get("model", "data/models/default"))
    prior = cfg.get("target_prior")
    coverage = float(cfg.get("coverage", 0.9))
    res = score_cases(model, table, target_prior=prior, coverage=coverage)
    out_table = batch_table(res, n_reasons=3)
    ident = model.identity()
    lines = [f"# {cfg.get('name', 'score')}: {desc}", "",
             f"Model: {ident['name']} ({ident['kind']}), netorigin {ident['version']}, bundle {ident['bundle_hash'][:12]}; "
             f"deployment prior: {res.target_prior}. {ident['notice']}", "",
             "| case | " + " | ".join(f"p({s})" for s in SITES) + f" | {coverage:.0%} set | top reasons | next test |",
             "|---|---|---|---|---|---|---|"]
    for r in out_table.itertuples():
        lines.append(f"| {r.case_id} | {r.p_ileal:.2f} | {r.p_pancreatic:.2f} | {r.p_other:.2f} | "
                     f"{r.prediction_set} | {r.reasons} | {r.next_test} |")
    text = "\n".join(lines) + "\n"
    out = cfg.get("output")
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text)
    return {"markdown": text, "proba": res.proba, "sets": res.sets}
