"""The face scikit-learn's tools see: per-site arrays in the order of ``classes_`` (the sites
sorted, as ``np.unique`` gives them), labels read as ``fit`` reads them.

Inside the package every per-site array is in the contract's order (``SITES``: ileal,
pancreatic, other) or keyed by site name; only these methods reorder, by name, so that nothing
else depends on the order of ``classes_`` (tests/test_estimator.py shuffles it).
"""

from __future__ import annotations

import numpy as np

from ..contract import SITES
from ..models import read_labels


class SklearnFace:
    """``predict_proba``, ``predict_log_proba``, ``decision_function``, ``predict``,
    ``predict_sets`` and ``score`` of :class:`SiteModel`, as scikit-learn's classifiers give them."""

    def set_params(self, **params):
        """Set parameters, as scikit-learn's estimators do.

        ``params__<name>`` sets one hyper-parameter of the kind's classifier
        (``GridSearchCV(SiteModel("xgboost"), {"params__max_depth": [2, 3]})``), in a new dict.

        Parameters
        ----------
        **params : dict
            Parameter names and their values.

        Returns
        -------
        SiteModel
            The model itself.
        """
        inner = {k.split("__", 1)[1]: params.pop(k) for k in list(params) if k.startswith("params__")}
        super().set_params(**params)
        if inner:
            self.params = {**(self.params or {}), **inner}
        return self

    def _class_columns(self) -> np.ndarray:
        """Where each class of ``classes_`` is among the contract's sites."""
        index = {s: k for k, s in enumerate(SITES)}
        return np.array([index[c] for c in self.classes_], dtype=int)

    def predict_proba(self, X, *, target_prior=None) -> np.ndarray:
        """Site probabilities, one column per class of ``classes_`` (ileal, other, pancreatic).

        Parameters
        ----------
        X : DataFrame
            Cases in the contract.
        target_prior : str or None
            The deployment prior (None: the model's own; ``"training"``: the training mix; a scenario
            name; ``a,b,c``).

        Returns
        -------
        ndarray of shape (n_cases, 3)
            Each case's probabilities, summing to 1.
        """
        return self.forward(X, target_prior=target_prior).proba[:, self._class_columns()]

    def predict_log_proba(self, X, *, target_prior=None) -> np.ndarray:
        """The logarithm of :meth:`predict_proba` (``-inf`` for a site the prior excludes).

        Parameters
        ----------
        X : DataFrame
            Cases in the contract.
        target_prior : str or None
            The deployment prior (None: the model's own; ``"training"``: the training mix; a scenario
            name; ``a,b,c``).

        Returns
        -------
        ndarray of shape (n_cases, 3)
            Log-probabilities, one column per class of ``classes_``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X, target_prior=target_prior))

    def decision_function(self, X, *, target_prior=None) -> np.ndarray:
        """Each site's score, one column per class of ``classes_``: its log-probability.

        The argmax is :meth:`predict`, softmax gives :meth:`predict_proba`. The classifier's own
        margins over ``labels_`` are :meth:`label_margins`.

        Parameters
        ----------
        X : DataFrame
            Cases in the contract.
        target_prior : str or None
            The deployment prior (None: the model's own; ``"training"``: the training mix; a scenario
            name; ``a,b,c``).

        Returns
        -------
        ndarray of shape (n_cases, 3)
            The scores.
        """
        return self.predict_log_proba(X, target_prior=target_prior)

    def predict(self, X, *, target_prior=None) -> np.ndarray:
        """The most probable site of each case (the top site of every report).

        Parameters
        ----------
        X : DataFrame
            Cases in the contract.
        target_prior : str or None
            The deployment prior (None: the model's own; ``"training"``: the training mix; a scenario
            name; ``a,b,c``).

        Returns
        -------
        ndarray of str
            A name from ``classes_`` per case.
        """
        proba = self.forward(X, target_prior=target_prior).proba
        return np.array(SITES, dtype=object)[np.argmax(proba, axis=1)]

    def predict_sets(self, X, *, coverage: float = 0.9, target_prior=None) -> np.ndarray:
        """Prediction sets: the sites kept at ``coverage``; the most probable site is always in.

        Parameters
        ----------
        X : DataFrame
            Cases in the contract.
        coverage : float
            The sets' coverage (0.5 to 0.99).
        target_prior : str or None
            The deployment prior (None: the model's own; ``"training"``: the training mix; a scenario
            name; ``a,b,c``).

        Returns
        -------
        ndarray of bool, shape (n_cases, 3)
            One column per class of ``classes_``.
        """
        return self.forward(X, target_prior=target_prior).sets(coverage)[:, self._class_columns()]

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy of :meth:`predict` against ``y``.

        Parameters
        ----------
        X : DataFrame
            Cases in the contract.
        y : array-like
            Read as :meth:`fit` reads it: site names, sub-site names counted as their site, or indices
            into ``classes_``.
        sample_weight : array-like or None
            Weights of the cases.

        Returns
        -------
        float
            The share of cases whose predicted site is ``y``'s.
        """
        from sklearn.metrics import accuracy_score

        pred = self.predict(X)
        sites, _ = read_labels(y, len(pred), classes=tuple(self.classes_))
        return float(accuracy_score(np.array(SITES, dtype=object)[sites], pred, sample_weight=sample_weight))
