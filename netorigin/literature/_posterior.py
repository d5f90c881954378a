"""The exact Bayes posterior p(site | observed fields) under the generator's own model.

Missing fields are marginalised (they simply contribute no factor), which is exact because the
work-up is missing at random given earlier results. Rounded continuous values contribute the
probability of their rounding bin, so the posterior is exact for generated cohorts and a close
approximation for any other cohort in the contract.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .._math import LOG_FLOOR, floored_log, safe_log, softmax
from .._runtime import log_ndtr
from ..contract import (
    DEFAULT_EXPRESSION_GENES,
    FIELDS,
    PROCEDURE_FIELDS,
    column_codes,
    column_numbers,
    grade_from_ki67,
    mitoses_band_index,
    site_sums,
)
from ._cells import BINARY, BIOCHEM, CONTINUOUS, KI67_BANDS, MARKERS, MULTI, Model
from ._procedures import procedure_table

if TYPE_CHECKING:
    import pandas as pd

_LOG_TINY = math.log(LOG_FLOOR)


def _log_diff_ndtr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Phi(b) - Phi(a)) for a <= b, stable in both tails, floored at log(1e-300)."""
    flip = a > 0
    a2, b2 = np.where(flip, -b, a), np.where(flip, -a, b)
    lb, la = log_ndtr(b2), log_ndtr(a2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = lb + np.log1p(-np.exp(la - lb))
    return np.maximum(np.nan_to_num(out, nan=_LOG_TINY, neginf=_LOG_TINY), _LOG_TINY)


def _log_bin(x: np.ndarray, spec, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """(n, cells): log-probability of each value's rounding bin under each cell.

    Computed once per distinct value (rounded values repeat a lot), then spread to the rows.
    """
    uniq, inverse = np.unique(x, return_inverse=True)
    return _log_bin_unique(uniq, spec, loc, scale)[inverse]


def _log_bin_unique(x: np.ndarray, spec, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    h = 0.5 * 10.0**-spec.decimals
    lo = np.where(x <= spec.low + 1e-9, -np.inf, x - h)
    hi = np.where(x >= spec.high - 1e-9, np.inf, x + h)
    if spec.log:
        lo, hi = safe_log(lo), np.log(hi)
    # cells share their (loc, scale) within a site: each distinct pair once (the same bits, as
    # every operation is value by value), spread to the cells
    pairs, cell_pair = np.unique(np.column_stack([loc, scale]), axis=0, return_inverse=True)
    if len(pairs) < len(loc):
        return _log_bin_unique(x, spec, pairs[:, 0], pairs[:, 1])[:, cell_pair.ravel()]
    a = (lo[:, None] - loc[None, :]) / scale[None, :]
    b = (hi[:, None] - loc[None, :]) / scale[None, :]
    return _log_diff_ndtr(a, b)


def category_table(model: Model, f: str) -> np.ndarray:
    """(cells, values of ``FIELDS[f]``): P(value | cell) of a category field (a two-valued field, a
    many-valued one, a marker with its equivocal share, or an elevated/normal biochemistry test)."""
    values = FIELDS[f].values
    if FIELDS[f].procedure:
        return procedure_table(model, f)
    binary = {b[0]: b for b in BINARY}
    multi = {m[0]: m for m in MULTI}
    if f in binary:
        val, r = binary[f][1], model[f"rate:{f}={binary[f][1]}"]
        return np.column_stack([r if v == val else 1 - r for v in values])
    if f in multi:
        rated, rest = multi[f][1], multi[f][2]
        rates = {v: model[f"rate:{f}={v}"] for v in rated}
        rates[rest] = 1 - sum(rates.values())
        return np.column_stack([rates[v] for v in values])
    if f in MARKERS:
        r, e = model[f"rate:{f}=positive"], model["rate:ihc=equivocal"]
        return np.column_stack([r * (1 - e), (1 - r) * (1 - e), e])
    rate = model[f"rate:{f}=elevated"]  # serum_cga, urine_5hiaa: normal, elevated
    return np.column_stack([1 - rate, rate])


def _add_categorical(L: np.ndarray, codes: np.ndarray | None, model: Model, f: str) -> None:
    """Add the log rate of each row's observed category of ``f`` (missing adds 0). The log table is
    made once per model and field."""
    if codes is None:
        return
    cache = model.__dict__.setdefault("_log_tables", {})
    if f not in cache:
        p = category_table(model, f)
        cache[f] = np.vstack([floored_log(p).T, np.zeros(len(p))])  # (k + 1, cells); last row: missing
    logp = cache[f]
    idx = np.where(codes < 0, logp.shape[0] - 1, codes)
    L += logp[idx]


def log_likelihood(model: Model, table: pd.DataFrame) -> np.ndarray:
    """(n cases, n cells) log-likelihood of the observed fields of every case under every cell."""
    L = np.zeros((len(table), model.n_cells))
    for _, part in iter_field_logliks(model, table):
        if part.flags.writeable:  # the shared block of an absent field adds nothing
            L += part
    return L


_CONTINUOUS_FIELDS = ("age_years", "largest_liver_lesion_cm", *DEFAULT_EXPRESSION_GENES)
_CATEGORY_FIELDS = (*(b[0] for b in BINARY), *(m[0] for m in MULTI), *MARKERS, *PROCEDURE_FIELDS)


def category_fields(model: Model) -> tuple[str, ...]:
    """The category fields ``model``'s likelihood reads (a procedure it has no parameters for is
    not one of them: a model built before procedures existed)."""
    known = set(model.procedures)
    return tuple(f for f in _CATEGORY_FIELDS if f not in PROCEDURE_FIELDS or f in known)


def fields_read(model: Model) -> frozenset:
    """Every contract field ``model``'s likelihood reads."""
    blocks = ("grade", "mitoses_per_2mm2", *(x for _, x in BIOCHEM), *(c for c, _ in BIOCHEM), "ki67_percent")
    return frozenset((*_CONTINUOUS_FIELDS, *category_fields(model), *blocks))


def iter_field_logliks(model: Model, table: pd.DataFrame):
    """Yield ``(field, (n, cells) log-likelihood)`` one field (or block) at a time.

    Blocks: ``ki67_percent`` covers Ki-67, grade and the mitotic band; ``serum_cga`` and
    ``urine_5hiaa`` cover their fold of ULN. Fields not observed contribute zeros (an absent
    column: a shared read-only block).
    """
    n, C = len(table), model.n_cells
    absent = np.zeros((n, C))
    absent.setflags(write=False)
    cols = set(table.columns)
    for name in _CONTINUOUS_FIELDS:
        yield name, _continuous_block(model, table, name) if name in cols else absent
    for f in category_fields(model):
        if f not in cols:
            yield f, absent
            continue
        L = np.zeros((n, C))
        _add_categorical(L, column_codes(table, f), model, f)
        yield f, L
    for cat, xname in BIOCHEM:
        yield cat, _biochem_block(model, table, cat, xname) if cat in cols or xname in cols else absent
    L = np.zeros((n, C))
    _add_grade_block(L, model, table, column_numbers(table, "ki67_percent"))
    yield "ki67_percent", L


def _continuous_block(model: Model, table, name: str) -> np.ndarray:
    L = np.zeros((len(table), model.n_cells))
    x = column_numbers(table, name)
    m = ~np.isnan(x)
    if m.any():
        L[m] = _log_bin(x[m], _SPEC[name], model[f"loc:{name}"], model[f"scale:{name}"])
    return L


def _biochem_block(model: Model, table, cat: str, xname: str) -> np.ndarray:
    """A biochemistry test: its fold of ULN when given (it says everything), else elevated/normal."""
    L = np.zeros((len(table), model.n_cells))
    x, codes = column_numbers(table, xname), column_codes(table, cat)
    has_x = ~np.isnan(x)
    if has_x.any():
        L[has_x] = _log_bin(x[has_x], _SPEC[xname], model[f"loc:{xname}"], model[f"scale:{xname}"])
    if codes is not None:
        _add_categorical(L, np.where(has_x, -1, codes), model, cat)
    return L


_SPEC = {c.field: c for c in CONTINUOUS}


def _add_grade_block(L, model: Model, table: pd.DataFrame, ki: np.ndarray) -> None:
    """Ki-67, grade and mitotic band together: grade follows Ki-67, mitoses follow grade."""
    n = len(ki)
    spec = next(c for c in CONTINUOUS if c.field == "ki67_percent")
    loc, scale = model["loc:ki67_percent"], model["scale:ki67_percent"]
    mg = model.arrays["mitoses_given_grade"]
    mit = mitoses_band_index(table["mitoses_per_2mm2"]) if "mitoses_per_2mm2" in table.columns else np.full(n, np.nan)
    M = np.ones((n, 3))
    has_m = ~np.isnan(mit)
    M[has_m] = mg[:, mit[has_m].astype(int)].T
    has_k = ~np.isnan(ki)
    if has_k.any():
        g = (grade_from_ki67(ki[has_k]) - 1).astype(int)
        L[has_k] += _log_bin(ki[has_k], spec, loc, scale) + floored_log(M[has_k, g])[:, None]
    rest = ~has_k
    if rest.any():
        edges = np.log(np.array(KI67_BANDS))
        z = (edges[None, :] - loc[:, None]) / scale[:, None]  # (cells, 2)
        pg = np.column_stack(
            [np.exp(log_ndtr(z[:, 0])), np.exp(_log_diff_ndtr(z[:, 0], z[:, 1])), np.exp(log_ndtr(-z[:, 1]))]
        )  # (cells, 3)
        codes = column_codes(table, "grade")
        G = np.ones((int(rest.sum()), 3))
        if codes is not None:
            gc = codes[rest]
            G[gc >= 0] = np.eye(3)[gc[gc >= 0]]
        L[rest] += floored_log((G * M[rest]) @ pg.T)


def posterior_from_loglik(L: np.ndarray, model: Model, weights: np.ndarray, label_noise: float = 0.0) -> np.ndarray:
    """(n, 3) site probabilities from per-cell log-likelihoods and cell prior weights."""
    post = np.nan_to_num(site_sums(softmax(L + safe_log(weights)[None, :]), model.cell_site))
    post /= post.sum(axis=1, keepdims=True)
    if label_noise:
        post = (1 - label_noise) * post + label_noise / 2 * (1 - post)
    return post
