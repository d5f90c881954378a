"""The case contract: synonyms, every problem at once, notices, single cases."""

import math

import numpy as np
import pandas as pd
import pytest

from netorigin import FIELDS, ValidationError, validate_case, validate_cohort
from netorigin.contract import MISSING_TOKENS, grade_from_ki67, parse_value


def _cohort(**cols):
    n = len(next(iter(cols.values())))
    return pd.DataFrame({"case_id": [f"c{i}" for i in range(n)], **cols})


@pytest.mark.parametrize(
    "field, raw, expected",
    [
        ("ihc_cdx2", "+", "positive"),
        ("ihc_cdx2", "Pos", "positive"),
        ("ihc_cdx2", "-", "negative"),
        ("ihc_cdx2", "NEG", "negative"),
        ("ihc_cdx2", "equivocal", "equivocal"),
        ("sex", "M", "male"),
        ("sex", "f", "female"),
        ("carcinoid_syndrome", "y", "yes"),
        ("carcinoid_syndrome", "FALSE", "no"),
        ("carcinoid_syndrome", True, "yes"),
        ("serum_cga", "High", "elevated"),
        ("serum_cga", "raised", "elevated"),
        ("serum_cga", "N", "normal"),
        ("urine_5hiaa", "WNL", "normal"),
        ("grade", "2", "G2"),
        ("grade", "grade 3", "G3"),
        ("grade", 1, "G1"),
        ("grade", "g1", "G1"),
        ("differentiation", "Well-differentiated", "well"),
        ("ihc_daxx_atrx", "loss", "lost"),
        ("ihc_daxx_atrx", "intact", "retained"),
        ("hormonal_syndrome", "none", "none"),
        ("hormonal_syndrome", "Insulinoma", "insulinoma"),
        ("liver_lesions", 1, "solitary"),
        ("liver_lesions", "3", "oligo"),
        ("liver_lesions", "12", "multiple"),
        ("mitoses_per_2mm2", "< 2", "<2"),
        ("mitoses_per_2mm2", "2\u201320", "2-20"),
        ("mitoses_per_2mm2", 4, "4"),
        ("ki67_percent", "10%", 10.0),
        ("age_years", "50 y", 50.0),
        ("largest_liver_lesion_cm", "35 mm", 3.5),
        ("primary_site", "Small bowel", "ileal"),
        ("primary_site_detail", "cecum", "caecum"),
    ],
)
def test_synonyms_are_accepted(field, raw, expected):
    assert parse_value(FIELDS[field], raw) == expected


@pytest.mark.parametrize("token", sorted(MISSING_TOKENS) + ["ND", "Not Done", " n/a ", None, float("nan")])
def test_missing_tokens_stay_missing(token):
    v = validate_cohort(_cohort(ihc_cdx2=[token], ki67_percent=[token]))
    assert v.table["ihc_cdx2"].isna().all()
    assert math.isnan(v.table["ki67_percent"].iloc[0])


def test_none_is_a_value_of_hormonal_syndrome_but_not_missing_for_markers():
    assert parse_value(FIELDS["hormonal_syndrome"], "none") == "none"
    assert parse_value(FIELDS["ihc_cdx2"], "none").__class__.__name__ == "Problem"


def test_every_problem_reported_at_once_with_suggestions():
    raw = _cohort(
        ihc_cdx2=["postive", "negative", "+"],
        ki67_percent=["5", "150", "abc"],
        grade=["G1", "G2", "G7"],
    )
    raw["ihc_cdx"] = ["x", "y", "z"]
    with pytest.raises(ValidationError) as err:
        validate_cohort(raw)
    problems = err.value.problems
    assert len(problems) == 5
    text = str(err.value)
    assert (
        "CDX2 (ihc_cdx2): 'postive' is not one of positive, negative, equivocal, not_done; did you mean 'positive'?"
        in text
    )
    assert "row 2 (case c1): Ki-67 (ki67_percent): '150' is not a number from 0 to 100" in text
    assert "row 3 (case c2): Ki-67 (ki67_percent): 'abc'" in text
    assert "grade: 'G7' is not one of G1, G2, G3" in text
    assert "did you mean 'ihc_cdx2'" in text


