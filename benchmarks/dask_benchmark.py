"""Scale-out benchmarks (print a table and write JSON; not timed tests).

1. Training 1,000,000 synthetic cases, 100 rounds: the netorigin pipeline (validation, features,
   training, hold-out calibration) against raw ``xgboost.train`` on the same numeric matrix.
   Each in a fresh process; wall time and peak memory (whole process, and above the point where
   both hold the same data).
2. The same training on a 2-worker LocalCluster (xgboost.dask) against the single process.
3. Throughput: synthetic generation (partitioned), and batch scoring with and without
   contributions (reasons).

Run:  .venv/bin/python benchmarks/dask_benchmark.py [--n 1000000] [--repeat 3] [--json benchmarks/results/dask.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

PRELUDE = textwrap.dedent("""
    import json, resource, sys, time
    import numpy as np, pandas as pd
    rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    path, rounds = sys.argv[1], int(sys.argv[2])
""")

RAW = PRELUDE + textwrap.dedent("""
    import xgboost as xgb
    from netorigin.io import CaseFeatures
    from netorigin.models import label_codes, XGBoostSiteClassifier
    t = pd.read_parquet(path)
    # the labels the pipeline learns: the sub-sites (every case has one; none is rare at this size)
    X = CaseFeatures(dtype="float32").fit(t).transform(t)
    _, y = np.unique(label_codes(t["primary_site_detail"].astype(object), "subsite"), return_inverse=True)
    base = rss(); t0 = time.perf_counter()
    params = XGBoostSiteClassifier(random_state=0).booster_params(int(y.max()) + 1)
    booster = xgb.train(params, xgb.DMatrix(X, label=y, missing=np.nan), num_boost_round=rounds)
    print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": rss(), "base_mb": base}))
""")

PIPE = PRELUDE + textwrap.dedent("""
    from netorigin.training import train
    from netorigin.io import CaseFeatures
    t = pd.read_parquet(path)
    X = CaseFeatures(dtype="float32").fit(t).transform(t)  # as RAW holds
    base = rss(); t0 = time.perf_counter()
    r = train(t, kind="xgboost", params={"n_estimators": rounds}, n_splits="holdout", test_size=0,
              n_bootstrap=0, with_robustness=False)
    print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": rss(), "base_mb": base}))
""")

DASK = PRELUDE + textwrap.dedent("""
    from netorigin.training import train
    base = rss(); t0 = time.perf_counter()
    r = train(path, kind="xgboost", engine="dask", workers=2, params={"n_estimators": rounds}, n_bootstrap=0)
    print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": rss(), "base_mb": base}))
""")

SCORE = PRELUDE + textwrap.dedent("""
    from netorigin.estimator import load_bundle
    from netorigin.inference import score_cases, batch_table
    t = pd.read_parquet(path).iloc[:rounds]
    m = load_bundle("data/models/default")
    out = {}
    for reasons in (False, True):
        t0 = time.perf_counter()
        for s in range(0, len(t), 10000):
            batch_table(score_cases(m, t.iloc[s:s + 10000].reset_index(drop=True), reasons=reasons, advice=False))
        out["with" if reasons else "without"] = len(t) / (time.perf_counter() - t0)
    print(json.dumps(out))
""")


def child(code, *args) -> dict:
    r = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    if r.returncode:
        raise RuntimeError(r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--json", default=None)
    ap.add_argument("--repeat", type=int, default=3, help="raw/pipeline pairs, alternated (the median pair is shown)")
    args = ap.parse_args()
    from netorigin.training import synth_partitions

    tmp = Path(tempfile.mkdtemp(prefix="netorigin-bench-"))
    t0 = time.perf_counter()
    synth_partitions(args.n, 8, tmp / "big", seed=1, workers=2)
    synth_rate = args.n / (time.perf_counter() - t0)
    import pandas as pd

    one = tmp / "one.parquet"
    pd.concat([pd.read_parquet(p) for p in sorted((tmp / "big").glob("*.parquet"))], ignore_index=True).to_parquet(
        one, index=False
    )
    # raw and pipeline alternately, each run in a fresh process: this machine's speed drifts by
    # 10-20% between runs, so the ratio is the median of the pairs' ratios
    pairs = [(child(RAW, one, args.rounds), child(PIPE, one, args.rounds)) for _ in range(args.repeat)]
    ratios = sorted(p["seconds"] / r["seconds"] for r, p in pairs)
    by_ratio = sorted(pairs, key=lambda pair: pair[1]["seconds"] / pair[0]["seconds"])
    raw, pipe = by_ratio[args.repeat // 2]
    dsk = child(DASK, tmp / "big", args.rounds)
    score = child(SCORE, one, 100_000)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}; {args.n:,} cases, {args.rounds} rounds")
    print("| run | wall time (s) | peak memory (MB) | above shared data (MB) |")
    print("|---|---|---|---|")
    for name, r in (
        ("raw xgboost.train on the feature matrix (the same sub-site labels)", raw),
        ("netorigin pipeline (validation, features, training, calibration)", pipe),
        ("netorigin on Dask, 2-worker LocalCluster (client process)", dsk),
    ):
        print(f"| {name} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | {r['peak_mb'] - r['base_mb']:.0f} |")
    print(
        f"| ratio pipeline / raw (median of {args.repeat} pairs; all: {', '.join(f'{x:.2f}' for x in ratios)}) | "
        f"{pipe['seconds'] / raw['seconds']:.2f} x (target <= 1.15) | "
        f"{pipe['peak_mb'] / raw['peak_mb']:.2f} x (target <= 1.25) | |"
    )
    print(f"| ratio Dask / single-process pipeline | {dsk['seconds'] / pipe['seconds']:.2f} x | | |")
    print()
    print("| throughput | cases per second |")
    print("|---|---|")
    print(f"| synthetic generation, 8 partitions, 2 processes | {synth_rate:,.0f} |")
    print(f"| batch scoring without contributions | {score['without']:,.0f} |")
    print(f"| batch scoring with contributions (reasons) | {score['with']:,.0f} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps(
                {
                    "machine": machine,
                    "n": args.n,
                    "rounds": args.rounds,
                    "raw": raw,
                    "pipeline": pipe,
                    "pipeline_over_raw_each_pair": ratios,
                    "dask": dsk,
                    "synth_per_s": synth_rate,
                    "score_per_s": score,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
