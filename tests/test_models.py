"""Every model kind behind one scikit-learn API."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from netorigin import load_seed_cohort
from netorigin.exceptions import InputError
from netorigin.literature import bayes_posterior
from netorigin.models import MODEL_KINDS, make_model
from netorigin.testing import assert_probabilities, assert_same_alone_and_in_batch

SITES = ["ileal", "pancreatic", "other"]


def _checked_kinds():
    """The classifier of every registered kind that takes numeric arrays, small enough for the checks;
    the kinds that read the case table itself are listed with why the checks cannot apply."""
    from netorigin.models import get_kind

    # small, and without early stopping (its validation share cannot hold every class of the checks' tiny data)
    small = {"xgboost": {"n_estimators": 5, "n_jobs": 1}, "mlp": {"early_stopping": False}}
    out, cannot = [], {}
    for kind in MODEL_KINDS:
        features, clf = get_kind(kind).make_classifier(random_state=0, **small.get(kind, {}))
        if features is None:
            cannot[kind] = "reads the validated case table (contract fields), not a numeric array"
        else:
            out.append(clf)
    return out, cannot


_CHECKED, CANNOT_APPLY = _checked_kinds()
EXPECTED_FAILURES = {
    "XGBoostSiteClassifier": {
        "check_sample_weight_equivalence_on_dense_data": "row/column subsampling draws different random subsets "
        "for weighted vs duplicated rows"
    },
}
with warnings.catch_warnings():
    # netorigin's estimators implement scikit-learn's protocol without inheriting from
    # sklearn.base.BaseEstimator (netorigin/_runtime/_estimator.py: scoring one case never imports scikit-learn);
    # the checks below are what holds them to the protocol
    warnings.filterwarnings("ignore", message="Estimator .* does not inherit from", category=UserWarning)
    _PARAMETRIZE = parametrize_with_checks(
        _CHECKED, expected_failed_checks=lambda est: EXPECTED_FAILURES.get(type(est).__name__, {})
    )


@pytest.mark.filterwarnings("ignore:Estimator .* does not inherit from:UserWarning")
# the stochastic optimizer of the mlp kind rarely converges on the checks' tiny random data within
# max_iter: a warning about the data, not a failure of the protocol
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@_PARAMETRIZE
def test_every_numeric_kind_is_a_real_sklearn_estimator(estimator, check):
    check(estimator)


def test_the_kinds_the_checks_cannot_apply_to_say_why():
    assert set(CANNOT_APPLY) == {"literature", "latent-class", "rules", "latent-boost"}
    assert len(_CHECKED) == len(MODEL_KINDS) - len(CANNOT_APPLY)


@pytest.fixture(scope="module")
def fitted(small_cohort):
    # small ensembles; the latent-class kind's choice of the literature's weight is tested in test_latent.py
    from conftest import TINY

    return {
        k: make_model(k, random_state=0, **TINY.get(k, {})).fit(small_cohort, small_cohort["primary_site"])
        for k in MODEL_KINDS
    }


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_every_kind_predicts_probabilities_in_the_order_of_classes(kind, fitted, small_test_cohort):
    m = fitted[kind]
    assert list(m.classes_) == sorted(SITES)  # scikit-learn's order; the package keeps the contract's in labels_
    assert list(m.named_steps["classifier"].labels_) == SITES
    p = m.predict_proba(small_test_cohort)
    assert_probabilities(p, 3)
    y = small_test_cohort["primary_site"].astype(object).to_numpy()
    acc = (m.classes_[p.argmax(1)] == y).mean()
    assert acc > (0.6 if kind == "rules" else 0.8), acc
    assert set(m.predict(small_test_cohort.iloc[:50])) <= set(SITES)


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_one_case_scores_the_same_alone_and_in_batch(kind, fitted):
    # scikit-learn's own linear algebra (logistic, mlp) rounds differently by batch size (1e-16);
    # netorigin's saved-model predictors are exact (tests/test_bundle.py)
    atol = 1e-12 if kind in ("logistic", "mlp") else 0.0
    assert_same_alone_and_in_batch(fitted[kind].predict_proba, load_seed_cohort().table, atol=atol)


def test_factory_returns_unfitted_pipelines_and_rejects_unknown_kinds():
    m = make_model("xgboost", random_state=0)
    assert [n for n, _ in m.steps] == ["check", "features", "classifier"]
    assert not hasattr(m.named_steps["classifier"], "estimator_")
    with pytest.raises(InputError, match="not one of xgboost"):
        make_model("svm")


def test_labels_outside_the_sites_and_sub_sites_are_refused(small_cohort):
    with pytest.raises(InputError, match=r"y: 'liver' is not a site \(ileal, other, pancreatic\) or a sub-site"):
        make_model("logistic").fit(small_cohort.iloc[:10], ["liver"] * 10)
    with pytest.raises(InputError, match="primary_site_detail: 'ileal' is not one of ileum"):
        make_model("logistic", level="subsite").fit(small_cohort.iloc[:10], ["ileal"] * 10)


def test_literature_model_needs_no_training_and_explains_itself_exactly():
    m = make_model("literature").fit(load_seed_cohort().table.iloc[:0], [])  # no cases at all
    clf = m.named_steps["classifier"].estimator_
    seed = load_seed_cohort().table
    fields, parts = clf.field_contributions(seed)
    np.testing.assert_allclose(clf.log_prior_ + parts.sum(axis=1), clf.decision_function(seed))
    # a field that was not done contributes exactly nothing
    assert np.all(parts[:, fields.index("ihc_isl1"), :] == 0)
    # CDX2-positive patients with the syndrome (seed 1 and 7) look ileal
    p = m.predict_proba(seed)
    assert (p[[0, 6], 0] > 0.9).all()


def test_literature_model_close_to_the_bayes_posterior(small_test_cohort):
    m = make_model("literature").fit(small_test_cohort.iloc[:0], [])
    p = m.predict_proba(small_test_cohort)
    b = bayes_posterior(small_test_cohort)[list(m.classes_)].to_numpy()  # by name, in the order of classes_
    assert (p.argmax(1) == b.argmax(1)).mean() > 0.95


def test_rules_follow_the_papers_clues():
    m = make_model("rules").fit(pd.DataFrame({"ihc_cdx2": [None] * 3}), SITES)
    cases = pd.DataFrame(
        {
            "ihc_cdx2": ["positive", None, None],
            "ihc_ttf1": [None, "positive", None],
            "alt_status": [None, None, "positive"],
        }
    )
    assert list(m.predict(cases)) == ["ileal", "other", "pancreatic"]


def test_one_default_kind_for_make_model_site_model_and_train():
    import inspect

    from netorigin.estimator import SiteModel
    from netorigin.models import DEFAULT_KIND, MODEL_KINDS, make_model
    from netorigin.training import train

    assert DEFAULT_KIND in MODEL_KINDS
    assert inspect.signature(make_model).parameters["kind"].default == DEFAULT_KIND
    assert SiteModel().kind == DEFAULT_KIND
    assert type(make_model()[-1].estimator).__name__ == type(make_model(DEFAULT_KIND)[-1].estimator).__name__
    assert inspect.signature(train).parameters["kind"].default is None  # None: DEFAULT_KIND (xgboost on Dask)
