"""scikit-learn's estimator protocol and its check of a feature matrix, without importing scikit-learn.

netorigin's estimators are scikit-learn estimators (``get_params``/``set_params``, keyword-only
``__init__``, learned state in ``*_`` attributes, tags, ``clone``); scikit-learn's own estimator
checks hold them to it (tests/test_models.py). Their base classes live here rather than in
``sklearn.base`` so that reading a bundle and scoring one case does not import scikit-learn (and
SciPy with it: most of a cold start). scikit-learn is imported where it is needed: fitting, tags,
the ``NotFittedError`` an unfitted estimator raises, and checking an input that is not a plain
NumPy array (a table, a list, a sparse matrix). A plain array is checked by
:func:`check_features`, a copy of ``validate_data(reset=False)`` for that case, whatever the
process has imported (tests/test_runtime.py holds the two equal).
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np


class BaseEstimator:
    """Parameters, ``repr`` and tags, as :class:`sklearn.base.BaseEstimator` gives them."""

    @classmethod
    def _get_param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        params = [p for p in inspect.signature(init).parameters.values() if p.name != "self"]
        for p in params:
            if p.kind == p.VAR_POSITIONAL:
                raise RuntimeError(f"{cls.__name__}: scikit-learn estimators take no *args")
        return sorted(p.name for p in params if p.kind != p.VAR_KEYWORD)

    def get_params(self, deep: bool = True) -> dict:
        out = {}
        for key in self._get_param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{key}__{k}", v) for k, v in value.get_params().items())
            out[key] = value
        return out

    def set_params(self, **params):
        if not params:
            return self
        valid = self.get_params(deep=True)
        nested: dict = {}
        for key, value in params.items():
            key, delim, sub = key.partition("__")
            if key not in valid:
                raise ValueError(
                    f"Invalid parameter {key!r} for estimator {self}. Valid parameters are: "
                    f"{sorted(self._get_param_names())!r}."
                )
            if delim:
                nested.setdefault(key, {})[sub] = value
            else:
                setattr(self, key, value)
                valid[key] = value
        for key, sub_params in nested.items():
            valid[key].set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        shown = []
        for k in self._get_param_names():
            v = getattr(self, k, None)
            d = defaults.get(k, inspect.Parameter.empty)
            try:
                same = v is d or (type(v) is type(d) and bool(v == d))
            except Exception:  # noqa: BLE001 - arrays and other objects without a truth value
                same = False
            if not same:
                shown.append(f"{k}={v!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, TargetTags

        return Tags(
            estimator_type=None,
            target_tags=TargetTags(required=False),
            transformer_tags=None,
            regressor_tags=None,
            classifier_tags=None,
        )


class ClassifierMixin:
    """``score`` (accuracy) and the classifier tags, as :class:`sklearn.base.ClassifierMixin`."""

    def score(self, X, y, sample_weight=None) -> float:
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags


class TransformerMixin:
    """``fit_transform`` and the transformer tags, as :class:`sklearn.base.TransformerMixin`."""

    def fit_transform(self, X, y=None, **fit_params):
        return self.fit(X, y, **fit_params).transform(X)

    def __sklearn_tags__(self):
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.transformer_tags = TransformerTags()
        return tags


class MetaEstimatorMixin:
    """Marks an estimator that wraps another (as :class:`sklearn.base.MetaEstimatorMixin`)."""


def check_is_fitted(estimator, attributes: str | list[str] | None = None) -> None:
    """Raise scikit-learn's ``NotFittedError`` when ``estimator`` lacks its learned attributes."""
    names = [attributes] if isinstance(attributes, str) else attributes
    if names is not None:
        fitted = all(
            name in vars(estimator) or hasattr(type(estimator), name) and hasattr(estimator, name) for name in names
        )
    else:
        fitted = any(k.endswith("_") and not k.startswith("__") for k in vars(estimator))
    if not fitted:
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        )


def check_features(estimator, X) -> np.ndarray:
    """``X`` checked for a fitted ``estimator`` as scikit-learn's
    ``validate_data(estimator, X, ensure_all_finite="allow-nan", dtype=[np.float32, np.float64],
    reset=False)`` checks it: the same array (float32 or float64 kept, anything else as float32),
    the same errors and the same feature-name warning.

    One path for a plain :class:`numpy.ndarray`, whatever the process has imported (scoring one
    case never imports scikit-learn); any other input (a table with named columns, a list, a
    sparse matrix, an ndarray subclass) is scikit-learn's own to check.

    >>> class Fitted(BaseEstimator):
    ...     n_features_in_ = 2
    >>> check_features(Fitted(), np.array([[1, 2]])).dtype
    dtype('float32')
    """
    if type(X) is not np.ndarray:
        from sklearn.utils.validation import validate_data

        return validate_data(estimator, X, ensure_all_finite="allow-nan", dtype=[np.float32, np.float64], reset=False)
    name = type(estimator).__name__
    if getattr(estimator, "feature_names_in_", None) is not None:
        warnings.warn(f"X does not have valid feature names, but {name} was fitted with feature names", stacklevel=2)
    X = _as_float_array(X)
    if X.ndim < 2:
        got = "scalar" if X.ndim == 0 else "1D"
        raise ValueError(
            f"Expected 2D array, got {got} array instead:\narray={X}.\n"
            "Reshape your data either using array.reshape(-1, 1) if your data has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )
    if X.ndim >= 3:
        raise ValueError(f"Found array with dim {X.ndim}, while dim <= 2 is required by {name}.")
    if np.isinf(X).any():
        raise ValueError(f"Input X contains infinity or a value too large for {X.dtype!r}.")
    for what, n in (("sample(s)", X.shape[0]), ("feature(s)", X.shape[1])):
        if n < 1:
            raise ValueError(
                f"Found array with {n} {what} (shape={X.shape}) while a minimum of 1 is required by {name}."
            )
    expected = getattr(estimator, "n_features_in_", None)
    if expected is not None and X.shape[1] != expected:
        raise ValueError(f"X has {X.shape[1]} features, but {name} is expecting {expected} features as input.")
    return X


def _as_float_array(X: np.ndarray) -> np.ndarray:
    """``X`` itself when float32 or float64, else as float32 (complex numbers refused, as scikit-learn does)."""
    if X.dtype in (np.float32, np.float64):
        return X
    if X.dtype.kind == "c":
        raise ValueError(f"Complex data not supported\n{X}\n")
    return np.asarray(X, dtype=np.float32)
