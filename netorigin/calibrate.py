"""Probabilities you can trust: calibration, deployment prior, conformal prediction sets.

- :class:`TemperatureScaling` is fitted on held-out (out-of-fold) margins, never on the rows a
  model was trained on.
- :func:`shift_prior` re-weights a posterior from the training site mix to the mix of the
  patients being scored (prior-shift correction: p_target(y|x) ~ p(y|x) pi_target(y) / pi_train(y)).
- :class:`ConformalSets` gives class-conditional (Mondrian) split-conformal prediction sets:
  at level 1 - alpha each site is covered with probability >= 1 - alpha, so coverage holds
  whatever the site mix of the patients scored.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._fields import SITES
from .exceptions import InputError

__all__ = ["TemperatureScaling", "shift_prior", "resolve_prior", "ConformalSets", "COVERAGE_LEVELS"]

COVERAGE_LEVELS = tuple(round(x, 2) for x in np.arange(0.50, 0.995, 0.01))


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


class TemperatureScaling:
    """softmax(margin / T + b): one temperature and one bias per site, fitted by log-loss.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 2000)
    >>> margins = 3.0 * np.eye(3)[y] + rng.normal(size=(2000, 3)) * 2   # over-confident
    >>> cal = TemperatureScaling().fit(margins, y)
    >>> bool(cal.temperature > 1)
    True
    """

    def __init__(self, temperature: float = 1.0, bias=None):
        self.temperature = float(temperature)
        self.bias = np.zeros(len(SITES)) if bias is None else np.asarray(bias, dtype=float)

    def fit(self, margins: np.ndarray, y: np.ndarray) -> "TemperatureScaling":
        from scipy.optimize import minimize

        margins, y = np.asarray(margins, dtype=float), np.asarray(y, dtype=int)
        K = margins.shape[1]

        def nll(theta):
            logp = _log_softmax(margins / np.exp(theta[0]) + np.r_[0.0, theta[1:]])
            return -logp[np.arange(len(y)), y].mean()

        res = minimize(nll, np.zeros(K), method="L-BFGS-B")
        self.temperature = float(np.exp(res.x[0]))
        self.bias = np.r_[0.0, res.x[1:]]
        return self

    def log_proba(self, margins: np.ndarray) -> np.ndarray:
        return _log_softmax(np.asarray(margins, dtype=float) / self.temperature + self.bias)

    def proba(self, margins: np.ndarray) -> np.ndarray:
        return np.exp(self.log_proba(margins))

    def to_dict(self) -> dict:
        return {"temperature": self.temperature, "bias": [float(b) for b in self.bias]}

    @classmethod
    def from_dict(cls, d: dict) -> "TemperatureScaling":
        return cls(d["temperature"], d["bias"])


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
        table = _scenario_priors() if scenarios is None else _priors_of(scenarios)
        if spec not in table:
            raise InputError(f"target prior: {spec!r} is not one of {', '.join(table)}, or three numbers a,b,c")
        values, name = np.array(table[spec], dtype=float), spec
    if values.shape != (3,) or not np.all(np.isfinite(values)) or (values < 0).any() or values.sum() <= 0:
        raise InputError(f"target prior: {spec!r} must be three non-negative numbers (ileal, pancreatic, other)")
    return name, values / values.sum()


@lru_cache(maxsize=1)
def _scenario_priors() -> dict:
    from .synth import load_scenarios

    return _priors_of(load_scenarios())


def _priors_of(s) -> dict:
    out = {}
    for name in dict.fromkeys(s["scenario"]):
        rows = s[(s["scenario"] == name) & (s["level"] == "class")]
        out[name] = tuple(rows.set_index("site")["value"].reindex(list(SITES)).to_numpy(dtype=float))
    return out


def shift_prior(proba: np.ndarray, train_prior: np.ndarray, target_prior: np.ndarray) -> np.ndarray:
    """Re-weight posterior probabilities from the training site mix to a target site mix.

    >>> shift_prior(np.array([[0.5, 0.5, 0.0]]), np.array([0.5, 0.5, 0.0]) + 1e-12, np.array([0.75, 0.25, 0.0]))[0].round(3).tolist()
    [0.75, 0.25, 0.0]
    """
    w = np.asarray(target_prior, dtype=float) / np.asarray(train_prior, dtype=float)
    p = np.asarray(proba, dtype=float) * w[None, :]
    return p / p.sum(axis=1, keepdims=True)


class ConformalSets:
    """Class-conditional (Mondrian) split-conformal sets, one set of thresholds per site mix.

    For a site mix ``prior`` the score of site k is 0 when k is the most probable site (it is
    always in the set, so a set never contradicts the probabilities shown) and 1 - p_k(x)
    otherwise, with p the calibrated posterior re-weighted to that mix. Thresholds are quantiles of the scores of calibration cases *of
    site k*. Because the cases of one site look the same whatever the site mix (label shift),
    each site is covered with probability >= level under any mix, and the sets agree with the
    probabilities shown for that mix. Thresholds are stored for the training mix and each named
    scenario; a site with too few calibration cases uses the pooled threshold (listed in
    ``marginal_sites``).
    """

    def __init__(self, thresholds: dict | None = None, marginal_sites: dict | None = None, counts=None,
                 priors: dict | None = None):
        self.thresholds = thresholds or {}
        self.marginal_sites = marginal_sites or {}
        self.counts = counts
        self.priors = priors or {}

    @staticmethod
    def _quantile(scores: np.ndarray, level: float) -> float | None:
        n = len(scores)
        k = int(np.ceil((n + 1) * level))
        if n == 0 or k > n:
            return None
        return float(np.sort(scores)[k - 1])

    def fit(self, proba: np.ndarray, y: np.ndarray, *, train_prior=None, priors: dict | None = None,
            levels=COVERAGE_LEVELS) -> "ConformalSets":
        """``proba``: calibrated, held-out probabilities under the training mix; ``priors``:
        name -> site mix to prepare thresholds for (``training`` is always prepared)."""
        proba, y = np.asarray(proba, dtype=float), np.asarray(y, dtype=int)
        self.counts = [int((y == k).sum()) for k in range(proba.shape[1])]
        train_prior = np.bincount(y, minlength=proba.shape[1]) / len(y) if train_prior is None else train_prior
        mixes = {"training": np.asarray(train_prior, dtype=float), **{k: np.asarray(v, dtype=float)
                                                                        for k, v in (priors or {}).items()}}
        for name, mix in mixes.items():
            p = proba if name == "training" else shift_prior(proba, train_prior, mix)
            # the top site is always in the set, so its score is 0; others score 1 - p(site)
            scores = np.where(p.argmax(axis=1) == y, 0.0, 1.0 - p[np.arange(len(y)), y])
            th_all, marg_all = {}, {}
            for level in levels:
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
            self.thresholds[name] = th_all
            self.marginal_sites[name] = marg_all
            self.priors[name] = [float(x) for x in mix]
        return self

    def sets(self, proba: np.ndarray, coverage: float = 0.9, prior: str = "training") -> np.ndarray:
        """Boolean (n, 3): which sites are in each case's set. ``proba`` must already be the
        posterior for the site mix ``prior`` (one of those prepared at fit)."""
        if prior not in self.thresholds:
            raise InputError(f"prediction sets: no thresholds for the site mix {prior!r}; prepared: "
                             f"{', '.join(self.thresholds)}")
        key = f"{coverage:.2f}"
        if key not in self.thresholds[prior] or abs(round(coverage, 2) - coverage) > 1e-9:
            raise InputError(f"coverage: {coverage!r} is not one of the levels the model was "
                             f"calibrated for (0.50 to 0.99 in steps of 0.01)")
        th = np.asarray(self.thresholds[prior][key])
        proba = np.asarray(proba)
        s = (1.0 - proba) <= th[None, :] + 1e-12
        s[np.arange(len(proba)), np.argmax(proba, axis=1)] = True
        return s

    def to_dict(self) -> dict:
        return {"score": "0 for the top site, else 1 - p(site), under the named site mix; class-conditional",
                "counts": self.counts,
                "priors": self.priors, "thresholds": self.thresholds, "marginal_sites": self.marginal_sites}

    @classmethod
    def from_dict(cls, d: dict) -> "ConformalSets":
        return cls(d["thresholds"], d.get("marginal_sites"), d.get("counts"), d.get("priors"))
