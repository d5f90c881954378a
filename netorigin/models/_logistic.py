"""The ``logistic`` kind: multinomial logistic regression on standardised features with explicit
missing indicators; its exact explainer (linear SHAP) and its codec (JSON)."""

from __future__ import annotations

import numpy as np

from ..features import CaseFeatures
from ._registry import ModelKind, dump_json, group_by_field, read_json, register


def _rowwise_linear(X, coef, intercept):
    """X @ coef.T + intercept as element-wise products summed per row: the same bits for a case
    alone or in a batch, and before or after the model is saved (BLAS rounding depends on both)."""
    X = np.ascontiguousarray(X, dtype=float)
    return (X[:, None, :] * np.ascontiguousarray(coef, dtype=float)[None, :, :]).sum(axis=2) + intercept


def _classifier_class():
    from sklearn.linear_model import LogisticRegression

    class LogisticSiteRegression(LogisticRegression):
        """scikit-learn's LogisticRegression with a batch-independent decision function."""

        def decision_function(self, X):
            from sklearn.utils.validation import check_is_fitted, validate_data

            check_is_fitted(self)
            X = validate_data(self, X, reset=False)
            return _rowwise_linear(X, self.coef_, self.intercept_)

    LogisticSiteRegression.__module__ = __name__
    return LogisticSiteRegression


def _make(random_state=None, **params):
    cls = _classifier_class()
    return (CaseFeatures(missing="indicator", scale=True),
            cls(**{"C": 0.5, "max_iter": 3000, "random_state": random_state, **params}))


def _explain(clf, X, feature_fields):
    """Exact for a linear model on standardised (mean 0) features: coefficient x value."""
    vals = X[:, None, :] * clf.coef_[None, :, :]
    fields, contrib = group_by_field(vals, feature_fields)
    return fields, contrib, np.tile(clf.intercept_, (len(X), 1))


def _to_files(clf):
    return {"linear.json": dump_json({"coef": clf.coef_.tolist(), "intercept": clf.intercept_.tolist(),
                                      "classes": [int(c) for c in clf.classes_]})}


def _from_files(files):
    d = read_json(files["linear.json"], "linear.json")
    clf = _classifier_class()()
    clf.coef_ = np.asarray(d["coef"], dtype=float)
    clf.intercept_ = np.asarray(d["intercept"], dtype=float)
    clf.classes_ = np.asarray(d.get("classes", range(len(clf.intercept_))), dtype=int)
    clf.n_features_in_ = clf.coef_.shape[1]
    return clf


register(ModelKind(
    name="logistic",
    summary="multinomial logistic regression on standardised features with missing indicators",
    make_classifier=_make, explain=_explain, to_files=_to_files, from_files=_from_files,
    files=("linear.json",),
))
