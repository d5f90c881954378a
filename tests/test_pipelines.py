"""Pipeline configs: validated, run, and the shipped ones reproduce the shipped model."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from netorigin.app import run_task
from netorigin.app._tasks import load_config
from netorigin.estimator import load_bundle
from netorigin.exceptions import InputError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["default_model", "benchmark", "seed_cohort"])
def test_shipped_configs_are_valid(name):
    cfg, _ = load_config(ROOT / "pipelines" / f"{name}.yaml")
    assert isinstance(cfg["version"], int) and cfg["version"] >= 1


def test_unknown_settings_are_named(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("task: train\nmodle: {kind: xgboost}\n")
    with pytest.raises(InputError, match="unknown setting\\(s\\) modle"):
        load_config(p)
    p.write_text("task: fly\n")
    with pytest.raises(InputError, match="task: 'fly'"):
        load_config(p)


def test_score_pipeline_reports_the_seed_cohort_with_model_identity(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    cfg = tmp_path / "s.yaml"
    cfg.write_text(
        f"task: score\nname: seed\ndata: {{path: data/seed_cohort.csv}}\nmodel: data/models/default\n"
        f"target_prior: unknown-primary\noutput: {tmp_path / 'seed.md'}\n"
    )
    out = run_task(cfg, track=False)
    text = (tmp_path / "seed.md").read_text()
    assert "seed-7" in text and "research use only" in text.lower()
    assert len(out["table"]) == 7 and {"p_ileal", "p_pancreatic", "p_other"} <= set(out["table"].columns)
    assert load_bundle(ROOT / "data" / "models" / "default").identity_.bundle_hash[:12] in text
    # the terminal shows the table as written: "[assumed figures]" is text, not rich's markup
    r = subprocess.run(
        [sys.executable, "-m", "netorigin", "run", str(cfg), "--no-track"], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    assert "[assumed figures]" in text and r.stdout.count("[assumed figures]") == text.count("[assumed figures]")


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("NETORIGIN_REBUILD") != "1",
    reason="rebuilds the shipped model (about 7 minutes on 2 cores): NETORIGIN_REBUILD=1 runs it",
)
def test_default_model_pipeline_reproduces_the_shipped_bundle(tmp_path):
    cfg = (ROOT / "pipelines" / "default_model.yaml").read_text()
    cfg = cfg.replace("output: data/models/default", f"output: {tmp_path / 'rebuilt'}")
    (tmp_path / "p.yaml").write_text(cfg)
    r = subprocess.run(
        [sys.executable, "-m", "netorigin", "run", str(tmp_path / "p.yaml"), "--no-track"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert r.returncode == 0, r.stderr
    shipped, rebuilt = load_bundle(ROOT / "data/models/default"), load_bundle(tmp_path / "rebuilt")
    from netorigin.literature import make_synthetic_cohort

    cases = make_synthetic_cohort(500, random_state=5)
    np.testing.assert_allclose(rebuilt.predict_proba(cases), shipped.predict_proba(cases), atol=1e-6)
    _same_bundle_files(tmp_path / "rebuilt", ROOT / "data/models/default")
    man = json.loads((tmp_path / "rebuilt" / "manifest.json").read_text())
    assert man["training_data"]["description"].startswith("synthetic, scenario training-mix, n=80000")
    assert man["labels"][:3] == ["ileum", "jejunum", "pancreas"] and "caecum" in man["labels"]


def _same_bundle_files(rebuilt, shipped) -> None:
    """Every file of a rebuilt bundle is the shipped one's: binary files (the booster) byte for byte,
    numbers in JSON, CSV and .npy files to the cross-machine tolerance (the same bytes, and so the
    same bundle hash, on the machine that built it; calibration temperatures and fitted cells differ
    by about 1e-12 on another CPU or NumPy build), words exactly."""
    import csv

    from netorigin.testing import CROSS_MACHINE_RTOL, assert_same_answers

    names = sorted(p.relative_to(shipped).as_posix() for p in shipped.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(rebuilt).as_posix() for p in rebuilt.rglob("*") if p.is_file())
    for name in names:
        a, b = (rebuilt / name).read_bytes(), (shipped / name).read_bytes()
        if a == b or name == "manifest.json":  # the manifest holds the files' hashes
            continue
        if name.endswith(".json"):
            assert_same_answers(json.loads(a), json.loads(b), exact=False, where=name)
        elif name.endswith(".csv"):
            ra, rb = (list(csv.reader(x.decode().splitlines())) for x in (a, b))
            assert len(ra) == len(rb), name
            for x, y in zip(ra, rb):
                assert_same_answers([_num(v) for v in x], [_num(v) for v in y], exact=False, where=name)
        elif name.endswith(".npy"):
            x, y = np.load(rebuilt / name, allow_pickle=False), np.load(shipped / name, allow_pickle=False)
            rtol = CROSS_MACHINE_RTOL if x.dtype == np.float64 else float(np.finfo(x.dtype).eps)
            np.testing.assert_allclose(x, y, rtol=rtol, atol=0, err_msg=name)
        else:
            raise AssertionError(f"{name}: the rebuilt bytes differ")
    man_a, man_b = (json.loads((d / "manifest.json").read_text()) for d in (rebuilt, shipped))
    drop = ("bundle_hash", "files", "created")
    assert_same_answers(
        {k: v for k, v in man_a.items() if k not in drop},
        {k: v for k, v in man_b.items() if k not in drop},
        exact=False,
        where="manifest",
    )


def _num(v: str):
    try:
        return float(v)
    except ValueError:
        return v


@pytest.mark.parametrize(
    "text, message",
    [
        ("task: [train]\n", "task: \\['train'\\] is not one of"),
        ("task: train\nmodel: 3\n", "model: 3 is not a model kind's name, or a mapping of kind, random_state"),
        ("task: train\ndata: {synthetic: {n: lots}}\n", "data.synthetic.n: 'lots' is not a whole number"),
        ("task: train\ncv: three\n", "cv: 'three' is not a whole number"),
        ("task: train\ncv: 3.0\n", "cv: 3.0 is not a whole number"),
        ("task: train\nn_bootstrap: true\n", "n_bootstrap: True is not a whole number"),
        ("task: train\nmodel: {kind: xgboost, speed: 11}\n", "model: unknown setting\\(s\\) speed; expected kind"),
        ("task: benchmark\nmodels: [xgboost, 3]\n", "models\\[1\\]: 3 is not text"),
        ("task: score\ndata: {mapping: m.yaml}\n", "data: give either path: FILE"),
        ("task: train\ndata: {synthetic: {n: 5, structure: mixed}}\n", "data.synthetic: structure: 'mixed' needs"),
        ("task: train\ndata: {synthetic: {n: 5, wrlds: 3}}\n", "data.synthetic: unknown setting\\(s\\) wrlds"),
        ("task: score\ndata: {synthetic: {}}\n", "data.synthetic.n: missing"),
    ],
)
def test_config_values_of_the_wrong_type_are_named(tmp_path, text, message):
    from _helpers import run

    p = tmp_path / "x.yaml"
    p.write_text(text)
    with pytest.raises(InputError, match=message):
        load_config(p)
    r = run("run", p, "--no-track")  # the same words from the command line, exit code 2, no traceback
    assert r.returncode == 2 and "Traceback" not in r.stderr and re.search(message, " ".join(r.stderr.split()))


def test_a_model_kind_as_a_string_and_unknown_hyper_parameters(tmp_path):
    from netorigin.models import make_model

    with pytest.raises(InputError, match="max_dept is not a hyper-parameter of the xgboost kind"):
        make_model("xgboost", max_dept=3)
    p = tmp_path / "x.yaml"
    p.write_text(
        "task: train\nmodel: rules\ndata: {synthetic: {n: 600, seed: 2}}\nn_bootstrap: 0\n"
        f"output: {tmp_path / 'b'}\n"
    )
    out = run_task(p, track=False)
    assert out["result"].model.kind == "rules"


@pytest.mark.slow
def test_the_shipped_model_is_what_its_pipeline_describes_and_the_pipeline_is_deterministic(tmp_path):
    """The fast stand-in for the full rebuild (NETORIGIN_REBUILD=1): the shipped manifest names the
    pipeline's data, and the same pipeline on fewer cases gives the same bundle twice."""
    man = json.loads((ROOT / "data" / "models" / "default" / "manifest.json").read_text())
    assert man["training_data"]["description"] == (
        "synthetic, scenario training-mix, n=80000, seed=1, 400 plausible worlds (structure: mixed), work-up mixture"
    )
    cfg = (ROOT / "pipelines" / "default_model.yaml").read_text().replace("n: 80000", "n: 1500")
    hashes = []
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(cfg.replace("output: data/models/default", f"output: {tmp_path / name}"))
        out = run_task(tmp_path / f"{name}.yaml", track=False)
        hashes.append(out["bundle_hash"])
    assert hashes[0] == hashes[1]


