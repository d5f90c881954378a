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

from ..calibration import prior_words, site_sums
from ..contract import FIELDS, SITES
from ._sites import calibration_in_the_large, check_bootstrap, what_one_site_allows

SCALAR_METRICS = ("accuracy", "balanced_accuracy", "macro_auc", "log_loss", "brier", "ece")


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> float:
    """Top-label ECE: mean |confidence - accuracy| over equal-width confidence bins, weighted."""
    conf, pred = proba.max(axis=1), proba.argmax(axis=1)
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(conf[m].mean() - (pred[m] == y[m]).mean())
    return float(ece)


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
        "log_loss": float(-np.log(np.clip(proba[np.arange(n), y], 1e-15, 1)).mean()),
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
    """95% percentile intervals of the scalar metrics over bootstrap resamples of cases
    (of groups, e.g. patients, when ``groups`` is given)."""
    from sklearn.utils import check_random_state

    n_bootstrap = check_bootstrap(n_bootstrap)
    y, proba = np.asarray(y, dtype=int), np.asarray(proba, dtype=float)
    rng = check_random_state(random_state)
    idx_of = None
    if groups is not None:
        _, inv = np.unique(np.asarray(groups), return_inverse=True)
        if inv.max() + 1 < len(y):  # several cases per group: resample whole groups
            order = np.argsort(inv, kind="stable")
            idx_of = np.split(order, np.flatnonzero(np.diff(inv[order])) + 1)
    draws = {m: [] for m in SCALAR_METRICS}
    for _ in range(n_bootstrap):
        if idx_of is None:
            idx = rng.randint(0, len(y), len(y))
        else:
            pick = rng.randint(0, len(idx_of), len(idx_of))
            idx = np.concatenate([idx_of[g] for g in pick])
        m = site_metrics(y[idx], proba[idx], scalars_only=True)
        for k in SCALAR_METRICS:
            draws[k].append(m[k])
    out = {}
    for k, v in draws.items():
        v = np.asarray(v, dtype=float)
        v = v[np.isfinite(v)]  # a resample without two sites has no AUC: it says nothing about the interval
        out[k] = [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] if len(v) else [float("nan")] * 2
    return out


def proportion_interval(k, n, z: float = 1.959964) -> tuple[float, float]:
    """Wilson's 95% interval of a proportion of ``k`` in ``n`` ((nan, nan) when ``n`` is 0).

    >>> [round(x, 3) for x in proportion_interval(90, 100)]
    [0.826, 0.945]
    """
    if n == 0:
        return float("nan"), float("nan")
    p, z2 = k / n, z * z
    mid = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return float(max(0.0, mid - half)), float(min(1.0, mid + half))


def set_metrics(y, sets: np.ndarray, detail=None, n_fields=None) -> dict:
    """Coverage (overall, per site and, given ``detail``, per sub-site, with case counts; given
    ``n_fields``, per site within each bin of informative fields recorded) and the mean size of
    prediction sets."""
    y = np.asarray(y, dtype=int)
    hit = sets[np.arange(len(y)), y]
    out = {
        "coverage": float(hit.mean()),
        "coverage_by_site": {
            s: (float(hit[y == k].mean()) if (y == k).any() else float("nan")) for k, s in enumerate(SITES)
        },
        "coverage_by_site_interval": {
            s: proportion_interval(int(hit[y == k].sum()), int((y == k).sum())) for k, s in enumerate(SITES)
        },
        "mean_set_size": float(sets.sum(axis=1).mean()),
        "singleton_rate": float((sets.sum(axis=1) == 1).mean()),
    }
    if detail is not None:
        d = np.asarray(detail, dtype=object)
        known = [x for x in dict.fromkeys(d) if isinstance(x, str)]
        out["coverage_by_subsite"] = {x: float(hit[d == x].mean()) for x in known}
        out["n_by_subsite"] = {x: int((d == x).sum()) for x in known}
    if n_fields is not None:
        from ..features import INFORMATION_BINS

        k = np.asarray(n_fields, dtype=int)
        out["coverage_by_information"] = {
            name: {
                s: {"coverage": float(hit[m & (y == j)].mean()), "n": int((m & (y == j)).sum())}
                for j, s in enumerate(SITES)
                if (m & (y == j)).any()
            }
            for lo, hi, name in INFORMATION_BINS
            if (m := (k >= lo) & (k <= hi)).any()
        }
    return out


def risk_coverage(y, proba, coverages=(1.0, 0.9, 0.8, 0.7, 0.6, 0.5)) -> list[dict]:
    """Accuracy when the model may abstain on its least confident cases."""
    y, proba = np.asarray(y, dtype=int), np.asarray(proba, dtype=float)
    order = np.argsort(-proba.max(axis=1), kind="stable")
    correct = (proba.argmax(axis=1) == y)[order]
    out = []
    for c in coverages:
        k = max(1, int(round(c * len(y))))
        out.append({"coverage": float(c), "accuracy": float(correct[:k].mean()), "n": k})
    return out


