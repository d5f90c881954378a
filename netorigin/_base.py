"""scikit-learn's estimator protocol without importing scikit-learn.

netorigin's estimators are scikit-learn estimators (``get_params``/``set_params``, keyword-only
``__init__``, learned state in ``*_`` attributes, tags, ``clone``); scikit-learn's own estimator
checks hold them to it (tests/test_models.py). Their base classes live here rather than in
``sklearn.base`` so that reading a bundle and scoring one case does not import scikit-learn (and
SciPy with it: most of a cold start). scikit-learn is imported where it is needed: fitting,
validating arrays in a process that already uses it, tags, and the ``NotFittedError`` an unfitted
estimator raises.
"""

from __future__ import annotations

import inspect
import sys


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


def sklearn_in_use() -> bool:
    """Whether this process already imported scikit-learn (then its full input checks cost nothing)."""
    return "sklearn" in sys.modules
