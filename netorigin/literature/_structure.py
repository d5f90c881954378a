"""Worlds whose *structure* differs from the literature's, not only their rates.

The literature's world is a cell model: within a cell (site, sub-site, phenotype) every finding is
independent of every other. Real tumours need not be built that way. A structured world changes
the shape while keeping each sub-site's findings, on average, close to the literature's:

``cells``
    phenotype cells other than the literature's: a sub-site's cell split in two (a random share of
    its cases; a random half of its findings pushed apart on the log-odds scale, in opposite
    directions so that the mixture keeps the cell's rates), two phenotypes merged into one (their
    rates averaged by weight), the phenotypes' shares shifted.
``subtypes``
    a hidden subtype within each site that loses the site's lineage findings together (ileal:
    CDX2, serotonin, urine 5-HIAA, the syndrome; pancreatic: ISL1, PDX1, PAX8, ALT, DAXX/ATRX loss;
    other: TTF-1, OTP, SATB2, CDX2) and grows faster (a higher Ki-67); the other cases of the site
    keep more of them, so that each finding's rate over the site is the literature's.
``factor``
    a continuous differentiation factor z ~ N(0, 1) per case shared by the lineage stains, the
    secretion and Ki-67 (log-odds of each finding + beta z, log Ki-67 - gamma z); each finding's
    intercept is solved so that its rate over z is the literature's. z takes the 9 Gauss-Hermite
    levels (each cell becomes 9 cells weighted by the quadrature weights), so the world is a cell
    model and its exact posterior integrates z out exactly.
``pairs``
    pairwise dependence: in each cell two findings travel together (or apart): the cell is split
    in two halves whose rates of both findings move up in one half and down in the other.

Every structured world is again a parameter table (one row per parameter per new cell, keyed by
``sub-site/phenotype~k``) and so a :class:`~netorigin.literature.Literature`: the generator and the
exact posterior are the ones every world uses. The strength of a world's structure is drawn with
it (``strength`` in [0.5, 1]). Structured worlds are for benchmarks and for training a model that
hedges for structure it cannot know; their rows say so (status ``assumed``, source ``structured
world``).
"""

from __future__ import annotations

import math

import numpy as np

from ..contract import MARKERS, SITES, SUBSITES
from ..exceptions import InputError
from ._cells import MULTI, Model, build_model

STRUCTURES = ("cells", "subtypes", "factor", "pairs")
GH_LEVELS = 9  # Gauss-Hermite levels of the continuous factor

# the findings each site's lineage rests on (lost together by a hidden subtype, moved by the factor)
LINEAGE = {
    "ileal": (
        "rate:ihc_cdx2=positive",
        "rate:ihc_serotonin=positive",
        "rate:urine_5hiaa=elevated",
        "rate:carcinoid_syndrome=yes",
    ),
    "pancreatic": (
        "rate:ihc_isl1=positive",
        "rate:ihc_pdx1=positive",
        "rate:ihc_pax8=positive",
        "rate:alt_status=positive",
        "rate:ihc_daxx_atrx=lost",
    ),
    "other": ("rate:ihc_ttf1=positive", "rate:ihc_otp=positive", "rate:ihc_satb2=positive", "rate:ihc_cdx2=positive"),
}
_MULTI = {f"rate:{f}={v}" for f, vals, _ in MULTI for v in vals}
_FIXED = ("rate:mitoses_per_2mm2=", "rate:ihc=equivocal")  # the same in every cell (the cell model's rule)
# a procedure's result depends on the sub-site, not the phenotype: no structure moves its rates
_SUBSITE_ONLY = ("rate:proc_", "rate:proc=")


