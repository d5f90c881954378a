"""Scoring one case and many: probabilities, sets, exact reasons, next tests, warnings, outputs."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _helpers import run

from netorigin import load_seed_cohort, validate_case
from netorigin.contract import SITES
from netorigin.estimator import load_bundle
from netorigin.inference import batch_table, case_report, percent, score_cases
from netorigin.inference._score import REPORT_KEYS
from netorigin.io import data_path, default_model_path, example_case_path
from netorigin.literature import make_synthetic_cohort
from netorigin.testing import assert_probabilities

pytestmark = pytest.mark.installed  # data through the package: these run against a wheel too

DEFAULT = default_model_path()
EXAMPLE = str(example_case_path())
SEED = str(data_path("seed_cohort.csv"))


@pytest.fixture(scope="module")
def model():
    return load_bundle(DEFAULT)


def test_json_output_has_stable_keys_and_consistent_numbers():
    r = run("score", EXAMPLE, "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert tuple(rep) == REPORT_KEYS
    p = rep["probabilities"]
    assert list(p) == ["ileal", "pancreatic", "other"] and sum(p.values()) == pytest.approx(1, abs=1e-12)
    e = rep["explanation"]
    assert e["scale"].startswith("clr")
    lp = {s: np.log(v) for s, v in p.items()}
    for s in p:  # every term on the stated scale, the prior term included, adds up to what is shown
        total = e["baseline"][s] + e["calibration"][s] + e["prior"][s] + sum(t[s] for t in e["terms"].values())
        assert total == pytest.approx(lp[s] - np.mean(list(lp.values())), abs=1e-6)
        assert e["total"][s] == pytest.approx(total, abs=1e-9)
    assert abs(e["prior"]["ileal"]) > 0.1  # unknown-primary is not the training mix
    assert rep["prediction_set"] and max(p, key=p.get) in rep["prediction_set"]
    assert set(rep["probabilities_by_prior"]) == {"training", "liver-met-archive", "population", "unknown-primary"}
    sub = rep["subsite_probabilities"]
    assert sum(sub["other"].values()) == pytest.approx(p["other"], abs=1e-9) and "caecum" in sub["other"]
    assert rep["model"]["bundle_hash"] == load_bundle(DEFAULT).identity_.bundle_hash
    assert rep["target_prior"] == "unknown-primary" and "not a medical device" in rep["notice"]
    from netorigin.inference._advise import matters

    # only tests that could change the answer, at most three, best first
    assert 1 <= len(rep["next_tests"]) <= 3 and all(matters(x) for x in rep["next_tests"]) and rep["reasons"]


def test_explanations_add_up_on_the_margin_and_on_the_displayed_scale(model):
    from netorigin.testing import assert_explanation_adds_up, assert_explanation_sums_to_margin

    c = make_synthetic_cohort(300, random_state=3)
    assert_explanation_sums_to_margin(model, c)
    for prior in ("unknown-primary", "population", "liver-met-archive", "0.1,0.1,0.8", "training"):
        assert_explanation_adds_up(model, c, target_prior=prior)


def _nodes(tree: dict) -> dict:
    """Every node of a tree in xgboost's JSON dump, by node id."""
    out, todo = {}, [tree]
    while todo:
        n = todo.pop()
        out[n["nodeid"]] = n
        todo += n.get("children", [])
    return out


