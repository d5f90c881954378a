"""Model factories: every kind behind one scikit-learn API.

``make_model(kind)`` returns an unfitted pipeline: schema check -> features -> classifier,
wrapped so that ``classes_`` is always ``ileal, pancreatic, other`` (in that order) and
``predict_proba`` columns follow it.

>>> from netorigin.models import make_model, MODEL_KINDS
>>> MODEL_KINDS
('xgboost', 'logistic', 'mlp', 'literature', 'rules')
>>> [name for name, _ in make_model("xgboost", random_state=0).steps]
['check', 'features', 'classifier']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .._fields import SITES
from ..exceptions import InputError
from ..features import CaseFeatures, CheckCases
from ._literature import LiteratureSiteClassifier
from ._rules import DEFAULT_RULES, RulesSiteClassifier
from ._xgb import XGBoostSiteClassifier, softmax

__all__ = ["make_model", "MODEL_KINDS", "SiteClassifier", "XGBoostSiteClassifier",
           "LiteratureSiteClassifier", "RulesSiteClassifier", "DEFAULT_RULES", "site_codes", "softmax"]

MODEL_KINDS = ("xgboost", "logistic", "mlp", "literature", "rules")


def site_codes(y) -> np.ndarray:
    """Site labels (ileal, pancreatic, other; canonical strings or categorical) as 0, 1, 2."""
    values = pd.Series(y).astype(object)
    bad = sorted({str(v) for v in values if v not in SITES})
    if bad:
        raise InputError(f"primary_site: {', '.join(map(repr, bad))} is not one of {', '.join(SITES)}")
    return values.map({s: i for i, s in enumerate(SITES)}).to_numpy(dtype=int)


class SiteClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on site codes so that ``classes_`` follow ileal, pancreatic, other."""

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y, **fit_params):
        codes = site_codes(y)
        self.estimator_ = clone(self.estimator).fit(X, codes, **fit_params)
        self.classes_ = np.array(SITES, dtype=object)[np.asarray(self.estimator_.classes_, dtype=int)]
        return self

    def decision_function(self, X):
        """Margins on the log-odds scale, one column per class (softmax gives the probabilities)."""
        check_is_fitted(self, "estimator_")
        est = self.estimator_
        if hasattr(est, "decision_function") and not hasattr(est, "coefs_"):
            m = est.decision_function(X)
            return m if m.ndim == 2 else np.column_stack([-m / 2, m / 2])
        return np.log(np.clip(est.predict_proba(X), 1e-300, None))

    def predict_proba(self, X):
        return softmax(self.decision_function(X))

    def predict(self, X):
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]


def make_model(kind: str = "xgboost", *, random_state=None, **params) -> Pipeline:
    """An unfitted pipeline: schema check -> features -> classifier.

    Parameters
    ----------
    kind : {"xgboost", "logistic", "mlp", "literature", "rules"}
        ``xgboost`` (default): gradient-boosted trees, NaN for tests not done.
        ``logistic``: multinomial logistic regression on standardised features with
        explicit missing indicators. ``mlp``: a small neural network on the same features.
        ``literature``: naive Bayes from the published rates; no training needed.
        ``rules``: the seed paper's clinical clues as points.
    random_state : int, RandomState or None
    **params
        Hyper-parameters of the classifier.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    if kind == "xgboost":
        clf, feats = XGBoostSiteClassifier(random_state=random_state, **params), CaseFeatures(dtype="float32")
    elif kind == "logistic":
        clf = LogisticRegression(**{"C": 0.5, "max_iter": 3000, **params})
        feats = CaseFeatures(missing="indicator", scale=True)
    elif kind == "mlp":
        clf = MLPClassifier(**{"hidden_layer_sizes": (32,), "alpha": 1e-3, "max_iter": 500,
                               "early_stopping": True, "random_state": random_state, **params})
        feats = CaseFeatures(missing="indicator", scale=True)
    elif kind == "literature":
        return Pipeline([("check", CheckCases()), ("classifier", SiteClassifier(LiteratureSiteClassifier(**params)))])
    elif kind == "rules":
        return Pipeline([("check", CheckCases()), ("classifier", SiteClassifier(RulesSiteClassifier(**params)))])
    else:
        raise InputError(f"model: {kind!r} is not one of {', '.join(MODEL_KINDS)}")
    return Pipeline([("check", CheckCases()), ("features", feats), ("classifier", SiteClassifier(clf))])
