"""Issue 12's targets, measured on the shipped configuration (trained on one mix, shifted to each).

For every named scenario: 50,000 fresh synthetic cases (routine work-up), scored with the model
under that scenario's prior, beside the exact Bayes posterior on the same cases:
- per-site coverage of the prediction sets at 80/90/95% and per-sub-site coverage at 90%;
- ECE and log-loss of the model and of the exact posterior, with bootstrap 95% intervals of the gaps;
- explanation additivity (max |sum of terms - displayed clr|) on 1,000 cases, for each scenario
  and a custom prior; the number of cases whose top site is outside its own set, for any prior.

Usage: python benchmarks/trust_benchmark.py [--model BUNDLE] [--n 50000] [--out benchmarks/results/trust]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from netorigin.contract import SITES
from netorigin.estimator import load_bundle
from netorigin.io import default_model_path
from netorigin.literature import SCENARIOS, bayes_posterior, make_synthetic_cohort
from netorigin.training import expected_calibration_error

LEVELS = (0.80, 0.90, 0.95)
CUSTOM = ("0.1,0.1,0.8", "0.001,0.001,0.998", "0.34,0.33,0.33")


def log_loss(y, p):
    return -np.log(np.clip(p[np.arange(len(y)), y], 1e-15, 1))


def gap_interval(y, p, b, n_boot=200, seed=0, ece_gap=True):
    """Bootstrap 95% intervals of the model-minus-posterior gap in log-loss and of the gap in ECE
    (``ece_gap=False``: of the model's own ECE)."""
    rng = np.random.default_rng(seed)
    lm, lb = log_loss(y, p), log_loss(y, b)
    ll, ece = [], []
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        ll.append(lm[i].mean() - lb[i].mean())
        ece.append(
            expected_calibration_error(y[i], p[i]) - (expected_calibration_error(y[i], b[i]) if ece_gap else 0.0)
        )
    return [float(np.percentile(ll, 2.5)), float(np.percentile(ll, 97.5))], [
        float(np.percentile(ece, 2.5)),
        float(np.percentile(ece, 97.5)),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(default_model_path()))
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=777)
    ap.add_argument("--out", default="benchmarks/results/trust")
    args = ap.parse_args()
    model = load_bundle(args.model)
    rows, sub_rows, checks = [], [], {}
    for scenario in SCENARIOS:
        t0 = time.perf_counter()
        c = make_synthetic_cohort(args.n, scenario=scenario, random_state=args.seed)
        y = c["primary_site"].cat.codes.to_numpy()
        detail = c["primary_site_detail"].astype(object).to_numpy()
        fwd = model.forward(c, target_prior=scenario)
        p = fwd.proba
        b = bayes_posterior(c, scenario=scenario).to_numpy()
        ll_ci, ece_ci = gap_interval(y, p, b)
        row = {
            "scenario": scenario,
            "n": len(y),
            "ece": expected_calibration_error(y, p),
            "ece_bayes": expected_calibration_error(y, b),
            "ece_gap_ci": ece_ci,
            "log_loss": float(log_loss(y, p).mean()),
            "log_loss_bayes": float(log_loss(y, b).mean()),
            "log_loss_gap_ci": ll_ci,
            "accuracy": float((p.argmax(1) == y).mean()),
            "accuracy_bayes": float((b.argmax(1) == y).mean()),
        }
        for level in LEVELS:
            s = fwd.sets(level)
            hit = s[np.arange(len(y)), y]
            row[f"size_{level:.2f}"] = float(s.sum(1).mean())
            for k, site in enumerate(SITES):
                row[f"cov_{level:.2f}_{site}"] = float(hit[y == k].mean())
            if level == 0.90:
                for d in sorted(
                    set(detail), key=list(model.labels_).index if set(detail) <= set(model.labels_) else str
                ):
                    m = detail == d
                    sub_rows.append(
                        {"scenario": scenario, "subsite": d, "n": int(m.sum()), "coverage_0.90": float(hit[m].mean())}
                    )
        rows.append(row)
        # additivity and sets vs probabilities on 1,000 cases
        few = model.forward(c.iloc[:1000], target_prior=scenario, reasons=True)  # one pass: the shown p
        e, lpp = few.explanation, np.log(few.proba)
        add = float(
            np.abs(e.baseline + e.calibration + e.prior + e.terms.sum(1) - (lpp - lpp.mean(1, keepdims=True))).max()
        )
        checks[scenario] = {"additivity_max_error": add, "seconds": time.perf_counter() - t0}
        print(f"{scenario}: done in {time.perf_counter() - t0:.1f} s", flush=True)
    c = make_synthetic_cohort(2000, scenario="unknown-primary", random_state=args.seed + 1)
    for prior in CUSTOM + tuple(SCENARIOS) + ("training",):
        fwd = model.forward(c, target_prior=prior)
        p, s = fwd.proba, fwd.sets(0.9)
        few = model.forward(c.iloc[:1000], target_prior=prior, reasons=True)
        e, lpp = few.explanation, np.log(np.maximum(few.proba, 1e-300))
        checks[f"prior {prior}"] = {
            "top_site_outside_set": int((~s[np.arange(len(p)), p.argmax(1)]).sum()),
            "additivity_max_error": float(
                np.abs(e.baseline + e.calibration + e.prior + e.terms.sum(1) - (lpp - lpp.mean(1, keepdims=True))).max()
            ),
        }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"model": model.identity_.as_dict(), "scenarios": rows, "subsites": sub_rows, "checks": checks}
    out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    md = markdown(result)
    out.with_suffix(".md").write_text(md)
    print(md)


