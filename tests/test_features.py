"""Feature builders: not done stays NaN, equivocal is its own value, alone == in batch."""

import numpy as np
import pandas as pd
import pytest

from netorigin import CaseFeatures, CheckCases, load_seed_cohort, validate_cohort
from netorigin.testing import assert_same_alone_and_in_batch


@pytest.fixture
def cohort():
    raw = pd.DataFrame(
        {
            "case_id": ["a", "b", "c", "d"],
            "ihc_cdx2": ["positive", "negative", "equivocal", None],
            "grade": ["G1", "G2", None, "G3"],
            "age_years": [50, None, 70, 40],
            "mitoses_per_2mm2": ["<2", "7", None, ">20"],
            "alt_status": ["positive", None, "negative", None],
            "expr_sctr": [1.0, None, 3.0, 2.0],
        }
    )
    return validate_cohort(raw).table


def _frame(ft, m):
    return pd.DataFrame(m, columns=ft.get_feature_names_out())


def test_not_done_is_nan_never_negative(cohort):
    ft = CaseFeatures().fit(cohort)
    f = _frame(ft, ft.transform(cohort))
    assert f.loc[3, ["ihc_cdx2=positive", "ihc_cdx2=negative", "ihc_cdx2=equivocal"]].isna().all()
    assert f.loc[1, "ihc_cdx2=negative"] == 1.0 and f.loc[1, "ihc_cdx2=positive"] == 0.0
    assert np.isnan(f.loc[1, "alt_status=positive"]) and f.loc[2, "alt_status=positive"] == 0.0
    assert np.isnan(f.loc[1, "age_years"])


def test_equivocal_is_neither_positive_nor_negative(cohort):
    ft = CaseFeatures().fit(cohort)
    row = _frame(ft, ft.transform(cohort)).loc[2]
    assert (row["ihc_cdx2=positive"], row["ihc_cdx2=negative"], row["ihc_cdx2=equivocal"]) == (0, 0, 1)


def test_ordinal_and_mitoses_bands(cohort):
    ft = CaseFeatures().fit(cohort)
    f = _frame(ft, ft.transform(cohort))
    assert f["grade"].tolist()[:2] == [1.0, 2.0] and np.isnan(f["grade"][2])
    assert f["mitoses_per_2mm2"].tolist()[:2] == [0.0, 1.0] and f["mitoses_per_2mm2"][3] == 2.0


def test_optional_blocks_absent_are_missing_present_are_used(cohort):
    ft = CaseFeatures().fit(cohort)
    names = list(ft.get_feature_names_out())
    assert "expr_sctr" in names and "expr_cd302" in names
    f = _frame(ft, ft.transform(cohort.drop(columns=["expr_sctr", "alt_status"])))
    assert f["expr_sctr"].isna().all() and f["alt_status=positive"].isna().all()
    assert f["expr_cd302"].isna().all()


def test_feature_fields_map_back_to_contract(cohort):
    ft = CaseFeatures().fit(cohort)
    for name, field in zip(ft.get_feature_names_out(), ft.feature_fields_):
        assert name == field or name.startswith(field + "=")


@pytest.mark.parametrize("params", [{}, {"missing": "indicator"}, {"missing": "indicator", "scale": True}])
def test_one_case_alone_equals_in_batch(cohort, params):
    ft = CaseFeatures(**params).fit(cohort)
    assert_same_alone_and_in_batch(ft.transform, cohort)
    seed = load_seed_cohort().table
    assert_same_alone_and_in_batch(ft.transform, seed)


def test_indicator_variant_has_no_nan_and_flags_missing(cohort):
    ft = CaseFeatures(missing="indicator", scale=True).fit(cohort)
    m = ft.transform(cohort)
    assert not np.isnan(m).any()
    ft_raw = CaseFeatures(missing="indicator").fit(cohort)
    f = _frame(ft_raw, ft_raw.transform(cohort))
    assert f.loc[3, "ihc_cdx2=missing"] == 1 and f.loc[1, "ihc_cdx2=missing"] == 0
    # filled values for a missing case: all zeros, so the indicator alone carries "not done"
    assert f.loc[3, ["ihc_cdx2=positive", "ihc_cdx2=negative", "ihc_cdx2=equivocal"]].sum() == 0
    assert f.loc[1, "age_years"] == np.nanmedian([50, 70, 40])
    assert np.allclose(m.mean(axis=0), 0, atol=1e-9)


def test_raw_table_is_validated_on_the_way_in():
    raw = pd.DataFrame({"ihc_cdx2": ["+", "ND"], "grade": ["2", "1"]})
    ft = CaseFeatures().fit(raw)
    f = _frame(ft, ft.transform(raw))
    assert f["ihc_cdx2=positive"].tolist()[0] == 1.0 and np.isnan(f["ihc_cdx2=positive"][1])


def test_check_cases_validates_and_passes_canonical_tables_through(cohort):
    step = CheckCases().fit(cohort)
    assert step.transform(cohort) is cohort  # already canonical: no copy
    from netorigin.exceptions import ValidationError

    with pytest.raises(ValidationError, match=r"CDX2 \(ihc_cdx2\): 'postive'"):
        step.transform(pd.DataFrame({"ihc_cdx2": ["postive"]}))


def test_bad_parameters_fail_at_fit(cohort):
    with pytest.raises(ValueError, match="missing"):
        CaseFeatures(missing="zero").fit(cohort)
    with pytest.raises(ValueError, match="scale"):
        CaseFeatures(scale=True).fit(cohort)