def test_same_bad_value_in_many_rows_is_one_problem_naming_the_rows():
    raw = _cohort(sex=["x"] * 8)
    with pytest.raises(ValidationError) as err:
        validate_cohort(raw)
    (p,) = err.value.problems
    assert p.rows == tuple(range(1, 9))
    assert "rows 1, 2, 3, 4, 5 and 3 more" in p.message()


def test_case_id_required_and_unique_in_cohorts():
    raw = pd.DataFrame({"case_id": ["a", "a", ""], "sex": ["m", "f", "m"]})
    with pytest.raises(ValidationError) as err:
        validate_cohort(raw)
    msgs = [p.message() for p in err.value.problems]
    assert any("'a' is used by 2 rows" in m for m in msgs)
    assert any("row 3: case_id: is blank" in m for m in msgs)
    with pytest.raises(ValidationError, match="no case_id column"):
        validate_cohort(pd.DataFrame({"sex": ["m"]}))


def test_duplicated_columns_are_reported():
    raw = pd.DataFrame([["a", "m", "f"]], columns=["case_id", "sex", "Sex"])
    with pytest.raises(ValidationError, match="appears more than once"):
        validate_cohort(raw)


def test_extra_columns_pass_through_untouched_and_are_listed_once():
    raw = _cohort(ihc_cdx2=["+", "-"], treatment=["octreotide", "PRRT"], os_months=["12", "30"])
    v = validate_cohort(raw)
    assert v.extra_columns == ["treatment", "os_months"]
    assert v.table["treatment"].tolist() == ["octreotide", "PRRT"]
    assert v.table["os_months"].tolist() == ["12", "30"]
    extra = [n for n in v.notices if n.kind == "extra_columns"]
    assert len(extra) == 1 and "treatment" in extra[0].message


def test_column_names_are_matched_case_insensitively_and_expression_genes_open():
    raw = pd.DataFrame({"Case_ID": ["a"], "IHC_CDX2": ["+"], "expr_SCTR": ["3.5"], "expr_CD302": [2]})
    v = validate_cohort(raw)
    assert v.table.loc[0, "ihc_cdx2"] == "positive"
    assert v.table.loc[0, "expr_sctr"] == 3.5 and v.table.loc[0, "expr_cd302"] == 2.0


@pytest.mark.parametrize(
    "cols, fields",
    [
        ({"grade": ["G1"], "ki67_percent": ["15"]}, ("grade", "ki67_percent")),
        ({"grade": ["G1"], "mitoses_per_2mm2": ["5"]}, ("grade", "mitoses_per_2mm2")),
        ({"grade": ["G3"], "ki67_percent": ["1"], "mitoses_per_2mm2": ["<2"]}, ("grade", "ki67_percent")),
        ({"carcinoid_syndrome": ["yes"], "urine_5hiaa": ["normal"]}, ("carcinoid_syndrome", "urine_5hiaa")),
        ({"serum_cga": ["normal"], "serum_cga_x_uln": ["3"]}, ("serum_cga", "serum_cga_x_uln")),
    ],
)
def test_inconsistent_values_warn_naming_both_fields(cols, fields):
    v = validate_cohort(_cohort(**cols))
    warn = [n for n in v.notices if n.kind == "inconsistent"]
    assert len(warn) == 1
    assert set(fields) <= set(warn[0].fields)
    for f in fields:
        assert f in warn[0].message


def test_consistent_grade_does_not_warn():
    v = validate_cohort(_cohort(grade=["G2", "G1"], ki67_percent=["1", "2"], mitoses_per_2mm2=["3", "<2"]))
    assert not [n for n in v.notices if n.kind == "inconsistent"]


def test_poorly_differentiated_is_outside_intended_use_and_g3_at_its_edge():
    v = validate_cohort(_cohort(differentiation=["poor", "well"], ki67_percent=["40", "25"]))
    outside = [n for n in v.notices if n.kind == "out_of_scope" and "outside" in n.message]
    assert outside and outside[0].rows == (1,)
    edge = [n for n in v.notices if "edge" in n.message]
    assert edge and edge[0].rows == (2,)


def test_label_detail_fills_site_and_contradictions_fail():
    v = validate_cohort(_cohort(primary_site_detail=["jejunum", "lung"], primary_site=["", "other"]))
    assert v.table["primary_site"].tolist() == ["ileal", "other"]
    with pytest.raises(ValidationError, match="contradicts primary_site_detail 'lung'"):
        validate_cohort(_cohort(primary_site_detail=["lung"], primary_site=["pancreatic"]))


