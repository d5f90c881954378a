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

import pandas as pd

from ..exceptions import InputError
from ..io._outputs import write_bytes_atomic
from ..models import DEFAULT_KIND


def load_config(path) -> tuple[dict, str]:
    """(the settings, the config's text) of a pipeline config, checked against its task's model
    (:mod:`._config`): every setting typed and within its range, unknown ones refused by name."""
    from ..io._strict import decode_text, load_yaml, read_bounded

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such pipeline config")
    text = decode_text(read_bounded(p, 1_000_000, "pipeline config"), p)
    cfg = load_yaml(text, p)
    if not isinstance(cfg, dict):
        raise InputError(f"{p}: a pipeline config is a mapping of settings")
    from ._config import check_config

    # every setting of its task typed and within its range, unknown ones refused; the defaults filled in
    return check_config(cfg, p), text


def _cohort(data: Any, where: str) -> tuple[pd.DataFrame, str, dict, str | None]:
    """(table, description, params to log, scenario if synthetic) from a ``data`` setting."""
    from ..io import load_cohort
    from ..literature import make_synthetic_cohort

    if not isinstance(data, dict) or not data:  # the rest of its shape was checked when it was read
        raise InputError(
            f"{where}: data: give either path: FILE (optionally mapping: FILE) or synthetic: {{n, scenario, seed}}"
        )
    if "path" in data:
        v = load_cohort(data["path"], mapping=data.get("mapping"))
        return v.table, f"file {Path(data['path']).name}", {"path": Path(data["path"]).name}, None
    s = data["synthetic"]
    n, scenario, seed, noise, workup = (s[k] for k in ("n", "scenario", "seed", "label_noise", "workup"))
    worlds, structure = s.get("worlds"), s.get("structure")
    table = make_synthetic_cohort(
        n, scenario=scenario, random_state=seed, label_noise=noise, workup=workup, worlds=worlds, structure=structure
    )
    desc = (
        f"synthetic, scenario {scenario}, n={n}, seed={seed}"
        + (f", {worlds} plausible worlds" if worlds else "")
        + (f" (structure: {structure})" if structure else "")
        + (f", work-up {workup}" if workup != "routine" else "")
        + (f", label noise {noise}" if noise else "")
    )
    return (
        table,
        desc,
        {
            "synthetic.n": n,
            "synthetic.scenario": scenario,
            "synthetic.seed": seed,
            "synthetic.workup": workup,
            "synthetic.worlds": worlds or 0,
            "synthetic.structure": structure or "literature",
        },
        None if worlds else scenario,  # many worlds: no one exact posterior for the held-out cases
    )


def run_task(path, *, tracking_uri: str | None = None, track: bool = True, progress=None) -> dict:
    """Run one pipeline config; returns a summary (and writes the outputs it names, each checked
    against the config's inputs and the others before any work; a run to track without MLflow
    installed is refused before any work too)."""
    from .._extras import check
    from ..io import Output, plan_outputs

    cfg, text = load_config(path)
    task = cfg["task"]
    if track:
        check(["tracking"], f"the {task} pipeline (it records the run in MLflow)", "run it with track=False")
    data = cfg.get("data") if isinstance(cfg.get("data"), dict) else {}
    inputs = [path, data.get("path"), data.get("mapping")]
    out = cfg.get("output")
    if task == "train":
        plan_outputs([Output("output", out or "bundles", kind="bundle" if out else "folder")], inputs=inputs)
        return _train(cfg, text, str(path), tracking_uri, track, progress)
    if task == "benchmark":
        plan_outputs(
            [Output("output", f"{out}.csv" if out else None), Output("output.md", f"{out}.md" if out else None)],
            inputs=inputs,
        )
        return _benchmark(cfg, text, tracking_uri, track, progress)
    model = cfg.get("model")
    plan_outputs([Output("output", out)], inputs=[*inputs, model if isinstance(model, str) else None])
    from ._task_score import score_task

    table, desc, _, _ = _cohort(cfg.get("data"), "score")
    return score_task(cfg, text, table, desc, tracking_uri, track, progress)


def _train(cfg, text, where, tracking_uri, track, progress=None):
    from ..training import train_run

    table, desc, dparams, scenario = _cohort(cfg.get("data"), where)
    model = cfg.get("model") or {}
    model = {"kind": model} if isinstance(model, str) else dict(model)
    summary = train_run(
        table,
        kind=model.get("kind", DEFAULT_KIND),
        params=model.get("params") or {},
        out_dir=cfg.get("output"),
        bundles_root="bundles",
        random_state=int(model.get("random_state", 0)),
        target_prior=cfg["target_prior"],
        bayes_scenario=cfg.get("bayes_scenario", scenario),
        tracking_uri=tracking_uri,
        track=track,
        register_name=cfg.get("register"),
        alias=cfg["alias"],
        config_text=text,
        description=desc,
        n_bootstrap=cfg["n_bootstrap"],
        name=cfg.get("name"),
        data_params=dparams,
        n_splits=cfg["cv"],
        progress=progress,
    )
    if cfg.get("register") and not track:  # said, never silently dropped
        summary["notices"].append(
            f"not registered as {cfg['register']!r}: the registry is MLflow's, and this run is not tracked"
        )
    return summary


def _benchmark(cfg, text, tracking_uri, track, progress):
    import time

    from ..models import MODEL_KINDS
    from ..training import benchmark, benchmark_markdown

    started = time.time()
    seed = cfg["seed"]
    kinds = list(cfg.get("models", list(MODEL_KINDS)))
    df = benchmark(
        scenarios=cfg["scenarios"],
        train_n=cfg["train_n"],
        test_n=cfg["test_n"],
        seed=seed,
        kinds=kinds,
        n_bootstrap=cfg["n_bootstrap"],
        progress=progress,
    )
    md = benchmark_markdown(df)
    out = cfg.get("output")
    if out:
        write_bytes_atomic(f"{out}.csv", df.to_csv(index=False, float_format="%.4f").encode("utf-8"))
        write_bytes_atomic(f"{out}.md", md.encode("utf-8"))
    summary = {"table": df, "markdown": md}
    if track:
        from ..training import log_run

        metrics = {
            f"{r.scenario}.{r.model}".replace(" ", "_").replace("(", "").replace(")", ""): {
                k: getattr(r, k) for k in ("accuracy", "log_loss", "ece", "coverage_90")
            }
            for r in df.itertuples()
        }
        summary["tracking"] = log_run(
            run_name=f"benchmark {cfg.get('name', '')}: {', '.join(kinds)}",
            started=started,
            description=f"{', '.join(kinds)} against the exact posterior "
            f"on synthetic scenarios {', '.join(cfg.get('scenarios', []))}.",
            params={
                "pipeline": cfg.get("name", ""),
                "seed": seed,
                "models": ",".join(kinds),
                "train_n": cfg.get("train_n"),
                "test_n": cfg.get("test_n"),
            },
            metrics=metrics,
            tags={"netorigin.task": "benchmark"},
            artifacts={"benchmark.md": md.encode(), "pipeline_config.yaml": text.encode()},
            tracking_uri=tracking_uri,
        )
    return summary
