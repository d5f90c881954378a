"""Every public function takes what its docstring says it takes, and gives the same answer for
each kind of the same cases: a ValidatedCohort (what load_cases and validate_* return), its
canonical table, a raw table in the contract, the cases of one validated case, a mapping."""

import numpy as np
import pandas as pd
import pytest

from netorigin import (
    bayes_posterior,
    case_report,
    describe_cohort,
    evaluate_model,
    make_synthetic_cohort,
    score_cases,
    score_cohort,
    train,
    validate_case,
    validate_cohort,
)

RAW = pd.DataFrame(  # a table as a registry writes it: synonyms, and a case outside the intended use
    {
        "case_id": ["a", "b", "c"],
        "CDX2": ["pos", "neg", "negative"],
        "differentiation": ["poorly differentiated", "well", "well"],
        "ttf1": ["", "pos", ""],
        "primary_site": ["ileum", "other", "pancreas"],
    }
).rename(columns={"CDX2": "ihc_cdx2", "ttf1": "ihc_ttf1"})
CASE = {"ihc_cdx2": "pos", "carcinoid_syndrome": "yes", "ki67_percent": "2"}


def _reports(res) -> list[dict]:
    return [case_report(res, i) for i in range(len(res.proba))]


@pytest.fixture(scope="module")
def validated():
    return validate_cohort(RAW)


def test_score_cases_takes_a_validated_cohort_and_keeps_its_notices(default_model, validated):
    got = score_cases(default_model, validated, advice=False)
    want = score_cases(default_model, validated.table, notices=validated.notices, advice=False)
    assert got.outside.tolist() == [True, False, False]
    assert _reports(got) == _reports(want)
    assert "intended use" in " ".join(got.warnings[0])


def test_score_cases_validates_a_raw_table_and_keeps_what_validation_says(default_model, validated):
    got = score_cases(default_model, RAW, advice=False)
    assert got.outside.tolist() == [True, False, False]  # before: scored as inside the intended use, no word
    assert _reports(got) == _reports(score_cases(default_model, validated, advice=False))


def test_score_cases_takes_a_canonical_table_as_it_is_with_the_notices_given(default_model, validated):
    as_is = score_cases(default_model, validated.table, advice=False)
    assert not as_is.outside.any()  # the notices were validation's: not given, not known
    np.testing.assert_array_equal(as_is.proba, score_cases(default_model, validated, advice=False).proba)


def test_score_cases_takes_one_case_as_its_columns_or_as_a_mapping(default_model):
    v = validate_case(CASE)
    want = _reports(score_cases(default_model, v.cases, notices=v.notices, panel=2))
    assert _reports(score_cases(default_model, v, panel=2)) == want
    assert _reports(score_cases(default_model, CASE, panel=2)) == want


def test_score_cohort_and_describe_cohort_take_a_table_as_they_take_it_validated(default_model, validated):
    pd.testing.assert_frame_equal(score_cohort(default_model, RAW), score_cohort(default_model, validated))
    assert describe_cohort(RAW) == describe_cohort(validated)


def test_the_model_and_the_posterior_take_every_kind_of_the_same_cases(default_model, validated):
    for kind in (validated, RAW):
        np.testing.assert_array_equal(default_model.predict_proba(kind), default_model.predict_proba(validated.table))
        pd.testing.assert_frame_equal(bayes_posterior(kind), bayes_posterior(validated.table))
    one = validate_case(CASE)
    np.testing.assert_array_equal(default_model.predict_proba(CASE), default_model.predict_proba(one.cases))
    np.testing.assert_array_equal(bayes_posterior(one).to_numpy(), bayes_posterior(one.table).to_numpy())


def test_evaluate_model_and_train_take_a_validated_cohort(default_model):
    cohort = make_synthetic_cohort(240, scenario="liver-met-archive", random_state=8)
    v = validate_cohort(cohort)
    settings = {"n_bootstrap": 0, "with_robustness": False}
    assert evaluate_model(default_model, v, **settings) == evaluate_model(default_model, cohort, **settings)
    assert evaluate_model(default_model, v, **settings) == evaluate_model(
        default_model, cohort, cohort["primary_site"], **settings
    )
    fit = {"kind": "latent-class", "params": {"literature_weight": 1.0}, "n_splits": 3, **settings}
    a, b = train(v, **fit), train(cohort, **fit)
    np.testing.assert_array_equal(a.model.predict_proba(cohort), b.model.predict_proba(cohort))
