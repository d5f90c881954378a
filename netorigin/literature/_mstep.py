"""The M-step of fitting the cells to a cohort: the sufficient statistics of the cases' cell
responsibilities and each parameter's posterior-mode update with the literature as its prior
(pseudo-counts of weight x n_eff)."""

from __future__ import annotations

import math

import numpy as np

from ..contract import FIELDS, MARKERS, PROCEDURE_FIELDS, column_codes, column_numbers, grade_from_ki67
from ._cells import BINARY, BIOCHEM, MULTI, _allowed
from ._procedures import SHARED_FALSE_CONFIRMED, procedure_parameters, true_detection


def _stats(table) -> dict:
    """Per field: (recorded, value) arrays the M-step needs, read once."""
    n = len(table)
    out = {}
    for f, val, _ in BINARY:
        codes = column_codes(table, f)
        codes = np.full(n, -1) if codes is None else codes
        out[f"rate:{f}={val}"] = [(codes >= 0, codes == FIELDS[f].values.index(val))]
    for f, vals, _ in MULTI:
        codes = column_codes(table, f)
        codes = np.full(n, -1) if codes is None else codes
        for v in vals:
            out[f"rate:{f}={v}"] = [(codes >= 0, codes == FIELDS[f].values.index(v))]
    eq = []
    for m in MARKERS:
        codes = column_codes(table, m)
        codes = np.full(n, -1) if codes is None else codes
        out[f"rate:{m}=positive"] = [((codes == 0) | (codes == 1), codes == 0)]
        eq.append((codes >= 0, codes == 2))
    out["rate:ihc=equivocal"] = eq
    for cat, x in BIOCHEM:
        fold = column_numbers(table, x)
        codes = column_codes(table, cat)
        codes = np.full(n, -1) if codes is None else codes
        has_x = ~np.isnan(fold)
        elevated = np.where(has_x, fold > 1.0, codes == 1)
        out[f"rate:{cat}=elevated"] = [(has_x | (codes >= 0), elevated)]
        out[f"_log:{x}"] = (has_x, np.log(np.where(has_x, np.maximum(fold, 1e-3), 1.0)))
    ki = column_numbers(table, "ki67_percent")
    grade = grade_from_ki67(ki)
    gcodes = column_codes(table, "grade")
    if gcodes is not None:
        grade = np.where(np.isnan(grade) & (gcodes >= 0), gcodes + 1.0, grade)
    from ..contract import mitoses_band_index

    band = mitoses_band_index(table["mitoses_per_2mm2"]) if "mitoses_per_2mm2" in table.columns else np.full(n, np.nan)
    for b, name in enumerate(("<2", "2-20", ">20")):
        for g in (1, 2, 3):
            out[f"rate:mitoses_per_2mm2={name}|grade=G{g}"] = [((grade == g) & ~np.isnan(band), band == b)]
    for f in PROCEDURE_FIELDS:
        codes = column_codes(table, f)
        if codes is not None and (codes >= 0).any():
            out[f"_proc:{f}"] = codes
    for name, log in (
        ("age_years", False),
        ("ki67_percent", True),
        ("largest_liver_lesion_cm", True),
        ("expr_cd302", False),
        ("expr_ppwd1", False),
    ):
        x = column_numbers(table, name)
        has = ~np.isnan(x)
        y = np.where(has, np.log(np.maximum(x, 1e-3)) if log else x, 0.0)
        out[f"_y:{name}"] = (has, y)
    return out


def _rate_update(lay, new, param, parts, W, weight):
    rows, M = lay.indicator[param]
    WG = W @ M  # (n, k): each case's weight on the cells each row governs
    a = sum((o & x).astype(float) @ WG for o, x in parts)
    b = sum(o.astype(float) @ WG for o, _ in parts)
    for j, i in enumerate(rows):
        n0 = weight * lay.n0[i]
        if math.isinf(lay.n0[i]):
            continue
        new[i] = (n0 * lay.prior[i] + a[j]) / (n0 + b[j]) if n0 + b[j] > 0 else lay.prior[i]


def _location_update(lay, new, param, has, y, W, weight, log):
    rows, M = lay.indicator[param]
    WG = W @ M
    a = (has * y) @ WG
    b = has.astype(float) @ WG
    for j, i in enumerate(rows):
        if math.isinf(lay.n0[i]):
            continue
        n0 = weight * lay.n0[i]
        p0 = math.log(lay.prior[i]) if log else lay.prior[i]
        v = (n0 * p0 + a[j]) / (n0 + b[j]) if n0 + b[j] > 0 else p0
        new[i] = math.exp(v) if log else v


SPREAD_FLOOR = 0.01  # a fitted spread is at least this share of the literature's


