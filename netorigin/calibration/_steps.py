"""The calibration steps, each a scikit-learn estimator on margins or probabilities:

- :class:`TemperatureScaling` is fitted on held-out (out-of-fold) margins, never on the rows a
  model was trained on.
- :class:`PriorShift` re-weights a posterior from the training site mix to the mix of the
  patients being scored (p_target(y|x) ~ p(y|x) pi_target(y) / pi_train(y)).
- :class:`ConformalSets` gives class-conditional (Mondrian) split-conformal prediction sets.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._math import log_softmax
from ..contract import SITES
from ..exceptions import InputError

COVERAGE_LEVELS = tuple(round(x, 2) for x in np.arange(0.50, 0.995, 0.01))


class TemperatureScaling(BaseEstimator):
    """softmax(margin / T + b): one temperature and one bias per site, fitted by log-loss.

    Attributes
    ----------
    temperature_ : float
    bias_ : ndarray of shape (n_classes,)

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 2000)
    >>> margins = 3.0 * np.eye(3)[y] + rng.normal(size=(2000, 3)) * 2   # over-confident
    >>> cal = TemperatureScaling().fit(margins, y)
    >>> bool(cal.temperature_ > 1)
    True
    """

    def fit(self, margins, y):
        from scipy.optimize import minimize

        margins, y = np.asarray(margins, dtype=float), np.asarray(y, dtype=int)
        K = margins.shape[1]

        def nll(theta):
            logp = log_softmax(margins / np.exp(theta[0]) + np.r_[0.0, theta[1:]])
            return -logp[np.arange(len(y)), y].mean()

        res = minimize(nll, np.zeros(K), method="L-BFGS-B")
        self.temperature_ = float(np.exp(res.x[0]))
        self.bias_ = np.r_[0.0, res.x[1:]]
        return self

    @classmethod
    def fitted(cls, temperature: float, bias) -> "TemperatureScaling":
        """A fitted instance from stored values (a bundle being read); both are checked."""
        t, b = float(temperature), np.asarray(bias, dtype=float)
        if not (np.isfinite(t) and t > 0) or b.ndim != 1 or not np.all(np.isfinite(b)):
            raise InputError(f"calibration: temperature {temperature!r} must be a finite number > 0 and "
                             "bias a list of finite numbers")
        self = cls()
        self.temperature_, self.bias_ = t, b
        return self

    def log_proba(self, margins) -> np.ndarray:
        check_is_fitted(self, "temperature_")
        return log_softmax(np.asarray(margins, dtype=float) / self.temperature_ + self.bias_)

    def predict_proba(self, margins) -> np.ndarray:
        return np.exp(self.log_proba(margins))


def resolve_prior(spec, scenarios=None) -> tuple[str, np.ndarray]:
    """A target prior from a scenario name or ``"a,b,c"`` (ileal, pancreatic, other).

    >>> resolve_prior("0.5,0.25,0.25")[1].tolist()
    [0.5, 0.25, 0.25]
    """
    if isinstance(spec, (list, tuple, np.ndarray)):
        values, name = np.asarray(spec, dtype=float), ",".join(f"{v:g}" for v in spec)
    elif isinstance(spec, str) and "," in spec:
        try:
            values = np.array([float(v) for v in spec.split(",")])
        except ValueError:
            raise InputError(f"target prior: {spec!r} is not three numbers a,b,c (ileal, pancreatic, other)") from None
        name = spec
    else:
        table = scenario_priors() if scenarios is None else _priors_of(scenarios)
        if spec not in table:
            raise InputError(f"target prior: {spec!r} is not one of {', '.join(table)}, or three numbers a,b,c")
        values, name = np.array(table[spec], dtype=float), spec
    if values.shape != (3,) or not np.all(np.isfinite(values)) or (values < 0).any() or values.max() <= 0:
        raise InputError(f"target prior: {spec!r} must be three finite, non-negative numbers, not all zero "
                         "(ileal, pancreatic, other)")
    values = values / values.max()  # 1e308,1e308,1e308 must not overflow when summed
    return name, values / values.sum()


@lru_cache(maxsize=1)
def scenario_priors() -> dict:
    """name -> site mix of every scenario in the bundled ``scenarios.csv``."""
    from ..literature import load_scenarios

    return _priors_of(load_scenarios())


def _priors_of(s) -> dict:
    out = {}
    for name in dict.fromkeys(s["scenario"]):
        rows = s[(s["scenario"] == name) & (s["level"] == "class")]
        out[name] = tuple(rows.set_index("site")["value"].reindex(list(SITES)).to_numpy(dtype=float))
    return out


class PriorShift(BaseEstimator):
    """Re-weight posteriors from the training site mix to a deployment site mix.

    Parameters
    ----------
    target_prior : str
        The default deployment prior: ``training``, a scenario name or ``a,b,c``.

    Attributes
    ----------
    train_prior_ : ndarray of shape (3,)

    >>> s = PriorShift().fit(np.array([0, 1, 1, 2]))
    >>> s.transform(np.array([[0.5, 0.5, 0.0]]), target_prior="0.25,0.5,0.25").round(3).tolist()
    [[0.5, 0.5, 0.0]]
    """

    def __init__(self, target_prior="training"):
        self.target_prior = target_prior

    def fit(self, y, train_prior=None):
        if self.target_prior != "training":
            resolve_prior(self.target_prior)  # fail early on a bad prior
        if train_prior is None:
            y = np.asarray(y, dtype=int)
            train_prior = np.bincount(y, minlength=len(SITES)) / len(y)
        p = np.asarray(train_prior, dtype=float)
        if p.shape != (len(SITES),) or not np.all(np.isfinite(p)) or (p <= 0).any():
            raise InputError(f"train_prior: {train_prior!r} must be three positive numbers (every site seen in training)")
        self.train_prior_ = p / p.sum()
        return self

    def resolve(self, target_prior=None) -> tuple[str, np.ndarray]:
        """(name, site mix) of ``target_prior`` (None: the default)."""
        check_is_fitted(self, "train_prior_")
        spec = self.target_prior if target_prior is None else target_prior
        if isinstance(spec, str) and spec == "training":
            return "training", self.train_prior_
        return resolve_prior(spec)

    def transform(self, proba, target_prior=None) -> np.ndarray:
        name, prior = self.resolve(target_prior)
        return proba if name == "training" else shift_prior(proba, self.train_prior_, prior)


def shift_prior(proba: np.ndarray, train_prior: np.ndarray, target_prior: np.ndarray) -> np.ndarray:
    """Re-weight posterior probabilities from the training site mix to a target site mix."""
    w = np.asarray(target_prior, dtype=float) / np.asarray(train_prior, dtype=float)
    p = np.asarray(proba, dtype=float) * w[None, :]
    return p / p.sum(axis=1, keepdims=True)


class ConformalSets(BaseEstimator):
    """Class-conditional (Mondrian) split-conformal sets, one set of thresholds per site mix.

    For a site mix the score of site k is 0 when k is the most probable site (it is always in
    the set, so a set never contradicts the probabilities shown) and 1 - p_k(x) otherwise, with
    p the calibrated posterior re-weighted to that mix. Thresholds are quantiles of the scores of
    calibration cases *of site k*. Thresholds are stored for the training mix and each prepared
    mix; a site with too few calibration cases uses the pooled threshold (``marginal_sites_``).

    Parameters
    ----------
    levels : tuple of float
        The coverage levels to prepare.

    Attributes
    ----------
    thresholds_ : dict  mix name -> level -> per-site threshold
    marginal_sites_ : dict  mix name -> level -> sites that used the pooled threshold
    priors_ : dict  mix name -> site mix
    counts_ : list of int  calibration cases per site
    """

    def __init__(self, levels=COVERAGE_LEVELS):
        self.levels = levels

    @staticmethod
    def _quantile(scores: np.ndarray, level: float) -> float | None:
        n = len(scores)
        k = int(np.ceil((n + 1) * level))
        if n == 0 or k > n:
            return None
        return float(np.sort(scores)[k - 1])

    def fit(self, proba, y, *, train_prior=None, priors: dict | None = None):
        """``proba``: calibrated, held-out probabilities under the training mix; ``priors``:
        name -> site mix to prepare thresholds for (``training`` is always prepared)."""
        proba, y = np.asarray(proba, dtype=float), np.asarray(y, dtype=int)
        self.counts_ = [int((y == k).sum()) for k in range(proba.shape[1])]
        train_prior = np.bincount(y, minlength=proba.shape[1]) / len(y) if train_prior is None else train_prior
        mixes = {"training": np.asarray(train_prior, dtype=float),
                 **{k: np.asarray(v, dtype=float) for k, v in (priors or {}).items()}}
        self.thresholds_, self.marginal_sites_, self.priors_ = {}, {}, {}
        for name, mix in mixes.items():
            p = proba if name == "training" else shift_prior(proba, train_prior, mix)
            scores = np.where(p.argmax(axis=1) == y, 0.0, 1.0 - p[np.arange(len(y)), y])
            th_all, marg_all = {}, {}
            for level in self.levels:
                pooled = self._quantile(scores, level)
                th, marg = [], []
                for k in range(proba.shape[1]):
                    q = self._quantile(scores[y == k], level)
                    if q is None:
                        q = pooled if pooled is not None else 1.0
                        marg.append(SITES[k])
                    th.append(q)
                th_all[f"{level:.2f}"] = th
                marg_all[f"{level:.2f}"] = marg
            self.thresholds_[name] = th_all
            self.marginal_sites_[name] = marg_all
            self.priors_[name] = [float(x) for x in mix]
        return self

    def predict(self, proba, coverage: float = 0.9, prior: str = "training") -> np.ndarray:
        """Boolean (n, 3): which sites are in each case's set. ``proba`` must already be the
        posterior for the site mix ``prior`` (one of those prepared at fit)."""
        check_is_fitted(self, "thresholds_")
        if prior not in self.thresholds_:
            raise InputError(f"prediction sets: no thresholds for the site mix {prior!r}; prepared: "
                             f"{', '.join(self.thresholds_)}")
        key = f"{coverage:.2f}"
        if key not in self.thresholds_[prior] or abs(round(coverage, 2) - coverage) > 1e-9:
            raise InputError(f"coverage: {coverage!r} is not one of the levels the model was "
                             f"calibrated for (0.50 to 0.99 in steps of 0.01)")
        th = np.asarray(self.thresholds_[prior][key])
        proba = np.asarray(proba)
        s = (1.0 - proba) <= th[None, :] + 1e-12
        s[np.arange(len(proba)), np.argmax(proba, axis=1)] = True
        return s

    def to_dict(self) -> dict:
        check_is_fitted(self, "thresholds_")
        return {"score": "0 for the top site, else 1 - p(site), under the named site mix; class-conditional",
                "counts": self.counts_, "priors": self.priors_, "thresholds": self.thresholds_,
                "marginal_sites": self.marginal_sites_}

    @classmethod
    def from_dict(cls, d: dict) -> "ConformalSets":
        self = cls()
        if not isinstance(d, dict) or not isinstance(d.get("thresholds"), dict) or "training" not in d["thresholds"]:
            raise InputError("conformal.json: expected thresholds for the training mix")
        self.thresholds_ = d["thresholds"]
        self.marginal_sites_ = d.get("marginal_sites") or {}
        self.counts_ = d.get("counts")
        self.priors_ = d.get("priors") or {}
        return self
