"""Every model kind side by side on each synthetic scenario, against the exact Bayes posterior."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..literature import SCENARIOS, bayes_posterior, make_synthetic_cohort
from ..models import MODEL_KINDS
from ._metrics import evaluate_model, evaluate_probabilities
from ._train import train

BENCHMARK_COLUMNS = [
    "scenario",
    "model",
    "accuracy",
    "accuracy_gap",
    "log_loss",
    "log_loss_gap",
    "ece",
    "ece_uncalibrated",
    "macro_auc",
    "coverage_90",
    "set_size_90",
    "train_seconds",
]


def benchmark(
    *,
    scenarios=SCENARIOS,
    train_n: int = 20_000,
    test_n: int = 50_000,
    seed: int = 0,
    kinds=MODEL_KINDS,
    n_bootstrap: int = 0,
    progress=None,
) -> pd.DataFrame:
    """Train each kind on ``train_n`` fresh cases per scenario and evaluate it on ``test_n``
    others beside the exact posterior on the same cases. One row per (scenario, model)."""
    rows = []
    tell, steps = progress or (lambda *a: None), len(scenarios) * len(kinds)
    for i, scenario in enumerate(scenarios):
        tell(f"{scenario}: drawing the cases and their exact posterior", i * len(kinds), steps)
        train_cohort = make_synthetic_cohort(train_n, scenario=scenario, random_state=seed)
        test = make_synthetic_cohort(test_n, scenario=scenario, random_state=seed + 1000)
        y = test["primary_site"].cat.codes.to_numpy()
        bayes = bayes_posterior(test, scenario=scenario).to_numpy()
        b = evaluate_probabilities(y, bayes, uncalibrated=bayes, n_bootstrap=0)
        rows.append(_row(scenario, "bayes posterior (ceiling)", b, None, 0.0))
        for j, kind in enumerate(kinds):
            tell(f"{scenario}: training and evaluating {kind}", i * len(kinds) + j, steps)
            t0 = time.perf_counter()
            res = train(
                train_cohort,
                kind=kind,
                random_state=seed,
                test_size=0,
                n_bootstrap=0,
                description=f"synthetic {scenario}",
                with_robustness=False,
            )
            seconds = time.perf_counter() - t0
            m = evaluate_model(res.model, test, n_bootstrap=n_bootstrap, bayes_proba=bayes, with_robustness=False)
            rows.append(_row(scenario, kind, m, b, seconds))
    return pd.DataFrame(rows)


def _row(scenario, name, m, bayes, seconds):
    c = m["calibrated"]
    conf = m.get("conformal", {}).get("0.90")
    return {
        "scenario": scenario,
        "model": name,
        "accuracy": c["accuracy"],
        "balanced_accuracy": c["balanced_accuracy"],
        "macro_auc": c["macro_auc"],
        "log_loss": c["log_loss"],
        "brier": c["brier"],
        "ece": c["ece"],
        "ece_uncalibrated": m["uncalibrated"]["ece"],
        "coverage_90": conf["coverage"] if conf else np.nan,
        "set_size_90": conf["mean_set_size"] if conf else np.nan,
        "accuracy_gap": (bayes["calibrated"]["accuracy"] - c["accuracy"]) if bayes else 0.0,
        "log_loss_gap": (c["log_loss"] - bayes["calibrated"]["log_loss"]) if bayes else 0.0,
        "train_seconds": seconds,
    }


def benchmark_markdown(df: pd.DataFrame) -> str:
    """The benchmark table as Markdown (4 decimals; seconds to 0.1)."""
    lines = ["| " + " | ".join(BENCHMARK_COLUMNS) + " |", "|" + "---|" * len(BENCHMARK_COLUMNS)]
    for r in df[BENCHMARK_COLUMNS].itertuples(index=False):
        cells = [r[0], r[1]] + [
            ("" if (isinstance(v, float) and np.isnan(v)) else f"{v:.4f}" if i < 9 else f"{v:.1f}")
            for i, v in enumerate(r[2:])
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
