"""Issue 25's targets: learning from a cohort without forgetting the literature, on worlds the
models never saw.

Each held-out world is drawn from the literature's uncertainty (``draw_world``; its seed is checked
not to be one of the shipped model's training worlds). In each: a cohort of each size (training
mix, mixture of work-ups) and ``--n-test`` fresh test cases of the same world. Three models score
the test cases, and each world's exact posterior is the ceiling:

- ``literature-only``: the shipped bundle (trained on many drawn worlds, never on this one);
- ``cohort-only``: the xgboost kind trained on the cohort alone (what ``train`` did before);
- ``latent-class``: the literature's cells fitted to the cohort with the literature as the prior.

Printed per model and cohort size: accuracy, log-loss and ECE, and their gaps to the exact
posterior, as means over worlds with 95% t-intervals; the weight the latent-class model gave the
literature; the next-test advice of each model against the world's exact best test (share of the
best test's expected information its first pick captures, and how often it is the exact best);
and the shipped model on the literature world itself.

Usage: python benchmarks/learning_benchmark.py [--worlds 5] [--sizes 100,300,1000,5000,20000]
       [--n-test 2000] [--out benchmarks/results/learning] [--tiny]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from netorigin.contract import SITES
from netorigin.estimator import SiteModel, load_bundle
from netorigin.inference import next_tests, value_of_tests
from netorigin.io import default_model_path
from netorigin.literature import bayes_posterior, cell_posterior, draw_world, make_synthetic_cohort, training_worlds
from netorigin.training import expected_calibration_error

HELD_OUT = (900001, 900002, 900003, 900004, 900005, 900006, 900007, 900008, 900009, 900010)
SCENARIO = "training-mix"
KINDS = ("cohort-only", "latent-class")  # trained by default
ALL_KINDS = (*KINDS, "latent-boost")  # --kinds may add latent-boost (boosting from the latent-class margins)
T975 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}


def scores(y, p) -> dict:
    """Accuracy, log-loss and ECE of site probabilities ``p`` for labels ``y`` (site indices)."""
    p = np.clip(p, 1e-12, 1)
    return {
        "accuracy": float((p.argmax(1) == y).mean()),
        "log_loss": float(-np.log(p[np.arange(len(y)), y]).mean()),
        "ece": float(expected_calibration_error(y, p)),
    }


def advice(model, p_cell_exact, table, kb_world) -> dict:
    """The model's first pick (valued by the model's own re-scoring, as it advises) against the
    world's exact best test, both valued exactly under the world."""
    tool = next_tests(model, table, target_prior="training", top=1, details=False)
    exact = value_of_tests(p_cell_exact, table, kb_world)
    agree, picked, best = [], [], []
    for tv, ev in zip(tool, exact):
        if not ev or not tv:
            continue
        gain = {d["test"]: d["expected_information_gain_bits"] for d in ev}
        top = max(gain, key=gain.get)
        pick = tv[0]["test"]
        agree.append(pick == top)
        picked.append(gain[pick])
        best.append(gain[top])
    return {"exact_best": float(np.mean(agree)), "information_captured": float(np.sum(picked) / np.sum(best))}


def mean_interval(values) -> tuple[float, float, float]:
    """Mean over worlds and its 95% t-interval."""
    v = np.asarray(values, float)
    m = float(v.mean())
    if len(v) < 2:
        return m, float("nan"), float("nan")
    half = T975.get(len(v) - 1, 1.96) * float(v.std(ddof=1)) / np.sqrt(len(v))
    return m, m - half, m + half


