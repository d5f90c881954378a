"""The origin classifier wrapper: any classifier on label codes, with ``classes_`` in the
contract's order: the three sites, or the sub-sites (``primary_site_detail`` values) present in
training."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, check_is_fitted
from .._math import softmax
from ..contract import DETAIL_TO_SITE, SITE_DETAILS, SITES
from ..exceptions import InputError

if TYPE_CHECKING:
    pass

LEVELS = {"site": SITES, "subsite": SITE_DETAILS}


def label_codes(y, level: str = "site") -> np.ndarray:
    """Labels (canonical strings or categorical) as their index in the level's vocabulary.

    >>> label_codes(["other", "ileal"]).tolist(), label_codes(["caecum"], "subsite").tolist()
    ([2, 0], [6])
    """
    vocab = LEVELS[level]
    index = {s: i for i, s in enumerate(vocab)}
    values = np.asarray(y.astype(object) if hasattr(y, "astype") and hasattr(y, "cat") else y, dtype=object).ravel()
    bad = sorted({str(v) for v in values if v not in index})
    if bad:
        field = "primary_site" if level == "site" else "primary_site_detail"
        raise InputError(f"{field}: {', '.join(map(repr, bad))} is not one of {', '.join(vocab)}")
    return np.array([index[v] for v in values], dtype=int)


def site_codes(y) -> np.ndarray:
    """Site labels (ileal, pancreatic, other) as 0, 1, 2."""
    return label_codes(y, "site")


def site_of(labels) -> np.ndarray:
    """The site index (0, 1, 2) of each label (a site or a sub-site)."""
    return np.array([SITES.index(x) if x in SITES else SITES.index(DETAIL_TO_SITE[x]) for x in labels], dtype=int)


class SiteClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on label codes so that ``classes_`` follow the contract's order.

    Parameters
    ----------
    estimator : classifier
    level : {"site", "subsite"}
        ``site``: ileal, pancreatic, other. ``subsite``: the ``primary_site_detail`` values
        (ileum, jejunum, pancreas, lung, rectum, ...), of which the sites are sums.
    """

    def __init__(self, estimator, level="site"):
        self.estimator = estimator
        self.level = level

    def fit(self, X, y, **fit_params):
        if self.level not in LEVELS:
            raise InputError(f"level: {self.level!r} is not one of {', '.join(LEVELS)}")
        codes = label_codes(y, self.level)
        from sklearn.base import clone

        est = clone(self.estimator)
        if "level" in est.get_params():  # a classifier that reads the labels' meaning (latent-class)
            est.set_params(level=self.level)
        self.estimator_ = est.fit(X, codes, **fit_params)
        self.classes_ = np.array(LEVELS[self.level], dtype=object)[np.asarray(self.estimator_.classes_, dtype=int)]
        return self

    @classmethod
    def fitted(cls, estimator, classes) -> SiteClassifier:
        """Wrap an already-fitted classifier (a bundle being read); ``classes``: its labels."""
        classes = [str(c) for c in classes]
        level = "site" if set(classes) <= set(SITES) else "subsite"
        label_codes(classes, level)  # names every label this version does not know
        self = cls(estimator, level=level)
        self.estimator_ = estimator
        self.classes_ = np.array(classes, dtype=object)
        return self

    def decision_function(self, X):
        """Margins on the log-odds scale, one column per class (softmax gives the probabilities)."""
        check_is_fitted(self, "estimator_")
        est = self.estimator_
        if hasattr(est, "decision_function") and not hasattr(est, "coefs_"):
            m = est.decision_function(X)
            return m if m.ndim == 2 else np.column_stack([-m / 2, m / 2])
        return np.log(np.clip(est.predict_proba(X), 1e-300, None))

    def decision_function_edited(self, X, X_base, base_margins):
        """:meth:`decision_function` of cases ``X`` that are the cases ``X_base`` (whose margins are
        ``base_margins``) with a few values changed: a classifier that can use the base (the
        compiled trees) does; any other computes ``X`` afresh."""
        check_is_fitted(self, "estimator_")
        edited = getattr(self.estimator_, "decision_function_edited", None)
        if edited is None:
            return self.decision_function(X)
        m = edited(X, X_base, base_margins)
        return m if m.ndim == 2 else np.column_stack([-m / 2, m / 2])

    def predict_proba(self, X):
        return softmax(self.decision_function(X))

    def predict(self, X):
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]
