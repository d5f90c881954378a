"""Prediction sets where they are used: per named prior, per site and sub-site, for whole cases and
for cases thinned to 1-6 informative fields, beside the exact posterior's own smallest sets.

For every named prior: ``--n`` fresh synthetic cases of that setting with the mixture of work-ups,
half of them thinned (each keeps 1-6 of its recorded informative fields, chosen at random: the
exact posterior is still exact). The model scores them under that setting's prior. Printed per
stratum (whole, thinned, all) and level (80/90/95%): per-site coverage, per-sub-site coverage
(with counts), mean size, share of one-site sets, the share of sets holding less than the level of
the model's own probability and their coverage, the coverage of one-site sets by top-probability
band; and the same for the exact posterior's smallest sets holding the level of its probability.

With ``--structure S`` (cells, subtypes, factor, pairs) each prior's cases come instead from a
held-out drawn world whose findings are built unlike the literature's tables (world 900001 for the
first prior, 900002 for the next...; none among the shipped model's training worlds), beside that
world's own exact posterior (the latent part integrated out): whether the sets keep their coverage
per site where the model's structure is wrong (issue 31). Results: ``benchmarks/results/sets-S``.

Usage: python benchmarks/sets_benchmark.py [--model BUNDLE] [--n 20000] [--structure S] [--out ...]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from netorigin.contract import SITES, SUBSITES
from netorigin.estimator import load_bundle, mass_sets
from netorigin.io import default_model_path, informative_fields
from netorigin.literature import SCENARIOS, bayes_posterior, make_synthetic_cohort, thin_cases
from netorigin.training import proportion_interval

LEVELS = (0.80, 0.90, 0.95)
BANDS = ((0.0, 0.6), (0.6, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.0001))
SUB = [s for site in SITES for s in SUBSITES[site]]


def describe(sets, p, y, detail, level) -> dict:
    """The figures of one set of sets on one stratum."""
    n = len(y)
    hit = sets[np.arange(n), y]
    size = sets.sum(axis=1)
    held = (sets * p).sum(axis=1)
    low = held < level - 1e-9
    one = size == 1
    top = p.max(axis=1)
    bands = {}
    for lo, hi in BANDS:
        m = one & (top > lo) & (top <= hi)
        bands[f"{lo:.2f}-{min(hi, 1):.2f}"] = {"n": int(m.sum()), "coverage": float(hit[m].mean()) if m.any() else None}
    return {
        "n": n,
        "coverage": float(hit.mean()),
        "coverage_by_site": {s: float(hit[y == k].mean()) if (y == k).any() else None for k, s in enumerate(SITES)},
        "n_by_site": {s: int((y == k).sum()) for k, s in enumerate(SITES)},
        "coverage_by_site_interval": {
            s: proportion_interval(int(hit[y == k].sum()), int((y == k).sum())) for k, s in enumerate(SITES)
        },
        "coverage_by_subsite": {s: float(hit[detail == s].mean()) for s in SUB if (detail == s).any()},
        "n_by_subsite": {s: int((detail == s).sum()) for s in SUB if (detail == s).any()},
        "mean_size": float(size.mean()),
        "one_site_share": float(one.mean()),
        "below_level_share": float(low.mean()),
        "below_level_coverage": float(hit[low].mean()) if low.any() else None,
        "below_085_share": float((held < 0.85 - 1e-9).mean()),
        "one_site_by_top_probability": bands,
    }


def run_prior(model, scenario: str, n: int, seed: int, world=None, structure=None) -> dict:
    drawn = {"world": world, "structure": structure} if structure else {}
    c = make_synthetic_cohort(n, scenario=scenario, random_state=seed, workup="mixture", **drawn)
    c, thinned = thin_cases(c, share=0.5, random_state=seed + 1)
    k = np.array([len(f) for f in informative_fields(c)])
    strata = {"whole": ~thinned, "thinned to 1-6 fields": thinned & (k >= 1), "all": np.ones(len(c), bool)}
    y = c["primary_site"].cat.codes.to_numpy()
    detail = c["primary_site_detail"].astype(object).to_numpy()
    fwd = model.forward(c, target_prior=scenario)
    b = bayes_posterior(c, scenario=scenario, **drawn).to_numpy()
    out = {"n": n, "model": {}, "exact": {}, "top_outside": 0, **drawn}
    for level in LEVELS:
        sets = fwd.sets(level)
        out["top_outside"] += int((~sets[np.arange(len(y)), fwd.proba.argmax(axis=1)]).sum())
        exact = mass_sets(b, level)
        for name, m in strata.items():
            out["model"].setdefault(name, {})[f"{level:.2f}"] = describe(sets[m], fwd.proba[m], y[m], detail[m], level)
            out["exact"].setdefault(name, {})[f"{level:.2f}"] = describe(exact[m], b[m], y[m], detail[m], level)
    return out


def markdown(res: dict, bundle: str) -> str:
    structure = res.get("structure")
    where = (
        f"held-out world of {structure} structure (named per prior), its own exact posterior"
        if structure
        else "the literature's own world"
    )
    lines = [
        f"# Prediction sets (bundle {bundle[:12]}{f', worlds of {structure} structure' if structure else ''})",
        "",
        f"Per named prior: fresh cases of that setting (mixture of work-ups; {where}), half thinned to 1-6 "
        "informative fields. Model = netorigin's sets; exact = the exact posterior's own smallest sets holding "
        "the level.",
        "",
    ]
    for scenario, r in res["priors"].items():
        world = f" (world {r['world']})" if r.get("world") else ""
        lines += [
            f"## {scenario}{world}",
            "",
            "| stratum | level | who | lowest site coverage (95% CI) | coverage by site | lowest sub-site (n>=500) | "
            "mean size | one-site | < level of own p (cov.) | < 0.85 of own p | one-site at top<=0.6 (cov.) |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for stratum in r["model"]:
            for level in r["model"][stratum]:
                for who in ("model", "exact"):
                    d = r[who][stratum][level]
                    cov = {s: v for s, v in d["coverage_by_site"].items() if v is not None}
                    low = min(cov, key=cov.get)
                    lo, hi = d["coverage_by_site_interval"][low]
                    sub = {s: v for s, v in d["coverage_by_subsite"].items() if d["n_by_subsite"][s] >= 500}
                    worst_sub = min(sub.items(), key=lambda kv: kv[1]) if sub else None
                    band = d["one_site_by_top_probability"]["0.00-0.60"]
                    lines.append(
                        f"| {stratum} | {level} | {who} | {low} {cov[low]:.3f} ({lo:.3f}-{hi:.3f}) | "
                        + ", ".join(f"{s} {v:.3f}" for s, v in cov.items())
                        + f" | {worst_sub[0] + ' ' + format(worst_sub[1], '.3f') if worst_sub else '-'} | "
                        f"{d['mean_size']:.2f} | {d['one_site_share']:.1%} | {d['below_level_share']:.1%} "
                        f"({'-' if d['below_level_coverage'] is None else format(d['below_level_coverage'], '.2f')})"
                        f" | {d['below_085_share']:.1%} | {band['n']} "
                        f"({'-' if band['coverage'] is None else format(band['coverage'], '.2f')}) |"
                    )
        lines += [
            "",
            f"Cases whose top site is outside its set (three levels): {r['top_outside']}",
            "",
            "Coverage of the 90% sets by sub-site (cases), model / exact:",
            "",
            "| stratum | " + " | ".join(SUB) + " |",
            "|---|" + "---|" * len(SUB),
        ]
        for stratum in r["model"]:
            m, e = r["model"][stratum]["0.90"], r["exact"][stratum]["0.90"]
            lines.append(
                f"| {stratum} | "
                + " | ".join(
                    f"{m['coverage_by_subsite'][s]:.3f} / {e['coverage_by_subsite'][s]:.3f} ({m['n_by_subsite'][s]})"
                    if s in m["coverage_by_subsite"]
                    else "-"
                    for s in SUB
                )
                + " |"
            )
        lines += [
            "",
            "One-site 90% sets by the top site's probability: cases (coverage), model:",
            "",
            "| stratum | "
            + " | ".join(f"top {b}" for b in r["model"]["all"]["0.90"]["one_site_by_top_probability"])
            + " |",
            "|---|" + "---|" * len(BANDS),
        ]
        for stratum in r["model"]:
            bands = r["model"][stratum]["0.90"]["one_site_by_top_probability"]
            lines.append(
                f"| {stratum} | "
                + " | ".join(
                    f"{b['n']} ({'-' if b['coverage'] is None else format(b['coverage'], '.3f')})"
                    for b in bands.values()
                )
                + " |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(default_model_path()))
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--structure", choices=("cells", "subtypes", "factor", "pairs"), default=None)
    ap.add_argument("--out", default=None, help="default: benchmarks/results/sets[-STRUCTURE]")
    args = ap.parse_args(argv)
    args.out = args.out or "benchmarks/results/sets" + (f"-{args.structure}" if args.structure else "")
    worlds = {s: (900001 + i if args.structure else None) for i, s in enumerate(SCENARIOS)}
    model = load_bundle(args.model)
    t0 = time.perf_counter()
    res = {
        "bundle_hash": model.identity_.bundle_hash,
        "n_per_prior": args.n,
        "seed": args.seed,
        "structure": args.structure,
        "priors": {
            s: run_prior(model, s, args.n, args.seed + i, worlds[s], args.structure) for i, s in enumerate(SCENARIOS)
        },
    }
    res["seconds"] = time.perf_counter() - t0
    md = markdown(res, model.identity_.bundle_hash or "")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(f"{args.out}.json").write_text(json.dumps(res, indent=1))
        Path(f"{args.out}.md").write_text(md)
    print(md)
    return res


if __name__ == "__main__":
    main()