def _shap_tree_dicts(booster, n_classes):
    """The booster's trees in shap's own dictionary format, per class, so that shap's TreeSHAP
    implementation (not xgboost's pred_contribs) computes the values. xgboost sends x < t left;
    shap sends x <= t left, so each float32 threshold becomes the float32 just below it."""
    per_class = [[] for _ in range(n_classes)]
    for i, text in enumerate(booster.get_dump(dump_format="json", with_stats=True)):
        nodes = _nodes(json.loads(text))
        m = max(nodes) + 1
        left, right, default = np.full(m, -1), np.full(m, -1), np.full(m, -1)
        feat, thr, val, cover = np.full(m, -2), np.zeros(m), np.zeros((m, 1)), np.zeros(m)
        for k, n in nodes.items():
            cover[k] = n["cover"]
            if "leaf" in n:
                val[k, 0] = n["leaf"]
            else:
                left[k], right[k], default[k] = n["yes"], n["no"], n["missing"]
                feat[k] = int(n["split"][1:])
                thr[k] = float(np.nextafter(np.float32(n["split_condition"]), np.float32(-np.inf)))
        per_class[i % n_classes].append(
            {
                "children_left": left,
                "children_right": right,
                "children_default": default,
                "features": feat,
                "thresholds": thr,
                "values": val,
                "node_sample_weight": cover,
            }
        )
    return per_class


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # matplotlib, imported by shap
@pytest.mark.filterwarnings("ignore::UserWarning")  # shap's notes about dictionary models
def test_xgboost_reasons_equal_shaps_own_tree_shap_algorithm(model):
    """Our explanation (xgboost's pred_contribs, grouped per field) against shap's own TreeSHAP
    implementation run on the same trees: an independent computation of the same quantity."""
    import shap

    c = make_synthetic_cohort(60, random_state=4)
    Xt = model.forward(c, target_prior="training").inputs
    booster = model.classifier_.estimator_.booster_
    ours_fields, ours_contrib, _ = model.forward(c, reasons=True).margin_terms
    fields = list(model.features_.feature_fields_)
    n_labels = len(model.labels_)
    for k, trees in enumerate(_shap_tree_dicts(booster, n_labels)):
        explainer = shap.TreeExplainer(
            {
                "trees": trees,
                "base_offset": 0.0,
                "tree_output": "raw_value",
                "objective": "squared_error",
                "input_dtype": np.float64,
                "internal_dtype": np.float64,
            },
            feature_perturbation="tree_path_dependent",
        )
        sv = explainer.shap_values(Xt.astype(np.float64))  # (n, features): shap's C++ tree_shap
        per_field = np.stack(
            [sv[:, [j for j, f in enumerate(fields) if f == fld]].sum(axis=1) for fld in ours_fields], axis=1
        )
        if k == 0:
            theirs = np.zeros((len(Xt), len(ours_fields), n_labels))
        theirs[:, :, k] = per_field
    np.testing.assert_allclose(theirs, ours_contrib, atol=2e-4)
    assert np.abs(ours_contrib).max() > 0.1  # a real comparison, not of zeros


def test_reasons_group_a_fields_pieces_and_never_list_a_test_not_done_as_evidence(model):
    case = validate_case({"ihc_cdx2": "positive", "carcinoid_syndrome": "yes"}).table
    rep = case_report(score_cases(model, case), 0, n_reasons=50)
    fields = [r["field"] for r in rep["reasons"]]
    assert len(fields) == len(set(fields))  # one reason per field, not per one-hot piece
    cdx2 = next(r for r in rep["reasons"] if r["field"] == "ihc_cdx2")
    assert cdx2["text"].startswith("CDX2 positive: toward ileal (+")
    assert set(fields) <= {"ihc_cdx2", "carcinoid_syndrome", "deployment_prior", "everything_else"}
    assert fields[-1] == "everything_else"  # tests not done are folded into it, never a line of their own
    assert not any("not done:" in r["text"] or "no result for" in r["text"] for r in rep["reasons"])


@pytest.mark.parametrize(
    "fields",
    [
        {"ihc_cdx2": "positive", "carcinoid_syndrome": "yes"},
        {"ihc_ttf1": "positive"},
        {"ki67_percent": 12, "ihc_isl1": "positive", "alt_status": "positive", "largest_liver_lesion_cm": 4},
        {"age_years": 60},
    ],
)
def test_the_reasons_shown_add_up_to_the_score_shown(model, fields):
    import re

    from netorigin.inference import why_header

    rep = case_report(score_cases(model, validate_case(fields).table), 0)
    site = rep["reasons"][0]["site"]
    assert site == max(rep["probabilities"], key=rep["probabilities"].get)
    # exactly, in the numbers: the terms are the site's centred log-ratio
    total = rep["explanation"]["total"][site]
    assert abs(sum(r["term"] for r in rep["reasons"]) - total) < 1e-3
    # and on the page: the shown (rounded) points add up to the shown total
    shown = [float(re.search(r"\(([+-]\d+\.\d)\)$", r["text"]).group(1)) for r in rep["reasons"]]
    header = float(re.search(r"add up to ([+-]\d+\.\d)", why_header(rep)).group(1))
    assert abs(sum(shown) - header) < 1e-9 and abs(header - total) <= 0.05 + 1e-9


