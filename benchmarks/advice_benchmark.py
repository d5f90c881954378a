"""Issue 13's targets: the recommended next test against the exact-Bayes best test.

For each named scenario, 2,000 fresh synthetic cases (routine work-up) are scored with the shipped
model under that scenario's prior; the tool's recommended single test is compared with the best
test under the exact posterior over the generator's cells (same candidate tests, same costs
table). Printed: how often they agree, the share of the best achievable expected information
the tool's pick achieves (its exact value over the exact best value), the share of cases losing
>= 0.05 bits, and the timing.

Usage: python benchmarks/advice_benchmark.py [--n 2000] [--out benchmarks/results/advice]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from netorigin.bundle import load_bundle
from netorigin.datasets import default_model_path
from netorigin.inference import model_cell_posterior, value_of_tests
from netorigin.literature import SCENARIOS, cell_posterior, default_literature
from netorigin.synth import make_synthetic_cohort


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson 95% interval of a proportion."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


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
        lp = model.predict_label_proba(c, target_prior=scenario)
        tool = value_of_tests(model_cell_posterior(model, c, lp, scenario), c, kb)
        t_tool = time.perf_counter() - t0
        exact = value_of_tests(cell_posterior(kb.model, c, kb.weights(scenario)), c, kb)
        agree, ratio, loss, settled, picked, bests = [], [], [], [], [], []
        for tv, ev in zip(tool, exact):
            if not ev:
                continue
            exact_gain = {d["test"]: d["expected_information_gain_bits"] for d in ev}
            best = max(exact_gain, key=exact_gain.get)
            pick = max(tv, key=lambda d: d["expected_information_gain_bits"])["test"]
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
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    lines = [
        f"# The next test against the exact-Bayes best test (bundle {str(model.bundle_hash)[:12]})",
        "",
        "| scenario | cases | tool's pick = exact best (95% CI) | within 0.001 bits of it | same, cases not settled "
        "(best >= 0.01 bits) | information achieved: mean of pick / best | total picked / total best | "
        "cases losing >= 0.05 bits | advice time per case |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lo, hi = r["agreement_ci95"]
        lines.append(
            f"| {r['scenario']} | {r['n']:,} | {r['agreement']:.1%} ({lo:.1%}-{hi:.1%}) | "
            f"{r['agreement_within_0.001_bits']:.1%} | "
            f"{r['agreement_open_cases']:.1%} (n={r['open_cases']:,}) | {r['information_ratio_mean']:.1%} | "
            f"{r['information_ratio_of_means']:.1%} | {r['cases_losing_0.05_bits']:.1%} | "
            f"{1000 * r['tool_seconds_per_case']:.2f} ms |"
        )
    md = "\n".join(lines) + "\n"
    out.with_suffix(".md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
