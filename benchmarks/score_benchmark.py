"""Benchmark of scoring (prints figures; not a test).

1. One case from the command line: `netorigin score data/examples/example_case.yaml` (human
   output with reasons and next tests) against the floor, a bare script that imports xgboost,
   loads the same booster and predicts one row with contributions. Median of N runs each,
   in the same environment (nothing hidden from either).
2. Batch: 100,000 synthetic cases scored with reasons and the top next test.

Run:  .venv/bin/python benchmarks/score_benchmark.py [--runs 7] [--batch 100000]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = """
import numpy as np, xgboost as xgb, json
b = xgb.Booster(); b.load_model('data/models/default/booster.ubj')
n = len(json.load(open('data/models/default/features.json'))['feature_names'])
x = np.full((1, n), np.nan); x[0, :5] = 1.0
print(b.predict(xgb.DMatrix(x, missing=np.nan), pred_contribs=True).sum())
"""


def timed(cmd) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--batch", type=int, default=100_000)
    args = ap.parse_args()
    netorigin = str(Path(sys.executable).with_name("netorigin"))
    timed([sys.executable, "-c", FLOOR])  # warm the file cache
    floor = [timed([sys.executable, "-c", FLOOR]) for _ in range(args.runs)]
    ours = [timed([netorigin, "score", "data/examples/example_case.yaml"]) for _ in range(args.runs)]
    f, o = statistics.median(floor), statistics.median(ours)

    from netorigin.bundle import load_bundle
    from netorigin.inference import batch_table, score_cases
    from netorigin.synth import make_synthetic_cohort

    cohort = make_synthetic_cohort(args.batch, scenario="unknown-primary", random_state=3)
    model = load_bundle(ROOT / "data" / "models" / "default")
    t = time.perf_counter()
    parts = []
    for start in range(0, len(cohort), 10_000):
        part = cohort.iloc[start:start + 10_000].reset_index(drop=True)
        parts.append(batch_table(score_cases(model, part)))
    batch_s = time.perf_counter() - t

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| what | median wall time | runs | target |")
    print("|---|---|---|---|")
    print(f"| floor: import xgboost, load booster, predict 1 row with contributions | {f:.3f} s | {args.runs} | |")
    print(f"| `netorigin score data/examples/example_case.yaml` | {o:.3f} s | {args.runs} | <= 1.3 x floor |")
    print(f"| ratio | {o / f:.2f} x | | <= 1.3 |")
    print(f"| batch: {args.batch:,} cases with reasons and next test | {batch_s:.1f} s "
          f"({args.batch / batch_s:,.0f} cases/s) | 1 | <= 60 s |")


if __name__ == "__main__":
    main()