def test_the_benchmark_pipeline_runs_every_kind_it_says_it_runs():
    from netorigin.models import MODEL_KINDS

    text = (ROOT / "pipelines" / "benchmark.yaml").read_text()
    cfg, _ = load_config(ROOT / "pipelines" / "benchmark.yaml")
    assert "every model kind" in text.lower() and set(cfg.get("models", MODEL_KINDS)) == set(MODEL_KINDS)
    results = (ROOT / "benchmarks" / "results" / "benchmark.md").read_text()
    for kind in MODEL_KINDS:
        assert f"| {kind} |" in results, f"benchmarks/results/benchmark.md has no row of {kind}: rerun the pipeline"


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "task: train\ndata: {synthetic: {n: 1000000000000}}\n",
            r"data.synthetic.n: 1000000000000 is not from 1 to 5,000,000",
        ),
        ("task: train\ndata: {synthetic: {n: 500, worlds: 100000000}}\n", r"data.synthetic.worlds: .* to 10,000"),
        ("task: train\nn_bootstrap: 1000000000\n", r"n_bootstrap: 1000000000 is not from 0 to 10,000"),
        ("task: train\ncv: 1000000000\n", r"cv: 1000000000 is not from 2 to 20"),
        ("task: benchmark\ntrain_n: 1000000000000\n", r"train_n: .* to 5,000,000"),
        ("task: score\ncoverage: 5\n", r"coverage: 5 is not from 0.5 to 0.99"),
        ("task: train\nmodel: {kind: xgboost, random_state: -4}\n", r"model.random_state: -4"),
    ],
)
def test_numbers_beyond_what_a_pipeline_can_do_are_refused_when_it_is_read(tmp_path, text, message):
    """Refused by name and range before any work (a cohort of 10^12 cases was a traceback after
    trying to allocate 7 TB), exit code 2 from the command line."""
    from _helpers import run

    p = tmp_path / "x.yaml"
    p.write_text(text)
    with pytest.raises(InputError, match=message):
        load_config(p)
    r = run("run", p, "--no-track")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr


def test_the_pipeline_page_is_generated_from_the_config_models():
    from netorigin.app import pipeline_markdown

    assert pipeline_markdown() in (ROOT / "docs" / "pipelines.md").read_text(), (
        "regenerate the tables of docs/pipelines.md: netorigin schema --of pipeline"
    )


@pytest.mark.parametrize(
    "text, valid",
    [
        *[
            ((ROOT / "pipelines" / f"{n}.yaml").read_text(), True)
            for n in ("default_model", "benchmark", "seed_cohort")
        ],
        ("task: train\nmodel: rules\ndata: {synthetic: {n: 600, seed: 2}}\n", True),
        ("task: train\nmodle: {kind: xgboost}\n", False),
        ("task: train\ncv: three\n", False),
        ("task: benchmark\ntrain_n: 0\n", False),
        ("task: score\ndata: {synthetic: {n: 5, wrlds: 3}}\n", False),
        ("task: fly\n", False),
    ],
)
def test_the_json_schema_admits_what_netorigin_run_admits(tmp_path, text, valid):
    """The JSON Schema (netorigin schema --of pipeline --format json-schema) is the config models':
    a config it admits is read, one it refuses is refused by netorigin run too."""
    import yaml

    jsonschema = pytest.importorskip("jsonschema")
    from netorigin.app import pipeline_json_schema

    validator = jsonschema.Draft202012Validator(pipeline_json_schema())
    assert validator.is_valid(yaml.safe_load(text)) is valid
    p = tmp_path / "x.yaml"
    p.write_text(text)
    if valid:
        load_config(p)
    else:
        with pytest.raises(InputError):
            load_config(p)
