"""The ``latent-boost`` kind: the latent-class model, then boosted trees that learn what its cells
cannot hold (findings that travel together within a site, phenotype cells the literature lacks).

    margin(label | case) = the latent-class margin (log p(label | fields) under the fitted cells)
                           + the margin of trees boosted from it (xgboost with ``base_margin``)

The number of rounds is chosen on a held-out share of the training cases (early stopping on the
multi-class log-loss) and kept only when it beats the latent-class model alone there by more than
its standard error: zero rounds *is* the latent-class model, so a cohort too small to say more
than the literature gets the literature-structured model, and a large one whose findings travel
together gets the trees that learn it. The cells stay the generative model the next-test advice
reads (the latent-class part's), the reasons add up (the latent-class terms plus the trees' exact
TreeSHAP, field by field), and nothing is pickled (the cells as CSV and JSON, the trees as UBJ).
"""

from __future__ import annotations

import numpy as np

from .._math import log_softmax, softmax
from .._runtime import BaseEstimator, ClassifierMixin, check_is_fitted
from ..contract import as_canonical
from ..exceptions import InputError, check_stored
from ..io import CaseFeatures, features_from_state, features_state
from ._latent import LatentClassSiteClassifier
from ._latent import _from_files as _latent_from_files
from ._latent import _to_files as _latent_to_files
from ._registry import ModelKind, dump_json, read_json, register
from ._site import LEVELS
from ._xgboost import XGBoostSiteClassifier
from ._xgboost import _from_files as _xgb_from_files
from ._xgboost import _to_files as _xgb_to_files

HOLDOUT = 0.2  # share of the training cases the rounds are chosen on
PATIENCE = 50  # rounds without improvement before the search stops
# the latent-class model's fields own the blocks it reads together (Ki-67 with grade and mitoses;
# a biochemistry category with its fold of ULN): the trees' terms join them there
_BLOCK = {
    "grade": "ki67_percent",
    "mitoses_per_2mm2": "ki67_percent",
    "serum_cga_x_uln": "serum_cga",
    "urine_5hiaa_x_uln": "urine_5hiaa",
}


