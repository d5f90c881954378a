"""Train a site model the honest way: grouped, stratified CV; calibration and conformal sets on
out-of-fold predictions; a held-out test set for the figures; the result as a :class:`SiteModel`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._fields import FIELDS, SITES
from .bundle import SiteModel, predictor_from_pipeline
from .calibrate import ConformalSets, TemperatureScaling, resolve_prior
from .evaluate import evaluate_site_model, site_metrics
from .exceptions import InputError
from .features import as_canonical
from .models import MODEL_KINDS, make_model, site_codes
from .profile import make_profile
from .schema import Notice

__all__ = ["train_site_model", "TrainResult", "labelled_cases", "fingerprint"]

SCENARIO_PRIORS = ("liver-met-archive", "population", "unknown-primary")


@dataclass
class TrainResult:
    """What training produced: the model, its figures, and what the user should be told."""

    model: SiteModel
    metrics: dict
    notices: list[Notice] = field(default_factory=list)
    # held-out predictions for plots: y, uncalibrated and calibrated probabilities, test table.
    # Kept in memory only; never logged (no case rows go to tracking).
    test_predictions: tuple | None = None


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


def labelled_cases(cohort, *, group_column=None, min_per_site: int = 10):
    """(table, y, groups, notices): the labelled rows of a cohort; unlabelled ones are set aside
    and counted, never silently dropped. Refuses a cohort missing a site or too small for CV."""
    table = as_canonical(cohort)
    notices = []
    if "primary_site" not in table.columns:
        raise InputError("primary_site: the cohort has no label column; training needs primary_site "
                         "(ileal, pancreatic, other)")
    lab = table["primary_site"].notna().to_numpy()
    if (~lab).any():
        notices.append(Notice("set_aside", f"{int((~lab).sum())} of {len(table)} cases have no "
                              "primary_site and were set aside (not used for training or evaluation)",
                              ("primary_site",)))
    if not lab.all():
        table = table[lab].reset_index(drop=True)
    y = site_codes(table["primary_site"])
    counts = np.bincount(y, minlength=3)
    few = [f"{s} ({c})" for s, c in zip(SITES, counts) if c < min_per_site]
    if few:
        raise InputError(f"primary_site: too few labelled cases of {', '.join(few)}; training needs at "
                         f"least {min_per_site} of every site for cross-validation and a test split")
    if group_column is not None and group_column not in table.columns:
        raise InputError(f"group column {group_column!r} is not in the cohort")
    gcol = group_column or ("patient_id" if "patient_id" in table.columns else "case_id")
    groups = table[gcol].astype(str).to_numpy() if gcol in table.columns else np.arange(len(table)).astype(str)
    return table, y, groups, notices


class _Splitter:
    """Stratified folds by group; plain stratified folds when every case is its own group
    (StratifiedGroupKFold is slow with a million groups and gives the same kind of split)."""

    def __init__(self, n_splits, random_state):
        self.n_splits, self.random_state = n_splits, random_state

    def split(self, X, y, groups):
        from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

        if len(np.unique(groups)) == len(groups):
            return StratifiedKFold(self.n_splits, shuffle=True, random_state=self.random_state).split(X, y)
        return StratifiedGroupKFold(self.n_splits, shuffle=True, random_state=self.random_state).split(X, y, groups)


def _splitter(n_splits, random_state):
    return _Splitter(n_splits, random_state)


def train_site_model(cohort, *, kind: str = "xgboost", params: dict | None = None, random_state: int = 0,
                     n_splits: int = 5, test_size: float = 0.2, group_column=None,
                     target_prior: str = "training", bayes_scenario: str | None = None,
                     bayes_model=None, n_bootstrap: int = 200, name: str | None = None,
                     description: str | None = None, with_robustness: bool = True) -> TrainResult:
    """Cross-validate, calibrate, fit and evaluate one model kind on a labelled cohort.

    Parameters
    ----------
    cohort : DataFrame
        Cases in the contract with ``primary_site`` labels (validated or raw).
    kind : str
        One of :data:`~netorigin.models.MODEL_KINDS`.
    test_size : float
        Share of cases (of patients, when grouped) held out for the reported figures; the
        shipped model is fitted on the rest. 0 skips the test set (CV figures only).
    target_prior : str
        Deployment prior recorded with the model: ``training``, a scenario name or ``a,b,c``.
    bayes_scenario : str, optional
        For synthetic cohorts: report the exact Bayes posterior on the same test cases.
    """
    if kind not in MODEL_KINDS:
        raise InputError(f"model: {kind!r} is not one of {', '.join(MODEL_KINDS)}")
    if target_prior != "training":
        resolve_prior(target_prior)  # fail early on a bad prior
    params = dict(params or {})
    table, y, groups, notices = labelled_cases(cohort, group_column=group_column)
    if test_size:
        k = max(2, int(round(1 / test_size)))
        tr_idx, te_idx = next(_splitter(k, random_state).split(table, y, groups))
    else:
        tr_idx, te_idx = np.arange(len(y)), np.array([], dtype=int)
    if len(te_idx):
        t_tr, y_tr, g_tr = table.iloc[tr_idx].reset_index(drop=True), y[tr_idx], groups[tr_idx]
    else:
        t_tr, y_tr, g_tr = table, y, groups

    if n_splits == 0:  # large cohorts: calibrate on a 10% hold-out instead of cross-fitting
        fit_idx, cal_idx = next(_splitter(10, random_state).split(t_tr, y_tr, g_tr))
        pipe = make_model(kind, random_state=random_state, **params).fit(t_tr.iloc[fit_idx], np.array(SITES)[y_tr[fit_idx]])
        pred = predictor_from_pipeline(kind, pipe)
        X = pipe[:-1].transform(t_tr.iloc[cal_idx]) if "features" in pipe.named_steps else t_tr.iloc[cal_idx]
        margins, y_cal = pred.margins(X), y_tr[cal_idx]
        calibration = TemperatureScaling().fit(margins, y_cal)
        folds, oof, oof_y = [], margins, y_cal
    else:
        pipe = None
        oof, oof_y, folds = np.zeros((len(y_tr), 3)), y_tr, []
    for fold, (a, b) in enumerate(_splitter(n_splits, random_state).split(t_tr, y_tr, g_tr) if n_splits else []):
        pipe = make_model(kind, random_state=random_state, **params).fit(t_tr.iloc[a], np.array(SITES)[y_tr[a]])
        pred = predictor_from_pipeline(kind, pipe)
        X = pipe[:-1].transform(t_tr.iloc[b]) if "features" in pipe.named_steps else t_tr.iloc[b]
        oof[b] = pred.margins(X)
        m = site_metrics(y_tr[b], _softmax(oof[b]), scalars_only=True)
        folds.append({"fold": fold, **m})
    if n_splits:
        calibration = TemperatureScaling().fit(oof, y_tr)
    cv = folds
    oof_cal = calibration.proba(oof)
    train_prior = np.bincount(y_tr, minlength=3) / len(y_tr)
    mixes = {name: resolve_prior(name)[1] for name in SCENARIO_PRIORS}
    if target_prior not in mixes and target_prior != "training":
        mixes[target_prior] = resolve_prior(target_prior)[1]
    conformal = ConformalSets().fit(oof_cal, oof_y, train_prior=train_prior, priors=mixes)

    if pipe is None:
        pipe = make_model(kind, random_state=random_state, **params).fit(t_tr, np.array(SITES)[y_tr])
    features = pipe.named_steps.get("features")
    model = SiteModel(kind=kind, features=features, predictor=predictor_from_pipeline(kind, pipe),
                      calibration=calibration, conformal=conformal, train_prior=train_prior,
                      target_prior=target_prior, profile=make_profile(t_tr))
    metrics = {
        "cv": {"folds": cv, "mean": {k: float(np.mean([f[k] for f in cv])) for k in (cv[0] if cv else {})
                                     if k not in ("fold", "n")},
               "oof_ece_before_after": [site_metrics(oof_y, _softmax(oof), scalars_only=True)["ece"],
                                        site_metrics(oof_y, oof_cal, scalars_only=True)["ece"]],
               "calibration": calibration.to_dict(),
               "design": f"{n_splits}-fold cross-fitting" if n_splits else "10% hold-out for calibration"},
    }
    if len(te_idx):
        t_te, y_te = table.iloc[te_idx].reset_index(drop=True), y[te_idx]
        bayes = None
        if bayes_scenario:
            from .synth import bayes_posterior

            bayes = bayes_posterior(t_te, scenario=bayes_scenario, model=bayes_model).to_numpy()
        metrics["test"] = evaluate_site_model(model, t_te, y_te, groups=groups[te_idx], n_bootstrap=n_bootstrap,
                                              random_state=random_state, bayes_proba=bayes,
                                              with_robustness=with_robustness)
        test_predictions = (y_te, model.predict_proba(t_te, target_prior="training", calibrated=False),
                            model.predict_proba(t_te, target_prior="training"), t_te)
    else:
        test_predictions = None
    model.metadata.update({
        "name": name or f"netorigin-{kind}",
        "params": {k: (v if isinstance(v, (int, float, str, bool, type(None))) else str(v)) for k, v in params.items()},
        "random_state": random_state,
        "training_data": {"description": description or "user cohort", "fingerprint": fingerprint(table),
                          "n_labelled": int(len(y)), "n_train": int(len(tr_idx)), "n_test": int(len(te_idx)),
                          "site_counts_train": {s: int(c) for s, c in zip(SITES, np.bincount(y_tr, minlength=3))}},
        "metrics": _summary(metrics),
    })
    return TrainResult(model=model, metrics=metrics, notices=notices, test_predictions=test_predictions)


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _summary(metrics: dict) -> dict:
    out = {f"cv_{k}": v for k, v in metrics["cv"]["mean"].items()}
    t = metrics.get("test")
    if t:
        out.update({f"test_{k}": t["calibrated"][k] for k in ("accuracy", "balanced_accuracy", "macro_auc",
                                                               "log_loss", "brier", "ece")})
        out["test_coverage_0.90"] = t["conformal"]["0.90"]["coverage"]
        out["test_mean_set_size_0.90"] = t["conformal"]["0.90"]["mean_set_size"]
        if "gap_to_bayes" in t:
            out["bayes_accuracy"] = t["bayes"]["accuracy"]
            out["bayes_log_loss"] = t["bayes"]["log_loss"]
    return out