def _logit(p):
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _expit(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _movable(values: dict, p: str) -> bool:
    """A rate a structure may move in a cell: present, and not one that defines the cell (0 or 1:
    a syndromic cell has the syndrome; a TTF-1 cell stains for TTF-1)."""
    return p in values and 0.001 < values[p] < 0.999


# ----------------------------------------------------------------------------- cells as rows
class _Cells:
    """A mutable list of cells: (site, sub-site, phenotype name, weight within the sub-site, values
    of every input parameter)."""

    def __init__(self, model: Model):
        self.inputs = sorted(model.governs)
        self.cells = [
            [site, sub, ph or "all", float(w), {p: float(model.arrays[p][c]) for p in self.inputs}]
            for c, ((site, sub, ph), w) in enumerate(zip(model.cells, model.phenotype_weight))
        ]

    def of_subsite(self, sub: str) -> list[list]:
        return [c for c in self.cells if c[1] == sub]

    def replace(self, old: list, new: list[list]) -> None:
        i = next(j for j, c in enumerate(self.cells) if c is old)
        self.cells[i : i + 1] = new

    def rows(self, base_rows: list[dict], label: str) -> list[dict]:
        """Parameter rows: one per parameter per cell (the cell's own key), its phenotype's share,
        and the literature's rows the cell model reads as they are (mitoses, equivocal stains)."""
        out = []
        seen = {}
        for _site, sub, ph, w, values in self.cells:
            k = seen[(sub, ph)] = seen.get((sub, ph), -1) + 1
            key = f"{sub}/{ph}~{k}"
            out.append(_row("phenotype", key, w, label))
            for p, v in values.items():
                if not p.startswith(_FIXED):
                    out.append(_row(p, key, v, label))
        out += [dict(r) for r in base_rows if str(r["parameter"]).startswith(_FIXED)]
        return out


def _row(parameter: str, site: str, value: float, label: str) -> dict:
    return {
        "parameter": parameter,
        "site": site,
        "value": float(value),
        "status": "assumed",
        "source": "structured world (netorigin benchmark)",
        "figure_as_published": "",
        "working": label,
        "n_eff": "inf",
        "n_eff_rule": "fixed: a structured world's own value",
    }


def _normalise(cells: list[list]) -> None:
    total = sum(c[3] for c in cells)
    for c in cells:
        c[3] /= total


# ----------------------------------------------------------------------------- the structures
def _split_cells(cl: _Cells, rng, strength: float) -> None:
    free = [
        p
        for p in cl.inputs
        if p.startswith("rate:") and p not in _MULTI and not p.startswith(_FIXED) and not p.startswith(_SUBSITE_ONLY)
    ]
    for site in SITES:
        for sub in SUBSITES[site]:
            mine = cl.of_subsite(sub)
            move = rng.random()
            if move < 0.25:
                _new_phenotype(cl, mine, free, rng, strength)
            elif move < 0.6:
                _split(cl, max(mine, key=lambda x: x[3]), free, rng, strength)
            elif move < 0.8 and len(mine) >= 2:
                _merge(cl, mine, rng)
            elif len(mine) >= 2:  # shift the phenotypes' shares
                shares = rng.dirichlet(np.array([c[3] for c in mine]) * 20.0 / strength)
                for c, x in zip(mine, shares):
                    c[3] = float(max(x, 1e-3))
            _normalise(cl.of_subsite(sub))


def _new_phenotype(cl: _Cells, mine: list, free: list, rng, strength: float) -> None:
    """A phenotype the literature does not know: a third of its findings drawn afresh."""
    c = max(mine, key=lambda x: x[3])
    new = [c[0], c[1], c[2] + "n", c[3] * rng.uniform(0.15, 0.35) * strength / 0.65, dict(c[4])]
    for p in rng.choice(free, size=max(1, len(free) // 3), replace=False):
        if _movable(c[4], p):
            new[4][p] = float(np.clip(rng.beta(0.5, 0.5), 0.01, 0.99))
    cl.cells.append(new)


def _split(cl: _Cells, c: list, free: list, rng, strength: float) -> None:
    """The cell split in two: half its findings pushed apart on the log-odds scale, the mixture
    keeping the cell's rates; Ki-67 and lesion size apart too."""
    share = rng.uniform(0.25, 0.75)
    a, b = [*c[:3], c[3] * share, dict(c[4])], [*c[:3], c[3] * (1 - share), dict(c[4])]
    a[2], b[2] = c[2] + "a", c[2] + "b"
    for p in rng.choice(free, size=max(1, len(free) // 2), replace=False):
        if not _movable(c[4], p):
            continue
        d = strength * rng.uniform(2.0, 4.0)
        base = _logit(c[4][p])
        ra = float(_expit(base + d if rng.random() < 0.5 else base - d))
        rb = (c[4][p] - share * ra) / (1 - share)  # b takes what keeps the weighted rate
        if 0.001 <= rb <= 0.999:
            a[4][p], b[4][p] = ra, rb
    for ln in ("median:ki67_percent", "median:largest_liver_lesion_cm"):
        if ln in c[4]:
            f = math.exp(strength * rng.uniform(0.3, 0.8))
            a[4][ln], b[4][ln] = c[4][ln] * f, c[4][ln] / f
    cl.replace(c, [a, b])


def _merge(cl: _Cells, mine: list, rng) -> None:
    """Two phenotypes merged into one, their rates averaged by weight."""
    i, j = rng.choice(len(mine), size=2, replace=False)
    x, y = mine[i], mine[j]
    w = x[3] + y[3]
    merged = [x[0], x[1], x[2] + "+" + y[2], w, {p: (x[3] * x[4][p] + y[3] * y[4][p]) / w for p in cl.inputs}]
    cl.replace(x, [merged])
    cl.replace(y, [])


def _subtypes(cl: _Cells, rng, strength: float) -> None:
    for site in SITES:
        w = rng.uniform(0.2, 0.45)
        loss = rng.uniform(0.8, 1.0) * strength
        faster = math.exp(strength * rng.uniform(1.0, 2.0))
        for c in [c for c in cl.cells if c[0] == site]:
            sub = [c[0], c[1], c[2] + "-lost", c[3] * w, dict(c[4])]
            keep = [c[0], c[1], c[2], c[3] * (1 - w), dict(c[4])]
            for p in LINEAGE[site]:
                if not _movable(c[4], p):
                    continue
                r = c[4][p]
                lost = r * (1 - loss)
                rest = (r - w * lost) / (1 - w)
                if rest > 0.999:  # the rest cannot hold more: lose less
                    rest = 0.999
                    lost = (r - (1 - w) * rest) / w
                sub[4][p], keep[4][p] = lost, rest
            if "median:ki67_percent" in c[4]:
                sub[4]["median:ki67_percent"] = min(c[4]["median:ki67_percent"] * faster, 60.0)
                keep[4]["median:ki67_percent"] = max(c[4]["median:ki67_percent"] / faster ** (w / (1 - w)), 0.2)
            cl.replace(c, [keep, sub])


def _solve_intercept(rate: float, beta: float, z: np.ndarray, wz: np.ndarray) -> float:
    """The log-odds a with sum_k wz_k expit(a + beta z_k) = rate (Newton)."""
    a = float(_logit(rate))
    for _ in range(50):
        p = _expit(a + beta * z)
        f = float((wz * p).sum() - rate)
        d = float((wz * p * (1 - p)).sum())
        if abs(f) < 1e-12 or d <= 0:
            break
        a -= f / d
    return a


def _factor(cl: _Cells, rng, strength: float) -> None:
    z, wz = np.polynomial.hermite_e.hermegauss(GH_LEVELS)
    wz = wz / wz.sum()
    gamma = strength * rng.uniform(0.7, 1.2)  # log Ki-67 falls by gamma per unit of differentiation
    betas = {p: strength * rng.uniform(2.0, 4.0) for s in SITES for p in LINEAGE[s]}
    for c in list(cl.cells):
        new = []
        intercept = {p: _solve_intercept(c[4][p], b, z, wz) for p, b in betas.items() if _movable(c[4], p)}
        for k in range(GH_LEVELS):
            v = dict(c[4])
            for p, b in betas.items():
                if p in intercept:
                    v[p] = float(_expit(intercept[p] + b * z[k]))
            if "median:ki67_percent" in v:
                v["median:ki67_percent"] = float(np.clip(v["median:ki67_percent"] * math.exp(-gamma * z[k]), 0.2, 80))
            new.append([c[0], c[1], f"{c[2]}-z{k}", c[3] * float(wz[k]), v])
        cl.replace(c, new)


def _pairs(cl: _Cells, rng, strength: float, per_cell: int = 2) -> None:
    candidates = [f"rate:{m}=positive" for m in MARKERS] + [
        "rate:urine_5hiaa=elevated",
        "rate:carcinoid_syndrome=yes",
        "rate:alt_status=positive",
        "rate:mesenteric_mass=yes",
    ]
    for c in list(cl.cells):
        usable = [p for p in candidates if p in c[4] and 0.05 < c[4][p] < 0.95]
        if len(usable) < 2 * per_cell:
            continue
        picked = rng.choice(usable, size=2 * per_cell, replace=False)
        parts = [c]
        for a, b in zip(picked[::2], picked[1::2]):
            sign = 1.0 if rng.random() < 0.75 else -1.0  # most travel together, some apart
            d = {p: strength * rng.uniform(0.6, 0.95) * min(c[4][p], 1 - c[4][p]) for p in (a, b)}
            halves = []
            for part in parts:
                up = [*part[:2], part[2] + "p", part[3] / 2, dict(part[4])]
                down = [*part[:2], part[2] + "q", part[3] / 2, dict(part[4])]
                for p, s in ((a, 1.0), (b, sign)):
                    up[4][p], down[4][p] = part[4][p] + s * d[p], part[4][p] - s * d[p]
                halves += [up, down]
            parts = halves
        cl.replace(c, parts)


_APPLY = {"cells": _split_cells, "subtypes": _subtypes, "factor": _factor, "pairs": _pairs}


def structured_rows(rows: list[dict], structure: str, seed: int, strength: float | None = None) -> tuple[list, dict]:
    """The parameter rows of a world with ``structure`` (one of :data:`STRUCTURES`; ``any``: one
    drawn with the seed; ``mixed``: half the seeds the literature's own structure, the other half
    any structure, of strength from 0.25 to 1: structural uncertainty, as a shipped model is trained
    across), and what was drawn ({structure, strength}); same seed, same world."""
    if structure not in (*STRUCTURES, "any", "mixed"):
        raise InputError(f"structure: {structure!r} is not one of {', '.join(STRUCTURES)}, any, mixed")
    rng = np.random.default_rng([int(seed), 0x53545255])  # "STRU"
    low = 0.5
    if structure == "mixed":
        literature_shaped = rng.random() < 0.5
        low, strength = 0.25, (0.0 if literature_shaped and strength is None else strength)
        structure = "any"
    if structure == "any":
        structure = STRUCTURES[int(rng.integers(len(STRUCTURES)))]
    strength = float(rng.uniform(low, 1.0)) if strength is None else float(strength)
    if not 0 <= strength <= 1:
        raise InputError(f"strength: {strength!r} is not a number from 0 to 1")
    cl = _Cells(build_model(rows))
    if strength > 0:
        _APPLY[structure](cl, rng, strength)
    label = f"structured world: {structure}, strength {strength:.2f}, seed {int(seed)}"
    return cl.rows(rows, label), {"structure": structure, "strength": strength}