def test_the_prior_warning_appears_when_the_answer_is_close_to_the_setting_alone(model):
    v = validate_case({"age_years": 60, "sex": "female"})
    rep = case_report(score_cases(model, v.table, notices=v.notices), 0)
    assert rep["warnings"][0].startswith("the answer is close to what the setting alone gives")
    assert "ileal 75%, pancreatic 12%, other 13%" in rep["warnings"][0]
    assert "only 0 site-informative finding(s) recorded" in rep["warnings"][0]
    assert rep["information"]["informative_fields"] == []
    # one finding that moves the answer far from the setting: no warning, however few the fields
    one = case_report(score_cases(model, validate_case({"ihc_ttf1": "positive"}).table), 0)
    assert one["information"]["distance_from_prior"] >= 0.15
    assert not any(w.startswith("the answer is close") for w in one["warnings"])
    informative = validate_case({"ihc_cdx2": "negative", "ihc_isl1": "positive", "alt_status": "positive"})
    rep = case_report(score_cases(model, informative.table), 0)
    assert not any(w.startswith("the answer is close") for w in rep["warnings"])


def test_cohort_warnings_name_only_their_own_case(model):
    from netorigin.contract import validate_cohort

    v = validate_cohort(
        pd.DataFrame({"case_id": ["a", "b", "c"], "grade": ["G1", "G1", "G2"], "ki67_percent": [15, 12, 5]})
    )
    t = batch_table(score_cases(model, v.table, notices=v.notices))
    assert "the grade is lower than the Ki-67" in t["warnings"][0] and "grade is lower" in t["warnings"][1]
    assert "(b)" not in t["warnings"][0] and "(a)" not in t["warnings"][1] and "rows" not in t["warnings"][0]
    assert "grade is lower" not in t["warnings"][2]


def test_next_test_prefers_informative_tests(model):
    # a CDX2-negative case with nothing else: the site is open, so a discriminating test is worth
    # far more than a second neuroendocrine marker that every NET expresses
    case = validate_case({"ihc_cdx2": "negative"}).table
    res = score_cases(model, case)
    adv = res.advice[0]
    assert adv[0]["test"] not in ("ihc_chromogranin", "ihc_synaptophysin")
    from netorigin.inference import next_tests

    everything = {a["test"]: a["expected_information_gain_bits"] for a in next_tests(model, case, top=99)[0]}
    assert everything["ihc_isl1"] > 5 * everything["ihc_synaptophysin"]
    gains = [a["expected_information_gain_bits"] for a in adv]
    assert gains == sorted(gains, reverse=True) and gains[0] > 0.05 and adv[0]["chance_answer_changes"] > 0.01
    done = validate_case({"ihc_cdx2": "negative", "ihc_isl1": "positive"}).table
    assert "ihc_isl1" not in [a["test"] for a in score_cases(model, done).advice[0]]


def test_warnings_for_intended_use_unlike_training_and_inconsistency(model):
    v = validate_case(
        {
            "differentiation": "poor",
            "ki67_percent": 60,
            "grade": "G1",
            "age_years": 4,
            "ihc_otp": "positive",
            "ihc_pax8": "positive",
            "alt_status": "positive",
        }
    )
    rep = case_report(score_cases(model, v.table, notices=v.notices), 0)
    text = " | ".join(rep["warnings"])
    assert "outside netorigin's intended use" in text
    assert "the grade is lower than the Ki-67" in text
    assert "age 4 years" not in text and "age 4 is outside the range" in text
    # OTP (lung) with ALT (pancreas) hardly ever occur together in the training cohort
    assert "ALT (telomere FISH) and OTP both positive: a combination rarely" in text


