"""Metrics with bootstrap intervals, calibration error, conformal coverage, risk-coverage, robustness.

Every figure is computed from labels and predicted probabilities; nothing is typed in.

>>> y = np.array([0, 1, 2, 0])
>>> p = np.array([[.8, .1, .1], [.2, .7, .1], [.1, .2, .7], [.4, .5, .1]])
>>> m = site_metrics(y, p)
>>> m["accuracy"], round(m["log_loss"], 4)
(0.75, 0.4632)
"""

from __future__ import annotations

import numpy as np

from .._math import binned_ece, log_loss_terms
from ..contract import SITES, as_canonical, site_sums
from ..estimator import prior_words
from ..exceptions import InputError
from ..models import detail_column, read_labels
from ._bootstrap import PatientBootstrap
from ._sets import risk_coverage, robustness, set_metrics
from ._sites import calibration_in_the_large, check_bootstrap, what_one_site_allows

SCALAR_METRICS = ("accuracy", "balanced_accuracy", "macro_auc", "log_loss", "brier", "ece")


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> float:
    """Top-label ECE: mean |confidence - accuracy| over equal-width confidence bins, weighted
    (the plug-in figure: biased up on few cases; see :func:`bootstrap_intervals`)."""
    return binned_ece(np.asarray(y), np.asarray(proba), n_bins)


def _auc(y: np.ndarray, proba: np.ndarray) -> float:
    """Macro one-vs-rest AUC over the sites present (NaN when fewer than two are)."""
    from sklearn.metrics import roc_auc_score

    aucs = []
    for k in range(proba.shape[1]):
        pos = y == k
        if pos.any() and (~pos).any():
            aucs.append(roc_auc_score(pos, proba[:, k]))
    return float(np.mean(aucs)) if len(aucs) >= 2 else float("nan")


def site_metrics(y, proba, *, scalars_only: bool = False) -> dict:
    """Accuracy, balanced accuracy, macro OvR AUC, log-loss, Brier, ECE, per-site recall and
    precision and the confusion matrix (rows: true site, columns: predicted)."""
    y, proba = np.asarray(y, dtype=int), np.asarray(proba, dtype=float)
    n, K = proba.shape
    pred = proba.argmax(axis=1)
    onehot = np.eye(K)[y]
    recall = [float((pred[y == k] == k).mean()) if (y == k).any() else float("nan") for k in range(K)]
    out = {
        "n": int(n),
        "accuracy": float((pred == y).mean()),
        "balanced_accuracy": float(np.nanmean(recall)),
        "macro_auc": _auc(y, proba),
        "log_loss": float(log_loss_terms(proba, y).mean()),
        "brier": float(((proba - onehot) ** 2).sum(axis=1).mean()),
        "ece": expected_calibration_error(y, proba),
    }
    if scalars_only:
        return out
    precision = [float((y[pred == k] == k).mean()) if (pred == k).any() else float("nan") for k in range(K)]
    out["recall"] = dict(zip(SITES, recall))
    out["precision"] = dict(zip(SITES, precision))
    cm = np.zeros((K, K), dtype=int)
    np.add.at(cm, (y, pred), 1)
    out["confusion_matrix"] = cm.tolist()
    return out


MIN_FOR_INTERVALS = 30  # fewer cases: bootstrap intervals would say more about the resampling than the model


def bootstrap_intervals(y, proba, *, n_bootstrap: int = 200, random_state=0, groups=None) -> dict:
    """95% bootstrap intervals of the scalar metrics over resamples of cases (of groups, e.g.
    patients, when ``groups`` is given): percentile intervals, except the ECE's.

    The binned ECE is biased upward (noise in each bin's accuracy only adds to ``|confidence -
    accuracy|``), and its resamples are biased upward once more, so a percentile interval can lie
    wholly above the figure it is for. For the ECE the interval is the basic bootstrap interval
    ``(2 ece - q97.5, 2 ece - q2.5)`` (floored at 0), the interval of the bias-corrected ECE
    (``ece_debiased``: ``2 ece - median``, floored at 0), which it contains by construction.

    >>> rng = np.random.default_rng(0)
    >>> p = rng.dirichlet(np.ones(3), 300)
    >>> y = np.array([rng.choice(3, p=row) for row in p])  # calibrated by construction
    >>> ci = bootstrap_intervals(y, p, n_bootstrap=100)
    >>> round(site_metrics(y, p)["ece"], 3), [round(x, 3) for x in ci["ece"]]  # plug-in 0.041; truth 0
    (0.041, [0.0, 0.048])
    """
    return _bootstrap(y, proba, n_bootstrap=n_bootstrap, random_state=random_state, groups=groups)[0]


