"""The recommended next test against the exact-Bayes best test, and the advice against re-scoring.

For each named scenario, 2,000 fresh synthetic cases (routine work-up) are scored with the shipped
model under that scenario's prior; the tool's recommended single test (valued by the model's own
re-scoring, as it is advised) is compared with the best test under the exact posterior over the
generator's cells (same candidate tests, same costs table). Printed: how often they agree, the
share of the best achievable expected information the tool's pick achieves (its exact value over
the exact best value), the share of cases losing >= 0.05 bits, and the timing. Then, on the first
200 cases with every advised test and panel shown: how often entering an advised result and scoring
again names another most likely site than the advice line said, or differs by more than one point
(0 by construction: the line is the re-scoring), and how far the model's answers after each result,
weighted by their chances, come back to its answer now (the model's coherence; 0 for an exactly
Bayesian model).

Usage: python benchmarks/advice_benchmark.py [--n 2000] [--out benchmarks/results/advice]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from netorigin.contract import SITES
from netorigin.estimator import load_bundle
from netorigin.inference import next_tests, score_cases, value_of_tests
from netorigin.io import default_model_path
from netorigin.literature import (
    ADVICE_TESTS,
    SCENARIOS,
    apply_setting,
    cell_posterior,
    default_literature,
    make_synthetic_cohort,
)


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson 95% interval of a proportion."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def rescoring(model, cases, scenario) -> dict:
    """Every advised result of ``cases`` (tests and the best panel of two) entered and scored
    again: how often the most likely site, or any probability by more than a point, differs from
    the advice line; and the largest gap between the answer now and the answers after each result
    weighted by their chances."""
    from netorigin.inference._advise import rescore

    res = score_cases(model, cases, target_prior=scenario, panel=2, reasons=False)
    n = other_top = off = 0
    coherence = []
    for i in range(len(cases)):
        for d in res.advice[i] + res.panels[i]:
            rows, edits = [i] * len(d["results"]), [r["entered"] for r in d["results"]]
            again = rescore(model, cases, rows, edits, target_prior=scenario).proba
            shown = np.array([[r["probabilities"][s] for s in SITES] for r in d["results"]])
            n += len(shown)
            other_top += int((again.argmax(1) != shown.argmax(1)).sum())
            off += int((np.abs(again - shown).max(1) > 0.01).sum())
            w = np.array([r["probability"] for r in d["results"]])
            coherence.append(float(np.abs(w @ shown - res.proba[i]).max()))
    return {
        "advised_results": n,
        "results_naming_another_top_site": other_top,
        "results_off_by_more_than_a_point": off,
        "coherence_gap_median": float(np.median(coherence)) if coherence else float("nan"),
        "coherence_gap_max": float(np.max(coherence)) if coherence else float("nan"),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(default_model_path()))
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--out", default="benchmarks/results/advice")
    args = ap.parse_args()
    model, kb = load_bundle(args.model), default_literature()
    rows = []
    for scenario in SCENARIOS:
        c = make_synthetic_cohort(args.n, scenario=scenario, random_state=args.seed)
        t0 = time.perf_counter()
        tool = next_tests(model, c, target_prior=scenario, top=1, details=False)
        t_tool = time.perf_counter() - t0
        held = kb.assumptions(scenario)  # what the setting holds done: counted once, never advised
        read = apply_setting(c, held)[0]
        tests = [t for t in ADVICE_TESTS if t not in held]
        exact = value_of_tests(cell_posterior(kb.model, read, kb.weights(scenario)), read, kb, tests=tests)
        agree, ratio, loss, settled, picked, bests = [], [], [], [], [], []
        for tv, ev in zip(tool, exact):
            if not ev:
                continue
            exact_gain = {d["test"]: d["expected_information_gain_bits"] for d in ev}
            best = max(exact_gain, key=exact_gain.get)
            if not tv:
                continue
            pick = tv[0]["test"]
            agree.append(pick == best)
            ratio.append(exact_gain[pick] / exact_gain[best] if exact_gain[best] > 0 else 1.0)
            loss.append(exact_gain[best] - exact_gain[pick])
            settled.append(exact_gain[best] < 0.01)
            picked.append(exact_gain[pick])
            bests.append(exact_gain[best])
        agree, ratio, loss, settled = map(np.array, (agree, ratio, loss, settled))
        lo, hi = _wilson(int(agree.sum()), len(agree))
        rows.append(
            {
                "scenario": scenario,
                "n": int(len(agree)),
                "agreement": float(agree.mean()),
                "agreement_ci95": [lo, hi],
                "agreement_open_cases": float(agree[~settled].mean()) if (~settled).any() else float("nan"),
                "open_cases": int((~settled).sum()),
                "information_ratio_mean": float(ratio.mean()),
                "information_ratio_of_means": float(np.sum(picked) / np.sum(bests)),
                "agreement_within_0.001_bits": float((loss <= 0.001).mean()),
                "cases_losing_0.05_bits": float((loss >= 0.05).mean()),
                "mean_loss_bits": float(loss.mean()),
                "tool_seconds_per_case": t_tool / args.n,
                **rescoring(model, c.iloc[: min(200, args.n)].reset_index(drop=True), scenario),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    lines = [
        f"# The next test against the exact-Bayes best test (bundle {str(model.identity_.bundle_hash)[:12]})",
        "",
        "| scenario | cases | tool's pick = exact best (95% CI) | within 0.001 bits of it | same, cases not settled "
        "(best >= 0.01 bits) | information achieved: mean of pick / best | total picked / total best | "
        "cases losing >= 0.05 bits | advice time per case | advised results re-scored: another top site / "
        "off by > 1 point | answers after results vs now (median, largest) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lo, hi = r["agreement_ci95"]
        lines.append(
            f"| {r['scenario']} | {r['n']:,} | {r['agreement']:.1%} ({lo:.1%}-{hi:.1%}) | "
            f"{r['agreement_within_0.001_bits']:.1%} | "
            f"{r['agreement_open_cases']:.1%} (n={r['open_cases']:,}) | {r['information_ratio_mean']:.1%} | "
            f"{r['information_ratio_of_means']:.1%} | {r['cases_losing_0.05_bits']:.1%} | "
            f"{1000 * r['tool_seconds_per_case']:.2f} ms | {r['results_naming_another_top_site']} / "
            f"{r['results_off_by_more_than_a_point']} of {r['advised_results']:,} | "
            f"{r['coherence_gap_median']:.3f}, {r['coherence_gap_max']:.3f} |"
        )
    md = "\n".join(lines) + "\n"
    out.with_suffix(".md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
