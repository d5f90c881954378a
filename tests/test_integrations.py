"""MLflow tracking: one run per train/evaluate, a registered pyfunc model, and no patient rows."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netorigin.io import default_model_path, write_table
from netorigin.literature import make_synthetic_cohort

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    work = tmp_path_factory.mktemp("tracking")
    c = make_synthetic_cohort(1500, random_state=77, prefix="SECRET-PATIENT")
    c["treatment_note"] = [f"private-note-{i}" for i in range(len(c))]
    write_table(c, work / "cohort.csv")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "netorigin",
            "train",
            "--data",
            "cohort.csv",
            "--kind",
            "xgboost",
            "--out",
            "bundle",
            "--register",
            "netorigin-test",
            "--bootstrap",
            "20",
            "--bayes-scenario",
            "liver-met-archive",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    r2 = subprocess.run(
        [
            sys.executable,
            "-m",
            "netorigin",
            "evaluate",
            "--model",
            "models:/netorigin-test@champion",
            "--data",
            "cohort.csv",
            "--bootstrap",
            "20",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r2.returncode == 0, r2.stderr
    c["patient_id"] = [f"SECRET-PATIENT-P{i // 2}" for i in range(len(c))]  # two cases per patient
    write_table(c, work / "cohort-patients.csv")
    r3 = subprocess.run(
        [
            sys.executable,
            "-m",
            "netorigin",
            "compare",
            "models:/netorigin-test@champion",
            str(default_model_path()),
            "--data",
            "cohort-patients.csv",
            "--bootstrap",
            "100",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r3.returncode == 0, r3.stderr
    return work, c, r.stdout + r2.stdout + r3.stdout


def test_no_case_id_or_row_reaches_the_tracking_store(tracked):
    work, cohort, _ = tracked
    store = work / "mlruns"
    assert (store / "mlflow.db").is_file()
    blobs = [p.read_bytes() for p in store.rglob("*") if p.is_file()]
    assert blobs
    needles = ["SECRET-PATIENT", "private-note-"] + list(cohort["case_id"].iloc[:50]) + list(cohort["patient_id"][:50])
    for needle in needles:
        assert not any(needle.encode() in b for b in blobs), needle


def test_runs_params_metrics_plots_and_registered_model(tracked):
    import mlflow

    work, cohort, out = tracked
    mlflow.set_tracking_uri(f"sqlite:///{work / 'mlruns' / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["netorigin"])
    assert len(runs) == 3
    train = runs[runs["tags.netorigin.task"] == "train"].iloc[0]
    assert train["params.model.kind"] == "xgboost" and len(train["params.data.fingerprint"]) == 64
    assert float(train["metrics.test.calibrated.accuracy"]) > 0.7
    assert int(train["params.data.n_ileal"]) > 0
    arts = {a.path for a in mlflow.MlflowClient().list_artifacts(train["run_id"])}
    assert {
        "confusion_matrix.png",
        "reliability.png",
        "risk_coverage.png",
        "metrics.json",
        "shap_beeswarm_pancreatic.png",
    } <= arts
    assert "registered netorigin-test v1 @champion" in out


def test_the_record_is_one_mlflow_users_recognise(tracked):
    """Hyper-parameters as params, a dataset entry per input, per-fold metrics, a described model
    version, an evaluate run naming the version it evaluated, true durations, a training view."""
    import mlflow

    work, _, _ = tracked
    mlflow.set_tracking_uri(f"sqlite:///{work / 'mlruns' / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    exp = client.get_experiment_by_name("netorigin")
    assert exp.tags["mlflow.experimentKind"] == "custom_model_development"
    runs = mlflow.search_runs(experiment_names=["netorigin"], output_format="list")
    train = next(r for r in runs if r.data.tags["netorigin.task"] == "train")
    evaluate = next(r for r in runs if r.data.tags["netorigin.task"] == "evaluate")
    for p in ("model.max_depth", "model.n_estimators", "model.learning_rate", "model.subsample", "model.cv"):
        assert p in train.data.params, p
    assert train.info.run_name.startswith("train xgboost on file cohort.csv")
    assert train.data.params["model.calibration"] in (
        "none (uncalibrated)",
        "one temperature",
        "a temperature per label",
    )
    assert "held-out" in train.data.tags["netorigin.calibration"] and train.data.tags["netorigin.warnings"] == "none"
    assert "Trained xgboost" in train.data.tags["mlflow.note.content"]
    assert train.info.end_time - train.info.start_time > 2000  # the training's own duration, in ms
    history = client.get_metric_history(train.info.run_id, "cv.log_loss")
    assert len(history) >= 3 and sorted(m.step for m in history) == list(range(len(history)))
    inputs = train.inputs.dataset_inputs
    assert len(inputs) == 1 and inputs[0].dataset.digest == train.data.params["data.fingerprint"][:20]
    assert {t.key for t in inputs[0].tags} >= {"mlflow.data.context", "n_labelled", "ileal"}
    version = client.get_model_version("netorigin-test", 1)
    assert "Intended use" in version.description and "not a medical device" in version.description
    assert "Intended use" in client.get_registered_model("netorigin-test").description
    assert evaluate.data.params["model.uri"] == "models:/netorigin-test@champion"
    assert evaluate.data.params["model.registered_version"] == "1"
    assert evaluate.data.tags["netorigin.model_version"] == "1"
    assert evaluate.inputs.dataset_inputs[0].dataset.name.startswith("evaluation")


def test_a_comparison_is_one_run_naming_every_model_and_every_paired_difference(tracked):
    import mlflow

    work, cohort, out = tracked
    mlflow.set_tracking_uri(f"sqlite:///{work / 'mlruns' / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["netorigin"], output_format="list")
    compare = [r for r in runs if r.data.tags["netorigin.task"] == "compare"]
    assert len(compare) == 1
    p, m = compare[0].data.params, compare[0].data.metrics
    assert p["model.A.uri"] == "models:/netorigin-test@champion" and p["model.A.registered_version"] == "1"
    assert p["model.B.uri"] == str(default_model_path()) and p["model.B.kind"] == "xgboost"
    assert len(p["model.B.bundle_hash"]) == 64 and p["data.n_labelled"] == str(len(cohort))
    assert p["data.n_patients"] == str(len(cohort) // 2) and p["target_prior"] == "training mix of A"
    for key in ("all.log_loss", "site_ileal.accuracy", "fields_more_than_10.ece"):
        lo, d, hi = (m[f"B-A.{key}.{x}"] for x in ("ci_low", "difference", "ci_high"))
        assert lo <= d <= hi, key
    arts = {a.path for a in mlflow.MlflowClient().list_artifacts(compare[0].info.run_id)}
    assert {"comparison.csv", "comparison.md", "metrics.json"} <= arts
    assert "B minus A" in out and ("than A on" in out or "No clear difference between B and A" in out)


def test_a_score_pipeline_creates_a_run_without_case_ids(tmp_path):
    import mlflow

    config = (ROOT / "pipelines" / "seed_cohort.yaml").read_text()
    config = config.replace(" data/", f" {ROOT / 'data'}/")
    config = config.replace("benchmarks/results/seed_cohort.md", "seed_cohort.md")
    (tmp_path / "seed_cohort.yaml").write_text(config)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "netorigin",
            "run",
            "seed_cohort.yaml",
            "--tracking-uri",
            f"sqlite:///{tmp_path / 'store.db'}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "MLflow run" in r.stdout
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'store.db'}")
    runs = mlflow.search_runs(experiment_names=["netorigin"], output_format="list")
    assert len(runs) == 1 and runs[0].data.tags["netorigin.task"] == "score"
    assert runs[0].data.metrics["n_cases"] == 7
    seed = pd.read_csv(ROOT / "data" / "seed_cohort.csv")
    blobs = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".md")
    for cid in seed["case_id"].astype(str):
        assert cid.encode() not in blobs, f"case id {cid} reached the tracking store"


def test_the_pyfunc_takes_what_the_cli_takes_and_answers_what_a_clinician_reads(tracked):
    import mlflow

    work, _, _ = tracked
    mlflow.set_tracking_uri(f"sqlite:///{work / 'mlruns' / 'mlflow.db'}")
    model = mlflow.pyfunc.load_model("models:/netorigin-test@champion")
    # whole-number ages, a blank, an all-blank test column, "pos" spelt as people spell it
    x = pd.DataFrame(
        {
            "age_years": [55, 61, 70],
            "ihc_cdx2": ["pos", None, "negative"],
            "ihc_ttf1": [np.nan] * 3,
            "differentiation": ["well", "poor", None],
        }
    )
    p = model.predict(x)
    assert list(p["case_id"]) == ["row-1", "row-2", "row-3"]
    assert list(p["status"]) == ["scored", "not scored: outside the intended use (poorly differentiated)", "scored"]
    np.testing.assert_allclose(
        p.loc[[0, 2], ["p_ileal", "p_pancreatic", "p_other"]].to_numpy(dtype=float).sum(axis=1), 1.0
    )
    assert p.loc[0, "top_site"] == "ileal" and p.loc[0, "prediction_set"] and p.loc[0, "reasons"]
    assert p.loc[0, "next_test"] and len(p.loc[0, "model_bundle"]) == 64
    # the model was trained on a file (the seed of this test): it says so, and never "synthetic"
    assert p["notice"].str.contains("trained on file").all() and p["notice"].str.contains("not a medical device").all()
    assert not p["notice"].str.contains("synthetic").any()
    p = model.predict(x, params={"score_anyway": True, "coverage": 0.8, "target_prior": "population"})
    assert p.loc[1, "status"].startswith("scored outside") and (p["target_prior"] == "population").all()
    p = model.predict(pd.DataFrame({"ihc_cdx2": ["maybe"]}))  # a bad value is answered in its row
    assert "CDX2 (ihc_cdx2): 'maybe' is not one of positive" in p.loc[0, "status"] and np.isnan(p.loc[0, "p_ileal"])
    assert p["p_ileal"].dtype == np.float64
    with pytest.raises(mlflow.exceptions.MlflowException, match="more than once"):
        model.predict(pd.DataFrame([["a", "b"]], columns=["ihc_cdx2", "ihc_cdx2"]))


def documented_serve_command(name: str, port: int) -> str:
    """The ``mlflow models serve`` line of docs/mlflow.md, for model ``name`` on ``port``."""
    text = (ROOT / "docs" / "mlflow.md").read_text()
    blocks = [b.split("```")[0] for b in text.split("```bash\n")[1:]]
    (line,) = [x for b in blocks for x in b.splitlines() if "mlflow models serve" in x]
    assert "-p 5001" in line and "NAME" in line, line
    return line.replace("NAME", name).replace("-p 5001", f"-p {port}")


def test_mlflow_models_serve_answers_csv_and_json_requests(tracked):
    """`mlflow models serve` on a loopback port, as a hospital's IT would run it."""
    import json
    import os
    import socket
    import time
    import urllib.error
    import urllib.request

    work, _, _ = tracked
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # the command line of docs/mlflow.md, as it is written, from a folder with the environment in
    # .venv, with neither the environment's bin on PATH nor a tracking URI set
    (work / ".venv").unlink(missing_ok=True)
    (work / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != bin_dir)
    env = {**{k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}, "PATH": path}
    log = (work / "serve.log").open("w")
    proc = subprocess.Popen(  # its own process group: the shell, mlflow and the server it starts stop together
        ["bash", "-c", documented_serve_command("netorigin-test", port)],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def post(body: bytes, ctype: str):
        req = urllib.request.Request(base + "/invocations", data=body, headers={"Content-Type": ctype}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/ping", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (work / "serve.log").read_text()
                time.sleep(0.5)
        csv_body = b"case_id,age_years,ihc_cdx2,ihc_ttf1,mesenteric_mass\nA,55,positive,,yes\nB,61,negative,,\n"
        status, answer = post(csv_body, "text/csv")
        assert status == 200, answer
        rows = answer["predictions"]
        assert [r["case_id"] for r in rows] == ["A", "B"]
        assert rows[0]["top_site"] == "ileal" and rows[0]["prediction_set"] and rows[0]["reasons"]
        assert rows[0]["next_test"] and rows[0]["status"] == "scored"
        split = {
            "dataframe_split": {"columns": ["age_years", "ihc_cdx2"], "data": [[48, "pos"], [None, None]]},
            "params": {"coverage": 0.8},
        }
        status, answer = post(json.dumps(split).encode(), "application/json")
        assert status == 200, answer
        assert len(answer["predictions"]) == 2 and answer["predictions"][0]["prediction_set"]
        status, answer = post(b"case_id,ihc_cdx2\nA,maybe\n", "text/csv")
        assert status == 200 and "CDX2 (ihc_cdx2): 'maybe' is not one of positive" in answer["predictions"][0]["status"]
        # as docs/mlflow.md says: a bad value is a row not scored in a 200 answer, a bad parameter a 400
        status, answer = post(b"case_id,ihc_cdx2\nA,maybe\nB,positive\n", "text/csv")
        assert status == 200 and [r["status"][:25] for r in answer["predictions"]] == [
            "not scored: invalid input",
            "scored",
        ]
        bad_param = {"dataframe_records": [{"ihc_cdx2": "positive"}], "params": {"target_prior": "x"}}
        status, answer = post(json.dumps(bad_param).encode(), "application/json")
        assert status == 400 and "target prior: 'x'" in answer["message"], answer
        status, answer = post(b"case_id,ihc_cdx2\n007,maybe\n", "text/csv")  # read as written: 007
        assert status == 200 and answer["predictions"][0]["case_id"] == "007"
        assert answer["predictions"][0]["p_ileal"] is None  # not scored: null, never a bare NaN
        for body in (b"case_id,ihc_cdx2\nX1,positive,extra\nX2,negative\n", b"case_id,ihc_cdx2\nX1\nX2,negative\n"):
            status, answer = post(body, "text/csv")  # a long or a short row
            assert status == 400 and "do not have the header's 2 fields" in answer["message"]
        status, answer = post(b"case_id,ihc_cdx2\n", "text/csv")
        assert status == 400 and "Traceback" not in json.dumps(answer)
        _tricky_cases_read_as_the_command_line_reads_them(post, work)
    finally:
        import signal

        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _tricky_cases_read_as_the_command_line_reads_them(post, work):
    """Each tricky case of tests/test_one_reading.py, one per request, in every format: the served
    model answers what `netorigin score` answers with the same model (or refuses it, by name)."""
    import json

    from _one_reading_cases import BASE, MLFLOW_DOORS, REFUSED, TRICKY, csv_text, mlflow_request
    from click.testing import CliRunner

    from netorigin.cli import main

    for field, text, reading in TRICKY:
        case = {**BASE, field: text}
        (work / "case.csv").write_text(csv_text(case))
        cli = CliRunner().invoke(
            main, ["score", str(work / "case.csv"), "--as", "case", "--json", "--model", str(work / "bundle")]
        )
        assert cli.exit_code == (2 if reading is REFUSED else 0), cli.output
        for door in MLFLOW_DOORS:
            body, content_type = mlflow_request(door, case)
            status, answer = post(body.encode(), content_type)
            where = (field, text, door)
            if reading is REFUSED:
                said = answer["message"] if status == 400 else answer["predictions"][0]["status"]
                assert status == 400 or said.startswith("not scored: invalid input"), (where, answer)
                assert field in said, (where, said)
                continue
            assert status == 200 and answer["predictions"][0]["status"] == "scored", (where, answer)
            want = json.loads(cli.stdout)["probabilities"]
            got = answer["predictions"][0]
            assert all(abs(got[f"p_{s}"] - want[s]) < 1e-12 for s in want), (where, got, want)


def test_two_trainings_logging_to_one_store_at_once_both_complete(tmp_path):
    import mlflow

    c = make_synthetic_cohort(1200, random_state=5)
    write_table(c, tmp_path / "c.csv")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "netorigin",
                "train",
                "--data",
                "c.csv",
                "--model",
                kind,
                "--out",
                f"b-{kind}",
                "--register",
                f"m-{kind}",
                "--bootstrap",
                "10",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for kind in ("logistic", "rules")
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["netorigin"])
    assert len(runs) == 2 and (runs["status"] == "FINISHED").all()
    assert sorted(runs["params.model.kind"]) == ["logistic", "rules"]
    for kind in ("logistic", "rules"):
        assert str(mlflow.MlflowClient().get_model_version_by_alias(f"m-{kind}", "champion").version) == "1"
