"""Prediction sets: class-conditional (Mondrian, by label) split-conformal sets whose thresholds
are computed for any deployment prior from the calibration cases they keep."""

from __future__ import annotations

import numpy as np

from .._base import BaseEstimator, check_is_fitted
from ..contract import SITES
from ..exceptions import InputError
from ._prior import _remember, reweight, site_sums


class ConformalSets(BaseEstimator):
    """Split-conformal prediction sets over the three sites, class-conditional by label.

    The calibration cases' held-out, calibrated probabilities (under the training mix) are kept,
    so that thresholds can be computed for *any* deployment prior when it is asked for: the
    probabilities are shifted to that prior exactly as a scored case's are. A case's score is 0
    when its true site is the most probable one (the top site is always in the set, so a set never
    contradicts the probabilities shown) and 1 - p(its true label) otherwise. Thresholds are
    quantiles of the scores *per label* (per sub-site for sub-site models): since each sub-site
    looks the same whatever the mix, every sub-site, and so every site, is covered at the level
    under any mix of sub-sites. A site enters a case's set when one of its labels' scores is
    within that label's threshold; the set is then closed upward (every site more probable than
    one in the set joins it), so it is always the k most probable sites. A label with too few
    calibration cases for the level uses the pooled scores of its site (listed by :meth:`thresholds`).

    Attributes
    ----------
    cal_proba_ : ndarray (n, labels), float32
    cal_y_ : ndarray (n,)  label index of each calibration case
    label_site_ : ndarray (labels,)  site index of each label
    """

    def fit(self, proba, y, *, label_site):
        self.cal_proba_ = np.asarray(proba, dtype=np.float32)
        self.cal_y_ = np.asarray(y, dtype=int)
        self.label_site_ = np.asarray(label_site, dtype=int)
        if (
            self.cal_proba_.ndim != 2
            or self.cal_proba_.shape[1] != len(self.label_site_)
            or len(self.cal_y_) != len(self.cal_proba_)
            or len(self.cal_y_) == 0
        ):
            raise InputError("calibration cases: probabilities, labels and label sites do not fit together")
        if (
            self.cal_y_.min() < 0
            or self.cal_y_.max() >= len(self.label_site_)
            or not np.all(np.isfinite(self.cal_proba_))
        ):
            raise InputError("calibration cases: a label index or a probability is out of range")
        self._cache = {}
        return self

    @staticmethod
    def _quantile(scores: np.ndarray, level: float) -> float | None:
        n = len(scores)
        k = int(np.ceil((n + 1) * level))
        if n == 0 or k > n:
            return None
        return float(np.partition(scores, k - 1)[k - 1])

    def thresholds(self, weights, coverage: float) -> tuple[np.ndarray, list]:
        """(threshold per label, labels that used their site's pooled scores) for the prior whose
        per-label multipliers are ``weights``."""
        check_is_fitted(self, "cal_proba_")
        _check_coverage(coverage)
        key = (tuple(np.round(np.asarray(weights, dtype=float), 12).tolist()), round(float(coverage), 6))
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            p = reweight(self.cal_proba_.astype(float), weights)
            P = site_sums(p, self.label_site_)
            true_site = self.label_site_[self.cal_y_]
            score = np.where(P.argmax(axis=1) == true_site, 0.0, 1.0 - p[np.arange(len(p)), self.cal_y_])
            q, pooled = np.ones(len(self.label_site_)), []
            possible = np.asarray(weights, dtype=float) > 0
            for lab in range(len(self.label_site_)):
                if not possible[lab]:  # a label the prior rules out is never a case's true label
                    q[lab] = -np.inf
                    continue
                t = self._quantile(score[self.cal_y_ == lab], coverage)
                if t is None:
                    same = (true_site == self.label_site_[lab]) & possible[self.cal_y_]
                    t = self._quantile(score[same], coverage)
                    pooled.append(lab)
                q[lab] = 1.0 if t is None else t
            _remember(cache, key, (q, pooled))
        return cache[key]

    def predict(self, proba, coverage: float, weights) -> np.ndarray:
        """Boolean (n, 3) sets from probabilities over the labels, already shifted to the prior
        whose per-label multipliers are ``weights``."""
        q, _ = self.thresholds(weights, coverage)
        proba = np.asarray(proba, dtype=float)
        hit = (1.0 - proba) <= q[None, :] + 1e-12
        s = np.zeros((len(proba), len(SITES)), dtype=bool)
        for k in range(len(SITES)):
            s[:, k] = hit[:, self.label_site_ == k].any(axis=1)
        P = site_sums(proba, self.label_site_)
        s[np.arange(len(proba)), P.argmax(axis=1)] = True
        # closed upward: a site more probable than one in the set is in it too (adding sites only
        # raises coverage), so a set is always the most probable sites and never contradicts them
        floor = np.where(s, P, np.inf).min(axis=1, keepdims=True)
        return s | (P >= floor)


def _check_coverage(coverage) -> None:
    if (
        not isinstance(coverage, (int, float, np.floating))
        or isinstance(coverage, bool)
        or not np.isfinite(coverage)
        or not 0.5 <= coverage <= 0.99
    ):
        raise InputError(f"coverage: {coverage!r} is not a number from 0.50 to 0.99")
