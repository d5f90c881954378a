"""Temperature scaling: a classifier's margins made into calibrated probabilities, fitted by
log-loss on held-out (out-of-fold) margins, never on the rows a model was trained on."""

from __future__ import annotations

import numpy as np

from .._base import BaseEstimator, check_is_fitted
from .._math import log_softmax
from ..exceptions import InputError


class TemperatureScaling(BaseEstimator):
    """softmax(margin / T + b), fitted by log-loss on held-out margins.

    Parameters
    ----------
    per_label : bool
        One temperature per label (vector scaling; better calibrated when the labels are many
        sub-sites) or one shared temperature.

    Attributes
    ----------
    temperature_ : ndarray of shape (n_classes,)
    bias_ : ndarray of shape (n_classes,)

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 2000)
    >>> margins = 3.0 * np.eye(3)[y] + rng.normal(size=(2000, 3)) * 2   # over-confident
    >>> cal = TemperatureScaling().fit(margins, y)
    >>> bool(cal.temperature_[0] > 1)
    True
    """

    def __init__(self, per_label=False):
        self.per_label = per_label

    def fit(self, margins, y):
        from scipy.optimize import minimize

        margins, y = np.asarray(margins, dtype=float), np.asarray(y, dtype=int)
        K = margins.shape[1]
        n_t = K if self.per_label else 1

        def nll(theta):
            logp = log_softmax(margins / np.exp(theta[:n_t]) + np.r_[0.0, theta[n_t:]])
            return -logp[np.arange(len(y)), y].mean()

        res = minimize(nll, np.zeros(n_t + K - 1), method="L-BFGS-B")
        self.temperature_ = np.broadcast_to(np.exp(res.x[:n_t]), (K,)).copy()
        self.bias_ = np.r_[0.0, res.x[n_t:]]
        return self

    @classmethod
    def fitted(cls, temperature: float, bias) -> TemperatureScaling:
        """A fitted instance from stored values (a bundle being read); both are checked."""
        try:
            t, b = np.asarray(temperature, dtype=float), np.asarray(bias, dtype=float)
        except (TypeError, ValueError):
            t, b = np.array(np.nan), np.array([np.nan])
        if (
            b.ndim != 1
            or t.ndim > 1
            or (t.ndim == 1 and t.shape != b.shape)
            or not np.all(np.isfinite(t))
            or not np.all(t > 0)
            or not np.all(np.isfinite(b))
        ):
            raise InputError(
                f"calibration: temperature {str(temperature)[:40]!r} must be finite numbers > 0 (one, "
                "or one per label) and bias one finite number per label"
            )
        self = cls(per_label=t.ndim == 1)
        self.temperature_, self.bias_ = np.broadcast_to(t, b.shape).astype(float), b
        return self

    def log_proba(self, margins) -> np.ndarray:
        check_is_fitted(self, "temperature_")
        return log_softmax(np.asarray(margins, dtype=float) / self.temperature_ + self.bias_)

    def predict_proba(self, margins) -> np.ndarray:
        return np.exp(self.log_proba(margins))