def markdown(r) -> str:
    lines = [
        f"# Where it is used: the shipped model under each named setting ({r['model']['name']}, "
        f"bundle {str(r['model']['bundle_hash'])[:12]})",
        "",
        "| scenario | ECE (exact) | ECE gap 95% CI | log-loss (exact) | log-loss gap 95% CI | "
        + " | ".join(f"{lv:.0%} coverage ileal / pancreatic / other (mean set size)" for lv in LEVELS)
        + " |",
        "|---|---|---|---|---|" + "---|" * len(LEVELS),
    ]
    for row in r["scenarios"]:
        cov = [
            f"{row[f'cov_{lv:.2f}_ileal']:.3f} / {row[f'cov_{lv:.2f}_pancreatic']:.3f} / "
            f"{row[f'cov_{lv:.2f}_other']:.3f} ({row[f'size_{lv:.2f}']:.2f})"
            for lv in LEVELS
        ]
        lines.append(
            f"| {row['scenario']} | {row['ece']:.4f} ({row['ece_bayes']:.4f}) | "
            f"{row['ece_gap_ci'][0]:+.4f} to {row['ece_gap_ci'][1]:+.4f} | {row['log_loss']:.4f} "
            f"({row['log_loss_bayes']:.4f}) | {row['log_loss_gap_ci'][0]:+.4f} to {row['log_loss_gap_ci'][1]:+.4f} | "
            + " | ".join(cov)
            + " |"
        )
    lines += [
        "",
        "Per-sub-site coverage of the 90% sets (cases in the 50,000):",
        "",
        "| sub-site | " + " | ".join(s["scenario"] for s in r["scenarios"]) + " |",
        "|---|" + "---|" * len(r["scenarios"]),
    ]
    subs = list(dict.fromkeys(s["subsite"] for s in r["subsites"]))
    for d in subs:
        cells = []
        for row in r["scenarios"]:
            m = [s for s in r["subsites"] if s["scenario"] == row["scenario"] and s["subsite"] == d]
            cells.append(f"{m[0]['coverage_0.90']:.3f} (n={m[0]['n']:,})" if m else "-")
        lines.append(f"| {d} | " + " | ".join(cells) + " |")
    lines += ["", "| check | top site outside its set | max additivity error |", "|---|---|---|"]
    for k, v in r["checks"].items():
        lines.append(f"| {k} | {v.get('top_site_outside_set', '-')} | {v['additivity_max_error']:.1e} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
