"""Train a site model the honest way, on one path whatever the engine.

Local: grouped, stratified split (20% held out for the figures); :meth:`SiteModel.fit`
cross-fits the calibration and fits the classifier on the rest. Dask: the engine supplies data
access and the distributed booster fit; the calibration, priors, conformal thresholds, profile
and metadata come from the same code (``SiteModel._finish_fit`` and :func:`_finish`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._math import softmax
from ..contract import FIELDS, SITES, Notice, as_canonical, site_sums
from ..estimator import MIN_PER_SITE, CaseSplitter, SiteModel
from ..exceptions import InputError
from ..literature import bayes_posterior
from ..models import DEFAULT_KIND, get_kind, site_codes
from ._checks import WARNING, base_rate_check, check_calibration, cohort_checks, structure_fit
from ._metrics import evaluate_model, site_metrics


@dataclass
class TrainResult:
    """What training produced: the model, its figures, and what the user should be told.

    Parameters
    ----------
    model : SiteModel
        The fitted model (classifier, calibration, prior, sets).
    metrics : dict
        Cross-validated and held-out figures.
    notices : list of Notice
        What the user should be told (cases set aside, sub-sites counted, level chosen, and the
        warnings of training's checks of itself, kind ``training_warning``: see :attr:`warnings`).
    test_predictions : tuple, optional
        The held-out cases' labels and probabilities, for plots.
    """

    model: SiteModel
    metrics: dict
    notices: list[Notice] = field(default_factory=list)
    # held-out predictions for plots: y, uncalibrated and calibrated probabilities, test table.
    # Kept in memory only; never logged (no case rows go to tracking).
    test_predictions: tuple | None = None

    @property
    def warnings(self) -> list[str]:
        """What training found wrong with the model or the cohort (no better than guessing the
        training mix, a cohort that contradicts itself); empty when nothing was."""
        return [n.message for n in self.notices if n.kind == WARNING]


def fingerprint(table: pd.DataFrame) -> str:
    """sha256 of the canonical contract columns (a name for the data, not the data).

    >>> fingerprint(pd.DataFrame({"ihc_cdx2": ["positive"]})) == fingerprint(pd.DataFrame({"ihc_cdx2": ["positive"]}))
    True
    """
    cols = sorted(c for c in table.columns if c in FIELDS or str(c).startswith("expr_"))
    h = hashlib.sha256(",".join(cols).encode("utf-8"))
    for c in cols:
        col = table[c]
        if isinstance(col.dtype, pd.CategoricalDtype):  # codes + categories say it all, and fast
            h.update(",".join(map(str, col.cat.categories)).encode("utf-8"))
            h.update(col.cat.codes.to_numpy().tobytes())
        elif pd.api.types.is_float_dtype(col):
            h.update(col.to_numpy(dtype=float).tobytes())
        else:
            h.update(pd.util.hash_pandas_object(col.astype(object), index=False).to_numpy().tobytes())
    return h.hexdigest()


def labelled_cases(cohort, *, group_column=None, min_per_site: int = MIN_PER_SITE, purpose: str = "training"):
    """(table, y, groups, notices): the labelled rows of a cohort; unlabelled ones are set aside
    and counted, never silently dropped. Refuses a cohort without a labelled case, or with fewer
    than ``min_per_site`` of a site (training: too few for CV; evaluation takes 0, a series of
    one site); ``purpose`` names what needs the labels in those messages."""
    table = as_canonical(cohort)
    notices = []
    if "primary_site" not in table.columns:
        raise InputError(
            f"primary_site: the cohort has no label column; {purpose} needs primary_site (ileal, pancreatic, other)"
        )
    lab = table["primary_site"].notna().to_numpy()
    if (~lab).any():
        notices.append(
            Notice(
                "set_aside",
                f"{int((~lab).sum())} of {len(table)} cases have no "
                "primary_site and were set aside (not used for training or evaluation)",
                ("primary_site",),
            )
        )
    if not lab.all():
        table = table[lab].reset_index(drop=True)
    if not len(table):
        raise InputError(f"primary_site: no case of the cohort has one; {purpose} needs labelled cases")
    y = site_codes(table["primary_site"])
    counts = np.bincount(y, minlength=3)
    few = [f"{s} ({c})" for s, c in zip(SITES, counts) if c < min_per_site]
    if few:
        raise InputError(
            f"primary_site: too few labelled cases of {', '.join(few)}; training needs at "
            f"least {min_per_site} of every site for cross-validation and a test split"
        )
    if group_column is not None and group_column not in table.columns:
        raise InputError(f"group column {group_column!r} is not in the cohort")
    gcol = group_column or ("patient_id" if "patient_id" in table.columns else "case_id")
    if gcol in table.columns:
        g = table[gcol]
        blank = g.isna().to_numpy() | (g.astype(str).str.strip() == "").to_numpy()
        if blank.any():
            rows = ", ".join(str(r + 1) for r in np.flatnonzero(blank)[:5])
            raise InputError(
                f"{gcol}: blank in {int(blank.sum())} labelled row(s) (rows {rows}); every case "
                f"needs a {gcol} to be split by patient"
            )
        groups = g.astype(str).to_numpy()
    else:
        groups = np.arange(len(table)).astype(str)
    return table, y, groups, notices


def train(
    cohort,
    *,
    kind: str | None = None,
    engine: str = "local",
    params: dict | None = None,
    random_state: int = 0,
    n_splits: int | str = 5,
    test_size: float = 0.2,
    group_column=None,
    target_prior: str = "training",
    bayes_scenario: str | None = None,
    n_bootstrap: int = 200,
    name: str | None = None,
    description: str | None = None,
    with_robustness: bool = True,
    scheduler: str | None = None,
    workers: int = 2,
    progress=None,
) -> TrainResult:
    """Cross-validate, calibrate, fit and evaluate one model kind on a labelled cohort.

    Parameters
    ----------
    cohort : DataFrame or ValidatedCohort, or (engine="dask") a folder, glob or list of Parquet files
        Cases in the contract with ``primary_site`` labels (or ``primary_site_detail``, which
        gives the site).
    kind : str, optional
        A registered kind (:data:`~netorigin.models.MODEL_KINDS`); default
        :data:`~netorigin.models.DEFAULT_KIND` (``xgboost`` with the dask engine).
    engine : {"local", "dask"}
        ``dask`` trains the xgboost kind on a Dask cluster (``scheduler`` or a LocalCluster of
        ``workers`` processes) with the same calibration and bundle as local training.
    n_splits : int or "holdout"
        Cross-fitting folds for the calibration (``holdout``: a 10% held-out share).
    test_size : float
        Share of cases (of patients, when grouped) held out for the reported figures; the
        shipped model is fitted on the rest. 0 skips the test set (CV figures only).
    target_prior : str
        Deployment prior recorded with the model: ``training``, a scenario name or ``a,b,c``.
    bayes_scenario : str, optional
        For synthetic cohorts: report the exact Bayes posterior on the same test cases.

    group_column : str, optional
        The column that groups cases by patient (default: ``patient_id`` when present).
    params : dict, optional
        Hyper-parameters of the kind's classifier.
    random_state : int
        Seed of the splits and the model.
    n_bootstrap : int
        Bootstrap resamples of the reported intervals.
    name, description : str, optional
        The model's name and the training data's description (recorded in the bundle).
    with_robustness : bool
        Also report robustness to masked tests.
    scheduler : str, optional
        A Dask scheduler address (``engine="dask"``).
    workers : int
        LocalCluster workers when no scheduler is given.
    progress : callable, optional
        ``progress(step, done, total)``.

    Returns
    -------
    TrainResult
    """
    kind = kind or ("xgboost" if engine == "dask" else DEFAULT_KIND)
    get_kind(kind)
    params = dict(params or {})
    model = SiteModel(kind, params=params or None, cv=n_splits, target_prior=target_prior, random_state=random_state)
    if engine == "dask":
        from ._dask_fit import fit_dask

        if kind != "xgboost":
            raise InputError("engine: dask trains the xgboost kind only")
        model, test, y_te, g_te, data, cases = fit_dask(
            model, cohort, scheduler=scheduler, workers=workers, progress=progress
        )
        notices = []
    elif engine == "local":
        model, test, y_te, g_te, data, notices, cases = _fit_local(model, cohort, group_column, test_size, progress)
    else:
        raise InputError(f"engine: {engine!r} is not one of local, dask")
    return _finish(
        model,
        test,
        y_te,
        g_te,
        data,
        notices=notices,
        cases=cases,
        bayes_scenario=bayes_scenario,
        n_bootstrap=n_bootstrap,
        random_state=random_state,
        name=name or f"netorigin-{kind}" + ("-dask" if engine == "dask" else ""),
        description=description,
        with_robustness=with_robustness,
    )


def _fit_local(model, cohort, group_column, test_size: float, progress):
    """The local engine: a grouped, stratified split (``test_size`` held out for the figures),
    then :meth:`SiteModel.fit` on the rest. Returns what :func:`_finish` needs (the last: the
    labelled cohort, whose consistency training checks)."""
    table, y, groups, notices = labelled_cases(cohort, group_column=group_column)
    if test_size:
        tr, te = next(CaseSplitter(max(2, int(round(1 / test_size))), model.random_state).split(table, y, groups))
    else:
        tr, te = np.arange(len(y)), np.array([], dtype=int)
    rows = table if len(te) == 0 else table.iloc[tr].reset_index(drop=True)  # no copy when every row trains
    model.fit(rows, np.array(SITES)[y[tr]], groups=groups[tr], progress=progress)
    if progress is not None:
        progress("evaluating on the held-out cases", None, None)
    data = {
        "fingerprint": fingerprint(table),
        "n_labelled": int(len(y)),
        "site_counts": {s: int(c) for s, c in zip(SITES, np.bincount(y, minlength=3))},
        "n_train": int(len(tr)),
        "n_test": int(len(te)),
        "site_counts_train": {s: int(c) for s, c in zip(SITES, np.bincount(y[tr], minlength=3))},
    }
    return model, table.iloc[te].reset_index(drop=True), y[te], groups[te], data, notices, table


def _finish(
    model,
    test,
    y_te,
    g_te,
    data,
    *,
    notices,
    cases,
    bayes_scenario,
    n_bootstrap,
    random_state,
    name,
    description,
    with_robustness,
) -> TrainResult:
    """Figures and metadata: the same for every engine. The shipped calibration is checked first
    on the test cases (the final classifier never saw them): kept uncalibrated when it makes their
    log-loss worse beyond noise (:func:`._checks.calibration_check`)."""
    test_predictions, said = None, []
    if len(y_te):
        said = check_calibration(model, y_te, model.forward(test, target_prior="training"))
        bayes = bayes_posterior(test, scenario=bayes_scenario).to_numpy() if bayes_scenario else None
        test_figures = evaluate_model(
            model,
            test,
            groups=g_te,
            n_bootstrap=n_bootstrap,
            random_state=random_state,
            bayes_proba=bayes,
            with_robustness=with_robustness,
        )
        fwd = model.forward(test, target_prior="training")
        test_predictions = (y_te, fwd.proba_under("training", calibrated=False), fwd.proba, test)
    metrics = {"cv": _cv_metrics(model), "calibration": model.calibration_}
    if test_predictions is not None:
        metrics["test"] = test_figures
    metrics["checks"], warnings = _checks(model, test_predictions, cases, random_state)
    notices = notices + said + warnings
    model.metadata_.update(
        {
            "name": name,
            "params": {
                k: (v if isinstance(v, (int, float, str, bool, type(None))) else str(v))
                for k, v in (model.params or {}).items()
            },
            "random_state": model.random_state,
            "training_data": {"description": description or "user cohort", **data},
            "metrics": _summary(metrics),
            # which calibration shipped and why (the held-out figures it was chosen on)
            "calibration": model.calibration_,
        }
    )
    if warnings:  # the bundle carries what training found wrong with it (nothing, when nothing was)
        model.metadata_["warnings"] = [n.message for n in warnings]
    return TrainResult(
        model=model, metrics=metrics, notices=notices + list(model.notices_), test_predictions=test_predictions
    )


def _checks(model, test_predictions, cases, random_state) -> tuple[dict, list]:
    """Training's checks of itself (:mod:`._checks`): better than guessing the training mix on the
    held-out test cases (without them, on the cross-fitted ones), and the cohort's consistency."""
    mix = site_sums(model.prior_.train_prior_[None, :], model.label_site_)[0]
    if test_predictions is not None:
        y, _, proba, _ = test_predictions
        base, warn = base_rate_check(y, proba, mix, "held-out test cases")
    else:
        ls = model.label_site_
        base, warn = base_rate_check(
            ls[model.oof_y_], site_sums(softmax(model.oof_margins_), ls), mix, "cross-fitted held-out cases"
        )
    y_cases = site_codes(cases["primary_site"])
    cohort, warn_cohort = cohort_checks(cases, y_cases, mix, random_state=random_state)
    structure, warn_structure = structure_fit(model, cases, random_state=random_state)
    return {"base_rate": base, "cohort": cohort, "structure": structure}, warn + warn_cohort + warn_structure


def _cv_metrics(model) -> dict:
    """The cross-fitted (or held-out) figures the calibration was fitted on: per fold, their mean,
    the ECE before and after calibration, the calibration itself, the labels and the design."""
    ls = model.label_site_
    oof, oof_y, fold = model.oof_margins_, ls[model.oof_y_], model.oof_fold_
    raw = site_sums(softmax(oof), ls)
    folds = [
        {"fold": int(k), **site_metrics(oof_y[fold == k], raw[fold == k], scalars_only=True)} for k in np.unique(fold)
    ]
    oof_cal = site_sums(model.calibrator_.predict_proba(oof), ls)
    return {
        "folds": folds,
        "mean": {k: float(np.mean([f[k] for f in folds])) for k in folds[0] if k not in ("fold", "n")},
        "oof_ece_before_after": [
            site_metrics(oof_y, raw, scalars_only=True)["ece"],
            site_metrics(oof_y, oof_cal, scalars_only=True)["ece"],
        ],
        "calibration": {
            "temperature": dict(zip(map(str, model.labels_), map(float, model.calibrator_.temperature_))),
            "bias": dict(zip(map(str, model.labels_), map(float, model.calibrator_.bias_))),
        },
        "level": model.level_,
        "labels": [str(x) for x in model.labels_],
        "design": model.calibration_design_,
    }


def _summary(metrics: dict) -> dict:
    out = {f"cv_{k}": v for k, v in metrics["cv"]["mean"].items()}
    t = metrics.get("test")
    if t:
        out.update(
            {
                f"test_{k}": t["calibrated"][k]
                for k in ("accuracy", "balanced_accuracy", "macro_auc", "log_loss", "brier", "ece")
            }
        )
        out["test_coverage_0.90"] = t["conformal"]["0.90"]["coverage"]
        out["test_mean_set_size_0.90"] = t["conformal"]["0.90"]["mean_set_size"]
        if "gap_to_bayes" in t:
            out["bayes_accuracy"] = t["bayes"]["accuracy"]
            out["bayes_log_loss"] = t["bayes"]["log_loss"]
    return out