def one_world(seed, sizes, n_test, shipped, with_advice, log, kinds=KINDS, structure=None) -> list[dict]:
    world = draw_world(seed, structure=structure)
    drawn = dict(world=seed, structure=structure, workup="mixture")
    test = make_synthetic_cohort(n_test, scenario=SCENARIO, random_state=seed + 17, **drawn)
    y = np.array([SITES.index(s) for s in test["primary_site"].astype(str)])
    exact_p = bayes_posterior(test, scenario=SCENARIO, world=seed, structure=structure).to_numpy()
    exact = scores(y, exact_p)
    rows = []

    def row(model_name, size, p, extra=None):
        s = scores(y, p)
        r = {"world": seed, "model": model_name, "n": size, **s, "structure": world.structure}
        r.update({f"{k}_gap": s[k] - exact[k] for k in ("accuracy", "log_loss", "ece")})
        r["exact"] = exact
        r.update(extra or {})
        rows.append(r)
        log(json.dumps({k: v for k, v in r.items() if k != "exact"}))

    adv_cases = test.iloc[: min(len(test), 1000)]
    p_cell_exact = cell_posterior(world.model, adv_cases, world.weights(SCENARIO)) if with_advice else None
    lit = shipped.forward(test, target_prior="training").proba  # the contract's order, as the codes
    lit_advice = {}
    if with_advice:
        lit_advice = advice(shipped, p_cell_exact, adv_cases, world)
    for size in sizes:
        row("literature-only", size, lit, lit_advice)
        cohort = make_synthetic_cohort(size, scenario=SCENARIO, random_state=seed, **drawn)
        for name in kinds:
            kind = "xgboost" if name == "cohort-only" else name
            t0 = time.perf_counter()
            model = SiteModel(kind, cv=3, random_state=0).fit(cohort, cohort["primary_site"])
            fit_s = time.perf_counter() - t0
            extra = {"fit_seconds": fit_s}
            weight = getattr(model.classifier_.estimator_, "literature_weight_", None)
            if weight is not None:
                extra["literature_weight"] = float(weight)
            if with_advice and size == max(sizes):
                extra.update(advice(model, p_cell_exact, adv_cases, world))
            row(name, size, model.forward(test, target_prior="training").proba, extra)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(default_model_path()))
    ap.add_argument("--worlds", type=int, default=5)
    ap.add_argument("--sizes", default="100,300,1000,5000,20000")
    ap.add_argument("--n-test", type=int, default=2000)
    ap.add_argument("--no-advice", action="store_true")
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"trained models, of {', '.join(ALL_KINDS)}")
    ap.add_argument("--tiny", action="store_true", help="one world, 100 cases, 300 test cases: a smoke run")
    ap.add_argument("--out", default=None, help="default: benchmarks/results/learning[-STRUCTURE]")
    ap.add_argument(
        "--structure",
        choices=("cells", "subtypes", "factor", "pairs", "any"),
        default=None,
        help="worlds whose structure differs from the literature's too (netorigin.literature.draw_world)",
    )
    ap.add_argument("--table-only", action="store_true", help="print the table of --out's JSON again, no run")
    ap.add_argument(
        "--only",
        choices=(*ALL_KINDS, "literature-only"),
        default=None,
        help="rerun this model only (with the shipped one; literature-only: the shipped one alone, after "
        "it is retrained); the other rows are kept from --out's JSON (same worlds and sizes)",
    )
    args = ap.parse_args()
    args.out = args.out or "benchmarks/results/learning" + (f"-{args.structure}" if args.structure else "")
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.tiny:
        args.worlds, sizes, args.n_test = 1, [100], 300
    shipped = load_bundle(args.model)
    if args.table_only:
        saved = json.loads(Path(args.out).with_suffix(".json").read_text())
        seeds = sorted({r["world"] for r in saved["rows"]})
        md = table(saved["rows"], sizes, saved["literature_world"], seeds, args.n_test, shipped.identity_.bundle_hash)
        Path(args.out).with_suffix(".md").write_text(md)
        print(md)
        return
    trained_on = set(training_worlds(400, 1))  # pipelines/default_model.yaml: 400 worlds, seed 1
    seeds = [s for s in HELD_OUT if s not in trained_on][: args.worlds]
    chosen = tuple(k for k in args.kinds.split(",") if k)
    if set(chosen) - set(ALL_KINDS):
        ap.error(f"--kinds: {', '.join(sorted(set(chosen) - set(ALL_KINDS)))} not among {', '.join(ALL_KINDS)}")
    rows, kinds = [], (() if args.only == "literature-only" else (args.only,)) if args.only else chosen
    for seed in seeds:
        rows += one_world(seed, sizes, args.n_test, shipped, not args.no_advice, print, kinds, args.structure)
    if args.only:  # the rows of the models not rerun, from the last full run
        kept = json.loads(Path(args.out).with_suffix(".json").read_text())["rows"]
        rows = [r for r in kept if r["model"] not in kinds and r["model"] != "literature-only"] + rows
    # the shipped model on the literature world itself
    test = make_synthetic_cohort(args.n_test * 2, scenario=SCENARIO, random_state=4242, workup="mixture")
    y = np.array([SITES.index(s) for s in test["primary_site"].astype(str)])
    own, exact = (
        scores(y, shipped.forward(test, target_prior="training").proba),
        scores(y, bayes_posterior(test, scenario=SCENARIO).to_numpy()),
    )
    home = {"model": "literature-only", "world": "literature", **own, "exact": exact}
    home.update({f"{k}_gap": own[k] - exact[k] for k in ("accuracy", "log_loss", "ece")})
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"rows": rows, "literature_world": home}, indent=1))
    md = table(rows, sizes, home, seeds, args.n_test, shipped.identity_.bundle_hash)
    out.with_suffix(".md").write_text(md)
    print(md)


