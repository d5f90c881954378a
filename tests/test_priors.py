"""Custom deployment priors at their edges, end to end (command line, report, web API, MLflow
answer, evaluation): a huge ratio is computed, not divided by zero; a share of 0 rules a site out
(no probability, never in a set, no sentence about its cases, reasons over the sites left)."""

import json
import re

import numpy as np
import pytest
from _helpers import run

from netorigin import validate_case
from netorigin.contract import SITES
from netorigin.inference import case_report, score_cases, why_header
from netorigin.io import default_model_path, example_case_path
from netorigin.literature import make_synthetic_cohort

pytestmark = pytest.mark.installed

HUGE = ("1e300,1,1", "1e-300,1,1", "1,1e300,1", "1e150,1e-150,1")
CASES = (
    {"ihc_cdx2": "positive", "mesenteric_mass": "yes", "urine_5hiaa": "elevated"},
    {"ihc_isl1": "positive", "ihc_pdx1": "positive", "ki67_percent": 12},
    {"ihc_ttf1": "positive"},
    {"age_years": 60},
)


@pytest.mark.parametrize("prior", HUGE)
def test_a_huge_ratio_scores_every_output_without_a_traceback(prior):
    r = run("score", example_case_path(), "--target-prior", prior, "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert sum(rep["probabilities"].values()) == pytest.approx(1)
    assert rep["prediction_set"] and max(rep["probabilities"], key=rep["probabilities"].get) in rep["prediction_set"]
    r = run("score", example_case_path(), "--target-prior", prior)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("prior", ["1e200,1e-200,1", "1,5e-324,1"])
def test_a_share_too_small_to_compute_with_is_refused_by_name(prior):
    r = run("score", example_case_path(), "--target-prior", prior)
    assert r.returncode == 2 and "give it 0 to rule the site out" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "prior, allowed", [("1,0,0", ["ileal"]), ("1,1,0", ["ileal", "pancreatic"]), ("0,1,3", ["pancreatic", "other"])]
)
@pytest.mark.parametrize("fields", CASES)
def test_a_site_the_setting_rules_out_gets_nothing_and_is_never_said(default_model, prior, allowed, fields):
    out = [s for s in SITES if s not in allowed]
    rep = case_report(score_cases(default_model, validate_case(fields).table, target_prior=prior), 0)
    assert all(rep["probabilities"][s] == 0 for s in out)
    assert sum(rep["probabilities"].values()) == pytest.approx(1)
    assert rep["prediction_set"] and not set(rep["prediction_set"]) & set(out)
    # no sentence about the cases of a site the setting rules out, but the setting says so
    for s in out:
        assert f"cases whose primary was {s}" not in rep["set_meaning"] and f"{s} (" not in rep["set_meaning"]
    assert "The setting rules out" in rep["set_meaning"] and "the setting allows" in rep["set_meaning"]
    assert any(w.startswith(f"the setting ({prior}) rules out") for w in rep["warnings"])
    assert not any(w.startswith("the answer is close to what the setting alone gives") for w in rep["warnings"])
    # reasons over the sites left: what they add up to is the score behind the probability shown
    e = rep["explanation"]
    assert all(e[part][s] == 0 for part in ("total", "baseline", "calibration", "prior") for s in out)
    top = max(rep["probabilities"], key=rep["probabilities"].get)
    logs = np.log([rep["probabilities"][s] for s in allowed])
    assert e["total"][top] == pytest.approx(float(np.log(rep["probabilities"][top]) - logs.mean()), abs=1e-6)
    total = sum(r["term"] for r in rep["reasons"])
    header = why_header(rep)
    if len(allowed) == 1:
        assert header == f"the setting allows only {allowed[0]}" and total == 0
        assert [r["field"] for r in rep["reasons"]] == ["deployment_prior"]
    else:
        assert abs(total - e["total"][top]) < 1e-3 and abs(total) < 60
        shown = float(re.search(r"add up to ([+-]\d+\.\d)", header).group(1))
        assert abs(shown - e["total"][top]) <= 0.05 + 1e-9 and " and ".join(allowed) in header