def _spread_update(lay, new, param, has, y, loc, W, weight):
    rows, M = lay.indicator[param]
    high = _allowed(param)[1]
    resid = has[:, None] * (y[:, None] - loc[None, :]) ** 2  # (n, cells)
    a = (W * resid).sum(axis=0) @ M
    b = has.astype(float) @ (W @ M)
    for j, i in enumerate(rows):
        if math.isinf(lay.n0[i]):
            continue
        n0 = weight * lay.n0[i]
        v = math.sqrt((n0 * lay.prior[i] ** 2 + a[j]) / (n0 + b[j])) if n0 + b[j] > 0 else lay.prior[i]
        # never a spread of 0 (a cell whose few cases share one value, with the literature weighing
        # nothing): its densities would divide by 0 and the EM overflow; a hundredth of the prior's;
        # nor wider than its field's range (a cell EM empties of cases can run away): the cell
        # model's own bound
        new[i] = min(max(v, SPREAD_FLOOR * lay.prior[i]), high)


_CONTINUOUS = (  # (field, location parameter, spread parameter, log scale)
    ("age_years", "mean:age_years", "sd:age_years", False),
    ("ki67_percent", "median:ki67_percent", "log_sd:ki67_percent", True),
    ("largest_liver_lesion_cm", "median:largest_liver_lesion_cm", "log_sd:largest_liver_lesion_cm", True),
    ("expr_cd302", "mean:expr_cd302", "sd:expr_cd302", False),
    ("expr_ppwd1", "mean:expr_ppwd1", "sd:expr_ppwd1", False),
)


def _counts_update(lay, new, param, a_cell, b_cell, weight) -> None:
    """A rate's posterior mean from expected successes and trials per cell (summed over the cells
    each row governs), the literature's value counted as ``weight x n_eff`` pseudo-trials."""
    if param not in lay.indicator:
        return
    rows, M = lay.indicator[param]
    a, b = a_cell @ M, b_cell @ M
    for j, i in enumerate(rows):
        if math.isinf(lay.n0[i]):
            continue
        n0 = weight * lay.n0[i]
        new[i] = (n0 * lay.prior[i] + a[j]) / (n0 + b[j]) if n0 + b[j] > 0 else lay.prior[i]


def _procedure_updates(lay, new, stats, W, weight, model) -> None:
    """Each procedure's rates from its results: a result is the primary seen (true detection) or a
    false lesion with the chance the current cells give (:func:`true_detection`), and each rate is
    updated from the expected counts of what it governs (sensitivity: primaries seen among those
    looked for; confirmed-if-seen among true detections; false positives among the rest; the
    shared confirmed-if-false among false lesions)."""
    fa = fb = 0.0
    for f in model.procedures:
        codes = stats.get(f"_proc:{f}")
        if codes is None:
            continue
        rec, lesion, confirmed = codes >= 0, codes > 0, (codes > 0) & ((codes - 1) % 2 == 1)
        R = true_detection(model, f, codes)
        WR, Wn = W * R, W * (1 - R)
        sens_p, conf_p, fp_p = procedure_parameters(f)
        _counts_update(lay, new, sens_p, WR.sum(axis=0), rec.astype(float) @ W, weight)
        _counts_update(lay, new, conf_p, confirmed.astype(float) @ WR, WR.sum(axis=0), weight)
        _counts_update(lay, new, fp_p, lesion.astype(float) @ Wn, rec.astype(float) @ Wn, weight)
        fa = fa + confirmed.astype(float) @ Wn
        fb = fb + lesion.astype(float) @ Wn
    if not isinstance(fb, float):
        _counts_update(lay, new, SHARED_FALSE_CONFIRMED, fa, fb, weight)


def _m_step(lay, values, stats, W, weight, model) -> np.ndarray:
    new = values.copy()
    _procedure_updates(lay, new, stats, W, weight, model)
    for param in lay.indicator:
        if param in stats and param.startswith("rate:"):
            _rate_update(lay, new, param, stats[param], W, weight)
    for fld, loc_p, spread_p, log in _CONTINUOUS:
        has, y = stats[f"_y:{fld}"]
        _location_update(lay, new, loc_p, has, y, W, weight, log)
        loc = new[lay.cell_row[loc_p]]
        _spread_update(lay, new, spread_p, has, y, np.log(loc) if log else loc, W, weight)
    for _, x in BIOCHEM:  # the spread of the fold of ULN around each cell's current location
        has, y = stats[f"_log:{x}"]
        _spread_update(lay, new, f"log_sd:{x}", has, y, model[f"loc:{x}"], W, weight)
    for g in lay.groups:  # shares that add up: phenotypes (from the cells' weights); clip the rest
        if lay.rows[g[0]]["parameter"] == "phenotype":
            sub = lay.rows[g[0]]["site"].split("/", 1)[0]
            count = {f"{c[1]}/{c[2]}": W[:, j].sum() for j, c in enumerate(lay.template.cells) if c[1] == sub}
            n0 = weight * min(lay.n0[i] for i in g)
            total = sum(count.values())
            for i in g:
                new[i] = (
                    (n0 * lay.prior[i] + count[lay.rows[i]["site"]]) / (n0 + total) if n0 + total > 0 else lay.prior[i]
                )
    return new
