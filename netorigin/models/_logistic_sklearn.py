"""The logistic kind's classifier: scikit-learn's LogisticRegression with a batch-independent
decision function (imported only when a logistic model is made or read)."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted, validate_data


class LogisticSiteRegression(LogisticRegression):
    """scikit-learn's LogisticRegression whose decision function sums element-wise products per
    row: the same bits for a case alone or in a batch, before or after the model is saved."""

    def decision_function(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        coef = self.coef_.toarray() if hasattr(self.coef_, "toarray") else self.coef_  # after sparsify()
        scores = _rowwise_linear(X, coef, self.intercept_)
        return scores.ravel() if scores.shape[1] == 1 else scores  # two classes: one score, as scikit-learn


def _rowwise_linear(X, coef, intercept):
    """X @ coef.T + intercept as element-wise products summed per row: the same bits for a case
    alone or in a batch, and before or after the model is saved (BLAS rounding depends on both)."""
    X = np.ascontiguousarray(X, dtype=float)
    return (X[:, None, :] * np.ascontiguousarray(coef, dtype=float)[None, :, :]).sum(axis=2) + intercept