def _bootstrap(y, proba, *, n_bootstrap: int, random_state, groups) -> tuple[dict, float]:
    """(the intervals of :func:`bootstrap_intervals`, the bias-corrected ECE they hold)."""
    n_bootstrap = check_bootstrap(n_bootstrap)
    y, proba = np.asarray(y, dtype=int), np.asarray(proba, dtype=float)
    boot = PatientBootstrap(len(y), groups)
    draws = {m: [] for m in SCALAR_METRICS}
    for pick in boot.draws(n_bootstrap, random_state):
        idx = boot.indices(pick)
        m = site_metrics(y[idx], proba[idx], scalars_only=True)
        for k in SCALAR_METRICS:
            draws[k].append(m[k])
    out = {}
    for k, v in draws.items():
        v = np.asarray(v, dtype=float)
        v = v[np.isfinite(v)]  # a resample without two sites has no AUC: it says nothing about the interval
        out[k] = [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] if len(v) else [float("nan")] * 2
    point, (lo, hi) = debiased_ece(expected_calibration_error(y, proba), draws["ece"])
    out["ece"] = [lo, hi]
    return out, point


def debiased_ece(ece: float, draws) -> tuple[float, tuple[float, float]]:
    """The bootstrap's bias correction of a binned ECE and its basic 95% interval:
    ``(2 ece - median(draws), (2 ece - q97.5, 2 ece - q2.5))``, each floored at 0 (the corrected
    figure lies in its interval by construction; ``draws``: the ECE of each resample).

    >>> debiased_ece(0.016, [0.018, 0.02, 0.025, 0.03, 0.036])
    (0.007, (0.0, 0.0138))
    """
    v = np.asarray(draws, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return float("nan"), (float("nan"), float("nan"))
    q_lo, med, q_hi = np.percentile(v, [2.5, 50, 97.5])
    return (
        round(float(max(0.0, 2 * ece - med)), 15),
        (round(float(max(0.0, 2 * ece - q_hi)), 15), round(float(max(0.0, 2 * ece - q_lo)), 15)),
    )


def evaluate_model(
    model,
    table,
    y=None,
    *,
    groups=None,
    target_prior="training",
    coverages=(0.8, 0.9, 0.95),
    n_bootstrap: int = 200,
    random_state=0,
    bayes_proba=None,
    with_robustness=True,
) -> dict:
    """All the evaluation figures for a fitted :class:`~netorigin.estimator.SiteModel` on
    labelled cases, through its public methods.

    ``bayes_proba``: the exact Bayes posterior on the same cases (synthetic cohorts), to report
    each figure's gap to the best achievable.

    Parameters
    ----------
    model : SiteModel
        A fitted model.
    table : DataFrame or ValidatedCohort
        Cases in the contract.
    y : array-like of str, optional
        Their sites (ileal, pancreatic, other), or sub-sites (``primary_site_detail`` values,
        each counted as its site; the sub-site coverage then follows them), read as
        :meth:`SiteModel.fit <netorigin.estimator.SiteModel.fit>` reads labels, except that
        integers are refused (a code's meaning is not written with it). A label that
        contradicts the table's ``primary_site_detail`` is refused. Default: the table's own
        ``primary_site``.
    groups : array-like, optional
        Patient of each case (bootstrap over patients).
    target_prior : str
        The setting the probabilities are shifted to.
    coverages : tuple of float
        Levels of the prediction sets.
    n_bootstrap : int
        Bootstrap resamples for the 95% intervals.
    random_state : int
        Seed of the bootstrap and of the masking.
    bayes_proba : ndarray, optional
        See above.
    with_robustness : bool
        Also mask tests at random and shorten the work-up.

    Returns
    -------
    dict
        Figures with intervals, per site, per sub-site and per information stratum.
    """
    table = as_canonical(table)
    if y is None and "primary_site" not in table.columns:
        raise InputError("y: not given, and the table has no primary_site; give each case's site")
    labels, field = (table["primary_site"], "primary_site") if y is None else (y, "y")
    y, detail = read_labels(labels, len(table), detail_column(table), integers=False, field=field)
    fwd = model.forward(table, target_prior=target_prior)
    raw = fwd.proba_under(target_prior, calibrated=False)
    cal = fwd.proba
    sets = {c: fwd.sets(c) for c in coverages}
    out = evaluate_probabilities(
        y,
        cal,
        uncalibrated=raw,
        sets=sets,
        groups=groups,
        n_bootstrap=n_bootstrap,
        random_state=random_state,
        bayes_proba=bayes_proba,
        detail=detail,
        n_fields=fwd.n_informative,
    )
    name, label_mix, _ = model.prior_.resolve(target_prior)
    out["target_prior"] = name
    out["target_prior_words"] = prior_words(name)
    out["target_prior_mix"] = {s: float(x) for s, x in zip(SITES, site_sums(label_mix[None, :], model.label_site_)[0])}
    out["by_information"] = metrics_by_information(
        table, y, cal, bayes_proba, n_bootstrap=min(n_bootstrap, 200), random_state=random_state
    )
    if with_robustness:
        out["robustness"] = robustness(
            lambda t: model.forward(t, target_prior=target_prior).proba, table, y, random_state=random_state
        )
    return out


def metrics_by_information(table, y, proba, bayes_proba=None, *, n_bootstrap: int = 200, random_state=0) -> list[dict]:
    """Accuracy, log-loss and ECE by the number of informative fields recorded (bins of
    :data:`~netorigin.io.INFORMATION_BINS`), with the exact posterior's and a bootstrap 95%
    interval of the log-loss gap when ``bayes_proba`` is given."""
    from ..io import INFORMATION_BINS, information_bin

    y = np.asarray(y, dtype=int)
    bins = information_bin(table)
    rng = np.random.default_rng(random_state)
    out = []
    for _, _, name in INFORMATION_BINS:
        m = bins == name
        if not m.any():
            continue
        yy, pp = y[m], proba[m]
        lm = log_loss_terms(pp, yy)
        row = {
            "bin": name,
            "n": int(m.sum()),
            "accuracy": float((pp.argmax(axis=1) == yy).mean()),
            "log_loss": float(lm.mean()),
            "ece": float(expected_calibration_error(yy, pp)),
        }
        if bayes_proba is not None:
            bb = bayes_proba[m]
            lb = log_loss_terms(bb, yy)
            boots = [
                float((lm[i] - lb[i]).mean()) for i in (rng.integers(0, len(yy), len(yy)) for _ in range(n_bootstrap))
            ] or [float((lm - lb).mean())]
            row.update(
                {
                    "accuracy_bayes": float((bb.argmax(axis=1) == yy).mean()),
                    "log_loss_bayes": float(lb.mean()),
                    "ece_bayes": float(expected_calibration_error(yy, bb)),
                    "log_loss_gap": float((lm - lb).mean()),
                    "log_loss_gap_ci": [float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))],
                }
            )
        out.append(row)
    return out


