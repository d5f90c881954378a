"""The next test to order: coherent, exact under the cell model, respectful of the lab's table."""

import numpy as np
import pandas as pd
import pytest

from netorigin.contract import FIELDS, SITES, validate_case, validate_cohort
from netorigin.estimator import load_bundle
from netorigin.inference import case_report, next_tests, score_cases, value_of_tests
from netorigin.inference._value import exact_next_tests
from netorigin.io import default_model_path, example_case_path
from netorigin.literature import (
    ADVICE_TESTS,
    bayes_posterior,
    cell_posterior,
    default_literature,
    make_synthetic_cohort,
)

pytestmark = pytest.mark.installed


@pytest.fixture(scope="module")
def model():
    return load_bundle(default_model_path())


def _entropy(p):
    p = np.asarray(p, dtype=float)
    return float(-(p[p > 0] * np.log2(p[p > 0])).sum())


def _recorded(table, i) -> dict:
    """Case ``i`` of a canonical table as the values a user entered."""
    row = table.iloc[i]
    skip = ("case_id", "primary_site", "primary_site_detail", "patient_id")
    return {
        k: (float(v) if isinstance(v, (int, float, np.floating)) else str(v))
        for k, v in row.items()
        if pd.notna(v) and k not in skip and (k in FIELDS or str(k).startswith("expr_"))
    }


def _advised_cases():
    """Whole, sparse and seed cases: the example, the seven seed patients, 24 synthetic cases thinned to
    1-6 recorded fields and 8 whole ones."""
    from netorigin.io import load_cases, load_seed_cohort
    from netorigin.literature import thin_cases

    whole = make_synthetic_cohort(32, scenario="population", random_state=3)
    sparse, _ = thin_cases(whole.iloc[:24].reset_index(drop=True), low=1, high=6, random_state=4)
    tables = [load_cases(example_case_path()).table, load_seed_cohort().table, sparse, whole.iloc[24:]]
    return [_recorded(t, i) for t in tables for i in range(len(t))]


@pytest.fixture(scope="module")
def advised(model):
    """(case as entered, its report with the next tests and the best panel of two) for every case."""
    out = []
    for case in _advised_cases():
        v = validate_case(case)
        out.append((case, case_report(score_cases(model, v.cases, notices=v.notices, panel=2), 0)))
    return out


def test_every_advised_result_is_what_scoring_the_case_with_it_entered_gives(model, advised):
    """The "if positive" lines: enter the result, score again with the same model: the same site
    probabilities, the same most likely sub-site, the same 90% set (issue 30: 11% of results named
    another top site than re-scoring did)."""
    checked = 0
    for case, rep in advised:
        for d in rep["next_tests"] + rep["next_panels"]:
            for r in d["results"]:
                v = validate_case({**case, **r["entered"]})
                again = case_report(score_cases(model, v.cases, notices=v.notices, advice=False), 0)
                got = [again["probabilities"][s] for s in SITES]
                np.testing.assert_allclose([r["probabilities"][s] for s in SITES], got, rtol=0, atol=1e-12)
                assert r["prediction_set"] == again["prediction_set"], (case, d["label"], r["result"])
                if r["top_subsite"] is not None:
                    top = max(again["probabilities"], key=again["probabilities"].get)
                    subs = again["subsite_probabilities"][top]
                    assert r["top_subsite"] == max(subs, key=subs.get)
                    assert r["top_subsite_probability"] == pytest.approx(subs[r["top_subsite"]], abs=1e-12)
                checked += 1
    assert checked > 300


