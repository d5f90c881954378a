"""The deployment prior: a posterior re-weighted from the training mix to the mix of the patients
being scored (p_target(y|x) ~ p(y|x) pi_target(y) / pi_train(y)), over the model's labels: sub-sites
when the model learnt them, so that named scenarios shift their sub-site mixes."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._math import log_softmax, safe_log
from .._runtime import BaseEstimator, check_is_fitted
from ..contract import SITES, SUBSITES
from ..exceptions import InputError
from ..models import site_of

# What each named deployment prior stands for, in words (shown wherever a prior is chosen or said).
PRIOR_WORDS = {
    "training": "the mix of sites among the model's own training cases",
    "liver-met-archive": "known primaries in series of NET liver metastases",
    "population": "metastatic NETs in a population registry",
    "unknown-primary": "what liver metastases of an initially unknown primary turn out to be",
    "training-mix": "netorigin's training design: the three named settings in equal parts",
}


def prior_words(name: str) -> str:
    """A deployment prior in words.

    >>> prior_words("unknown-primary")
    'what liver metastases of an initially unknown primary turn out to be'
    >>> prior_words("0.5,0.25,0.25")
    'a site mix given as numbers (ileal, pancreatic, other): 0.5,0.25,0.25'
    """
    return PRIOR_WORDS.get(name) or f"a site mix given as numbers (ileal, pancreatic, other): {name}"


def resolve_prior(spec, scenarios=None) -> tuple[str, np.ndarray]:
    """A site mix from a scenario name or ``"a,b,c"`` (ileal, pancreatic, other).

    Parameters
    ----------
    spec : str or sequence of 3 numbers
        A scenario name or ``"a,b,c"``.
    scenarios : mapping, optional
        Scenario name -> site mix (default: the bundled scenarios).

    Returns
    -------
    name : str
        The prior's name.
    mix : ndarray of shape (3,)
        The site mix, summing to 1.

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
        table = scenario_priors() if scenarios is None else _mixes_of(scenarios)[0]
        if spec not in table:
            raise InputError(
                f"target prior: {spec!r} is not one of training, {', '.join(table)}, or three numbers a,b,c"
            )
        values, name = np.array(table[spec], dtype=float), spec
    if values.shape != (3,) or not np.all(np.isfinite(values)) or (values < 0).any() or values.max() <= 0:
        raise InputError(
            f"target prior: {spec!r} must be three finite, non-negative numbers, not all zero "
            "(ileal, pancreatic, other)"
        )
    if ((values > 0) & (values < SMALLEST_SHARE * values.max())).any():
        raise InputError(
            f"target prior: {spec!r} gives a site less than {SMALLEST_SHARE:g} of the largest share, too "
            "small to compute with; give it 0 to rule the site out, or a share at least that large"
        )
    values = values / values.max()  # 1e308,1e308,1e308 must not overflow when summed
    return name, values / values.sum()


SMALLEST_SHARE = 1e-300  # a site's share of a custom prior, relative to the largest: 0, or at least this


@lru_cache(maxsize=1)
def _bundled_mixes():
    from ..literature import scenario_records

    return _mixes_of(scenario_records())


def scenario_priors() -> dict:
    """name -> site mix of every scenario in the bundled ``scenarios.csv``."""
    return _bundled_mixes()[0]


def scenario_subsite_mixes() -> dict:
    """name -> {sub-site: share of all cases} of every scenario in the bundled ``scenarios.csv``."""
    return _bundled_mixes()[1]


def _mixes_of(scenarios):
    """(name -> site mix, name -> {sub-site: share of all cases}) of scenario rows (records or a
    pandas table)."""
    from ..literature import scenario_mix, scenario_names

    sites, subs = {}, {}
    for name in scenario_names(scenarios):
        by_site, share = scenario_mix(scenarios, name)
        cls = np.array([by_site.get(s, np.nan) for s in SITES], dtype=float)
        sites[name] = tuple(cls)
        total = np.nansum(cls)
        out = {}
        for k, site in enumerate(SITES):
            within = {x: share.get(x, 0.0) for x in SUBSITES[site]}
            t = sum(within.values())
            for x, v in within.items():
                out[x] = float(cls[k] / total * v / t) if t > 0 else 0.0
        subs[name] = out
    return sites, subs


