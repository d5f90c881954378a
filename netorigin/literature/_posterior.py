"""The exact Bayes posterior p(site | observed fields) under the generator's own model.

Missing fields are marginalised (they simply contribute no factor), which is exact because the
work-up is missing at random given earlier results. Rounded continuous values contribute the
probability of their rounding bin, so the posterior is exact for generated cohorts and a close
approximation for any other cohort in the contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._math import safe_log
from ..contract import (
    DEFAULT_EXPRESSION_GENES,
    FIELDS,
    SITES,
    column_codes,
    column_numbers,
    grade_from_ki67,
    mitoses_band_index,
)
from ._cells import BINARY, BIOCHEM, CONTINUOUS, KI67_BANDS, MARKERS, MULTI, Model

if TYPE_CHECKING:
    import pandas as pd

_TINY = 1e-300


def log_ndtr(x):
    """log of the standard normal CDF (SciPy's, imported when first needed)."""
    from scipy.special import log_ndtr as f

    return f(x)


def _log(p: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(p, _TINY))


def _log_diff_ndtr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Phi(b) - Phi(a)) for a <= b, stable in both tails."""
    flip = a > 0
    a2, b2 = np.where(flip, -b, a), np.where(flip, -a, b)
    lb, la = log_ndtr(b2), log_ndtr(a2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = lb + np.log1p(-np.exp(la - lb))
    return np.maximum(np.nan_to_num(out, nan=np.log(_TINY), neginf=np.log(_TINY)), np.log(_TINY))


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
    a = (lo[:, None] - loc[None, :]) / scale[None, :]
    b = (hi[:, None] - loc[None, :]) / scale[None, :]
    return _log_diff_ndtr(a, b)


def _codes(table, name: str) -> np.ndarray | None:
    return column_codes(table, name)


def _add_categorical(L: np.ndarray, codes: np.ndarray | None, model: Model, key: str, probs) -> None:
    """``probs()``: (cells, k) rates of the field's values. Adds the log rate of each row's observed
    category (missing adds 0). The log table is made once per model and field."""
    if codes is None:
        return
    cache = model.__dict__.setdefault("_log_tables", {})
    if key not in cache:
        p = probs()
        cache[key] = np.vstack([_log(p).T, np.zeros(len(p))])  # (k + 1, cells); last row: missing
    logp = cache[key]
    idx = np.where(codes < 0, logp.shape[0] - 1, codes)
    L += logp[idx]


def log_likelihood(model: Model, table: pd.DataFrame) -> np.ndarray:
    """(n cases, n cells) log-likelihood of the observed fields of every case under every cell."""
    L = np.zeros((len(table), model.n_cells))
    for _, part in iter_field_logliks(model, table):
        if part.flags.writeable:  # the shared block of an absent field adds nothing
            L += part
    return L


def iter_field_logliks(model: Model, table: pd.DataFrame):
    """Yield ``(field, (n, cells) log-likelihood)`` one field (or block) at a time.

    Blocks: ``ki67_percent`` covers Ki-67, grade and the mitotic band; ``serum_cga`` and
    ``urine_5hiaa`` cover their fold of ULN. Fields not observed contribute zeros.
    """
    n, C = len(table), model.n_cells
    cont = {c.field: c for c in CONTINUOUS}

    def numbers(name):
        return column_numbers(table, name)

    absent = np.zeros((n, C))  # the block of a field the table does not have (read-only, shared)
    absent.setflags(write=False)
    cols = set(table.columns)
    for name in ("age_years", "largest_liver_lesion_cm", *DEFAULT_EXPRESSION_GENES):
        if name not in cols:
            yield name, absent
            continue
        L = np.zeros((n, C))
        x = numbers(name)
        m = ~np.isnan(x)
        if m.any():
            L[m] = _log_bin(x[m], cont[name], model[f"loc:{name}"], model[f"scale:{name}"])
        yield name, L
    for f, val, _ in BINARY:
        if f not in cols:
            yield f, absent
            continue
        L = np.zeros((n, C))
        vals = FIELDS[f].values
        r = model[f"rate:{f}={val}"]
        _add_categorical(
            L, _codes(table, f), model, f, lambda: np.column_stack([r if v == val else 1 - r for v in vals])
        )
        yield f, L
    for f, rated, rest in MULTI:
        if f not in cols:
            yield f, absent
            continue
        L = np.zeros((n, C))
        rates = {v: model[f"rate:{f}={v}"] for v in rated}
        rates[rest] = 1 - sum(rates.values())
        _add_categorical(L, _codes(table, f), model, f, lambda: np.column_stack([rates[v] for v in FIELDS[f].values]))
        yield f, L
    e = model["rate:ihc=equivocal"]
    for m in MARKERS:
        if m not in cols:
            yield m, absent
            continue
        L = np.zeros((n, C))
        r = model[f"rate:{m}=positive"]
        _add_categorical(L, _codes(table, m), model, m, lambda: np.column_stack([r * (1 - e), (1 - r) * (1 - e), e]))
        yield m, L
    for cat, xname in BIOCHEM:
        if cat not in cols and xname not in cols:
            yield cat, absent
            continue
        L = np.zeros((n, C))
        x, codes = numbers(xname), _codes(table, cat)
        has_x = ~np.isnan(x)
        if has_x.any():
            L[has_x] = _log_bin(x[has_x], cont[xname], model[f"loc:{xname}"], model[f"scale:{xname}"])
        if codes is not None:
            rate = model[f"rate:{cat}=elevated"]
            c = np.where(has_x, -1, codes)  # the fold of ULN, when given, already says it all
            _add_categorical(L, c, model, cat, lambda: np.column_stack([1 - rate, rate]))
        yield cat, L
    L = np.zeros((n, C))
    _add_grade_block(L, model, table, numbers("ki67_percent"))
    yield "ki67_percent", L


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
        L[has_k] += _log_bin(ki[has_k], spec, loc, scale) + _log(M[has_k, g])[:, None]
    rest = ~has_k
    if rest.any():
        edges = np.log(np.array(KI67_BANDS))
        z = (edges[None, :] - loc[:, None]) / scale[:, None]  # (cells, 2)
        pg = np.column_stack(
            [np.exp(log_ndtr(z[:, 0])), np.exp(_log_diff_ndtr(z[:, 0], z[:, 1])), np.exp(log_ndtr(-z[:, 1]))]
        )  # (cells, 3)
        codes = _codes(table, "grade")
        G = np.ones((int(rest.sum()), 3))
        if codes is not None:
            gc = codes[rest]
            G[gc >= 0] = np.eye(3)[gc[gc >= 0]]
        L[rest] += _log((G * M[rest]) @ pg.T)


def posterior_from_loglik(L: np.ndarray, model: Model, weights: np.ndarray, label_noise: float = 0.0) -> np.ndarray:
    """(n, 3) site probabilities from per-cell log-likelihoods and cell prior weights."""
    joint = L + safe_log(weights)[None, :]
    E = np.exp(joint - joint.max(axis=1, keepdims=True))  # the best cell of each case is 1
    post = E @ (model.cell_site[:, None] == np.arange(len(SITES))[None, :]).astype(float)
    post = np.nan_to_num(post)
    post /= post.sum(axis=1, keepdims=True)
    if label_noise:
        post = (1 - label_noise) * post + label_noise / 2 * (1 - post)
    return post
