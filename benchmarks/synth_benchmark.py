"""Benchmark of the synthetic-cohort engine (prints figures; not a test).

1. make_synthetic_cohort: 1,000,000 cases, wall time and peak memory (fresh process).
2. bayes_posterior on those 1,000,000 cases: wall time and peak memory (fresh process).
3. The Bayes ceiling on 50,000 cases for each scenario: accuracy, log-loss, expected
   calibration error (10 bins, top-class), with the routine work-up.

Run:  .venv/bin/python benchmarks/synth_benchmark.py [--n 1000000] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import textwrap

import numpy as np

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    from netorigin.literature import make_synthetic_cohort
    from netorigin.literature import bayes_posterior
    n, what = int(sys.argv[1]), sys.argv[2]
    make_synthetic_cohort(1000, random_state=0)  # warm-up: imports and parameter files
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    c = make_synthetic_cohort(n, scenario="liver-met-archive", random_state=1)
    t_gen = time.perf_counter() - t
    peak_gen = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {"generate_s": t_gen, "generate_peak_mb": peak_gen / 1024, "baseline_mb": base / 1024}
    if what == "posterior":
        t = time.perf_counter()
        bayes_posterior(c, scenario="liver-met-archive")
        out["posterior_s"] = time.perf_counter() - t
        out["posterior_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
""")


def child(n: int, what: str) -> dict:
    r = subprocess.run([sys.executable, "-c", CHILD, str(n), what], capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def ceiling(scenario: str, n: int = 50_000, seed: int = 2) -> dict:
    from netorigin.literature import bayes_posterior, make_synthetic_cohort

    c = make_synthetic_cohort(n, scenario=scenario, random_state=seed)
    p = bayes_posterior(c, scenario=scenario).to_numpy()
    y = c["primary_site"].cat.codes.to_numpy()
    conf, pred = p.max(axis=1), p.argmax(axis=1)
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = sum(
        abs(conf[bins == b].mean() - (pred[bins == b] == y[bins == b]).mean()) * (bins == b).mean()
        for b in range(10)
        if (bins == b).any()
    )
    return {
        "scenario": scenario,
        "n": n,
        "accuracy": float((pred == y).mean()),
        "log_loss": float(-np.log(p[np.arange(n), y]).mean()),
        "ece": float(ece),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    gen = child(args.n, "generate")
    post = child(args.n, "posterior")
    rows = [ceiling(s) for s in ("liver-met-archive", "population", "unknown-primary")]
    print(f"machine: {machine}")
    print("| step | cases | wall time (s) | peak memory (MB, whole process) | target |")
    print("|---|---|---|---|---|")
    print(
        f"| make_synthetic_cohort | {args.n:,} | {gen['generate_s']:.2f} | {gen['generate_peak_mb']:.0f} "
        "| <= 10 s, <= 2048 MB |"
    )
    print(
        f"| bayes_posterior | {args.n:,} | {post['posterior_s']:.2f} "
        f"| {post['posterior_peak_mb']:.0f} (with the cohort) | <= 10 s |"
    )
    print()
    print("| scenario | cases | Bayes accuracy | Bayes log-loss | ECE |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['scenario']} | {r['n']:,} | {r['accuracy']:.4f} | {r['log_loss']:.4f} | {r['ece']:.4f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "generate": gen, "posterior": post, "ceiling": rows}, f, indent=2)


if __name__ == "__main__":
    main()
