"""What a test not yet done could show, cell by cell: P(result | cell) under the cell model.

Markers give positive, negative or equivocal; two-valued tests their two values; serum CgA and
urine 5-HIAA normal or elevated; the expression panel (CD302 and PPWD1 together) a grid of
level bins, whose probabilities under each cell are normal-distribution differences. Given the
cell, results of different tests are independent (the cell model's structure), so a panel's
joint result table is the product of its tests' tables.
"""

from __future__ import annotations

import math

import numpy as np

from ..contract import DEFAULT_EXPRESSION_GENES, FIELDS, MARKERS
from ._cells import BINARY, BIOCHEM, Model

EXPRESSION = "expression"
ADVICE_TESTS = tuple([f for f in FIELDS if FIELDS[f].test and FIELDS[f].kind == "category"] + [EXPRESSION])
EXPRESSION_BINS = 16  # per gene: the panel has 16 x 16 possible results


def result_table(model: Model, test: str, bins: int = EXPRESSION_BINS) -> tuple[list[str], np.ndarray]:
    """(result labels, P (results, cells)) for ``test``; each column sums to 1."""
    if test == EXPRESSION:
        return _expression(model, bins)
    if test in MARKERS:
        r, e = model[f"rate:{test}=positive"], model["rate:ihc=equivocal"]
        return ["positive", "negative", "equivocal"], np.vstack([r * (1 - e), (1 - r) * (1 - e), e])
    for f, val, _ in BINARY:
        if f == test:
            r = model[f"rate:{f}={val}"]
            vals = list(FIELDS[f].values)
            return vals, np.vstack([r if v == val else 1 - r for v in vals])
    for cat, _ in BIOCHEM:
        if cat == test:
            r = model[f"rate:{cat}=elevated"]
            return ["normal", "elevated"], np.vstack([1 - r, r])
    raise ValueError(f"{test!r} is not a test the advice knows")


_ERFC = np.frompyfunc(math.erfc, 1, 1)


def _ndtr(z) -> np.ndarray:
    """The standard normal CDF with the standard library's erfc (no SciPy on the scoring path;
    the grid is a few hundred values, computed once per cell model)."""
    return _ERFC(-np.asarray(z, dtype=float) / math.sqrt(2.0)).astype(float) * 0.5


def _gene_bins(model: Model, gene: str, bins: int):
    loc, sd = model[f"loc:{gene}"], model[f"scale:{gene}"]
    inner = np.linspace((loc - 3 * sd).min(), (loc + 3 * sd).max(), bins - 1)
    edges = np.r_[-np.inf, inner, np.inf]
    P = _ndtr((edges[1:, None] - loc[None, :]) / sd[None, :]) - _ndtr((edges[:-1, None] - loc[None, :]) / sd[None, :])
    mids = np.r_[inner[0], (inner[1:] + inner[:-1]) / 2, inner[-1]]
    return mids, np.maximum(P, 0.0)


def _expression(model: Model, bins: int):
    (g1, g2) = DEFAULT_EXPRESSION_GENES
    m1, p1 = _gene_bins(model, g1, bins)
    m2, p2 = _gene_bins(model, g2, bins)
    P = (p1[:, None, :] * p2[None, :, :]).reshape(bins * bins, -1)
    n1, n2 = g1[5:].upper(), g2[5:].upper()
    labels = [f"{n1} {a:.1f}, {n2} {b:.1f}" for a in m1 for b in m2]
    return labels, P


def result_tables(model: Model, tests=ADVICE_TESTS, bins: int = EXPRESSION_BINS) -> dict:
    """test -> (result labels, P (results, cells)) for every test (computed once per model)."""
    cache = model.__dict__.setdefault("_result_tables", {})
    key = (tuple(tests), bins)
    if key not in cache:
        cache[key] = {t: result_table(model, t, bins) for t in tests}
    return cache[key]