class LatentBoostSiteClassifier(ClassifierMixin, BaseEstimator):
    """The latent-class model plus trees boosted from its margins (see the module docstring).

    Parameters
    ----------
    literature_weight : "cv" or float
        Of the latent-class part (:class:`LatentClassSiteClassifier`).
    rounds : "cv" or int
        Boosting rounds: chosen on a held-out share (``"cv"``), or given (0: the latent-class model).
    max_rounds : int
        The most rounds ``"cv"`` tries.
    learning_rate, max_depth, subsample, colsample_bytree, min_child_weight, reg_lambda : float
        The trees' hyper-parameters (shallow, slow and regularised: a correction, not a model).
    level : {"site", "subsite"}
        What the label codes mean (set by :class:`~netorigin.models.SiteClassifier`).
    n_jobs : int or None
        xgboost's threads.
    random_state : int or None
        The folds, the held-out share and the trees.
    """

    def __init__(
        self,
        *,
        literature_weight="cv",
        rounds="cv",
        max_rounds=1500,
        learning_rate=0.05,
        max_depth=2,
        subsample=0.8,
        colsample_bytree=0.5,
        min_child_weight=5.0,
        reg_lambda=5.0,
        level="site",
        n_jobs=None,
        random_state=None,
    ):
        self.literature_weight = literature_weight
        self.rounds = rounds
        self.max_rounds = max_rounds
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.level = level
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _trees(self) -> XGBoostSiteClassifier:
        return XGBoostSiteClassifier(
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            subsample=self.subsample,
            colsample_bytree=self.colsample_bytree,
            min_child_weight=self.min_child_weight,
            reg_lambda=self.reg_lambda,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )

    def fit(self, X, y):
        table = as_canonical(X)
        codes = np.asarray(y, dtype=int)
        if self.level not in LEVELS:
            raise InputError(f"level: {self.level!r} is not one of {', '.join(LEVELS)}")
        if not (self.rounds == "cv" or (isinstance(self.rounds, (int, np.integer)) and self.rounds >= 0)):
            raise InputError(f"rounds: {self.rounds!r} is not 'cv' or a whole number >= 0")
        latent = LatentClassSiteClassifier(
            literature_weight=self.literature_weight, level=self.level, random_state=self.random_state
        )
        self.latent_ = latent.fit(table, codes)
        self.classes_ = self.latent_.classes_
        self.cells_ = self.latent_.cells_  # the generative model the advice reads
        self.literature_weight_ = self.latent_.literature_weight_
        self.features_ = CaseFeatures(dtype="float32").fit(table)
        Xt = self.features_.transform(table)
        base = self.latent_.decision_function(table)
        k = np.searchsorted(self.classes_, codes)
        if self.rounds == "cv":
            self.rounds_, self.rounds_scores_ = self._choose_rounds(Xt, k, base)
        else:
            self.rounds_, self.rounds_scores_ = int(self.rounds), {}
        self.boost_ = self._boost(Xt, k, base, self.rounds_) if self.rounds_ > 0 else None
        return self

    def _params(self) -> dict:
        return self._trees().booster_params(len(self.classes_))

    def _boost(self, Xt, k, base, rounds: int) -> XGBoostSiteClassifier:
        import xgboost as xgb

        d = xgb.DMatrix(Xt, label=k, base_margin=base.ravel(), missing=np.nan)
        clf = self._trees()
        clf.classes_ = np.arange(len(self.classes_))
        return clf.adopt(xgb.train(self._params(), d, num_boost_round=int(rounds)))

    def _choose_rounds(self, Xt, k, base) -> tuple[int, dict]:
        """Rounds by early stopping on a held-out share (stratified by label), kept only when they
        beat no trees there by more than the standard error of the difference; then scaled to the
        whole cohort. Returns (rounds, {"latent": loss, "boosted": loss, "se": se, "best": rounds})."""
        import xgboost as xgb

        rng = np.random.default_rng(self.random_state)
        held = np.zeros(len(k), dtype=bool)
        for c in np.unique(k):
            idx = np.flatnonzero(k == c)
            held[rng.choice(idx, size=int(round(HOLDOUT * len(idx))), replace=False)] = True
        if held.sum() < 20 or (~held).sum() < 20:
            return 0, {}
        dtr = xgb.DMatrix(Xt[~held], label=k[~held], base_margin=base[~held].ravel(), missing=np.nan)
        dva = xgb.DMatrix(Xt[held], label=k[held], base_margin=base[held].ravel(), missing=np.nan)
        params = {**self._params(), "eval_metric": "mlogloss"}
        bst = xgb.train(
            params,
            dtr,
            num_boost_round=int(self.max_rounds),
            evals=[(dva, "held")],
            early_stopping_rounds=PATIENCE,
            verbose_eval=False,
        )
        best = int(bst.best_iteration) + 1
        boosted = bst.predict(dva, output_margin=True, iteration_range=(0, best)).reshape(len(k[held]), -1)
        rows = np.arange(int(held.sum()))
        loss_latent = -log_softmax(base[held])[rows, k[held]]
        loss_boost = -log_softmax(boosted)[rows, k[held]]
        diff = loss_boost - loss_latent
        se = float(diff.std(ddof=1) / np.sqrt(len(diff)))
        scores = {"latent": float(loss_latent.mean()), "boosted": float(loss_boost.mean()), "se": se, "best": best}
        if diff.mean() >= -se:
            return 0, scores
        return int(round(best / (1 - HOLDOUT))), scores

    def _tree_margin(self, Xt) -> np.ndarray:
        """The trees' part of the margin (their leaves, without xgboost's base score)."""
        t = self.boost_
        if t.trees_ is not None:
            return t.trees_.margins(Xt) - t.trees_.base_score
        import xgboost as xgb

        zero = np.zeros((len(Xt), len(self.classes_)))
        d = xgb.DMatrix(Xt, base_margin=zero.ravel(), missing=np.nan)
        return t.booster_.predict(d, output_margin=True).reshape(len(Xt), -1)

    def fields_read(self) -> frozenset:
        """The contract fields the cells and the trees read."""
        check_is_fitted(self, "latent_")
        return self.latent_.fields_read() | frozenset(self.features_.feature_fields_)

    def decision_function(self, X):
        check_is_fitted(self, "latent_")
        table = as_canonical(X)
        margin = self.latent_.decision_function(table)
        if self.boost_ is None:
            return margin
        return margin + self._tree_margin(self.features_.transform(table))

    def predict_proba(self, X):
        return softmax(self.decision_function(X))

    def predict(self, X):
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]

    def field_terms(self, X) -> tuple[list, np.ndarray, np.ndarray]:
        """(fields, contributions (n, fields, labels), base (n, labels)) adding up to the margins: the
        latent-class part's terms plus the trees' exact TreeSHAP, each feature's term joined to
        the field (or block of fields) the latent-class part reads it with."""
        table = as_canonical(X)
        fields, contrib, base = self.latent_.field_terms(table)
        if self.boost_ is None:
            return fields, contrib, base
        from ._xgboost import _explain as tree_shap

        Xt = self.features_.transform(table)
        f2, c2, bias = tree_shap(self.boost_, Xt, [_BLOCK.get(f, f) for f in self.features_.feature_fields_])
        t = self.boost_.trees_
        bias = bias - (t.base_score if t is not None else 0.0)  # the trees' part only
        fields = list(fields)
        for f in f2:
            if f not in fields:
                fields.append(f)
                contrib = np.concatenate([contrib, np.zeros((len(contrib), 1, contrib.shape[2]))], axis=1)
        for j, f in enumerate(f2):
            contrib[:, fields.index(f), :] += c2[:, j, :]
        return fields, contrib, base + bias