def test_numbers_reject_infinity_negative_and_wrong_units():
    raw = _cohort(age_years=["inf", "-1", "50 kg"], largest_liver_lesion_cm=["0", "2", "3"])
    with pytest.raises(ValidationError) as err:
        validate_cohort(raw)
    assert len(err.value.problems) == 4
    assert "unit 'kg'" in str(err.value)


def test_single_case_from_mapping():
    v = validate_case(
        {"ihc_cdx2": True, "grade": 2, "ki67_percent": 4.0, "mitoses_per_2mm2": "<2", "ihc_isl1": None, "expr_CD302": 5}
    )
    row = v.table.iloc[0]
    assert row["grade"] == "G2" and row["ihc_cdx2"] == "positive" and pd.isna(row["ihc_isl1"])
    with pytest.raises(ValidationError, match="not a single value"):
        validate_case({"ihc_cdx2": ["positive", "negative"]})
    with pytest.raises(ValidationError, match="must be a mapping"):
        validate_case(["ihc_cdx2"])


def test_mitoses_greater_than_two_suggests_band():
    with pytest.raises(ValidationError, match="did you mean '2-20'"):
        validate_case({"mitoses_per_2mm2": ">2"})


def test_canonical_dtypes():
    v = validate_cohort(_cohort(ihc_cdx2=["+"], ki67_percent=["3"]))
    assert isinstance(v.table["ihc_cdx2"].dtype, pd.CategoricalDtype)
    assert list(v.table["ihc_cdx2"].cat.categories) == ["positive", "negative", "equivocal"]
    assert v.table["ki67_percent"].dtype == np.float64


def test_grade_from_ki67_uses_who_2019_cutoffs():
    # WHO 2019: G1 < 3%, G2 3-20%, G3 > 20%
    assert grade_from_ki67(np.array([2.9, 3.0, 20.0, 20.1])).tolist() == [1.0, 2.0, 2.0, 3.0]


# ---------------------------------------------------------------- words that keep their meaning
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("focal", "positive"),
        ("Focally positive", "positive"),
        ("patchy", "positive"),
        ("diffuse", "positive"),
        ("3+", "positive"),
        ("weakly positive", "positive"),
        ("weak", "equivocal"),
        ("1+", "equivocal"),
    ],
)
def test_pathology_wordings_are_read_by_the_documented_rule_and_said_back(raw, expected):
    v = validate_case({"ihc_cdx2": raw})
    assert v.table.loc[0, "ihc_cdx2"] == expected
    said = [n for n in v.notices if n.kind == "read_as"]
    assert len(said) == 1 and f"{raw!r} read as {expected}" in said[0].message and "CDX2" in said[0].message


def test_daxx_atrx_loss_wordings():
    v = validate_cohort(
        pd.DataFrame({"case_id": ["a", "b", "c"], "ihc_daxx_atrx": ["partial loss", "retained expression", "lost"]})
    )
    assert v.table["ihc_daxx_atrx"].tolist() == ["lost", "retained", "lost"]
    said = [n for n in v.notices if n.kind == "read_as"]
    assert len(said) == 2 and said[0].rows == (1,)


@pytest.mark.parametrize(
    "field, raw",
    [
        ("ihc_cdx2", "focally"),
        ("ihc_cdx2", "faintly"),
        ("sex", "fem"),
        ("ihc_daxx_atrx", "los of staining"),
        ("carcinoid_syndrome", "nope"),
    ],
)
def test_a_suggestion_is_only_ever_a_typing_mistake_of_a_value_with_the_same_meaning(field, raw):
    """'focal' once drew "did you mean 'negative'?" (difflib matched "false"). Suggestions now
    need a close spelling of one of the value's own words (four letters or more)."""
    res = parse_value(FIELDS[field], raw)
    assert res.suggestion is None or (field, res.suggestion) in {
        ("ihc_cdx2", "positive"),
        ("ihc_cdx2", "equivocal"),
        ("sex", "female"),
        ("ihc_daxx_atrx", "lost"),
    }
    # whatever is suggested, it is never the opposite of a positive-sounding word
    if raw.startswith(("focal", "faint")):
        assert res.suggestion != "negative"


@pytest.mark.parametrize(
    "raw, suggestion", [("postive", "positive"), ("negatve", "negative"), ("equivocl", "equivocal")]
)
def test_typing_mistakes_still_get_their_suggestion(raw, suggestion):
    assert parse_value(FIELDS["ihc_cdx2"], raw).suggestion == suggestion


