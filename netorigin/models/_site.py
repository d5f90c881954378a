"""The site classifier wrapper: any classifier on site codes, with ``classes_`` always
ileal, pancreatic, other."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.validation import check_is_fitted

from .._math import softmax
from ..contract import SITES
from ..exceptions import InputError


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

    @classmethod
    def fitted(cls, estimator) -> "SiteClassifier":
        """Wrap an already-fitted classifier on site codes (a bundle being read)."""
        self = cls(estimator)
        self.estimator_ = estimator
        self.classes_ = np.array(SITES, dtype=object)[np.asarray(estimator.classes_, dtype=int)]
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
