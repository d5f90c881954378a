"""The origin classifier wrapper: any classifier on label codes. Its ``labels_`` are in the
contract's order (the three sites, or the sub-sites, ``primary_site_detail`` values, present in
training): the order of every array the package keeps. Its ``classes_`` are the same labels
sorted, as scikit-learn's tools expect (its scorers and ``cross_val_predict`` read the columns of
``predict_proba`` and ``decision_function`` in the order of ``np.unique(y)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._math import floored_log, softmax
from .._runtime import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, check_is_fitted
from ..contract import SITE_DETAILS, SITES
from ..exceptions import InputError
from ._labels import read_labels

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


def pipeline_label_margins(pipeline, X) -> np.ndarray:
    """The margins over ``labels_`` of a fitted :func:`~netorigin.models.make_model` pipeline
    (its ``decision_function`` follows ``classes_``)."""
    return pipeline[-1].label_margins(pipeline[:-1].transform(X))


class SiteClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on label codes: ``labels_`` in the contract's order, ``classes_`` sorted.

    Parameters
    ----------
    estimator : classifier
    level : {"site", "subsite"}
        ``site``: ileal, pancreatic, other. ``subsite``: the ``primary_site_detail`` values
        (ileum, jejunum, pancreas, lung, rectum, ...), of which the sites are sums.

    Attributes
    ----------
    labels_ : ndarray of str
        The labels learnt, in the contract's order: the columns of :meth:`label_margins`, and of
        every array the package keeps per label (calibration, priors, sets, bundles).
    classes_ : ndarray of str
        The same labels sorted (as ``np.unique`` gives them): the columns of
        :meth:`decision_function` and :meth:`predict_proba`, what scikit-learn's tools read.
    """

    def __init__(self, estimator, level="site"):
        self.estimator = estimator
        self.level = level

    def fit(self, X, y, **fit_params):
        """Fit on ``y``: at the site level, site names, sub-site names (each counted as its site)
        or the integer codes ``LabelEncoder`` gives the site names (:func:`read_labels`); at the
        sub-site level, sub-site names."""
        if self.level not in LEVELS:
            raise InputError(f"level: {self.level!r} is not one of {', '.join(LEVELS)}")
        codes = read_labels(y)[0] if self.level == "site" else label_codes(y, self.level)
        from sklearn.base import clone

        est = clone(self.estimator)
        if "level" in est.get_params():  # a classifier that reads the labels' meaning (latent-class)
            est.set_params(level=self.level)
        self.estimator_ = est.fit(X, codes, **fit_params)
        return self._learnt(np.array(LEVELS[self.level], dtype=object)[np.asarray(self.estimator_.classes_, dtype=int)])

    @classmethod
    def fitted(cls, estimator, labels) -> SiteClassifier:
        """Wrap an already-fitted classifier (a bundle being read); ``labels``: its labels, in the
        order of its columns (the contract's)."""
        labels = [str(c) for c in labels]
        level = "site" if set(labels) <= set(SITES) else "subsite"
        label_codes(labels, level)  # names every label this version does not know
        self = cls(estimator, level=level)
        self.estimator_ = estimator
        return self._learnt(np.array(labels, dtype=object))

    def _learnt(self, labels: np.ndarray) -> SiteClassifier:
        self.labels_ = labels
        self.classes_ = np.array(sorted(labels), dtype=object)
        return self

    def label_margins(self, X):
        """Margins on the log-odds scale, one column per label of ``labels_`` (softmax gives the
        probabilities): what the package calibrates, explains and keeps."""
        check_is_fitted(self, "estimator_")
        est = self.estimator_
        if hasattr(est, "decision_function") and not hasattr(est, "coefs_"):
            m = est.decision_function(X)
            return m if m.ndim == 2 else np.column_stack([-m / 2, m / 2])
        return floored_log(est.predict_proba(X))

    def label_margins_edited(self, X, X_base, base_margins):
        """:meth:`label_margins` of cases ``X`` that are the cases ``X_base`` (whose margins are
        ``base_margins``) with a few values changed: a classifier that can use the base (the
        compiled trees) does; any other computes ``X`` afresh."""
        check_is_fitted(self, "estimator_")
        edited = getattr(self.estimator_, "decision_function_edited", None)
        if edited is None:
            return self.label_margins(X)
        m = edited(X, X_base, base_margins)
        return m if m.ndim == 2 else np.column_stack([-m / 2, m / 2])

    def decision_function(self, X):
        """The margins of :meth:`label_margins`, one column per class of ``classes_``."""
        return self.label_margins(X)[:, self._columns()]

    def predict_proba(self, X):
        """Probabilities, one column per class of ``classes_``."""
        return softmax(self.decision_function(X))

    def predict(self, X):
        return self.labels_[np.argmax(self.label_margins(X), axis=1)]

    def _columns(self) -> np.ndarray:
        """Where each class of ``classes_`` is among ``labels_`` (by name: ``classes_`` may be any order)."""
        check_is_fitted(self, "labels_")
        index = {lab: j for j, lab in enumerate(self.labels_)}
        return np.array([index[c] for c in self.classes_], dtype=int)
