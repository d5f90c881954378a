"""Prediction sets: the most probable sites holding the level of the model's own probability, plus
any site whose probability is not low enough to rule it out for cases of that site with as much
recorded (class-conditional split-conformal within strata of recorded fields). Thresholds are
computed for any deployment prior from the calibration cases the model keeps."""

from __future__ import annotations

import numpy as np

from .._runtime import BaseEstimator, check_is_fitted
from ..contract import SITES, site_sums
from ..exceptions import InputError, check_stored
from ..io import INFORMATION_BINS
from ._prior import _remember, allowed_sites, reweight

MAX_CALIBRATION_CASES = 500_000  # kept (a sample beyond): a new prior's thresholds in well under a second
MIN_STRATUM = 50  # effective calibration cases of a site within a stratum; fewer: the site's pooled scores
# Why a site is in a case's set (:meth:`ConformalSets.reasons`); "" = not in the set.
SET_HOLDS = "holds"  # one of the most probable sites that together hold the level of the probability
SET_KEPT = "kept"  # cases of that site with as much recorded get probabilities this low too often to rule it out
SET_ABOVE = "above"  # more probable than a kept site (a set is always the most probable sites)


def stratum_of(n_fields) -> np.ndarray:
    """The index in :data:`~netorigin.io.INFORMATION_BINS` of each number of informative fields."""
    k = np.asarray(n_fields, dtype=int)
    out = np.zeros(k.shape, dtype=int)
    for j, (lo, _, _) in enumerate(INFORMATION_BINS):
        out[k >= lo] = j
    return out