def table(rows, sizes, home, seeds, n_test, bundle) -> str:
    lines = [
        f"Held-out worlds {', '.join(map(str, seeds))} (none among the shipped model's training worlds); "
        f"{n_test:,} test cases each, training mix, mixture of work-ups. Shipped bundle {bundle[:12]}. "
        "Gaps are model minus each world's exact posterior (accuracy: negative is worse); mean over "
        "worlds (95% t-interval).",
        "",
        "| model | cohort | accuracy gap | log-loss gap | ECE | literature weight | fit s |",
        "|---|---|---|---|---|---|---|",
    ]
    fmt = lambda m, lo, hi: f"{m:+.3f} ({lo:+.3f} to {hi:+.3f})" if np.isfinite(lo) else f"{m:+.3f}"  # noqa: E731
    for size in sizes:
        for name in ("literature-only", *ALL_KINDS):
            rs = [r for r in rows if r["model"] == name and r["n"] == size]
            if not rs:
                continue
            w = sorted({r["literature_weight"] for r in rs if "literature_weight" in r})
            fit = [r["fit_seconds"] for r in rs if "fit_seconds" in r]
            lines.append(
                f"| {name} | {size:,} | {fmt(*mean_interval([r['accuracy_gap'] for r in rs]))} | "
                f"{fmt(*mean_interval([r['log_loss_gap'] for r in rs]))} | "
                f"{np.mean([r['ece'] for r in rs]):.3f} | {', '.join(f'{x:g}' for x in w) or '-'} | "
                f"{f'{np.mean(fit):.1f}' if fit else '-'} |"
            )
    lines += [
        "",
        "Paired over worlds (the same test cases): latent-class minus each other model, log-loss "
        "(negative: latent-class is better).",
        "",
        "| cohort | minus literature-only | minus cohort-only |",
        "|---|---|---|",
    ]
    for size in sizes:
        by = {(r["model"], r["world"]): r["log_loss"] for r in rows if r["n"] == size}
        worlds = sorted({w for m, w in by if m == "latent-class"})
        diffs = [
            [by[("latent-class", w)] - by[(other, w)] for w in worlds if (other, w) in by]
            for other in ("literature-only", "cohort-only")
        ]
        if worlds and all(diffs):
            lines.append(f"| {size:,} | {fmt(*mean_interval(diffs[0]))} | {fmt(*mean_interval(diffs[1]))} |")
    ex = [r["exact"] for r in rows if r["model"] == "literature-only" and r["n"] == sizes[0]]
    if ex:
        lines += [
            "",
            f"Exact posterior, mean over worlds: accuracy {np.mean([e['accuracy'] for e in ex]):.3f}, "
            f"log-loss {np.mean([e['log_loss'] for e in ex]):.3f}, ECE {np.mean([e['ece'] for e in ex]):.3f}.",
        ]
    adv = [r for r in rows if "exact_best" in r]
    if adv:
        lines += [
            "",
            "Next-test advice (first 1,000 test cases of each world; the pick valued under the world's exact "
            "cells): share of the best test's expected information captured, and share of cases where the "
            "pick is the exact best.",
            "",
            "| model | cohort | information captured | exact best |",
            "|---|---|---|---|",
        ]
        for name in ("literature-only", *ALL_KINDS):
            rs = [r for r in adv if r["model"] == name and (name != "literature-only" or r["n"] == sizes[0])]
            if rs:
                size = "-" if name == "literature-only" else f"{rs[0]['n']:,}"
                lines.append(
                    f"| {name} | {size} | {fmt(*mean_interval([r['information_captured'] for r in rs]))[1:]} | "
                    f"{fmt(*mean_interval([r['exact_best'] for r in rs]))[1:]} |"
                )
    lines += [
        "",
        f"Shipped model on the literature world itself ({home['exact']['accuracy']:.3f} / "
        f"{home['exact']['log_loss']:.3f} exact): accuracy gap {home['accuracy_gap']:+.3f}, log-loss gap "
        f"{home['log_loss_gap']:+.3f}, ECE {home['ece']:.3f} (the exact posterior's own on these cases: "
        f"{home['exact']['ece']:.3f}; `benchmarks/trust_benchmark.py` measures it on 50,000 cases per setting).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