@pytest.mark.parametrize("cid", ["abc\u202edcba", "a\u200bb", "x\u2066y", "\ud800", "a\u2028b", "a\x85b"])
def test_identifiers_refuse_invisible_bidi_and_surrogate_characters(cid):
    with pytest.raises(ValidationError, match="invisible or control character"):
        validate_case({"case_id": cid})
    with pytest.raises(ValidationError, match="invisible or control character"):
        validate_cohort(pd.DataFrame({"case_id": [cid, "b"]}, dtype=object))


@pytest.mark.parametrize(
    "key, hint", [("cdx2_ihc", "ihc_cdx2"), ("note", "netorigin template"), ("p_ileal", "netorigin template")]
)
def test_every_key_of_a_case_is_used_or_refused_by_name(key, hint):
    with pytest.raises(ValidationError, match=f"{key}.*not a field of the case contract.*{hint}"):
        validate_case(
            {"ihc_cdx2" if key != "cdx2_ihc" else "age_years": "positive" if key != "cdx2_ihc" else 61, key: "pos"}
        )


def _as(values, field):
    return pd.Categorical(values, categories=FIELDS[field].values)


def _perturbed(edit):
    """A validated (canonical) table, then one edit of the kind a caller makes before predict_proba."""
    raw = pd.DataFrame(
        {
            "case_id": ["a", "b", "c"],
            "ihc_cdx2": ["pos", "neg", None],
            "mitoses_per_2mm2": ["<2", "7", None],
            "age_years": ["61", "", "40"],
            "primary_site": ["ileal", "pancreatic", None],
            "primary_site_detail": ["ileum", None, None],
        }
    )
    t = validate_cohort(raw).table
    edit(t)
    return t


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: None,
        lambda t: t.__setitem__("mitoses_per_2mm2", ["2 to 20", 7, None]),  # raw counts
        lambda t: t.__setitem__("ihc_cdx", ["pos", "neg", "neg"]),  # a near miss of a field
        lambda t: t.__setitem__("cdx2_ihc", ["pos", "neg", "neg"]),  # a field under another name
        lambda t: t.__setitem__("outcome", ["x", "y", "z"]),  # a column validation carries
        lambda t: t.__setitem__("primary_site_detail", _as(["pancreas", None, None], "primary_site_detail")),  # clash
        lambda t: t.__setitem__("primary_site", _as([None, "pancreatic", None], "primary_site")),  # site from detail
        lambda t: t.__setitem__("case_id", [7, 8, 9]),  # identifiers as numbers
        lambda t: t.__setitem__("case_id", ["a\nb", "c", "d"]),  # a line break in an identifier
        lambda t: t.__setitem__("age_years", [61.0, -5.0, np.nan]),  # out of range
    ],
    ids=[
        "as validated",
        "raw mitoses",
        "near miss",
        "alias",
        "carried",
        "labels clash",
        "label gap",
        "int ids",
        "ctrl id",
        "range",
    ],
)
def test_a_table_taken_as_canonical_reads_as_validating_it_would(edit):
    """as_canonical takes a validated table as it is: only when validating it would give it back,
    so that a table is never read two ways depending on its other columns' dtypes."""
    from netorigin.contract import as_canonical

    def outcome(f, X):
        try:
            return f(X)
        except ValidationError as e:
            return str(e)

    fast = outcome(as_canonical, _perturbed(edit))
    slow = outcome(lambda X: validate_cohort(X.astype(object), require_case_id=False).table, _perturbed(edit))
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
    else:
        pd.testing.assert_frame_equal(fast, slow, check_dtype=False, check_categorical=False)


@pytest.mark.parametrize(
    "raw,value",
    [("<1", 0.4), ("< 1 %", 0.4), ("<1%", 0.4), ("less than 1", 0.4), ("Below 1.0 %", 0.4), ("<2", 0.6), ("<3", 0.7)],
)
def test_a_ki67_written_as_below_a_bound_is_read_and_said_back(raw, value):
    # pathology reports write "Ki-67 <1%"; the case is scored with one value below the bound, shown
    v = validate_case({"ki67_percent": raw, "grade": "G1"})
    assert v.table["ki67_percent"].tolist() == [value]
    (said,) = [n for n in v.notices if n.kind == "read_as"]
    assert said.case_text.startswith(f"Ki-67: {raw!r} read as {value:g}% (of the values below ")
    assert not [n for n in v.notices if n.kind == "inconsistent"]  # every such value is grade G1
    cohort = validate_cohort(pd.DataFrame({"case_id": ["a", "b"], "ki67_percent": [raw, "5"]}))
    assert cohort.table["ki67_percent"].tolist() == [value, 5.0]


