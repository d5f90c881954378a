"""The ``logistic`` kind: multinomial logistic regression on standardised features with explicit
missing indicators; its exact explainer (linear SHAP) and its codec (JSON)."""

from __future__ import annotations

import numpy as np

from .._runtime import MAX_WEIGHT
from ..exceptions import InputError, check_stored
from ..io import CaseFeatures
from ._registry import ModelKind, dump_json, group_by_field, read_json, register, stored_classes


def _classifier_class():
    """LogisticSiteRegression (its module imports scikit-learn: imported when a logistic model is made)."""
    from ._logistic_sklearn import LogisticSiteRegression

    return LogisticSiteRegression


def _make(random_state=None, **params):
    cls = _classifier_class()
    return (
        CaseFeatures(missing="indicator", scale=True, procedures=False),
        cls(**{"C": 0.5, "max_iter": 3000, "random_state": random_state, **params}),
    )


def _explain(clf, X, feature_fields):
    """Exact for a linear model on standardised (mean 0) features: coefficient x value."""
    vals = X[:, None, :] * clf.coef_[None, :, :]
    fields, contrib = group_by_field(vals, feature_fields)
    return fields, contrib, np.tile(clf.intercept_, (len(X), 1))


def _to_files(clf):
    return {
        "linear.json": dump_json(
            {
                "coef": clf.coef_.tolist(),
                "intercept": clf.intercept_.tolist(),
                "classes": [int(c) for c in clf.classes_],
            }
        )
    }


def _from_files(files):
    d = read_json(files["linear.json"], "linear.json")
    if not isinstance(d, dict):
        raise InputError("linear.json: expected coef, intercept and classes")
    clf = _classifier_class()()
    clf.coef_ = check_stored(d.get("coef"), "linear.json: coef", shape=(None, None), low=-MAX_WEIGHT, high=MAX_WEIGHT)
    k = len(clf.coef_)
    clf.intercept_ = check_stored(
        d.get("intercept"), "linear.json: intercept", shape=(k,), low=-MAX_WEIGHT, high=MAX_WEIGHT
    )
    clf.classes_ = stored_classes(d.get("classes", list(range(k))), k, "linear.json")
    clf.n_features_in_ = clf.coef_.shape[1]
    return clf


register(
    ModelKind(
        name="logistic",
        summary="multinomial logistic regression on standardised features with missing indicators",
        make_classifier=_make,
        explain=_explain,
        to_files=_to_files,
        from_files=_from_files,
        files=("linear.json",),
    )
)