def test_a_case_scores_the_same_alone_and_in_a_batch(model):
    seed = load_seed_cohort().table
    batch = score_cases(model, seed)
    for i in range(len(seed)):
        alone = score_cases(model, seed.iloc[[i]].reset_index(drop=True))
        np.testing.assert_array_equal(alone.proba[0], batch.proba[i])
        np.testing.assert_array_equal(alone.sets[0], batch.sets[i])
        np.testing.assert_array_equal(alone.explanation.terms[0], batch.explanation.terms[i])
        assert alone.advice[0] == batch.advice[i]


def test_seed_cohort_scores_with_its_extra_columns(tmp_path):
    out = tmp_path / "scored.csv"
    r = run("score", SEED, "-o", str(out))
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(out)
    assert len(t) == 7 and {"p_ileal", "prediction_set", "reasons", "next_test", "pfs_months"} <= set(t.columns)
    np.testing.assert_allclose(t[["p_ileal", "p_pancreatic", "p_other"]].sum(axis=1), 1.0)
    r = run("score", SEED)
    assert r.returncode == 0 and "seed-7" in r.stdout and "not a medical device" in r.stdout


def test_human_output_plot_and_report(tmp_path):
    r = run(
        "score",
        EXAMPLE,
        "--plot",
        str(tmp_path / "w.png"),
        "--report",
        str(tmp_path / "r.html"),
        "--coverage",
        "0.95",
        "--target-prior",
        "liver-met-archive",
    )
    assert r.returncode == 0, r.stderr
    for fragment in (
        "95% prediction set",
        "why",
        "next test to order",
        "bundle",
        "not a medical device",
        "(setting liver-met-archive)",
    ):
        assert fragment in r.stdout, fragment
    assert (tmp_path / "w.png").read_bytes()[:4] == b"\x89PNG"
    page = (tmp_path / "r.html").read_text()
    assert "Why ileal" in page and "Total for ileal" in page and "not a medical device" in page


@pytest.mark.parametrize("content, field", [("ihc_cdx: positive\n", "ihc_cdx"), ("ihc_cdx2: postive\n", "ihc_cdx2")])
def test_typos_exit_2_naming_the_field(tmp_path, content, field):
    p = tmp_path / "case.yaml"
    p.write_text(content)
    r = run("score", str(p))
    assert r.returncode == 2 and field in r.stderr and "Traceback" not in r.stderr


def test_scoring_one_case_imports_neither_shap_mlflow_matplotlib_nor_pydantic():
    """pydantic (the API's request models, the pipeline configs) is for netorigin serve and run only."""
    code = (
        f"import sys, runpy; sys.argv = ['netorigin', 'score', {EXAMPLE!r}]\n"
        "try:\n    runpy.run_module('netorigin', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print([m for m in ('shap', 'mlflow', 'matplotlib', 'pydantic', 'fastapi') if m in sys.modules])"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(EXAMPLE).parent, capture_output=True, text=True, timeout=120
    )
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_batch_table_and_mlp_without_explainer(trained_kinds, small_cohort, tmp_path):

    m = trained_kinds["mlp"].model
    res = score_cases(m, small_cohort.iloc[:20])
    assert res.explanation is None
    t = batch_table(res)
    assert (t["reasons"] == "").all() and len(t) == 20
    assert_probabilities(t[["p_ileal", "p_pancreatic", "p_other"]].to_numpy(), 3)


def _as_cases(table: pd.DataFrame) -> list[dict]:
    """Rows of a canonical table as the mappings a form or a case file gives (recorded values only)."""
    out = []
    for row in table.astype(object).to_dict("records"):
        out.append(
            {
                k: (float(v) if isinstance(v, (np.floating, float)) else v)
                for k, v in row.items()
                if not (v is None or (isinstance(v, float) and np.isnan(v)))
            }
        )
    return out


