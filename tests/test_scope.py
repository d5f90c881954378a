"""Out of the intended use handled as such, and contradictory results named from a documented table."""

import pandas as pd
from _helpers import run

from netorigin.contract import validate_cohort
from netorigin.literature import default_literature
from netorigin.literature._contradictions import derive_contradictions, load_contradictions


def test_the_contradiction_table_is_the_one_derived_from_the_synthetic_world():
    shipped = load_contradictions()
    derived = derive_contradictions(default_literature().model)
    pd.testing.assert_frame_equal(shipped.reset_index(drop=True), derived.reset_index(drop=True), check_dtype=False)
    assert ((shipped["field_a"] == "ihc_cdx2") & (shipped["field_b"] == "ihc_ttf1")).any()
    assert (shipped["status"] == "derived").all() and shipped["source"].str.contains("parameters.csv").all()


def test_a_pair_common_in_some_primary_is_not_a_contradiction():
    pairs = set(zip(load_contradictions()["field_a"], load_contradictions()["field_b"]))
    # ISL1 with SATB2 is the rectal pattern; CDX2 with serotonin the ileal one
    for a, b in (("ihc_isl1", "ihc_satb2"), ("ihc_cdx2", "ihc_serotonin")):
        assert (a, b) not in pairs and (b, a) not in pairs


def test_contradictory_stains_are_named_first_among_the_warnings(tmp_path, default_model):
    from netorigin.inference import case_report, score_cases

    v = validate_cohort(
        pd.DataFrame(
            {
                "case_id": ["a", "b"],
                "ihc_ttf1": ["positive", "positive"],
                "ihc_cdx2": ["positive", "negative"],
                "age_years": ["60", "60"],
            }
        )
    )
    res = score_cases(default_model, v.table, notices=v.notices)
    first = case_report(res, 0)["warnings"]
    assert first and first[0].startswith("contradictory results: CDX2 positive with TTF-1 positive")
    assert not any("contradictory" in w for w in case_report(res, 1)["warnings"])


def test_a_poorly_differentiated_case_is_not_scored_unless_asked(tmp_path):
    case = tmp_path / "c.yaml"
    case.write_text("case_id: p1\ndifferentiation: poor\nihc_cdx2: positive\n")
    r = run("score", str(case))
    assert r.returncode == 3 and r.stdout == ""
    assert "not scored" in r.stderr and "--score-anyway" in r.stderr and "Traceback" not in r.stderr
    # asked for the printable page, it gets one that says why the case is not scored (still exit 3)
    page = tmp_path / "p1.html"
    r = run("score", str(case), "--report", str(page))
    assert r.returncode == 3 and str(page) in r.stderr and "Traceback" not in r.stderr
    text = page.read_text()
    assert "Case p1: not scored" in text and "intended use" in text and "CDX2: positive" in text
    assert "not a medical device" in text and "bundle " in text and "%" not in text.split("<body")[1]
    r = run("score", str(case), "--score-anyway", "--json")
    assert r.returncode == 0
    import json

    rep = json.loads(r.stdout)
    assert rep["scope"].startswith("OUTSIDE THE INTENDED USE")
    assert rep["warnings"][0].startswith("poorly differentiated")


def test_in_a_cohort_such_cases_keep_their_row_unscored_with_the_reason(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("case_id,differentiation,ihc_cdx2\na,well,positive\nb,poor,positive\nc,,negative\n")
    r = run("score", str(p), "-o", str(tmp_path / "o.csv"))
    assert r.returncode == 0, r.stderr
    out = pd.read_csv(tmp_path / "o.csv", keep_default_na=False)
    assert list(out["case_id"]) == ["a", "b", "c"]
    assert list(out["status"]) == ["scored", "not scored: outside the intended use (poorly differentiated)", "scored"]
    assert out.loc[1, "p_ileal"] == "" and out.loc[1, "prediction_set"] == "" and out.loc[0, "p_ileal"] != ""
