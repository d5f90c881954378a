"""Draw synthetic cohorts from the cell model, fully vectorised, then apply the work-up."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ..contract import (
    DEFAULT_EXPRESSION_GENES,
    FIELDS,
    MARKERS,
    MITOSES_BANDS,
    PROCEDURE_FIELDS,
    SITES,
    SUBSITES,
    grade_from_ki67,
)
from ..exceptions import InputError, check_seed
from ._cells import BINARY, BIOCHEM, CONTINUOUS, MULTI, Model
from ._procedures import procedure_table

WORKUPS = ("routine", "complete")
MAX_CASES = 5_000_000  # one cohort table in memory (about 4 GB); more is written as partitions


def _choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (n, k), by inverse CDF."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return np.minimum((u >= cum).sum(axis=1), probs.shape[1] - 1)


def _continuous(rng, model: Model, spec, cell: np.ndarray) -> np.ndarray:
    z = rng.standard_normal(len(cell))
    x = model[f"loc:{spec.field}"][cell] + model[f"scale:{spec.field}"][cell] * z
    if spec.log:
        x = np.exp(x)
    return np.clip(np.round(x, spec.decimals), spec.low, spec.high)


def draw_fields(
    model: Model, cell: np.ndarray, rng: np.random.Generator, proc_rng: np.random.Generator | None = None
) -> dict[str, np.ndarray]:
    """Every field for the given cells, with nothing missing yet.

    Categorical fields come back as integer codes into the field's contract values;
    continuous fields as floats; mitoses as band codes. The procedures the model knows are drawn
    last, from ``proc_rng`` when given (a stream of their own: a cohort drawn before procedures
    existed keeps every other value).
    """
    n = len(cell)
    out: dict[str, np.ndarray] = {}
    cont = {c.field: c for c in CONTINUOUS}
    out["age_years"] = _continuous(rng, model, cont["age_years"], cell)
    for f, val, _ in BINARY:
        hit = rng.random(n) < model[f"rate:{f}={val}"][cell]
        vals = FIELDS[f].values
        out[f] = np.where(hit, vals.index(val), 1 - vals.index(val)).astype(np.int8)
    for f, rated, rest in MULTI:
        probs = np.column_stack([model[f"rate:{f}={v}"][cell] for v in rated])
        probs = np.column_stack([probs, 1 - probs.sum(axis=1)])
        k = _choice(rng, np.clip(probs, 0, None))
        order = [FIELDS[f].values.index(v) for v in (*rated, rest)]
        out[f] = np.array(order, dtype=np.int8)[k]
    for cat, x in BIOCHEM:
        out[x] = _continuous(rng, model, cont[x], cell)
        out[cat] = np.where(out[x] > 1.0, 1, 0).astype(np.int8)  # normal=0, elevated=1
    ki = _continuous(rng, model, cont["ki67_percent"], cell)
    out["ki67_percent"] = ki
    grade = (grade_from_ki67(ki) - 1).astype(np.int8)  # WHO 2019 on the rounded value
    out["grade"] = grade
    mg = model.arrays["mitoses_given_grade"]
    out["mitoses_per_2mm2"] = _choice(rng, mg[grade]).astype(np.int8)
    out["differentiation"] = np.zeros(n, dtype=np.int8)  # well: synthetic cohorts are WD NETs
    eq = model["rate:ihc=equivocal"][cell]
    for m in MARKERS:
        u = rng.random(n)
        pos = model[f"rate:{m}=positive"][cell]
        # codes: positive 0, negative 1, equivocal 2
        out[m] = np.where(u < eq, 2, np.where(u < eq + (1 - eq) * pos, 0, 1)).astype(np.int8)
    out["largest_liver_lesion_cm"] = _continuous(rng, model, cont["largest_liver_lesion_cm"], cell)
    for f in DEFAULT_EXPRESSION_GENES:
        out[f] = _continuous(rng, model, cont[f], cell)
    for f in model.procedures:
        out[f] = _choice(proc_rng or rng, procedure_table(model, f)[cell]).astype(np.int8)
    return out


def _condition_mask(cond: str, values: dict, observed: dict, n: int) -> np.ndarray:
    if cond == "*":
        return np.ones(n, dtype=bool)
    fld, _, want = cond.partition("=")
    if fld not in observed:
        raise InputError(f"work-up: condition {cond!r} refers to {fld!r}, which is not an earlier test")
    if want == "observed":
        return observed[fld].copy()
    if want == "missing":
        return ~observed[fld]
    f = FIELDS[fld]
    if f.kind != "category" or want not in f.values:
        raise InputError(f"work-up: condition {cond!r}: {want!r} is not a value of {fld}")
    return observed[fld] & (values[fld] == f.values.index(want))


def apply_workup(
    values: dict[str, np.ndarray],
    workup: pd.DataFrame | None,
    rng: np.random.Generator,
    proc_rng: np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    """Which tests were done: a sequential work-up, missing at random given earlier results.

    For each test in file order, the first row whose condition holds gives the probability
    that the test was done; no matching row means not done. Conditions refer only to the
    *observed* results of earlier tests, so missingness carries no information about the
    site beyond what those results carry. Fields the file does not list are always done, except
    procedures, which are not (a work-up written before procedures existed keeps its meaning);
    procedures draw from ``proc_rng`` when given.
    """
    n = len(next(iter(values.values())))
    observed = {f: np.ones(n, dtype=bool) for f in values}
    if workup is None:
        return observed
    for f in PROCEDURE_FIELDS:
        if f in observed:
            observed[f][:] = False
    seen: set[str] = set()
    for test, rows in workup.groupby("test", sort=False):
        if test not in values:
            if test in PROCEDURE_FIELDS:  # a procedure the world has no rates for: not done
                seen.add(test)
                continue
            raise InputError(f"work-up: {test!r} is not a field the generator draws")
        p = np.zeros(n)
        decided = np.zeros(n, dtype=bool)
        for r in rows.itertuples():
            fld = r.given.partition("=")[0]
            if r.given != "*" and fld not in seen:
                raise InputError(f"work-up: {test}: condition {r.given!r} must refer to an earlier test")
            m = _condition_mask(r.given, values, observed, n) & ~decided
            p[m] = r.probability
            decided |= m
        observed[test] = (proc_rng if proc_rng is not None and test in PROCEDURE_FIELDS else rng).random(n) < p
        seen.add(test)
    return observed


def to_table(
    model: Model, cell: np.ndarray, values: dict, observed: dict, site: np.ndarray, detail: np.ndarray, prefix: str
) -> pd.DataFrame:
    """Assemble the canonical cohort table (contract order, NaN = not done)."""
    n = len(cell)
    width = max(7, len(str(n)))
    cols: dict[str, object] = {
        "case_id": np.char.add(f"{prefix}-", np.char.zfill(np.arange(1, n + 1).astype(str), width))
    }
    for name, f in FIELDS.items():
        if name in ("case_id", "primary_site", "primary_site_detail") or name not in values:
            continue
        v, obs = values[name], observed[name]
        if f.kind == "number":
            cols[name] = np.where(obs, v, np.nan)
        elif f.kind == "mitoses":
            cols[name] = pd.Categorical.from_codes(np.where(obs, v, -1), categories=list(MITOSES_BANDS)).astype(object)
        else:
            cols[name] = pd.Categorical.from_codes(np.where(obs, v, -1).astype(np.int16), categories=list(f.values))
    cols["primary_site"] = pd.Categorical.from_codes(site, categories=list(SITES))
    cols["primary_site_detail"] = pd.Categorical.from_codes(
        detail, categories=list(FIELDS["primary_site_detail"].values)
    )
    table = pd.DataFrame(cols)
    table["case_id"] = table["case_id"].astype(object)
    table["mitoses_per_2mm2"] = table["mitoses_per_2mm2"].astype(object)
    return table


def _observe(values: dict, workup, n: int, rng, proc_rng) -> dict:
    """Which fields each case's work-up recorded: one work-up table, or a mixture of them drawn per
    case independently of the site (``workup`` a list of (name, share, table))."""
    if isinstance(workup, list):
        shares = np.array([w[1] for w in workup], dtype=float)
        which = np.minimum(
            np.searchsorted(np.cumsum(shares / shares.sum()), rng.random(n), side="right"), len(workup) - 1
        )
        observed = {f: np.ones(n, dtype=bool) for f in values}
        for k, (_, _, table) in enumerate(workup):
            idx = np.flatnonzero(which == k)
            if len(idx):
                part = apply_workup({f: v[idx] for f, v in values.items()}, table, rng, proc_rng)
                for f in observed:
                    observed[f][idx] = part[f]
    else:
        observed = apply_workup(values, workup, rng, proc_rng)
    return observed


def generate(
    model: Model,
    weights: np.ndarray,
    n: int,
    *,
    random_state=None,
    workup: pd.DataFrame | None = None,
    label_noise: float = 0.0,
    subsite_weights: dict[str, np.ndarray] | None = None,
    prefix: str = "syn",
    return_cells: bool = False,
    assumed_negative: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Draw ``n`` cases: cells, fields, work-up, then optional label noise. ``assumed_negative``:
    the procedures the setting assumes found nothing (the unknown-primary setting's routine
    work-up): their result is negative in every case, as the setting means."""
    if isinstance(n, bool) or not (isinstance(n, (int, np.integer)) and 1 <= n <= MAX_CASES):
        raise InputError(
            f"n: {n!r} is not a whole number from 1 to {MAX_CASES:,} (the cases one table holds in memory, "
            "about 4 GB; write more as Parquet partitions: netorigin synth --partitions)"
        )
    if not 0 <= label_noise <= 1:
        raise InputError(f"label_noise: {label_noise!r} is not a probability between 0 and 1")
    seed = check_random_state(check_seed(random_state)).randint(0, 2**32 - 1, dtype=np.int64)
    rng = np.random.default_rng(seed)
    proc_rng = np.random.default_rng([int(seed), 0x50524F43])  # "PROC": procedures draw apart
    w = weights / weights.sum()
    cell = np.searchsorted(np.cumsum(w), rng.random(n) * np.cumsum(w)[-1], side="right")
    cell = np.minimum(cell, len(w) - 1)
    values = draw_fields(model, cell, rng, proc_rng)
    for f in assumed_negative:
        if f in values:
            values[f][:] = FIELDS[f].values.index("negative")
    observed = _observe(values, workup, n, rng, proc_rng)
    site = model.cell_site[cell]
    details = list(FIELDS["primary_site_detail"].values)
    detail = np.array([details.index(c[1]) for c in model.cells])[cell]
    if label_noise > 0:
        flip = rng.random(n) < label_noise
        new = (site + 1 + rng.integers(0, 2, n)) % 3
        site = np.where(flip, new, site)
        # a relabelled case gets a sub-site of its new site, so labels stay consistent
        for k, s in enumerate(SITES):
            subs = SUBSITES[s]
            sw = subsite_weights[s] if subsite_weights else np.ones(len(subs))
            sw = sw / sw.sum() if sw.sum() > 0 else np.ones(len(subs)) / len(subs)
            m = flip & (site == k)
            pick = np.searchsorted(np.cumsum(sw), rng.random(int(m.sum())), side="right")
            detail[m] = np.array([details.index(x) for x in subs])[np.minimum(pick, len(subs) - 1)]
    table = to_table(model, cell, values, observed, site, detail, prefix)
    if return_cells:
        table["latent_cell"] = np.array(model.labels(), dtype=object)[cell]
    return table
