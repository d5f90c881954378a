"""The ``xgboost`` kind: a scikit-learn classifier around ``xgboost.train`` (numeric arrays,
NaN = test not done), its exact explainer (TreeSHAP) and its codec (xgboost's UBJ)."""

from __future__ import annotations

import numpy as np

from .._math import softmax
from .._runtime import (
    MAX_DEPTH,
    BaseEstimator,
    ClassifierMixin,
    CompiledTrees,
    check_features,
    check_is_fitted,
    compile_booster,
)
from ..exceptions import InputError
from ..io import CaseFeatures
from ._registry import ModelKind, group_by_field, register


class XGBoostSiteClassifier(ClassifierMixin, BaseEstimator):
    """Gradient-boosted trees (xgboost ``hist``) with a multi-class softmax.

    Missing values (NaN) are routed by xgboost's learned default directions, so "not done"
    is never treated as a value. The intercept is a scalar (``base_score=0.5`` for every
    class), which keeps SHAP's base value exact.

    Parameters
    ----------
    n_estimators, max_depth, learning_rate, subsample, colsample_bytree, min_child_weight,
    reg_lambda : xgboost hyper-parameters
        The defaults (shallow trees, many rounds) came closest to the Bayes ceiling on the
        synthetic cohorts (benchmarks/), whose posterior is nearly additive in the fields.
    n_jobs : int or None
        Threads (None: xgboost's default, all cores).
    random_state : int, RandomState or None
    """

    def __init__(
        self,
        *,
        n_estimators=800,
        max_depth=2,
        learning_rate=0.06,
        subsample=0.8,
        colsample_bytree=0.5,
        min_child_weight=2.0,
        reg_lambda=2.0,
        n_jobs=None,
        random_state=None,
    ):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.n_jobs = n_jobs
        self.random_state = random_state

    def booster_params(self, n_classes: int) -> dict:
        """The parameters of ``xgboost.train`` for these hyper-parameters and ``n_classes`` classes
        (what another engine, such as ``xgboost.dask``, trains the booster with)."""
        from sklearn.utils import check_random_state

        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        params = {
            "objective": "multi:softprob",
            "num_class": n_classes,
            "tree_method": "hist",
            "max_depth": self.max_depth,
            "eta": self.learning_rate,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "min_child_weight": self.min_child_weight,
            "lambda": self.reg_lambda,
            "seed": seed,
            "base_score": 0.5,
            "verbosity": 0,
        }
        if self.n_jobs is not None:
            params["nthread"] = self.n_jobs
        return params

    def fit(self, X, y, sample_weight=None):
        import xgboost as xgb
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import validate_data

        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=[np.float32, np.float64])
        check_classification_targets(y)
        self.classes_, yk = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"Classifier can't train when only one class is present: {self.classes_[0]!r}")
        if not (isinstance(self.n_estimators, (int, np.integer)) and self.n_estimators >= 1):
            raise ValueError(f"n_estimators: {self.n_estimators!r} is not a whole number >= 1")
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
            if sample_weight.shape != (len(y),):
                raise ValueError(f"sample_weight has {sample_weight.shape[0]} values for {len(y)} samples")
            if not np.all(np.isfinite(sample_weight)) or (sample_weight < 0).any():
                raise ValueError("sample_weight must be finite and non-negative")
            if not (sample_weight > 0).any():
                raise ValueError("sample_weight must contain at least one non-zero number")
        # quantised once, without xgboost's float copy of X (the same booster as a DMatrix with
        # the hist method, byte for byte; about a quarter less memory while training)
        dtrain = xgb.QuantileDMatrix(X, label=yk, weight=sample_weight, missing=np.nan)
        return self.adopt(
            xgb.train(self.booster_params(len(self.classes_)), dtrain, num_boost_round=int(self.n_estimators))
        )

    def adopt(self, booster):
        """Take ``booster`` (trained here or by another engine) as the fitted trees: its classes and
        features, and its compiled form (``trees_``: exact TreeSHAP and margins without calling
        xgboost; None for trees deeper than two levels)."""
        self.booster_ = booster
        if not hasattr(self, "classes_"):
            self.classes_ = np.arange(_num_class(booster))
        self.n_features_in_ = booster.num_features()
        self._booster_bytes = bytes(booster.save_raw("ubj"))  # what is saved, and what trees_ records
        self.trees_ = (
            compile_booster(booster, self._booster_bytes)
            if self.max_depth is None or self.max_depth <= MAX_DEPTH
            else None
        )
        return self

    def __getattr__(self, name):
        # a model read from a bundle keeps the booster's bytes and makes the booster (importing
        # xgboost) only when something needs it: scoring a few cases runs on the compiled trees.
        # The booster read is first held to the margins the compiled trees record for it.
        if name == "booster_" and "_booster_raw" in self.__dict__:
            booster = _read_booster(self.__dict__.pop("_booster_raw"))
            if self.__dict__.get("trees_") is not None:
                self.trees_.check_booster(booster)
            self.booster_ = booster
            return booster
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _fitted(self) -> bool:
        return "booster_" in self.__dict__ or "_booster_raw" in self.__dict__

    def _margin(self, X):
        if not self._fitted():
            check_is_fitted(self, "booster_")
        X = self._checked(X)
        if self.trees_ is not None:  # one path for any number of cases (no xgboost call or import)
            return self.trees_.margins(X)
        import xgboost as xgb

        return self.booster_.predict(xgb.DMatrix(X, missing=np.nan), output_margin=True).reshape(len(X), -1)

    def _checked(self, X) -> np.ndarray:
        """``X`` checked as scikit-learn checks it (:func:`netorigin._runtime.check_features`: the
        same way whatever this process has imported)."""
        return check_features(self, X)

    def decision_function(self, X):
        """Per-class margins (log-odds scale before the softmax), shape (n, n_classes);
        for two classes, as scikit-learn expects, the difference of the two, shape (n,)."""
        m = self._margin(X)
        return m[:, 1] - m[:, 0] if m.shape[1] == 2 else m

    def decision_function_edited(self, X, X_base, base_margins):
        """Margins of cases ``X`` that are ``X_base`` (margins ``base_margins``) with a few features
        changed: from the compiled trees, only the trees the changes reach
        (:meth:`CompiledTrees.margins_edited`); else :meth:`decision_function`."""
        if self.trees_ is None:
            return self.decision_function(X)
        m = self.trees_.margins_edited(self._checked(X), self._checked(X_base), base_margins)
        return m[:, 1] - m[:, 0] if m.shape[1] == 2 else m

    def predict_proba(self, X):
        return softmax(self._margin(X))

    def predict(self, X):
        margin = self._margin(X)
        return self.classes_[np.argmax(margin, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _make(random_state=None, **params):
    return CaseFeatures(dtype="float32", procedures=False), XGBoostSiteClassifier(random_state=random_state, **params)


def _explain(clf, X, feature_fields):
    """Exact TreeSHAP, grouped per contract field: from the compiled trees (equal to xgboost's
    ``pred_contribs``, several times faster), or from xgboost for boosters deeper than two levels."""
    if clf.trees_ is not None:
        c = clf.trees_.contributions(np.asarray(X, dtype=np.float32))
    else:
        import xgboost as xgb

        c = clf.booster_.predict(xgb.DMatrix(X, missing=np.nan), pred_contribs=True)
        c = c.reshape(len(X), len(clf.classes_), -1)
    fields, contrib = group_by_field(c[:, :, :-1], feature_fields)
    return fields, contrib, c[:, :, -1]


def _to_files(clf):
    raw = clf.__dict__.get("_booster_bytes")
    files = {"booster.ubj": raw if raw is not None else bytes(clf.booster_.save_raw("ubj"))}
    if clf.trees_ is not None:
        files["trees.npz"] = clf.trees_.to_bytes()  # derived from the booster: the fast, xgboost-free form
    return files


def _read_booster(data: bytes):
    import xgboost as xgb

    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(data))
    except xgb.core.XGBoostError as e:
        raise InputError(f"booster.ubj: xgboost cannot read it ({str(e).splitlines()[0][-120:]})") from None
    return booster


def _from_files(files):
    data = files["booster.ubj"]
    if len(data) < 2 or data[:1] != b"{":
        raise InputError("booster.ubj: not an xgboost model in UBJSON (empty or damaged)")
    clf = XGBoostSiteClassifier()
    if "trees.npz" in files:
        # the booster itself is read (and xgboost imported) only when something needs it; the
        # tables must prove they were compiled from these very bytes
        clf.trees_ = CompiledTrees.from_bytes(files["trees.npz"])
        clf.trees_.check_derived_from(data)
        clf._booster_raw = clf._booster_bytes = bytes(data)
        n_class, n_features = clf.trees_.n_classes, clf.trees_.n_features
    else:  # a bundle written before the compiled form existed
        booster = _read_booster(data)
        clf.adopt(booster)
        clf._booster_bytes = bytes(data)
        n_class, n_features = len(clf.classes_), clf.n_features_in_
    clf.classes_ = np.arange(n_class)
    clf.n_features_in_ = n_features
    return clf


def _num_class(booster) -> int:
    import json

    cfg = json.loads(booster.save_config())
    return int(cfg["learner"]["learner_model_param"]["num_class"])


register(
    ModelKind(
        name="xgboost",
        summary="gradient-boosted trees (default); NaN for tests not done; exact TreeSHAP reasons",
        make_classifier=_make,
        explain=_explain,
        to_files=_to_files,
        from_files=_from_files,
        files=("booster.ubj",),
    )
)