def test_a_case_validated_on_its_own_scores_exactly_as_its_table(model):
    """validate_case keeps one case as NumPy columns (no pandas table): every report key, every
    number, is the same as scoring the canonical table of the same case, for sparse and full
    work-ups, mitotic counts, expression (an extra gene too) and out-of-range warnings."""
    c = make_synthetic_cohort(40, random_state=11, workup="mixture").drop(
        columns=["primary_site", "primary_site_detail"]
    )
    seed = load_seed_cohort()
    cases = _as_cases(c) + _as_cases(
        seed.table[seed.contract_columns].drop(columns=["primary_site", "primary_site_detail"])
    )
    cases += [
        {"ihc_cdx2": "pos", "mitoses_per_2mm2": "7", "expr_cd302": 3.5, "expr_gapdh": "9.1"},
        {"ihc_ttf1": "positive", "ihc_cdx2": "positive", "largest_liver_lesion_cm": "24 cm"},
        {},
        {"differentiation": "poor", "ki67_percent": 40},
    ]
    for case in cases:
        v = validate_case(case)
        assert not isinstance(v.cases, pd.DataFrame)
        fast = case_report(score_cases(model, v.cases, notices=v.notices, panel=2), 0)
        ref = case_report(score_cases(model, v.table, notices=v.notices, panel=2), 0)
        assert fast == ref, case


def test_the_table_of_a_case_is_the_table_of_a_one_row_cohort():
    from netorigin import validate_cohort

    case = {
        "case_id": "x",
        "ihc_cdx2": "Pos",
        "grade": "2",
        "mitoses_per_2mm2": "<2",
        "age_years": 61,
        "expr_cd302": "3.5",
        "expr_gapdh": "9",
        "sex": "F",
    }
    a = validate_case(case).table
    b = validate_cohort(pd.DataFrame([case], dtype=object), require_case_id=False, unknown="refuse").table
    pd.testing.assert_frame_equal(a, b)
    from netorigin.exceptions import ValidationError

    for check in (
        lambda c: validate_case(c),
        lambda c: validate_cohort(pd.DataFrame([c], dtype=object), require_case_id=False, unknown="refuse"),
    ):
        with pytest.raises(ValidationError, match="'ward' is not a field"):
            check({**case, "ward": "B4"})


def test_cases_scored_together_get_the_reports_they_get_alone(model):
    """What a server does with requests that arrive together: one pass of the model, and every
    case's report exactly (bit for bit) what it is alone, whatever its neighbours."""
    from netorigin.inference import case_reports

    c = make_synthetic_cohort(24, random_state=5, workup="mixture").drop(
        columns=["primary_site", "primary_site_detail"]
    )
    cases = _as_cases(c) + [
        {"ihc_ttf1": "positive", "ihc_cdx2": "positive"},
        {},
        {"grade": "G1", "ki67_percent": 30, "expr_gapdh": 3},
    ]
    validated = [validate_case(x) for x in cases]
    alone = [case_reports(model, [v], panel=2)[0] for v in validated]
    assert alone[0] == case_report(score_cases(model, validated[0].cases, notices=validated[0].notices, panel=2), 0)
    rng = np.random.default_rng(0)
    for size in (2, 5, len(validated)):
        pick = rng.choice(len(validated), size=size, replace=False)
        together = case_reports(model, [validated[i] for i in pick], panel=2)
        for k, i in enumerate(pick):
            assert together[k] == alone[i], (size, cases[i])
    assert any(r["warnings"] for r in alone) and not all(r["warnings"] for r in alone)


def test_the_sets_sentence_says_what_the_set_is_and_what_is_guaranteed(default_model):
    from netorigin.estimator import SET_KEPT
    from netorigin.io import INFORMATION_BINS
    from netorigin.literature import thin_cases

    cohort, _ = thin_cases(make_synthetic_cohort(400, random_state=21), share=0.5, random_state=22)
    seen_kept = False
    for prior in ("unknown-primary", "population", "0.2,0.2,0.6"):
        res = score_cases(default_model, cohort, target_prior=prior, advice=False, reasons=False)
        table = batch_table(res)
        for i in range(len(cohort)):
            text = case_report(res, i)["set_meaning"]
            members = [s for s, inn in zip(SITES, res.sets[i]) if inn]
            assert table.loc[i, "set_meaning"] == text
            if len(members) == 1:
                assert "the answer is settled" in text and members[0] in text
            elif len(members) == 3:
                assert "cannot be narrowed" in text
            else:
                assert " or ".join(members) in text
            n = len(res.informative[i])
            stratum = next(name for lo, hi, name in INFORMATION_BINS if lo <= n <= hi)
            assert (f"with {stratum} site-informative fields" in text) or (n == 0 and "no site-informative" in text)
            assert f"at least {res.coverage:.0%} of the time" in text and "not a probability for this case" in text
            for k, why in enumerate(res.set_reasons[i]):
                if why == SET_KEPT:
                    seen_kept = True
                    assert f"{SITES[k]} (" in text and "is kept" in text
                    subs = [lab for j, lab in enumerate(res.labels) if res.label_site[j] == k]
                    own = res.label_proba[i, res.label_site == k]
                    top_sub = subs[int(np.argmax(own))]
                    assert len(subs) == 1 or own.max() < 0.005 or f"because {top_sub}" in text
    assert seen_kept  # the sentence for a kept site was exercised


