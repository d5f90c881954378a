"""Prediction sets, risk-coverage and robustness: how a model's sets cover, how accuracy grows as
it abstains, and how it holds up as tests go missing."""

from __future__ import annotations

import numpy as np

from ..contract import FIELDS, SITES


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
        from ..io import INFORMATION_BINS

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