# Work-up tiers for the robustness report: each removes more tests (cumulatively).
WORKUP_TIERS = (
    ("full work-up", ()),
    ("without research tests", ("alt_status", "ihc_daxx_atrx", "ihc_satb2", "ihc_otp", "ihc_pdx1", "ihc_pr", "expr_*")),
    ("without second-line IHC", ("ihc_isl1", "ihc_pax8", "ihc_ttf1", "ihc_serotonin", "ihc_sstr2a")),
    ("without CDX2", ("ihc_cdx2",)),
)


def robustness(predict_proba, table, y, *, random_state=0, fractions=(0.0, 0.25, 0.5, 0.75)) -> dict:
    """Accuracy as test results are masked at random, and as the work-up gets shallower.

    ``predict_proba`` maps a canonical table to (n, 3) probabilities.
    """
    import pandas as pd

    rng = np.random.default_rng(random_state)
    y = np.asarray(y, dtype=int)
    tests = [c for c in table.columns if (c in FIELDS and FIELDS[c].test) or str(c).startswith("expr_")]
    masked = []
    for f in fractions:
        t = table.copy()
        for c in tests:
            hide = rng.random(len(t)) < f
            if hide.any():
                col = t[c]
                t[c] = (
                    col.where(~hide, other=np.nan) if not isinstance(col.dtype, pd.CategoricalDtype) else col.mask(hide)
                )
        masked.append({"fraction_masked": float(f), "accuracy": float((predict_proba(t).argmax(1) == y).mean())})
    tiers, removed = [], []
    for name, fields in WORKUP_TIERS:
        removed += [
            c for c in table.columns for f in fields if c == f or (f.endswith("*") and str(c).startswith(f[:-1]))
        ]
        t = table.drop(columns=removed)
        tiers.append({"work_up": name, "accuracy": float((predict_proba(t).argmax(1) == y).mean())})
    return {"masked_at_random": masked, "shallower_work_up": tiers}


def evaluate_model(
    model,
    table,
    y,
    *,
    groups=None,
    target_prior="training",
    coverages=(0.8, 0.9, 0.95),
    n_bootstrap: int = 200,
    random_state=0,
    bayes_proba=None,
    with_robustness=True,
) -> dict:
    """All the evaluation figures for a fitted :class:`~netorigin.calibration.SiteModel` on
    labelled cases, through its public methods.

    ``bayes_proba``: the exact Bayes posterior on the same cases (synthetic cohorts), to report
    each figure's gap to the best achievable.

    Parameters
    ----------
    model : SiteModel
        A fitted model.
    table : DataFrame
        Labelled cases in the contract.
    y : array-like
        Their sites.
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
    y = np.asarray(y, dtype=int)
    fwd = model.forward(table, target_prior=target_prior)
    raw = fwd.proba_under(target_prior, calibrated=False)
    cal = fwd.proba
    sets = {c: fwd.sets(c) for c in coverages}
    detail = table["primary_site_detail"] if "primary_site_detail" in table.columns else None
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
            lambda t: model.predict_proba(t, target_prior=target_prior), table, y, random_state=random_state
        )
    return out


def metrics_by_information(table, y, proba, bayes_proba=None, *, n_bootstrap: int = 200, random_state=0) -> list[dict]:
    """Accuracy, log-loss and ECE by the number of informative fields recorded (bins of
    :data:`~netorigin.features.INFORMATION_BINS`), with the exact posterior's and a bootstrap 95%
    interval of the log-loss gap when ``bayes_proba`` is given."""
    from ..features import INFORMATION_BINS, information_bin

    y = np.asarray(y, dtype=int)
    bins = information_bin(table)
    rng = np.random.default_rng(random_state)
    out = []
    for _, _, name in INFORMATION_BINS:
        m = bins == name
        if not m.any():
            continue
        yy, pp = y[m], proba[m]
        lm = -np.log(np.clip(pp[np.arange(len(yy)), yy], 1e-15, 1))
        row = {
            "bin": name,
            "n": int(m.sum()),
            "accuracy": float((pp.argmax(axis=1) == yy).mean()),
            "log_loss": float(lm.mean()),
            "ece": float(expected_calibration_error(yy, pp)),
        }
        if bayes_proba is not None:
            bb = bayes_proba[m]
            lb = -np.log(np.clip(bb[np.arange(len(yy)), yy], 1e-15, 1))
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
        out["calibrated"]["intervals_95"] = bootstrap_intervals(
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