def label_prior(spec, labels, train_prior) -> tuple[str, np.ndarray, float]:
    """The deployment prior over a model's labels (the sites, or the sub-sites it learnt).

    ``"training"`` is the training mix; a scenario name uses its sub-site mix (an exact prior
    shift when each sub-site looks the same in every setting); ``a,b,c`` scales each site's labels
    to the site's share, keeping the training mix within the site. Returns (name, prior over
    ``labels``, share of the target mix on sub-sites the model never saw, which is dropped).

    >>> p = label_prior("0.5,0.25,0.25", ["ileum", "jejunum", "pancreas", "lung"], [0.3, 0.1, 0.3, 0.3])[1]
    >>> p.round(4).tolist()
    [0.375, 0.125, 0.25, 0.25]
    """
    labels = list(labels)
    train = np.asarray(train_prior, dtype=float)
    if isinstance(spec, str) and spec == "training":
        return "training", train / train.sum(), 0.0
    sites_of = site_of(labels)
    is_site_level = all(s in SITES for s in labels)
    if isinstance(spec, str) and "," not in spec and not is_site_level:
        resolve_prior(spec)  # names the scenarios on a typo
        mix = scenario_subsite_mixes()[spec]
        target = np.array([mix.get(x, 0.0) for x in labels])
        unseen = float(sum(v for x, v in mix.items() if x not in labels))
        if target.sum() <= 0:
            raise InputError(f"target prior: {spec!r} puts no weight on any sub-site this model knows")
        return spec, target / target.sum(), unseen
    name, site_mix = resolve_prior(spec)
    target = np.zeros(len(labels))
    for k in range(len(SITES)):
        idx = [i for i, s in enumerate(sites_of) if s == k]
        if idx:
            within = train[idx] / train[idx].sum()
            target[idx] = site_mix[k] * within
    if target.sum() <= 0:
        raise InputError(f"target prior: {spec!r} puts no weight on any site this model knows")
    return name, target / target.sum(), 0.0


class PriorShift(BaseEstimator):
    """Re-weight posteriors over a model's labels from the training mix to a deployment mix.

    Parameters
    ----------
    target_prior : str
        The default deployment prior: ``training``, a scenario name or ``a,b,c``.

    Attributes
    ----------
    labels_ : ndarray of str
    train_prior_ : ndarray  the training mix over ``labels_``

    >>> s = PriorShift().fit(np.array([0, 1, 1, 2]), labels=["ileal", "pancreatic", "other"])
    >>> s.transform(np.array([[0.5, 0.5, 0.0]]), target_prior="0.25,0.5,0.25").round(3).tolist()
    [[0.5, 0.5, 0.0]]
    """

    def __init__(self, target_prior="training"):
        self.target_prior = target_prior

    def fit(self, y, *, labels=SITES, train_prior=None):
        if train_prior is None:
            y = np.asarray(y, dtype=int)
            train_prior = np.bincount(y, minlength=len(labels)) / len(y)
        p = _positive_per_label(train_prior, labels)
        return self._set(labels, p / p.sum())

    @classmethod
    def fitted(cls, target_prior, *, labels, train_prior) -> PriorShift:
        """A fitted prior from what a bundle saved: the training mix taken as written (normalising it
        again can move its last bits, and with them every probability under another setting)."""
        p = _positive_per_label(train_prior, labels)
        if abs(p.sum() - 1.0) > 1e-9:
            raise InputError(f"train_prior: {train_prior!r} must add up to 1 (it adds up to {p.sum()!r})")
        return cls(target_prior)._set(labels, p)

    def _set(self, labels, train_prior):
        self.labels_, self.train_prior_ = np.asarray(labels, dtype=object), train_prior
        self._cache = {}
        if self.target_prior != "training":
            self.resolve(self.target_prior)  # fail early on a bad prior
        return self

    def resolve(self, target_prior=None) -> tuple[str, np.ndarray, float]:
        """(name, prior over ``labels_``, unseen share) of ``target_prior`` (None: the default)."""
        check_is_fitted(self, "train_prior_")
        spec = self.target_prior if target_prior is None else target_prior
        try:
            key = spec if isinstance(spec, str) else tuple(np.asarray(spec, dtype=float).ravel().tolist())
        except (TypeError, ValueError):
            key = None
        if key is None or (not isinstance(spec, str) and np.ndim(spec) != 1):
            raise InputError(
                f"target prior: {spec!r} is not a setting name or three numbers (ileal, pancreatic, other)"
            )
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            _remember(cache, key, label_prior(spec, self.labels_, self.train_prior_))
        return cache[key]

    def name(self, target_prior=None) -> str:
        """The name of ``target_prior`` (None: the default): ``training``, a scenario or ``a,b,c``."""
        return self.resolve(target_prior)[0]

    def assumed_negative(self, target_prior=None) -> tuple[str, ...]:
        """The procedures the setting ``target_prior`` (None: the default) assumes done and negative.

        Its site mix already holds them: their recorded negatives are the setting's own, never
        counted twice (:func:`~netorigin.literature.apply_setting`).
        """
        from ..literature import bundled_assumptions

        return bundled_assumptions(self.name(target_prior))

    def weights(self, target_prior=None) -> np.ndarray:
        """Per-label multipliers target / training (0 for a label the prior rules out)."""
        return self.resolve(target_prior)[1] / self.train_prior_

    def transform(self, proba, target_prior=None, *, log_proba=None) -> np.ndarray:
        """``proba`` re-weighted to ``target_prior`` (:func:`reweight`; ``log_proba``: the log
        of ``proba`` when the caller has it, exact where a probability underflowed)."""
        name, _, _ = self.resolve(target_prior)
        return proba if name == "training" else reweight(proba, self.weights(target_prior), log_proba=log_proba)


