"""Dask engine: partitioned synthetic cohorts, training on a 2-worker LocalCluster, batch scoring."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netorigin.estimator import load_bundle
from netorigin.exceptions import InputError
from netorigin.training import synth_partitions
from netorigin.training._dask_partitions import parquet_parts

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def run(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "netorigin", *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )


def test_partitioned_synth_is_deterministic_whatever_the_workers(tmp_path):
    a = synth_partitions(6000, 3, tmp_path / "a", seed=5, workers=1)
    b = synth_partitions(6000, 3, tmp_path / "b", seed=5, workers=3)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    ids = pd.concat([pd.read_parquet(p) for p in a])["case_id"]
    assert ids.is_unique and len(ids) == 6000
    with pytest.raises(InputError, match="already holds"):
        synth_partitions(600, 3, tmp_path / "a", seed=5)
    with pytest.raises(InputError, match="no Parquet files"):
        parquet_parts(tmp_path / "nothing")


@pytest.fixture(scope="module")
def dask_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("dask")
    synth_partitions(8000, 4, work / "big", seed=11, workers=2)
    r = run(
        "train",
        "--data",
        "big/",
        "--engine",
        "dask",
        "--workers",
        "2",
        "--out",
        "bundle",
        "--bootstrap",
        "20",
        cwd=work,
    )
    assert r.returncode == 0, r.stderr
    return work


def test_dask_model_agrees_with_single_process_training(dask_run):
    from netorigin.training import train

    work = dask_run
    cohort = pd.concat([pd.read_parquet(p) for p in sorted((work / "big").glob("*.parquet"))], ignore_index=True)
    single = train(cohort, kind="xgboost", random_state=0, n_bootstrap=0, with_robustness=False, n_splits=3).model
    dmodel = load_bundle(work / "bundle")
    from netorigin.literature import make_synthetic_cohort

    held_out = make_synthetic_cohort(5000, random_state=99)
    y = held_out["primary_site"].astype(object).to_numpy()
    acc_d = (dmodel.predict(held_out, target_prior="training") == y).mean()
    acc_s = (single.predict(held_out, target_prior="training") == y).mean()
    assert abs(acc_d - acc_s) <= 0.01, (acc_d, acc_s)


def test_dask_bundle_scores_in_the_normal_cli_and_is_tracked(dask_run):
    import mlflow

    work = dask_run
    r = run("score", str(ROOT / "data/examples/example_case.yaml"), "--model", "bundle", "--json", cwd=work)
    assert r.returncode == 0, r.stderr
    mlflow.set_tracking_uri(f"sqlite:///{work / 'mlruns' / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["netorigin"])
    assert len(runs) == 1 and runs.iloc[0]["tags.netorigin.engine"] == "dask"
    assert runs.iloc[0]["tags.netorigin.bundle_hash"] == load_bundle(work / "bundle").identity_.bundle_hash


def test_dask_batch_scoring_matches_local_scoring(dask_run):
    import shutil

    work = dask_run
    (work / "some").mkdir()
    for p in sorted((work / "big").glob("*.parquet"))[:2]:  # two partitions are enough to compare
        shutil.copy(p, work / "some" / p.name)
    r = run("score", "some/", "-o", "scored/", "--engine", "dask", "--workers", "2", "--model", "bundle", cwd=work)
    assert r.returncode == 0, r.stderr
    assert len(list((work / "scored").glob("*.parquet"))) == 2
    first = sorted((work / "some").glob("*.parquet"))[0]
    r = run("score", str(first), "-o", "local.csv", "--model", "bundle", cwd=work)
    assert r.returncode == 0, r.stderr
    a = pd.read_parquet(work / "scored" / first.name)
    b = pd.read_csv(work / "local.csv")
    np.testing.assert_allclose(
        a[["p_ileal", "p_pancreatic", "p_other"]].to_numpy(),
        b[["p_ileal", "p_pancreatic", "p_other"]].to_numpy(),
        atol=1e-12,
    )


def test_dask_bundle_profile_is_built_from_the_training_rows(dask_run):
    """The Dask engine once built the training profile from the *test* rows; the profile must
    describe exactly the rows the booster was trained on (and equal the local computation)."""
    import json

    from netorigin.contract import as_canonical
    from netorigin.io import make_profile
    from netorigin.training._dask_fit import _fold

    work = dask_run
    cohort = as_canonical(
        pd.concat([pd.read_parquet(p) for p in sorted((work / "big").glob("*.parquet"))], ignore_index=True)
    )
    fold = _fold(cohort["case_id"])
    train_rows = cohort[fold >= 2].reset_index(drop=True)
    profile = json.loads((work / "bundle" / "training_profile.json").read_text())
    assert profile["n_cases"] == len(train_rows) and profile["n_cases"] != int((fold == 0).sum())
    assert profile == json.loads(json.dumps(make_profile(train_rows)))


def test_one_cohort_gets_the_same_labels_on_both_engines(tmp_path):
    """The rule that counts rare sub-sites is one function both engines call (choose_labels)."""
    from netorigin.literature import make_synthetic_cohort
    from netorigin.training import train

    cohort = make_synthetic_cohort(4000, scenario="liver-met-archive", random_state=3)
    detail = cohort["primary_site_detail"].astype(object).to_numpy().copy()
    jej = np.flatnonzero(detail == "jejunum")
    detail[jej[8:]] = "ileum"  # 8 jejunal cases: fewer than 20 whatever the split
    colon = np.flatnonzero(detail == "colon")
    detail[colon[8:]] = "lung"  # 8 colon cases: counted as "other" (organ unspecified), never with lung
    cohort["primary_site_detail"] = detail
    (tmp_path / "parts").mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(cohort)), 2)):
        cohort.iloc[part].to_parquet(tmp_path / "parts" / f"part-{i}.parquet", index=False)
    local = train(cohort, kind="xgboost", params={"n_estimators": 10}, n_bootstrap=0, with_robustness=False, n_splits=3)
    dask = train(
        tmp_path / "parts", engine="dask", params={"n_estimators": 10}, n_bootstrap=0, with_robustness=False, workers=1
    )
    assert list(local.model.labels_) == list(dask.model.labels_)
    assert "jejunum" not in local.model.labels_ and "colon" not in local.model.labels_
    assert "other" in local.model.labels_  # the colon cases' own label
    said = [n.message for n in dask.notices if "jejunum" in n.message]
    assert said and "with ileum (the same organ)" in said[0]
    assert dask.model.calibration_design_.startswith("10% hold-out")
    # both engines advise from the literature's cells fitted to their training cases (SiteModel._finish_fit)
    from netorigin.literature import default_literature

    lit = [r["value"] for r in default_literature().parameter_rows]
    for m in (local.model, dask.model):
        assert m.cells_.fitted is not None and [r["value"] for r in m.cells_.literature().parameter_rows] != lit