def mass_sets(p: np.ndarray, level: float) -> np.ndarray:
    """Boolean (n, sites): the fewest most probable sites whose probabilities add up to ``level``."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(-p, axis=1, kind="stable")
    cum = np.cumsum(np.take_along_axis(p, order, axis=1), axis=1)
    k = (cum < level - 1e-9).sum(axis=1) + 1
    out = np.zeros(p.shape, dtype=bool)
    for j in range(p.shape[1]):
        np.put_along_axis(out, order[:, j : j + 1], (j < k)[:, None], axis=1)
    return out


def _weighted_quantile(scores: np.ndarray, weights: np.ndarray, level: float) -> float:
    """The conformal quantile of weighted scores: the smallest score whose weighted share, counting
    the case being scored as one more case of the largest weight at +infinity, reaches ``level``
    (1.0, i.e. always keep, when no score does)."""
    if len(scores) == 0 or weights.sum() <= 0:
        return 1.0
    order = np.argsort(scores, kind="stable")
    s, w = scores[order], weights[order]
    share = np.cumsum(w) / (w.sum() + w.max())
    i = int(np.searchsorted(share, level - 1e-12, side="left"))
    return 1.0 if i >= len(s) else float(s[i])


class ConformalSets(BaseEstimator):
    """Prediction sets over the three sites, valid per site within strata of how much is recorded.

    A case's set at level L holds (1) the fewest most probable sites whose probabilities add up to
    L, so the set never holds less than L of the probability shown beside it, and any site above
    1 - L; (2) every other site whose probability is not low enough to rule it out: for the
    calibration cases *of that site* with about as many informative fields recorded (the strata of
    :data:`~netorigin.io.INFORMATION_BINS`), a case's score is 0 when (1) already holds the
    site and 1 - p(site) otherwise, and the site joins a set when 1 - p(site) is within the L
    quantile of those scores; (3) every site more probable than one it holds.

    So, whatever the case's site, among cases of that site with as much recorded the set holds the
    true site in at least L of cases (split-conformal, class-conditional within strata). The
    scores are recomputed for any deployment prior from the kept calibration probabilities
    (shifted as a scored case's are) and weighted by the prior's sub-site mix within each site,
    so the guarantee holds under any prior. A stratum with fewer than :data:`MIN_STRATUM`
    effective cases of a site uses the site's scores over all strata (listed by :meth:`thresholds`).

    Attributes
    ----------
    cal_proba_ : ndarray (n, labels), float32
        Held-out calibrated probabilities of the calibration cases under the training mix.
    cal_y_ : ndarray (n,)
        Label index of each calibration case.
    cal_fields_ : ndarray (n,) or None
        Number of informative fields each calibration case has recorded (None: a bundle written
        before the sets were stratified; then one stratum).
    label_site_ : ndarray (labels,)
        Site index of each label.
    """

    def fit(self, proba, y, *, label_site, n_fields=None):
        """Keep the calibration cases: probabilities over the labels, label indices, label sites and
        (optionally) each case's number of recorded informative fields; every value checked
        (a probability from 0 to 1, each case's adding up to 1; whole label indices and counts).
        Beyond :data:`MAX_CALIBRATION_CASES` cases, a random sample of that many is kept
        (``n_seen_``: how many were given)."""
        label_site = check_stored(label_site, "label sites", shape=(None,), low=0, high=len(SITES) - 1, whole=True)
        n_labels = len(label_site)
        proba = check_stored(proba, "probabilities", shape=(None, n_labels), low=0, high=1)
        y = check_stored(y, "label index", shape=(len(proba),), low=0, high=n_labels - 1, whole=True)
        if n_fields is not None:
            n_fields = check_stored(
                n_fields, "informative fields", shape=(len(proba),), low=0, high=INFORMATION_BINS[-1][1], whole=True
            )
        if len(proba) == 0:
            raise InputError("calibration cases: there are none")
        total = proba.sum(axis=1)
        if np.abs(total - 1).max() > 1e-3:
            i = int(np.argmax(np.abs(total - 1)))
            raise InputError(f"probabilities[{i}]: they add up to {total[i]:.6g}, not 1")
        self.n_seen_ = len(y)
        if len(y) > MAX_CALIBRATION_CASES:  # the thresholds are settled long before; bounded time and memory
            keep = np.sort(np.random.default_rng(0).choice(len(y), MAX_CALIBRATION_CASES, replace=False))
            proba, y, n_fields = proba[keep], y[keep], None if n_fields is None else n_fields[keep]
        self.cal_proba_ = np.asarray(proba, dtype=np.float32)
        self.cal_y_ = y.astype(int)
        self.label_site_ = label_site.astype(int)
        self.cal_fields_ = None if n_fields is None else n_fields.astype(int)
        self._cache = {}
        return self

    @property
    def stratified(self) -> bool:
        """Whether thresholds are computed within strata of recorded fields."""
        check_is_fitted(self, "cal_proba_")
        return self.cal_fields_ is not None

    def thresholds(self, weights, coverage: float) -> tuple[np.ndarray, list]:
        """(thresholds (sites, strata), [(site, stratum name) that used the site's pooled scores])
        for the prior whose per-label multipliers are ``weights``."""
        check_is_fitted(self, "cal_proba_")
        _check_coverage(coverage)
        w = np.asarray(weights, dtype=float)
        # 12 significant digits: a weight of 1e-300 is not a weight of 0 (a site ruled out)
        key = (tuple(float(f"{x:.12e}") for x in w.tolist()), round(float(coverage), 6))
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            _remember(cache, key, self._thresholds(w, float(coverage)))
        return cache[key]

    def _thresholds(self, w: np.ndarray, coverage: float) -> tuple[np.ndarray, list]:
        p = reweight(self.cal_proba_.astype(float), w)
        P = site_sums(p, self.label_site_)
        base = mass_sets(P, coverage) | (P > 1.0 - coverage)
        true_site = self.label_site_[self.cal_y_]
        case_w = w[self.cal_y_]  # the prior's sub-site mix within each site, relative to training
        strata = stratum_of(self.cal_fields_) if self.stratified else np.zeros(len(p), dtype=int)
        n_strata = len(INFORMATION_BINS) if self.stratified else 1
        q, pooled = np.ones((len(SITES), n_strata)), []
        allowed = allowed_sites(w, self.label_site_)
        for k in range(len(SITES)):
            if not allowed[k]:  # cases of a site the prior rules out do not occur: it is never kept
                q[k] = -np.inf
                continue
            of_site = true_site == k
            top = case_w[of_site].max(initial=0.0)
            if top > 0:  # only the weights' ratios within the site count: a prior's 1e-300 must not underflow
                case_w[of_site] /= top  # (case_w is this call's own array)
            score = np.where(base[:, k], 0.0, 1.0 - P[:, k])
            for s in range(n_strata):
                m = of_site & (strata == s)
                if _effective_n(case_w[m]) < MIN_STRATUM:
                    m = of_site
                    if self.stratified:
                        pooled.append((SITES[k], INFORMATION_BINS[s][2]))
                q[k, s] = _weighted_quantile(score[m], case_w[m], coverage)
        return q, pooled

    def reasons(self, proba, coverage: float, weights, n_fields=None) -> np.ndarray:
        """(n, 3) strings: why each site is in each case's set (:data:`SET_HOLDS`, :data:`SET_KEPT`,
        :data:`SET_ABOVE`; "" when it is not). ``proba``: probabilities over the labels, already shifted
        to the prior whose per-label multipliers are ``weights``; ``n_fields``: each case's number
        of recorded informative fields."""
        q, _ = self.thresholds(weights, coverage)
        P = site_sums(np.asarray(proba, dtype=float), self.label_site_)
        n = len(P)
        if self.stratified:
            if n_fields is None:
                raise InputError("prediction sets: the number of informative fields of each case is needed")
            strata = stratum_of(np.broadcast_to(np.asarray(n_fields, dtype=int), (n,)))
        else:
            strata = np.zeros(n, dtype=int)
        allowed = allowed_sites(weights, self.label_site_)[None, :]  # a site the prior rules out is never in a set
        holds = (mass_sets(P, coverage) | (P > 1.0 - coverage)) & allowed
        kept = ~holds & ((1.0 - P) <= q[:, strata].T + 1e-12)
        inside = holds | kept
        floor = np.where(inside, P, np.inf).min(axis=1, keepdims=True)
        above = ~inside & (P >= floor) & allowed
        out = np.full(P.shape, "", dtype=object)
        out[holds], out[kept], out[above] = SET_HOLDS, SET_KEPT, SET_ABOVE
        return out

    def predict(self, proba, coverage: float, weights, n_fields=None) -> np.ndarray:
        """Boolean (n, 3) sets (see :meth:`reasons` for the arguments)."""
        return self.reasons(proba, coverage, weights, n_fields) != ""


def _effective_n(w: np.ndarray) -> float:
    """Kish's effective number of cases of weights ``w``."""
    s = float(w.sum())
    return 0.0 if s <= 0 else s * s / float((w * w).sum())


def _check_coverage(coverage) -> None:
    if (
        not isinstance(coverage, (int, float, np.floating))
        or isinstance(coverage, bool)
        or not np.isfinite(coverage)
        or not 0.5 <= coverage <= 0.99
    ):
        raise InputError(f"coverage: {coverage!r} is not a number from 0.50 to 0.99")