def _positive_per_label(train_prior, labels) -> np.ndarray:
    p = np.asarray(train_prior, dtype=float)
    if p.shape != (len(labels),) or not np.all(np.isfinite(p)) or (p <= 0).any():
        raise InputError(
            f"train_prior: {train_prior!r} must be one positive number per label (every label seen in training)"
        )
    return p


UNDERFLOW = 1e-280  # a row whose re-weighted probabilities add up to less than this is re-weighted in logs


def reweight(proba: np.ndarray, weights: np.ndarray, *, log_proba=None) -> np.ndarray:
    """Multiply each column by its weight and renormalise the rows (Bayes' rule for a new prior).

    Where a row's products underflow (a prior with a huge ratio, or one that rules out the labels
    a case's probability is on), that row is re-weighted in logs: from ``log_proba`` when given
    (exact), else from the log of ``proba``. A row with no probability at all on the labels the
    prior allows (at the precision it was stored in) gets the prior's own mix over them. Other
    rows are computed as products, whatever the batch.

    >>> reweight(np.array([[0.5, 0.5, 0.0]]), np.array([2.0, 1.0, 1.0])).round(3).tolist()
    [[0.667, 0.333, 0.0]]
    """
    w = np.asarray(weights, dtype=float)
    p = np.asarray(proba, dtype=float) * w[None, :]
    total = p.sum(axis=1, keepdims=True)
    low = ~(total[:, 0] >= UNDERFLOW)
    if not low.any():
        return p / total
    out = np.empty_like(p)
    out[~low] = p[~low] / total[~low]
    lw = safe_log(w)
    lp = safe_log(np.asarray(proba, dtype=float)[low]) if log_proba is None else np.asarray(log_proba, float)[low]
    z = lp + lw[None, :]
    nothing = np.isneginf(z.max(axis=1))
    z[nothing] = lw
    out[low] = np.exp(log_softmax(z))
    return out


def shift_prior(proba: np.ndarray, train_prior: np.ndarray, target_prior: np.ndarray) -> np.ndarray:
    """Re-weight posterior probabilities from the training mix to a target mix."""
    return reweight(proba, np.asarray(target_prior, dtype=float) / np.asarray(train_prior, dtype=float))


def allowed_sites(weights, label_site) -> np.ndarray:
    """Boolean (3,): the sites a prior with per-label multipliers ``weights`` allows (a site whose
    every label has weight 0 is ruled out by the setting).

    >>> allowed_sites([2.0, 0.0, 0.0, 1.0], [0, 1, 2, 2]).tolist()
    [True, False, True]
    """
    w, ls = np.asarray(weights, dtype=float), np.asarray(label_site, dtype=int)
    return np.array([bool((w[ls == k] > 0).any()) for k in range(len(SITES))])


CACHE_SIZE = 32  # priors (and levels) remembered per model: a server asked for endless custom priors stays bounded


def _remember(cache: dict, key, value) -> None:
    """Keep ``value`` under ``key``, forgetting the oldest entries beyond CACHE_SIZE."""
    while len(cache) >= CACHE_SIZE:
        del cache[next(iter(cache))]
    cache[key] = value