def evaluate_probabilities(
    y,
    proba,
    *,
    uncalibrated=None,
    sets: dict | None = None,
    groups=None,
    n_bootstrap: int = 200,
    random_state=0,
    bayes_proba=None,
    detail=None,
    n_fields=None,
) -> dict:
    """The evaluation figures of any probabilities (a model's, or the exact posterior's);
    ``n_fields``: each case's number of informative fields (set coverage by how much is recorded)."""
    y = np.asarray(y, dtype=int)
    n_bootstrap = check_bootstrap(n_bootstrap)
    out = {
        "n": int(len(y)),
        "site_counts": {s: int((y == k).sum()) for k, s in enumerate(SITES)},
        "calibrated": site_metrics(y, proba),
        "calibration_in_the_large": calibration_in_the_large(y, proba),
    }
    out.update(what_one_site_allows(y))
    if uncalibrated is not None:
        out["uncalibrated"] = site_metrics(y, uncalibrated, scalars_only=True)
        out["ece_before_after"] = [out["uncalibrated"]["ece"], out["calibrated"]["ece"]]
    if n_bootstrap and len(y) >= MIN_FOR_INTERVALS:
        out["calibrated"]["intervals_95"], out["calibrated"]["ece_debiased"] = _bootstrap(
            y, proba, n_bootstrap=n_bootstrap, random_state=random_state, groups=groups
        )
    elif n_bootstrap:
        out["calibrated"]["intervals_note"] = (
            f"no intervals: {len(y)} case(s) are too few for a 95% interval "
            f"(at least {MIN_FOR_INTERVALS}); every figure here is very uncertain"
        )
    if sets:
        out["conformal"] = {f"{c:.2f}": set_metrics(y, s, detail=detail, n_fields=n_fields) for c, s in sets.items()}
    out["risk_coverage"] = risk_coverage(y, proba)
    if bayes_proba is not None:
        b = site_metrics(y, bayes_proba, scalars_only=True)
        out["bayes"] = b
        out["gap_to_bayes"] = {
            "accuracy": b["accuracy"] - out["calibrated"]["accuracy"],
            "log_loss": out["calibrated"]["log_loss"] - b["log_loss"],
        }
    return out
