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
from ._ranges import check_ranges

_KEYS = {
    "train": {
        "name",
        "version",
        "task",
        "description",
        "data",
        "model",
        "target_prior",
        "bayes_scenario",
        "output",
        "register",
        "alias",
        "n_bootstrap",
        "cv",
    },
    "benchmark": {
        "name",
        "version",
        "task",
        "description",
        "scenarios",
        "train_n",
        "test_n",
        "seed",
        "models",
        "output",
        "n_bootstrap",
    },
    "score": {"name", "version", "task", "description", "data", "model", "target_prior", "coverage", "output", "tests"},
}


def load_config(path) -> tuple[dict, str]:
    from ..io._strict import decode_text, load_yaml, read_bounded

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such pipeline config")
    text = decode_text(read_bounded(p, 1_000_000, "pipeline config"), p)
    cfg = load_yaml(text, p)
    if not isinstance(cfg, dict):
        raise InputError(f"{p}: a pipeline config is a mapping of settings")
    task = cfg.get("task")
    if not isinstance(task, str) or task not in _KEYS:
        raise InputError(f"{p}: task: {task!r} is not one of {', '.join(_KEYS)}")
    unknown = sorted(str(k) for k in set(cfg) - _KEYS[task])
    if unknown:
        raise InputError(
            f"{p}: unknown setting(s) {', '.join(unknown)} for task {task!r}; "
            f"expected some of {', '.join(sorted(_KEYS[task]))}"
        )
    _check_types(cfg, p)
    return cfg, text


_TYPES = {
    "name": str,
    "description": str,
    "version": int,
    "target_prior": str,
    "bayes_scenario": str,
    "output": str,
    "tests": str,
    "register": str,
    "alias": str,
    "n_bootstrap": int,
    "cv": int,
    "train_n": int,
    "test_n": int,
    "seed": int,
    "coverage": float,
    "model": (dict, str),
    "data": dict,
    "scenarios": list,
    "models": list,
}


def _check_types(cfg: dict, where) -> None:
    """Every setting of the expected type, named when not (``n: lots``, ``model: 3``)."""
    for key, value in cfg.items():
        want = _TYPES.get(key)
        if want is not None and value is not None and not _is_a(value, want):
            names = " or ".join(t.__name__ for t in (want if isinstance(want, tuple) else (want,)))
            raise InputError(f"{where}: {key}: {value!r} is not a {names}")
    _check_model(cfg.get("model"), where)
    for key in ("scenarios", "models"):
        if isinstance(cfg.get(key), list) and not all(isinstance(x, str) for x in cfg[key]):
            raise InputError(f"{where}: {key}: every entry must be a name")
    synthetic = (cfg.get("data") or {}).get("synthetic") if isinstance(cfg.get("data"), dict) else None
    checks = (("n", int), ("seed", int), ("worlds", int), ("label_noise", (int, float)))
    for key, kind in checks if isinstance(synthetic, dict) else ():
        value = synthetic.get(key)
        if value is not None and not _is_a(value, kind):
            raise InputError(
                f"{where}: data.synthetic.{key}: {value!r} is not a number" + (" (a whole one)" if kind is int else "")
            )
    check_ranges(cfg, where)


def _is_a(value, want) -> bool:
    """isinstance, with booleans never counting as numbers and whole numbers counting as floats."""
    if isinstance(value, bool) and want is not bool:
        return False
    return isinstance(value, (int, float)) if want is float else isinstance(value, want)


def _check_model(model, where) -> None:
    if not isinstance(model, dict):
        return
    bad = sorted(set(model) - {"kind", "random_state", "params"})
    if bad:
        raise InputError(
            f"{where}: model: unknown setting(s) {', '.join(map(str, bad))}; expected kind, random_state, params"
        )
    if model.get("params") is not None and not isinstance(model["params"], dict):
        raise InputError(f"{where}: model.params: {model['params']!r} is not a mapping of hyper-parameters")


def _check_worlds(where, worlds, structure, workup) -> None:
    """data.synthetic's worlds (a whole number >= 1), structure (a name, with worlds), workup (a name)."""
    if not isinstance(workup, str):
        raise InputError(f"{where}: data.synthetic.workup: {workup!r} is not a work-up name")
    if structure is not None and (worlds is None or not isinstance(structure, str)):
        raise InputError(f"{where}: data.synthetic.structure: {structure!r} needs worlds (and is a structure name)")
    if worlds is not None and (not isinstance(worlds, int) or isinstance(worlds, bool) or worlds < 1):
        raise InputError(f"{where}: data.synthetic.worlds: {worlds!r} is not a whole number >= 1")


def _cohort(data: Any, where: str) -> tuple[pd.DataFrame, str, dict, str | None]:
    """(table, description, params to log, scenario if synthetic) from a ``data`` setting."""
    from ..io import load_cohort
    from ..literature import make_synthetic_cohort

    keys = set(data) if isinstance(data, dict) else set()
    if (
        not keys
        or not (keys <= {"path", "mapping"} or keys == {"synthetic"})
        or ("mapping" in keys and "path" not in keys)
    ):
        raise InputError(
            f"{where}: data: give either path: FILE (optionally mapping: FILE) or synthetic: {{n, scenario, seed}}"
        )
    if "path" in data:
        v = load_cohort(data["path"], mapping=data.get("mapping"))
        return v.table, f"file {Path(data['path']).name}", {"path": Path(data["path"]).name}, None
    if not isinstance(data["synthetic"], dict) or "n" not in data["synthetic"]:
        raise InputError(f"{where}: data.synthetic: expected a mapping with n (and scenario, seed)")
    s = dict(data["synthetic"])
    n, scenario, seed, noise = (
        s.pop("n"),
        s.pop("scenario", "liver-met-archive"),
        s.pop("seed", 0),
        s.pop("label_noise", 0.0),
    )
    workup = s.pop("workup", "routine")
    worlds = s.pop("worlds", None)
    structure = s.pop("structure", None)
    _check_worlds(where, worlds, structure, workup)
    for key, value, kind in (("n", n, int), ("seed", seed, int), ("label_noise", noise, (int, float))):
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InputError(
                f"{where}: data.synthetic.{key}: {value!r} is not a number" + (" (a whole one)" if kind is int else "")
            )
    if s:
        raise InputError(f"{where}: data.synthetic: unknown setting(s) {', '.join(sorted(s))}")
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
        target_prior=cfg.get("target_prior", "training"),
        bayes_scenario=cfg.get("bayes_scenario", scenario),
        tracking_uri=tracking_uri,
        track=track,
        register_name=cfg.get("register"),
        alias=cfg.get("alias", "champion"),
        config_text=text,
        description=desc,
        n_bootstrap=int(cfg.get("n_bootstrap", 200)),
        name=cfg.get("name"),
        data_params=dparams,
        n_splits=cfg.get("cv", 5),
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
    seed = int(cfg.get("seed", 0))
    kinds = list(cfg.get("models", list(MODEL_KINDS)))
    df = benchmark(
        scenarios=cfg.get("scenarios", ["liver-met-archive", "unknown-primary"]),
        train_n=int(cfg.get("train_n", 20_000)),
        test_n=int(cfg.get("test_n", 50_000)),
        seed=seed,
        kinds=kinds,
        n_bootstrap=int(cfg.get("n_bootstrap", 0)),
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
