"""The model: one fitted scikit-learn estimator from a case table to trustworthy outputs.

``SiteModel`` chains check -> features -> classifier (a :func:`~netorigin.models.make_model`
pipeline, over the three sites or over the sub-sites whose sums are the sites) -> temperature
scaling -> deployment prior -> conformal sets. Like scikit-learn's ``CalibratedClassifierCV`` it
fits its calibration on held-out predictions (cross-fitting, or a held-out share for large
cohorts), never on the rows the classifier was fitted on. Scoring, explaining, advising,
evaluating, saving and tracking all go through its public methods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._runtime import BaseEstimator, ClassifierMixin, check_is_fitted
from .._version import __version__
from ..contract import SITES, as_canonical, research_notice
from ..io import informative_counts, make_profile
from ..models import (
    CLASSES,
    DEFAULT_KIND,
    detail_column,
    get_kind,
    label_codes,
    make_model,
    pipeline_from_parts,
    pipeline_label_margins,
    read_labels,
    site_of,
    with_detail_column,
)
from ._cells import ModelCells, classifier_fields, fit_cells, refit_sets
from ._conformal import ConformalSets
from ._face import SklearnFace
from ._labels import CaseSplitter, _align, _strata, training_labels
from ._parameters import validate_parameters
from ._passes import Passes
from ._prior import PriorShift
from ._temperature import TemperatureScaling


class SiteModel(Passes, SklearnFace, ClassifierMixin, BaseEstimator):
    """The fitted model: check -> features -> classifier -> calibration -> prior -> sets.

    Parameters
    ----------
    kind : str
        A registered model kind (``netorigin.models.MODEL_KINDS``).
    params : dict or None
        Hyper-parameters of the kind's classifier.
    level : {"auto", "site", "subsite"}
        What the classifier learns. ``auto``: the sub-sites when the kind can and every training
        case has a ``primary_site_detail``, else the three sites (with a notice).
    cv : int or "holdout"
        Folds of cross-fitting for the calibration's held-out margins; ``"holdout"`` calibrates
        on a 10% held-out share instead (large cohorts) and fits the classifier on the rest.
    target_prior : str
        The default deployment prior: ``training``, a scenario name or ``a,b,c``.
    random_state : int or None
        Seed of the folds and of the classifier.

    Attributes
    ----------
    estimator_ : Pipeline
        The fitted check -> features -> classifier pipeline.
    features_, classifier_ : CaseFeatures or None, SiteClassifier
        The fitted feature builder (None for kinds that read the case table) and classifier.
    level_ : {"site", "subsite"}
        What the classifier learnt.
    labels_ : ndarray of str
        The classifier's labels, in the contract's order: the sites, or the sub-sites it learnt
        (the columns of :attr:`Forward.margins` and :attr:`Forward.label_proba`).
    label_site_ : ndarray of int
        The site (0 ileal, 1 pancreatic, 2 other) of each label.
    calibrator_ : TemperatureScaling
    prior_ : PriorShift
    conformal_ : ConformalSets
    profile_ : dict
        Aggregates of the training rows (for "unlike the training data" warnings).
    classes_ : ndarray of str
        ``ileal, other, pancreatic``: the sites sorted, as scikit-learn's tools expect; the
        columns of :meth:`predict_proba`, :meth:`predict_log_proba`, :meth:`decision_function`
        and :meth:`predict_sets`. (Everything else the package gives per site, :meth:`forward`
        and the reports, is in the contract's order ``netorigin.SITES``: ileal, pancreatic, other,
        or keyed by site name.)
    notices_ : list of Notice
        What fitting decided that a user should know (site-level fallback, merged sub-sites).
    oof_margins_, oof_y_, oof_fold_ : ndarray
        The held-out margins the calibration was fitted on (in memory only; never saved).
    cells_ : ModelCells
        The cells the next-test advice reads and the procedures are read from, with the fields
        the model reads (:meth:`ModelCells.fields_read`).
    metadata_ : dict
        Identity and provenance, filled in by training and by the bundle it was read from.
    identity_ : ModelIdentity
        Who the model is, from ``metadata_``: shown beside every answer.
    """

    def __init__(
        self, kind=DEFAULT_KIND, *, params=None, level="auto", cv=5, target_prior="training", random_state=None
    ):
        self.kind = kind
        self.params = params
        self.level = level
        self.cv = cv
        self.target_prior = target_prior
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def _make(self, level):
        return make_model(self.kind, level=level, random_state=self.random_state, **(self.params or {}))

    def fit(self, X, y, *, groups=None, progress=None):
        """Cross-fit the calibration, then fit the classifier on every row of ``X``.

        When every case has a sub-site (from ``y`` or from ``X``'s ``primary_site_detail``) and the
        kind can, the classifier learns the sub-sites and reports the sites as their sums; a label that
        contradicts ``X``'s ``primary_site_detail`` is refused. ``X``'s ``primary_site`` is not read.
        (:meth:`score` reads ``y`` the same way; scikit-learn's scorers compare ``y`` with ``classes_``
        as they are: give them site names.)

        Parameters
        ----------
        X : DataFrame
            Training cases in the contract.
        y : array-like
            Each case's site (ileal, pancreatic, other) or sub-site (a ``primary_site_detail`` value:
            ileum, lung, ...), or a mix; integers are the index of a site in ``classes_`` (what
            scikit-learn's ``LabelEncoder`` gives, as ``cross_val_predict`` does).
        groups : array-like or None
            Each case's patient: a patient's cases never straddle a fold (None: one case each).
        progress : callable or None
            ``progress(step, done, total)``, called as each fold and the final fit begin.

        Returns
        -------
        SiteModel
            The fitted model itself.
        """
        tell = progress or (lambda *a: None)
        validate_parameters(self)
        get_kind(self.kind)
        table = as_canonical(X)
        y, detail = read_labels(y, len(table), detail_column(table))
        if detail is not None and not np.array_equal(detail, detail_column(table)):
            table = with_detail_column(table, detail)  # the sub-sites y names, as a column would give them
        level, labels, notices = training_labels(self.kind, self.level, y, detail)
        vocab = np.array(sorted(set(labels), key=lambda x: label_codes([x], level)[0]), dtype=object)
        y_lab = np.searchsorted(label_codes(vocab, level), label_codes(labels, level))
        groups = np.arange(len(y)).astype(str) if groups is None else np.asarray(groups)
        if self.cv == "holdout":
            fit_idx, cal_idx = next(CaseSplitter(10, self.random_state).split(table, _strata(y_lab, y, 10), groups))
            estimator = _fit(self._make(level), table, labels, groups, fit_idx)
            margins = _align(pipeline_label_margins(estimator, table.iloc[cal_idx]), estimator[-1].labels_, vocab)
            self.oof_margins_, self.oof_y_, self.oof_fold_ = margins, y_lab[cal_idx], np.zeros(len(cal_idx), int)
            fitted_rows, train_labels = table.iloc[fit_idx], y_lab[fit_idx]
            cal_rows = table.iloc[cal_idx]
        else:  # a whole number >= 2 (the constraints hold)
            oof, fold_of = np.zeros((len(y), len(vocab))), np.zeros(len(y), dtype=int)
            strata = _strata(y_lab, y, int(self.cv))
            for fold, (a, b) in enumerate(CaseSplitter(int(self.cv), self.random_state).split(table, strata, groups)):
                tell(f"fitting fold {fold + 1} of {self.cv}", fold, int(self.cv) + 1)
                est = _fit(self._make(level), table, labels, groups, a)
                oof[b] = _align(pipeline_label_margins(est, table.iloc[b]), est[-1].labels_, vocab)
                fold_of[b] = fold
            self.oof_margins_, self.oof_y_, self.oof_fold_ = oof, y_lab, fold_of
            tell("fitting on every training case", int(self.cv), int(self.cv) + 1)
            estimator = _fit(self._make(level), table, labels, groups)
            fitted_rows, train_labels = table, y_lab
            cal_rows = table
        return self._finish_fit(
            estimator,
            self.oof_margins_,
            self.oof_y_,
            fold=self.oof_fold_,
            train_prior=np.bincount(train_labels, minlength=len(vocab)) / len(train_labels),
            profile=make_profile(fitted_rows),
            n_fields=informative_counts(cal_rows),
            design="10% hold-out for calibration" if self.cv == "holdout" else f"{int(self.cv)}-fold cross-fitting",
            notices=notices,
            advice=(table, np.array(SITES, dtype=object)[y], None, groups),
            held_out=cal_rows,
        )

    def _finish_fit(
        self, estimator, margins, y, *, fold, train_prior, profile, n_fields, design, notices, advice, held_out
    ):
        """The one way training ends, for both engines (local cross-fitting, the Dask engine after
        its distributed fit): from a fitted classifier pipeline and held-out margins (label indices
        ``y``, their ``fold``; ``n_fields``: each held-out case's number of recorded informative
        fields), fit the temperature, the prior and the sets, then the advice's cells to
        ``advice = (cases, sites, n_training, groups)`` and the sets again with the procedures the held-out
        cases ``held_out`` record. ``design`` says how the held-out margins were made."""
        self.oof_margins_, self.oof_y_, self.oof_fold_ = margins, np.asarray(y, dtype=int), fold
        self._fit_calibration(
            estimator, margins, y, train_prior=train_prior, profile=profile, n_fields=n_fields, design=design
        )
        cases, sites, n_training, groups = advice
        self.cells_, more = fit_cells(self, cases, sites, n_training=n_training, groups=groups)
        self.notices_ = [*notices, *more]
        self.conformal_ = refit_sets(self, margins, y, n_fields, held_out)
        return self

    def _fit_calibration(self, estimator, margins, y, *, train_prior, profile, n_fields, design: str):
        """The temperature, the prior and the conformal sets (``calibration_design_``: how the
        held-out margins were made; ``calibration_``: which calibration and why)."""
        self.estimator_ = estimator
        self.labels_ = np.asarray(estimator[-1].labels_, dtype=object)
        self.label_site_, self.level_ = site_of(self.labels_), _level(self.labels_)
        y, calibrates = np.asarray(y, dtype=int), get_kind(self.kind).calibrates
        mode = "auto" if calibrates else "none"
        cal = TemperatureScaling(per_label=mode).fit(margins, y, label_site=self.label_site_)
        sampled = f"; temperatures fitted to {cal.n_fitted_:,} of {len(y):,}" if cal.n_fitted_ < len(y) else ""
        self.calibrator_, self.calibration_design_ = cal, design + sampled
        own = None if calibrates else f"the {self.kind} kind's probabilities are already a posterior"
        self.calibration_ = cal.record(self.calibration_design_, own)
        self.prior_ = PriorShift(self.target_prior).fit(y, labels=self.labels_, train_prior=train_prior)
        self.conformal_ = ConformalSets().fit(
            self.calibrator_.predict_proba(margins), y, label_site=self.label_site_, n_fields=n_fields
        )
        self.profile_ = profile
        self.classes_ = np.array(CLASSES, dtype=object)
        self.notices_, self.metadata_ = [], {}
        return self

    # ------------------------------------------------------------------ the fitted parts
    @property
    def estimator_(self):
        """The fitted check -> features -> classifier as one scikit-learn Pipeline, made when asked:
        scoring runs the fitted parts themselves, without importing scikit-learn."""
        parts = self.__dict__.get("_parts")
        if parts is None:
            raise AttributeError(f"{type(self).__name__} is not fitted: no estimator_")
        if self.__dict__.get("_pipeline") is None:
            self._pipeline = pipeline_from_parts(*parts)
        return self._pipeline

    @estimator_.setter
    def estimator_(self, pipeline) -> None:
        steps = dict(pipeline.named_steps)
        self._parts, self._pipeline = (steps.get("features"), steps["classifier"]), pipeline
        self.features_, self.classifier_ = self._parts

    @classmethod
    def fitted(
        cls,
        *,
        kind: str,
        features,
        classifier,
        calibrator,
        prior,
        conformal,
        profile=None,
        cells=None,
        metadata=None,
        params=None,
        random_state=None,
    ) -> SiteModel:
        """A fitted model from its fitted parts (a bundle being read).

        Parameters
        ----------
        kind : str
            The model kind.
        features : CaseFeatures or None
            The fitted feature builder (None for kinds that read the case table).
        classifier : SiteClassifier
            The fitted classifier.
        calibrator : TemperatureScaling
            The fitted temperature scaling.
        prior : PriorShift
            The fitted prior shift.
        conformal : ConformalSets
            The fitted conformal sets.
        profile : dict or None
            Aggregates of the training rows.
        cells : FittedCells or None
            The fitted cells the advice uses (None: the literature's).
        metadata : dict or None
            Identity and provenance.
        params : dict or None
            The classifier's hyper-parameters.
        random_state : int or None
            The seed it was trained with.

        Returns
        -------
        SiteModel
            The fitted model.
        """
        labels = np.asarray(classifier.labels_, dtype=object)
        level = _level(labels)
        self = cls(kind, params=params, level=level, target_prior=prior.target_prior, random_state=random_state)
        self._parts, self._pipeline = (features, classifier), None
        self.features_, self.classifier_ = features, classifier
        self.labels_, self.label_site_, self.level_ = labels, site_of(labels), level
        self.calibrator_, self.prior_, self.conformal_ = calibrator, prior, conformal
        reads = classifier_fields(features, classifier)
        self.cells_ = ModelCells(cells, labels=labels, prior=prior, classifier_fields=reads)
        self.profile_, self.notices_ = profile, []
        self.classes_ = np.array(CLASSES, dtype=object)
        self.metadata_ = dict(metadata or {})
        return self

    # ------------------------------------------------------------------ identity
    @property
    def identity_(self) -> ModelIdentity:
        """Who the model is (:class:`ModelIdentity`), from ``metadata_``: shown beside every answer."""
        check_is_fitted(self, "_parts")
        meta = getattr(self, "metadata_", {})
        return ModelIdentity(
            name=meta.get("name", f"netorigin-{self.kind}"),
            version=meta.get("netorigin_version", __version__),
            kind=self.kind,
            level=self.level_,
            bundle_hash=meta.get("bundle_hash"),
            training_data=meta.get("training_data", {}).get("description"),
            notice=research_notice(meta.get("training_data")),
        )


@dataclass(frozen=True)
class ModelIdentity:
    """A fitted model's identity, shown beside every answer it gives.

    Parameters
    ----------
    name : str
        The model's name.
    version : str
        The netorigin version that wrote it.
    kind : str
        Its kind.
    level : str
        What it learnt: ``site`` or ``subsite``.
    bundle_hash : str or None
        The hash of the bundle it was read from (None for a model not saved).
    training_data : str or None
        Its training data in words.
    notice : str
        The research-use notice.
    """

    name: str
    version: str
    kind: str
    level: str
    bundle_hash: str | None
    training_data: str | None
    notice: str

    def as_dict(self) -> dict:
        """The identity as a dict.

        Returns
        -------
        dict
            ``name``, ``version``, ``kind``, ``level``, ``bundle_hash``, ``training_data`` and
            ``notice``: the ``model`` block of every report.
        """
        return dict(self.__dict__)


def _level(labels) -> str:
    return "site" if set(labels) <= set(SITES) else "subsite"


def _fit(pipeline, table, labels, groups, rows=None):
    """The pipeline fitted to ``rows`` (None: every case); a classifier that splits its cases itself (the latent-class
    kind's weight) is given their patients, so that its folds keep a patient's cases together."""
    import inspect

    if rows is not None:
        table, labels, groups = table.iloc[rows], labels[rows], groups[rows]
    fit = pipeline[-1].estimator.fit
    extra = {"classifier__groups": groups} if "groups" in inspect.signature(fit).parameters else {}
    return pipeline.fit(table, labels, **extra)