def test_the_printable_report_needs_no_plotting_library(tmp_path):
    # the core install (no tracking extra, no matplotlib) writes the report; only --plot needs it
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from netorigin.cli import main\n"
        f"main(['score', {str(EXAMPLE)!r}, '--report', {str(tmp_path / 'r.html')!r}])\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Total for ileal" in (tmp_path / "r.html").read_text()


def test_the_headline_names_the_sub_site_when_it_carries_the_answer_and_the_other_settings_are_one_line(model):
    """A tumour board reads "most likely lung (> 99%)", not "other", when one sub-site holds the
    answer; a site whose sub-sites share it is named as the site. One line says what the other
    clinical settings give (never the training mix), each figure the one scoring there shows."""
    lung = case_report(score_cases(model, {"ihc_ttf1": "positive", "proc_chest_ct": "confirmed_lung"}), 0)
    assert lung["headline"].startswith("most likely lung (") and "an other primary" in lung["headline"]
    mixed = case_report(score_cases(model, {"ihc_cdx2": "negative", "ihc_isl1": "positive"}), 0)
    top = max(mixed["probabilities"], key=mixed["probabilities"].get)
    assert mixed["headline"] == f"most likely {top} ({percent(mixed['probabilities'][top])})"
    line = mixed["other_settings"]
    assert "training" not in line and mixed["target_prior"] not in line
    for name in ("liver-met-archive", "population"):
        there = case_report(score_cases(model, {"ihc_cdx2": "negative", "ihc_isl1": "positive"}, target_prior=name), 0)
        best = max(there["probabilities"], key=there["probabilities"].get)
        assert f"under the {name} setting: {best} {percent(there['probabilities'][best])}" in line


def test_reasons_and_advice_that_rest_on_assumed_figures_say_so_with_the_source_a_line_away(model):
    """A finding or test whose figures in parameters.csv are mostly netorigin's assumptions is
    marked, in the JSON ("figures") and in the words, and the line that says where they come from
    is printed with them; a finding resting on published figures is not marked."""
    from collections import Counter

    from _helpers import run

    from netorigin.inference import ASSUMED_SOURCE
    from netorigin.inference._words import ASSUMED_MARK, advice_text
    from netorigin.literature import default_literature

    total, assumed = Counter(), Counter()
    for r in default_literature().parameter_rows:
        f = str(r["parameter"]).split(":", 1)[-1].split("=", 1)[0]
        total[f] += 1
        assumed[f] += r["status"] == "assumed"
    rep = case_report(score_cases(model, {"mesenteric_mass": "yes", "ihc_cdx2": "positive", "ihc_pdx1": "negative"}), 0)
    found = [r for r in rep["reasons"] if r["field"] in total]
    assert found
    for r in found:
        mostly = assumed[r["field"]] > total[r["field"]] / 2
        assert (r["figures"] == "assumed") == mostly and (ASSUMED_MARK in r["text"]) == mostly, r
    assert any(r["figures"] == "assumed" for r in found) and any(r["figures"] != "assumed" for r in found)
    for d in rep["next_tests"]:
        assert (ASSUMED_MARK in advice_text(d)) == any(assumed[t] > total[t] / 2 for t in d["tests"])
    out = run("score", str(example_case_path()))
    assert ASSUMED_MARK in out.stdout and " ".join(ASSUMED_SOURCE.split()[:6]) in " ".join(out.stdout.split())
