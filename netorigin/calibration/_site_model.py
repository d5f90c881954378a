"""The model: one fitted scikit-learn estimator from a case table to trustworthy outputs.

``SiteModel`` chains check -> features -> classifier (a :func:`~netorigin.models.make_model`
pipeline) -> temperature scaling -> deployment prior -> conformal sets. Like scikit-learn's
``CalibratedClassifierCV`` it fits its calibration on held-out predictions (cross-fitting, or a
held-out share for large cohorts), never on the rows the classifier was fitted on.
Scoring, explaining, advising, evaluating, saving and tracking all go through its public methods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from .._math import softmax
from .._version import __version__
from ..contract import RESEARCH_NOTICE, SITES, as_canonical
from ..exceptions import InputError
from ..features import make_profile, unlike_training
from ..models import get_kind, make_model, site_codes
from ._steps import ConformalSets, PriorShift, TemperatureScaling, resolve_prior, scenario_priors


class CaseSplitter:
    """Stratified folds by group (patient); plain stratified folds when every case is its own
    group (StratifiedGroupKFold is slow with a million groups and gives the same kind of split).

    >>> import numpy as np
    >>> y = np.array([0, 1, 2] * 10)
    >>> tr, te = next(CaseSplitter(5, 0).split(np.zeros((30, 1)), y, np.arange(30)))
    >>> len(te)
    6
    """

    def __init__(self, n_splits: int, random_state=None):
        self.n_splits, self.random_state = n_splits, random_state

    def split(self, X, y, groups):
        from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

        n_groups = len(np.unique(groups))
        if n_groups < self.n_splits:
            raise InputError(f"patient_id: {n_groups} distinct patients cannot be split into {self.n_splits} "
                             "folds; give more patients or fewer folds")
        if n_groups == len(groups):
            return StratifiedKFold(self.n_splits, shuffle=True, random_state=self.random_state).split(X, y)
        return StratifiedGroupKFold(self.n_splits, shuffle=True, random_state=self.random_state).split(X, y, groups)


@dataclass
class Explanation:
    """Per-field contributions for every case and site on the classifier's margin scale,
    centred across sites: ``base + contributions.sum(axis=1) == margin`` exactly."""

    fields: list
    contributions: np.ndarray  # (n, n_fields, 3)
    base: np.ndarray  # (n, 3)
    margin: np.ndarray  # (n, 3)


class SiteModel(ClassifierMixin, BaseEstimator):
    """The fitted model: check -> features -> classifier -> calibration -> prior -> sets.

    Parameters
    ----------
    kind : str
        A registered model kind (``netorigin.models.MODEL_KINDS``).
    params : dict or None
        Hyper-parameters of the kind's classifier.
    cv : int or "holdout"
        Folds of cross-fitting for the calibration's held-out margins; ``"holdout"`` calibrates
        on a 10% held-out share instead (large cohorts) and fits the classifier on the rest.
    target_prior : str
        The default deployment prior: ``training``, a scenario name or ``a,b,c``.
    random_state : int or None

    Attributes
    ----------
    estimator_ : Pipeline
        The fitted check -> features -> classifier pipeline.
    calibrator_ : TemperatureScaling
    prior_ : PriorShift
    conformal_ : ConformalSets
    profile_ : dict
        Aggregates of the training rows (for "unlike the training data" warnings).
    classes_ : ndarray
        ``ileal, pancreatic, other``.
    oof_margins_, oof_y_, oof_fold_ : ndarray
        The held-out margins the calibration was fitted on (in memory only; never saved).
    metadata_ : dict
        Identity and provenance, filled in by training and by the bundle it was read from.
    """

    def __init__(self, kind="xgboost", *, params=None, cv=5, target_prior="training", random_state=None):
        self.kind = kind
        self.params = params
        self.cv = cv
        self.target_prior = target_prior
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def _make(self):
        return make_model(self.kind, random_state=self.random_state, **(self.params or {}))

    def fit(self, X, y, *, groups=None):
        """Cross-fit the calibration, then fit the classifier on every row of ``X``."""
        get_kind(self.kind)
        PriorShift(self.target_prior).fit(None, train_prior=np.ones(len(SITES)))  # a bad prior fails first
        table = as_canonical(X)
        y = site_codes(y)
        groups = np.arange(len(y)).astype(str) if groups is None else np.asarray(groups)
        sites = np.array(SITES, dtype=object)
        if self.cv == "holdout":
            fit_idx, cal_idx = next(CaseSplitter(10, self.random_state).split(table, y, groups))
            estimator = self._make().fit(table.iloc[fit_idx], sites[y[fit_idx]])
            margins = estimator.decision_function(table.iloc[cal_idx])
            self.oof_margins_, self.oof_y_, self.oof_fold_ = margins, y[cal_idx], np.zeros(len(cal_idx), int)
            fitted_rows = table.iloc[fit_idx]
        elif isinstance(self.cv, (int, np.integer)) and self.cv >= 2:
            oof, fold_of = np.zeros((len(y), len(SITES))), np.zeros(len(y), dtype=int)
            for fold, (a, b) in enumerate(CaseSplitter(int(self.cv), self.random_state).split(table, y, groups)):
                oof[b] = self._make().fit(table.iloc[a], sites[y[a]]).decision_function(table.iloc[b])
                fold_of[b] = fold
            self.oof_margins_, self.oof_y_, self.oof_fold_ = oof, y, fold_of
            estimator = self._make().fit(table, sites[y])
            fitted_rows = table
        else:
            raise InputError(f"cv: {self.cv!r} is not a whole number >= 2 or 'holdout'")
        return self.fit_calibration(estimator, self.oof_margins_, self.oof_y_,
                                    train_prior=np.bincount(y, minlength=len(SITES)) / len(y),
                                    profile=make_profile(fitted_rows))

    def fit_calibration(self, estimator, margins, y, *, train_prior, profile):
        """Complete the model from a fitted classifier pipeline and held-out margins.

        The one place where temperature, priors and conformal thresholds are fitted: local
        training calls it after cross-fitting, the Dask engine after its distributed fit.
        """
        self.estimator_ = estimator
        y = np.asarray(y, dtype=int)
        self.calibrator_ = TemperatureScaling().fit(margins, y)
        self.prior_ = PriorShift(self.target_prior).fit(y, train_prior=train_prior)
        mixes = {name: np.asarray(p, dtype=float) for name, p in scenario_priors().items()}
        if self.target_prior != "training" and self.target_prior not in mixes:
            mixes[self.target_prior] = resolve_prior(self.target_prior)[1]
        self.conformal_ = ConformalSets().fit(self.calibrator_.predict_proba(margins), y,
                                              train_prior=self.prior_.train_prior_, priors=mixes)
        self.profile_ = profile
        self.classes_ = np.array(SITES, dtype=object)
        self.metadata_ = {}
        return self

    # ------------------------------------------------------------------ prediction
    def transform(self, X):
        """The classifier's input for ``X``: the feature matrix (or the canonical table, for
        kinds that read it)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_[:-1].transform(as_canonical(X))

    @property
    def feature_fields_(self):
        """The contract field of every feature column (None for kinds that read the table)."""
        check_is_fitted(self, "estimator_")
        features = self.estimator_.named_steps.get("features")
        return None if features is None else features.feature_fields_

    def margins(self, Xt) -> np.ndarray:
        """Uncalibrated per-site margins (log-odds scale) from :meth:`transform`'s output."""
        return self.estimator_[-1].decision_function(Xt)

    def decision_function(self, X) -> np.ndarray:
        return self.margins(self.transform(X))

    def proba_from_margins(self, margins, *, target_prior=None, calibrated: bool = True) -> np.ndarray:
        p = self.calibrator_.predict_proba(margins) if calibrated else softmax(margins)
        return self.prior_.transform(p, target_prior)

    def predict_proba(self, X, *, target_prior=None, calibrated: bool = True) -> np.ndarray:
        """Site probabilities (columns follow ``classes_``) under ``target_prior`` (None: the
        model's deployment prior; ``"training"``: the training mix; a scenario; ``a,b,c``)."""
        return self.proba_from_margins(self.decision_function(X), target_prior=target_prior, calibrated=calibrated)

    def predict(self, X, **kw) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X, **kw), axis=1)]

    def prior_name(self, target_prior=None) -> str:
        spec = self.prior_.target_prior if target_prior is None else target_prior
        return spec if isinstance(spec, str) else ",".join(f"{v:g}" for v in spec)

    def sets_prior(self, target_prior=None) -> str:
        """The site mix whose conformal thresholds apply: the requested one when the model
        prepared it, else the training mix."""
        name = self.prior_name(target_prior)
        return name if name in self.conformal_.thresholds_ else "training"

    def predict_sets(self, X=None, *, coverage: float = 0.9, target_prior=None, proba=None) -> np.ndarray:
        """Boolean (n, 3) conformal sets. ``proba``: probabilities already computed for
        :meth:`sets_prior` (saves predicting twice)."""
        prior = self.sets_prior(target_prior)
        p = self.predict_proba(X, target_prior=prior) if proba is None else proba
        return self.conformal_.predict(p, coverage, prior)

    def explain(self, X=None, *, Xt=None) -> Explanation | None:
        """Per-field contributions to the margin (None for kinds without an exact explainer)."""
        explainer = get_kind(self.kind).explain
        if explainer is None:
            return None
        Xt = self.transform(X) if Xt is None else Xt
        fields, contrib, base = explainer(self.estimator_[-1].estimator_, Xt, self.feature_fields_)
        contrib = contrib - contrib.mean(axis=2, keepdims=True)
        base = base - base.mean(axis=1, keepdims=True)
        return Explanation(fields, contrib, base, base + contrib.sum(axis=1))

    def unlike_training(self, table) -> list[list[str]]:
        """For each case, how it is unlike the training rows (from the aggregate profile)."""
        return unlike_training(getattr(self, "profile_", None), table)

    # ------------------------------------------------------------------ identity
    @property
    def bundle_hash(self) -> str | None:
        return getattr(self, "metadata_", {}).get("bundle_hash")

    def identity(self) -> dict:
        meta = getattr(self, "metadata_", {})
        return {"name": meta.get("name", f"netorigin-{self.kind}"),
                "version": meta.get("netorigin_version", __version__),
                "kind": self.kind, "bundle_hash": self.bundle_hash,
                "training_data": meta.get("training_data", {}).get("description"),
                "notice": RESEARCH_NOTICE}