@pytest.mark.parametrize("raw", ["<5", "<0.5", "<20", "0-1", "1-2%", "2 to 5", "<", "> 20"])
def test_a_ki67_range_that_decides_nothing_alone_is_refused_naming_what_is_read(raw):
    with pytest.raises(ValidationError) as e:
        validate_case({"ki67_percent": raw})
    assert "Ki-67 (ki67_percent)" in str(e.value) and "<1, <2, <3" in str(e.value), str(e.value)


def test_the_json_schema_accepts_the_ki67_readings_the_contract_reads():
    jsonschema = pytest.importorskip("jsonschema")
    from netorigin.contract import contract_json_schema

    schema = contract_json_schema()
    for raw in ("<1", "< 2 %", "Less than 3", 0.4):
        jsonschema.validate({"ki67_percent": raw}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"ki67_percent": "<5"}, schema)


def test_a_ki67_below_a_bound_reads_as_the_value_whose_answer_is_closest():
    """The value read for "<x" gives, of all values below x (the literature's rounding: 0.1 steps),
    the exact posterior closest (Kullback-Leibler) to the exact posterior of "below x" itself, a
    censored reading: the sum of every bin below x, under each named setting. This is where the
    numbers of netorigin.contract._vocabulary.KI67_BELOW come from."""
    from netorigin.contract._vocabulary import KI67_BELOW
    from netorigin.literature import SCENARIOS, default_literature, log_likelihood
    from netorigin.literature._posterior import posterior_from_loglik

    lit = default_literature()
    for bound, read in KI67_BELOW.items():
        grid = np.round(np.arange(1, bound * 10) / 10, 1)  # 0.1 .. bound - 0.1
        table = validate_cohort(pd.DataFrame({"case_id": grid.astype(str), "ki67_percent": grid})).table
        L = log_likelihood(lit.model, table)  # (values, cells)
        below = np.log(np.exp(L).sum(axis=0, keepdims=True))  # p(Ki-67 < bound | cell)
        for scenario in SCENARIOS:
            w = lit.weights(scenario)
            censored = posterior_from_loglik(below, lit.model, w)[0]
            each = posterior_from_loglik(L, lit.model, w)
            kl = (censored * np.log(censored / each)).sum(axis=1)
            assert grid[kl.argmin()] == read, (bound, scenario, grid[kl.argmin()], read)
            assert kl[grid == read][0] < 0.003 < kl[np.isclose(grid, bound / 2)][0], (bound, scenario)


def test_a_cohort_file_with_ki67_below_one_scores_as_the_value_it_is_read_as(tmp_path):
    from _helpers import run

    path = tmp_path / "cohort.csv"
    path.write_text("case_id,ki67_percent,ihc_cdx2\nreport,<1%,negative\nnumber,0.4,negative\n")
    r = run("score", path, "-o", tmp_path / "scored.csv")
    assert r.returncode == 0, r.stderr
    scored = pd.read_csv(tmp_path / "scored.csv")
    assert scored["status"].tolist() == ["scored", "scored"]
    assert scored.iloc[0]["p_ileal"] == scored.iloc[1]["p_ileal"]
    assert (
        "Ki-67: '<1%' read as 0.4%" in scored.iloc[0]["warnings"]
        and scored.iloc[1]["warnings"] != scored.iloc[0]["warnings"]
    )


def test_an_identifier_longer_than_an_identifier_is_refused_by_name():
    """A case_id is shown and printed whole (a 10,000-character one printed on several pages):
    at most 200 characters, refused beyond, the length said."""
    from netorigin.contract._values import MAX_ID_LENGTH

    assert validate_case({"case_id": "X" * MAX_ID_LENGTH, "ihc_cdx2": "positive"}).table["case_id"][0] == "X" * 200
    with pytest.raises(ValidationError, match="case_id: .* is 201 characters; an identifier has at most 200"):
        validate_case({"case_id": "X" * 201, "ihc_cdx2": "positive"})
