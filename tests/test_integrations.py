"""MLflow tracking: one run per train/evaluate, a registered pyfunc model, and no patient rows."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netorigin.io import write_table
from netorigin.synth import make_synthetic_cohort

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    work = tmp_path_factory.mktemp("tracking")
    c = make_synthetic_cohort(1500, random_state=77, prefix="SECRET-PATIENT")
    c["treatment_note"] = [f"private-note-{i}" for i in range(len(c))]
    write_table(c, work / "cohort.csv")
    r = subprocess.run([sys.executable, "-m", "netorigin", "train", "--data", "cohort.csv", "--kind", "xgboost",
                        "--out", "bundle", "--register", "netorigin-test", "--bootstrap", "20",
                        "--bayes-scenario", "liver-met-archive"],
                       cwd=work, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    r2 = subprocess.run([sys.executable, "-m", "netorigin", "evaluate", "--model", "models:/netorigin-test@champion",
                         "--data", "cohort.csv", "--bootstrap", "20"], cwd=work, capture_output=True, text=True, timeout=600)
    assert r2.returncode == 0, r2.stderr
    return work, c, r.stdout + r2.stdout


def test_no_case_id_or_row_reaches_the_tracking_store(tracked):
    work, cohort, _ = tracked
    store = work / "mlruns"
    assert (store / "mlflow.db").is_file()
    blobs = [p.read_bytes() for p in store.rglob("*") if p.is_file()]
    assert blobs
    for needle in ["SECRET-PATIENT", "private-note-"] + list(cohort["case_id"].iloc[:50]):
        assert not any(needle.encode() in b for b in blobs), needle


def test_runs_params_metrics_plots_and_registered_model(tracked):
    import mlflow

    work, cohort, out = tracked
    mlflow.set_tracking_uri(f"sqlite:///{work / 'mlruns' / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["netorigin"])
    assert len(runs) == 2
    train = runs[runs["tags.netorigin.task"] == "train"].iloc[0]
    assert train["params.model.kind"] == "xgboost" and len(train["params.data.fingerprint"]) == 64
    assert float(train["metrics.test.calibrated.accuracy"]) > 0.7
    assert int(train["params.data.n_ileal"]) > 0
    arts = {a.path for a in mlflow.MlflowClient().list_artifacts(train["run_id"])}
    assert {"confusion_matrix.png", "reliability.png", "risk_coverage.png", "metrics.json",
            "shap_beeswarm_pancreatic.png"} <= arts
    model = mlflow.pyfunc.load_model("models:/netorigin-test@champion")
    x = pd.DataFrame({"ihc_cdx2": ["positive", None], "age_years": [55.0, None]})
    p = model.predict(x)
    assert list(p.columns) == ["ileal", "pancreatic", "other"]
    np.testing.assert_allclose(p.to_numpy().sum(axis=1), 1.0)
    assert "registered netorigin-test v1 @champion" in out


def test_two_trainings_logging_to_one_store_at_once_both_complete(tmp_path):
    import mlflow

    c = make_synthetic_cohort(1200, random_state=5)
    write_table(c, tmp_path / "c.csv")
    procs = [subprocess.Popen([sys.executable, "-m", "netorigin", "train", "--data", "c.csv", "--model", kind,
                               "--out", f"b-{kind}", "--register", f"m-{kind}", "--bootstrap", "10"],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for kind in ("logistic", "rules")]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["netorigin"])
    assert len(runs) == 2 and (runs["status"] == "FINISHED").all()
    assert sorted(runs["params.model.kind"]) == ["logistic", "rules"]
    for kind in ("logistic", "rules"):
        assert str(mlflow.MlflowClient().get_model_version_by_alias(f"m-{kind}", "champion").version) == "1"
