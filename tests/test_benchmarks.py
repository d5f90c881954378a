"""Every benchmark runs at a tiny size and prints its figures (slow tier): a benchmark that no
longer imports or runs is caught here, not when someone needs its figures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CASES = {
    "advice": ["--n", "60"],
    "learning": ["--tiny"],
    "sets": ["--n", "300"],
    "sparse": ["--n", "300"],
    "trust": ["--n", "600"],
    "synth": ["--n", "2000"],
    "score": ["--runs", "1", "--batch", "200"],
    "dask": ["--n", "3000", "--rounds", "3", "--repeat", "1"],
    "serve": ["--requests", "40", "--clients", "2", "--soak", "1"],
}


def test_every_benchmark_is_covered():
    assert {p.stem.removesuffix("_benchmark") for p in (ROOT / "benchmarks").glob("*_benchmark.py")} == set(CASES)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_benchmark_runs_at_a_tiny_size(name, tmp_path):
    args = list(CASES[name])
    script = ROOT / "benchmarks" / f"{name}_benchmark.py"
    if "--out" in script.read_text():
        args += ["--out", str(tmp_path / name)]
    if "--json" in script.read_text():
        args += ["--json", str(tmp_path / f"{name}.json")]
    r = subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert re.search(r"\d\.\d", r.stdout), r.stdout[-2000:]  # it printed figures
    written = list(tmp_path.glob(f"{name}*.json"))
    for f in written:
        json.loads(f.read_text())
    if name == "learning":
        out = json.loads((tmp_path / "learning.json").read_text())
        models = {r["model"] for r in out["rows"]}
        assert models == {"literature-only", "cohort-only", "latent-class"}
        assert all(abs(r["log_loss"] - r["exact"]["log_loss"] - r["log_loss_gap"]) < 1e-9 for r in out["rows"])


@pytest.mark.slow
def test_the_sets_benchmark_measures_a_structured_world_against_its_own_exact_posterior(tmp_path):
    script = ROOT / "benchmarks" / "sets_benchmark.py"
    r = subprocess.run(
        [sys.executable, str(script), "--n", "300", "--structure", "subtypes", "--out", str(tmp_path / "s")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads((tmp_path / "s.json").read_text())
    assert out["structure"] == "subtypes" and len({p["world"] for p in out["priors"].values()}) == len(out["priors"])
    assert "worlds of subtypes structure" in r.stdout and "(world 900001)" in r.stdout