def test_the_chances_shown_are_the_results_own_and_the_rule_said_is_the_rule_applied(advised):
    from netorigin.inference._advise import MATTERS_CHANCE

    for _, rep in advised:
        now_top = max(rep["probabilities"], key=rep["probabilities"].get)
        for d in rep["next_tests"] + rep["next_panels"]:
            res = d["results"]
            assert sum(r["probability"] for r in res) == pytest.approx(1, abs=1e-9)
            for r in res:
                assert r["changes_top_site"] == (max(r["probabilities"], key=r["probabilities"].get) != now_top)
                assert r["changes_set"] == (r["prediction_set"] != rep["prediction_set"])
            top = sum(r["probability"] for r in res if r["changes_top_site"])
            moved = sum(r["probability"] for r in res if r["changes_set"])
            either = sum(r["probability"] for r in res if r["changes_top_site"] or r["changes_set"])
            assert d["chance_top_site_changes"] == pytest.approx(top, abs=1e-12)
            assert d["chance_set_changes"] == pytest.approx(moved, abs=1e-12)
            assert d["chance_answer_changes"] == pytest.approx(either, abs=1e-12)
            # advised only when it could change the answer: the rule the heading states
            assert d["chance_answer_changes"] >= MATTERS_CHANCE


def test_a_settled_case_gets_no_test_that_cannot_change_its_answer(model):
    """Issue 30: a 10-day ALT FISH with "no chance of changing the most likely site" on a 98%
    pancreatic case, under a heading that promised only tests that could change the answer."""
    case = {
        "ihc_cdx2": "negative",
        "ihc_isl1": "positive",
        "ihc_pdx1": "positive",
        "ihc_pax8": "positive",
        "ihc_daxx_atrx": "lost",
        "hormonal_syndrome": "insulinoma",
        "largest_liver_lesion_cm": 7,
    }
    v = validate_case(case)
    res = score_cases(model, v.cases, notices=v.notices, panel=2)
    assert res.proba[0, SITES.index("pancreatic")] > 0.97
    everything = next_tests(model, v.cases, top=99)[0]
    alt = next(d for d in everything if d["test"] == "alt_status")
    assert alt["chance_answer_changes"] < 0.01 and "alt_status" not in [d["test"] for d in res.advice[0]]
    assert all(d["chance_answer_changes"] >= 0.01 for d in res.advice[0] + res.panels[0])


def test_the_models_results_average_back_close_to_its_answer(advised):
    """What re-scoring gives after each result, weighted by the result's chance, comes back to the
    answer shown within the model's own coherence (exact for an exact Bayesian model; measured for
    the shipped one in benchmarks/advice_benchmark.py)."""
    worst = 0.0
    for _, rep in advised:
        now = np.array([rep["probabilities"][s] for s in SITES])
        for d in rep["next_tests"]:
            back = sum(x["probability"] * np.array([x["probabilities"][s] for s in SITES]) for x in d["results"])
            worst = max(worst, float(np.abs(back - now).max()))
    assert worst < 0.05, worst


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
    """On the literature's own world the shipped model's first test, stains and procedures together,
    is usually the exact best (issue 32's target: the exact best >= 85%, >= 95% of the best
    information; benchmarks/advice_benchmark.py measures it on 2,000 cases per setting). Not
    always: the model's findings part was trained across 400 plausible worlds and hedges where the
    literature is uncertain. The procedures the setting holds done are never advised, by either."""
    from netorigin.literature import apply_setting

    cases = make_synthetic_cohort(300, scenario="unknown-primary", random_state=11)
    kb = default_literature()
    tool = next_tests(model, cases, target_prior="unknown-primary", top=1, details=False)
    held = kb.assumptions("unknown-primary")
    read = apply_setting(cases, held)[0]  # its routine negatives counted once, and never advised
    tests = [t for t in ADVICE_TESTS if t not in held]
    exact = value_of_tests(cell_posterior(kb.model, read, kb.weights("unknown-primary")), read, kb, tests=tests)
    agree, picked, best = 0, 0.0, 0.0
    for t, e in zip(tool, exact):
        gains = {d["test"]: d["expected_information_gain_bits"] for d in e}
        pick = t[0]["test"]
        agree += pick == max(gains, key=gains.get)
        picked, best = picked + gains[pick], best + max(gains.values())
    assert agree / len(cases) >= 0.8 and picked / best >= 0.95, (agree / len(cases), picked / best)


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