def _make(random_state=None, **params):
    return None, LatentBoostSiteClassifier(random_state=random_state, **params)


def _explain(clf, table, feature_fields):
    return clf.field_terms(table)


def _to_files(clf):
    files = {f"boost/{k}": v for k, v in _latent_to_files(clf.latent_).items()}
    state = {
        "rounds": int(clf.rounds_),
        "rounds_scores": clf.rounds_scores_,
        "features": features_state(clf.features_),
        "params": {k: v for k, v in clf.get_params().items() if k not in ("level", "random_state", "n_jobs")},
    }
    files["boost/model.json"] = dump_json(state)
    if clf.boost_ is not None:
        files.update({f"boost/{k}": v for k, v in _xgb_to_files(clf.boost_).items()})
    return files


def _from_files(files):
    state = read_json(files["boost/model.json"], "boost/model.json")
    try:  # the latent-class part's errors name its files as the bundle holds them (boost/latent/...)
        latent = _latent_from_files({k[len("boost/") :]: v for k, v in files.items() if k.startswith("boost/latent/")})
    except InputError as e:
        raise InputError(str(e).replace("latent/", "boost/latent/")) from None
    try:
        params = dict(state["params"])
        rounds = int(state["rounds"])
        features = features_from_state(state["features"])
        clf = LatentBoostSiteClassifier(**{k: v for k, v in params.items() if k in _PARAMS}, level=latent.level)
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"boost/model.json: not a latent-boost model ({e})") from None
    _check_params(params, rounds, state.get("rounds_scores"))
    if rounds < 0 or (rounds > 0) != ("boost/booster.ubj" in files):
        raise InputError(f"boost/model.json: {rounds} rounds but the trees are {'missing' if rounds else 'present'}")
    clf.latent_, clf.cells_, clf.classes_ = latent, latent.cells_, latent.classes_
    clf.literature_weight_ = latent.literature_weight_
    clf.features_, clf.rounds_, clf.rounds_scores_ = features, rounds, dict(state.get("rounds_scores") or {})
    clf.boost_ = None
    if rounds:
        clf.boost_ = _xgb_from_files({k[len("boost/") :]: v for k, v in files.items() if k in _TREE_FILES})
        if clf.boost_.n_features_in_ != len(features.feature_names_out_) or len(clf.boost_.classes_) != len(
            latent.classes_
        ):
            raise InputError("boost/booster.ubj: its features or classes are not the model's")
    return clf


# each stored hyper-parameter's range (low, high, whole), checked when a bundle is read
_RANGES = {
    "literature_weight": (0.0, 1e6, False),
    "max_rounds": (0, 100_000, True),
    "learning_rate": (1e-6, 1.0, False),
    "max_depth": (1, 64, True),
    "subsample": (1e-6, 1.0, False),
    "colsample_bytree": (1e-6, 1.0, False),
    "min_child_weight": (0.0, 1e6, False),
    "reg_lambda": (0.0, 1e6, False),
}


def _check_params(params: dict, rounds: int, scores) -> None:
    """boost/model.json's stored numbers, each within what it can take (refused by name)."""
    for name, (low, high, whole) in _RANGES.items():
        if name in params:
            check_stored(params[name], f"boost/model.json: params.{name}", shape=(), low=low, high=high, whole=whole)
    if params.get("rounds", "cv") != "cv":
        check_stored(params["rounds"], "boost/model.json: params.rounds", shape=(), low=0, high=100_000, whole=True)
    check_stored(rounds, "boost/model.json: rounds", shape=(), low=0, high=100_000, whole=True)
    if not isinstance(scores or {}, dict):
        raise InputError("boost/model.json: rounds_scores: not a mapping")
    for k, v in (scores or {}).items():
        check_stored(v, f"boost/model.json: rounds_scores.{k}", shape=(), low=0, high=1e6)  # log-losses, SE, rounds


_PARAMS = (
    "literature_weight",
    "rounds",
    "max_rounds",
    "learning_rate",
    "max_depth",
    "subsample",
    "colsample_bytree",
    "min_child_weight",
    "reg_lambda",
)
_TREE_FILES = ("boost/booster.ubj", "boost/trees.npz")


register(
    ModelKind(
        name="latent-boost",
        summary="the latent-class model, then trees boosted from its margins that learn what its cells "
        "cannot hold (rounds chosen on held-out cases; zero rounds is the latent-class model)",
        make_classifier=_make,
        explain=_explain,
        to_files=_to_files,
        from_files=_from_files,
        files=("boost/latent/parameters.csv", "boost/latent/cells.json", "boost/latent/model.json", "boost/model.json"),
        subsites=True,
        merges_rare=False,
        calibrates=False,
    )
)