def test_the_page_for_a_setting_that_rules_sites_out(tmp_path):
    r = run("score", example_case_path(), "--target-prior", "1,0,0", "--report", tmp_path / "r.html")
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "r.html").read_text()
    assert "rules out pancreatic and other" in text and "add up to +460" not in r.stdout
    assert "Total for ileal" not in text  # no total of points where there are none to weigh
    assert "why (the setting allows only ileal)" in r.stdout


def test_the_web_api_and_a_server_started_with_such_a_prior_answer(default_model):
    pytest.importorskip("httpx2")
    from starlette.testclient import TestClient

    from netorigin.app._serve import create_app

    case = {"ihc_cdx2": "positive"}
    client = TestClient(create_app(default_model), raise_server_exceptions=False)
    for prior in (*HUGE, "1,0,0", "0,0,1"):
        r = client.post("/api/score", json={"case": case, "target_prior": prior})
        assert r.status_code == 200, (prior, r.text)
    started = TestClient(create_app(default_model, target_prior="1e300,1,1"), raise_server_exceptions=False)
    for _ in range(2):  # and not only the first request
        r = started.post("/api/score", json=case)
        assert r.status_code == 200 and r.json()["target_prior"] == "1e300,1,1", r.text


def test_the_mlflow_answer_scores_such_a_prior_in_every_row(default_model):
    pytest.importorskip("mlflow")
    import pandas as pd

    from netorigin.training._pyfunc_model import answer, request_table

    table = request_table(pd.DataFrame({"case_id": ["a", "b"], "ihc_cdx2": ["positive", "negative"]}))
    for prior in (*HUGE, "1,0,0"):
        out = answer(default_model, table, {"target_prior": prior})
        assert list(out["status"]) == ["scored", "scored"], (prior, out["status"].tolist())
        assert "Traceback" not in json.dumps(out.to_dict(orient="records"), allow_nan=False)


@pytest.mark.parametrize("prior", ["1e300,1,1", "1,0,0", "0,1,1"])
def test_evaluate_under_such_a_prior(tmp_path, prior):
    make_synthetic_cohort(300, random_state=5).to_csv(tmp_path / "c.csv", index=False)
    r = run(
        "evaluate",
        "--model",
        default_model_path(),
        "--data",
        tmp_path / "c.csv",
        "--target-prior",
        prior,
        "--no-track",
        "--json",
        "--bootstrap",
        "10",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert np.isfinite(out["calibrated"]["log_loss"]) and 0 <= out["conformal"]["0.90"]["coverage"] <= 1


def test_a_saved_training_mix_is_read_back_bit_for_bit_and_one_that_does_not_add_up_is_refused():
    """Normalising a mix that was already normalised can move its last bits (a sum of floats is not
    exactly 1), and with them every probability under another setting: a bundle's mix is taken as
    written (tests/test_bundle.py compares a saved model's answers bit for bit)."""
    from netorigin.estimator._prior import PriorShift
    from netorigin.exceptions import InputError

    labels = ["ileal", "pancreatic", "other"]
    y = np.random.default_rng(0).integers(0, 3, size=1499)
    fitted = PriorShift("population").fit(y, labels=labels)
    again = PriorShift.fitted("population", labels=labels, train_prior=fitted.train_prior_.tolist())
    np.testing.assert_array_equal(again.train_prior_, fitted.train_prior_)
    np.testing.assert_array_equal(again.weights(), fitted.weights())
    with pytest.raises(InputError, match="must add up to 1"):
        PriorShift.fitted("training", labels=labels, train_prior=[0.5, 0.3, 0.3])
    with pytest.raises(InputError, match="one positive number per label"):
        PriorShift.fitted("training", labels=labels, train_prior=[1.0, 0.0, 0.0])
