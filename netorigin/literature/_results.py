"""What a test not yet done could show, cell by cell: P(result | cell) under the cell model.

Markers give positive, negative or equivocal; two-valued tests their two values; serum CgA and
urine 5-HIAA normal or elevated; the expression panel (CD302 and PPWD1 together) a band of each
gene's level (low, middle, high: 9 results), whose probabilities under each cell are
normal-distribution differences. Given the
cell, results of different tests are independent (the cell model's structure), so a panel's
joint result table is the product of its tests' tables.
"""

from __future__ import annotations

import math

import numpy as np

from .._runtime import ndtr
from ..contract import DEFAULT_EXPRESSION_GENES, FIELDS, MARKERS
from ._cells import BINARY, BIOCHEM, Model
from ._procedures import procedure_table

EXPRESSION = "expression"
# what the advice can suggest: stains, blood and urine tests, receptor imaging, ALT, the procedures
# that look for the primary, and the expression panel
ADVICE_TESTS = tuple(
    [f for f in FIELDS if FIELDS[f].test and FIELDS[f].kind == "category" and not FIELDS[f].procedure]
    + [f for f in FIELDS if FIELDS[f].procedure]
    + [EXPRESSION]
)


def result_table(model: Model, test: str) -> tuple[list[str], np.ndarray]:
    """(result labels, P (results, cells)) for ``test``; each column sums to 1."""
    if test == EXPRESSION:
        return _expression(model)
    if test in FIELDS and FIELDS[test].procedure:  # negative, then seen / confirmed at each place
        return list(FIELDS[test].values), procedure_table(model, test).T
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


_PHI = np.frompyfunc(lambda z: math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi), 1, 1)


EXPRESSION_BANDS = ("low", "middle", "high")  # each gene's result as read: a band of its level


def expression_edges(model: Model) -> dict:
    """gene -> (lower, upper) edges of its middle band, to one decimal: the range of the gene's
    level over the cells (mean +- 3 sd) cut in the proportions 6 : 5 : 5 (the bands the advice
    shows and values)."""
    out = {}
    for gene in DEFAULT_EXPRESSION_GENES:
        loc, sd = model[f"loc:{gene}"], model[f"scale:{gene}"]
        inner = np.linspace((loc - 3 * sd).min(), (loc + 3 * sd).max(), 15)
        out[gene] = (round(float(inner[5]), 1), round(float(inner[10]), 1))
    return out


def expression_band_table(model: Model, gene: str) -> tuple[np.ndarray, np.ndarray]:
    """(P(band | cell) (3, cells), E[level | band, cell] (3, cells)) for one gene: normal levels
    cut at :func:`expression_edges`, the mean of each band's truncated normal (computed once per
    cell model)."""
    cache = model.__dict__.setdefault("_expression_bands", {})
    if gene not in cache:
        cache[gene] = _band_table(model, gene)
    return cache[gene]


def _band_table(model: Model, gene: str) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = expression_edges(model)[gene]
    loc, sd = model[f"loc:{gene}"], model[f"scale:{gene}"]
    edges = np.array([-np.inf, lo, hi, np.inf])
    z = (edges[:, None] - loc[None, :]) / sd[None, :]
    cdf = ndtr(z)
    pdf = np.where(np.isfinite(z), _PHI(np.where(np.isfinite(z), z, 0.0)).astype(float), 0.0)
    P = np.maximum(cdf[1:] - cdf[:-1], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = loc[None, :] + sd[None, :] * (pdf[:-1] - pdf[1:]) / P
    # a band a cell all but never reaches: its nearest edge stands for it
    fallback = np.array([[lo], [(lo + hi) / 2], [hi]])
    mean = np.where((P > 1e-12) & np.isfinite(mean), mean, np.broadcast_to(fallback, mean.shape))
    return P, mean


def expression_band_names(model: Model) -> list[str]:
    """The 9 results of the expression panel as read: "CD302 low (below 9.1), PPWD1 high (above 12.0)"."""
    names = []
    per_gene = []
    for gene in DEFAULT_EXPRESSION_GENES:
        lo, hi = expression_edges(model)[gene]
        g = gene[5:].upper()
        per_gene.append([f"{g} low (below {lo:.1f})", f"{g} middle ({lo:.1f}-{hi:.1f})", f"{g} high (above {hi:.1f})"])
    for a in per_gene[0]:
        for b in per_gene[1]:
            names.append(f"{a}, {b}")
    return names


def _expression(model: Model):
    (g1, g2) = DEFAULT_EXPRESSION_GENES
    p1, _ = expression_band_table(model, g1)
    p2, _ = expression_band_table(model, g2)
    P = (p1[:, None, :] * p2[None, :, :]).reshape(len(p1) * len(p2), -1)
    return expression_band_names(model), P


def result_tables(model: Model, tests=ADVICE_TESTS) -> dict:
    """test -> (result labels, P (results, cells)) for every test (computed once per model)."""
    cache = model.__dict__.setdefault("_result_tables", {})
    key = tuple(tests)
    if key not in cache:
        cache[key] = {t: result_table(model, t) for t in tests}
    return cache[key]
