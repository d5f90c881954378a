"""The next test to order: coherent, exact under the cell model, respectful of the lab's table."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from netorigin.bundle import load_bundle
from netorigin.contract import SITES, validate_case, validate_cohort
from netorigin.datasets import default_model_path, example_case_path
from netorigin.inference import exact_next_tests, next_tests, score_cases, value_of_tests
from netorigin.literature import bayes_posterior, cell_posterior, default_literature
from netorigin.synth import make_synthetic_cohort

pytestmark = pytest.mark.installed


@pytest.fixture(scope="module")
def model():
    return load_bundle(default_model_path())


def _entropy(p):
    p = np.asarray(p, dtype=float)
    return float(-(p[p > 0] * np.log2(p[p > 0])).sum())


def test_json_lists_each_result_and_they_average_back_to_the_current_probabilities():
    r = subprocess.run(
        [sys.executable, "-m", "netorigin", "score", str(example_case_path()), "--json", "--panel", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    now = np.array([rep["probabilities"][s] for s in SITES])
    entries = rep["next_tests"] + rep["next_panels"]
    assert 1 <= len(rep["next_tests"]) <= 3
    assert len(rep["next_panels"]) == 1 and len(rep["next_panels"][0]["tests"]) == 2
    for d in entries:
        assert {"expected_information_gain_bits", "chance_top_site_changes", "results", "cost"} <= set(d)
        back = sum(x["probability"] * np.array([x["probabilities"][s] for s in SITES]) for x in d["results"])
        np.testing.assert_allclose(back, now, atol=1e-6)
        assert sum(x["probability"] for x in d["results"]) == pytest.approx(1, abs=1e-9)
        assert d["expected_information_gain_bits"] >= -1e-12


def test_the_value_of_a_test_is_exact_under_the_generators_own_posterior():
    """Independent check: the oracle's expected information equals H(now) - sum_r P(r) H(posterior
    with the result written into the case), with the posterior from literature.bayes_posterior."""
    kb = default_literature()
    cases = validate_cohort(
        pd.DataFrame(
            {"case_id": ["a", "b"], "ihc_cdx2": ["negative", "positive"], "age_years": [55, 62], "grade": ["G2", "G1"]}
        )
    ).table
    scenario = "population"
    adv = exact_next_tests(cases, scenario, top=99)
    p_cell = cell_posterior(kb.model, cases, kb.weights(scenario))
    for i in range(len(cases)):
        for d in adv[i]:
            if d["test"] not in ("ihc_satb2", "ihc_isl1", "alt_status"):
                continue
            now = bayes_posterior(cases.iloc[[i]], scenario=scenario).to_numpy()[0]
            expected = _entropy(now)
            recorded = {k: v for k, v in cases.iloc[i].items() if k != "case_id" and pd.notna(v)}
            for x in d["results"]:
                after = bayes_posterior(
                    validate_case({**recorded, d["test"]: x["result"]}).table, scenario=scenario
                ).to_numpy()[0]
                np.testing.assert_allclose([x["probabilities"][s] for s in SITES], after, atol=1e-9)
                expected -= x["probability"] * _entropy(after)
            assert d["expected_information_gain_bits"] == pytest.approx(expected, abs=1e-9)
        assert p_cell[i].sum() == pytest.approx(1)


def test_the_tool_agrees_with_the_exact_best_test_on_most_cases(model):
    cases = make_synthetic_cohort(300, scenario="unknown-primary", random_state=11)
    lp = model.predict_label_proba(cases, target_prior="unknown-primary")
    from netorigin.inference import model_cell_posterior

    kb = default_literature()
    tool = value_of_tests(model_cell_posterior(model, cases, lp, "unknown-primary"), cases, kb)
    exact = value_of_tests(cell_posterior(kb.model, cases, kb.weights("unknown-primary")), cases, kb)
    agree, picked, best = 0, 0.0, 0.0
    for t, e in zip(tool, exact):
        gains = {d["test"]: d["expected_information_gain_bits"] for d in e}
        pick = max(t, key=lambda d: d["expected_information_gain_bits"])["test"]
        agree += pick == max(gains, key=gains.get)
        picked, best = picked + gains[pick], best + max(gains.values())
    assert agree / len(cases) >= 0.75 and picked / best >= 0.95, (agree / len(cases), picked / best)


def test_tests_the_lab_cannot_run_are_never_suggested_and_cost_can_rank(model, tmp_path):
    case = validate_case({"ihc_cdx2": "negative", "age_years": 55}).table
    free = {d["test"] for d in next_tests(model, case, top=99)[0]}
    assert {"ihc_isl1", "ihc_serotonin", "expression"} <= free
    table = pd.read_csv(str(default_model_path().parent.parent / "tests.csv"))
    table.loc[table["test"].isin(["ihc_isl1", "ihc_serotonin"]), "available"] = "no"
    table.loc[table["test"] == "ihc_pax8", "cost"] = 50
    path = tmp_path / "lab.csv"
    table.to_csv(path, index=False)
    res = score_cases(model, case, tests=str(path), panel=2)
    offered = {d["test"] for d in res.advice[0]} | {t for d in res.panels[0] for t in d["tests"]}
    assert not offered & {"ihc_isl1", "ihc_serotonin"}
    by_cost = score_cases(model, case, tests=str(path), per_cost=True).advice[0]
    ratios = [d["expected_information_gain_bits"] / d["cost"] for d in by_cost]
    assert ratios == sorted(ratios, reverse=True) and by_cost[0]["cost"] <= 2


def test_a_bad_test_table_is_refused_naming_line_and_column(model, tmp_path):
    from netorigin.exceptions import InputError

    path = tmp_path / "lab.csv"
    path.write_text("test,available,cost,turnaround_days,status,source\nihc_cdx,maybe,-1,2,assumed,x\n")
    with pytest.raises(InputError, match=r"line 2: test: 'ihc_cdx'.*available: 'maybe'.*cost: '-1'"):
        score_cases(model, validate_case({"ihc_cdx2": "negative"}).table, tests=str(path))
