"""Benchmark of scoring (prints figures; not a test).

1. One case from the command line: `netorigin score EXAMPLE` (human output with reasons, next
   tests and the best pair) against the floor, a bare script that imports xgboost, loads the same
   booster and predicts one row with contributions. Median of N runs each, interleaved (floor,
   ours, ours from source, ...) in one run, wall and CPU time. netorigin is timed byte-compiled
   (like the floor's packages, which pip compiled) and compiled from source at every start (an
   editable install where PYTHONDONTWRITEBYTECODE=1, as on this machine and in CI).
2. Batch: cases scored with reasons and the top next tests, rows per second, against raw
   xgboost `pred_contribs` on the same rows' feature matrix.

Run:  .venv/bin/python benchmarks/score_benchmark.py [--runs 7] [--batch 20000]
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path

from netorigin.io import default_model_path, example_case_path

FLOOR = """
import numpy as np, xgboost as xgb, json, sys
b = xgb.Booster(); b.load_model(sys.argv[1] + '/booster.ubj')
n = len(json.load(open(sys.argv[1] + '/features.json'))['feature_names'])
x = np.full((1, n), np.nan, dtype=np.float32); x[0, :5] = 1.0
print(b.predict(xgb.DMatrix(x, missing=np.nan), pred_contribs=True).sum())
"""


def timed(cmd, env=None) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--batch", type=int, default=20_000)
    args = ap.parse_args()
    bundle = str(default_model_path())
    netorigin = str(Path(sys.executable).with_name("netorigin"))
    floor_cmd = [sys.executable, "-c", FLOOR, bundle]
    ours_cmd = [netorigin, "score", str(example_case_path())]
    # The floor's packages are byte-compiled (pip compiles them when it installs them). An editable
    # netorigin on a machine with PYTHONDONTWRITEBYTECODE=1 (this one, and CI) is compiled from
    # source at every start; an installed one, or any machine that writes bytecode after the first
    # run, is not. Both are timed: like for like (byte-compiled), and from source.
    package = Path(import_module("netorigin").__file__).parent

    def compiled(on: bool) -> None:
        for d in package.rglob("__pycache__"):
            shutil.rmtree(d)
        if on:
            compileall.compile_dir(str(package), quiet=1)

    source_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    compiled(True)
    timed(floor_cmd), timed(ours_cmd)  # warm the file cache
    numpy_cmd = [sys.executable, "-c", "import numpy"]
    floor, ours, source, bare = [], [], [], []
    for _ in range(args.runs):
        bare.append(timed(numpy_cmd))
        floor.append(timed(floor_cmd))
        ours.append(timed(ours_cmd))
        compiled(False)
        source.append(timed(ours_cmd, env=source_env))
        compiled(True)
    fw, ow = statistics.median(f[0] for f in floor), statistics.median(o[0] for o in ours)
    fc, oc = statistics.median(f[1] for f in floor), statistics.median(o[1] for o in ours)
    sw, sc = statistics.median(o[0] for o in source), statistics.median(o[1] for o in source)
    nw = statistics.median(b[0] for b in bare)

    import numpy as np
    import xgboost as xgb

    from netorigin.contract import ValidatedCohort
    from netorigin.estimator import load_bundle
    from netorigin.inference import score_cohort
    from netorigin.literature import make_synthetic_cohort

    cohort = make_synthetic_cohort(args.batch, scenario="unknown-primary", random_state=3)
    model = load_bundle(bundle)
    X = model.forward(cohort, target_prior="training").inputs
    booster = model.estimator_[-1].estimator_.booster_
    t = time.perf_counter()
    booster.predict(xgb.DMatrix(X, missing=np.nan), pred_contribs=True)
    raw_s = time.perf_counter() - t
    t = time.perf_counter()
    score_cohort(model, ValidatedCohort(table=cohort))
    batch_s = time.perf_counter() - t

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"bundle {model.identity_.bundle_hash[:12]}"
    )
    print("| what | median wall time | median CPU time | runs | target |")
    print("|---|---|---|---|---|")
    print(
        f"| floor: import xgboost, load the booster, predict 1 row with contributions | {fw:.3f} s | {fc:.3f} s | "
        f"{args.runs} | |"
    )
    print(
        f"| `netorigin score` on the example case (reasons, next tests, best pair), byte-compiled | {ow:.3f} s | "
        f"{oc:.3f} s | {args.runs} | |"
    )
    print(f"| ratio to the floor | {ow / fw:.2f} x | {oc / fc:.2f} x | | wall <= 1.15 x |")
    print(f"| `python -c 'import numpy'` | {nw:.3f} s | | {args.runs} | |")
    print(f"| `netorigin score` over `import numpy` | {ow / nw:.2f} x | | | wall <= 4 x |")
    print(
        f"| the same, netorigin compiled from source at every start | {sw:.3f} s ({sw / fw:.2f} x) | "
        f"{sc:.3f} s ({sc / fc:.2f} x) | {args.runs} | |"
    )
    print(f"| raw `pred_contribs` on {args.batch:,} rows | {raw_s:.2f} s ({args.batch / raw_s:,.0f} rows/s) | | 1 | |")
    print(
        f"| `score_cohort` with reasons and next tests, {args.batch:,} rows | {batch_s:.2f} s "
        f"({args.batch / batch_s:,.0f} rows/s, {raw_s / batch_s:.2f} x raw) | | 1 | >= 0.8 x raw |"
    )


if __name__ == "__main__":
    main()
