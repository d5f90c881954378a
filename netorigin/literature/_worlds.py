"""How sure the literature is, and worlds drawn from that uncertainty.

Every row of ``parameters.csv`` carries an effective sample size ``n_eff`` and the rule that gave
it (``n_eff_rule``): published figures count as the study's own n, derived ones as what they are
derived from, assumed ones as a stated weak default (:data:`DEFAULT_N_EFF` pseudo-cases), and a
few rows are fixed (``inf``: true by definition of a cell, or a structural zero of the cell model).

A *world* is one complete parameter table drawn from those uncertainties: a rate is drawn from
Beta(n p, n (1 - p)); the shares that must add up (a sub-site's phenotypes, the values of a
many-valued field for one site key, the mitotic bands of G3) are drawn together from a Dirichlet
with the smallest n of the group; a mean (or a lognormal's log-median) from a normal with the
field's spread over sqrt(n); a spread from its scaled chi distribution with n - 1 degrees of
freedom. The same rows, read as pseudo-counts, are the prior of the latent-class fit.
"""

from __future__ import annotations

import math

import numpy as np

from ..exceptions import InputError
from ._cells import MULTI
from ._params import n_eff_of

RATE_FLOOR = 1e-4  # a drawn rate stays within [RATE_FLOOR, 1 - RATE_FLOOR] (fixed rows excepted)


def share_groups(rows: list[dict]) -> list[list[int]]:
    """Indices of the rows whose values are shares drawn together (with an implied remainder):
    each sub-site's phenotypes; each site key's values of a many-valued field; the mitotic bands
    of G3."""
    groups: dict[tuple, list[int]] = {}
    multi = {f"rate:{f}={v}": f for f, vals, _ in MULTI for v in vals}
    for i, r in enumerate(rows):
        p, site = r["parameter"], str(r["site"])
        if p == "phenotype":
            key = ("phenotype", site.split("/", 1)[0])
        elif p in multi:
            key = (multi[p], site)
        elif p.startswith("rate:mitoses_per_2mm2=") and p.endswith("|grade=G3"):
            key = ("mitoses|G3", site)
        else:
            continue
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def draw_rows(seed: int, rows: list[dict]) -> list[dict]:
    """The parameter rows with every value drawn from its uncertainty (:func:`n_eff_of`); same seed,
    same values. See :func:`~netorigin.literature.draw_world`."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"world: {seed!r} is not a whole number >= 0")
    rows = [dict(r) for r in rows]
    rng = np.random.default_rng([int(seed), 0x4E45_5457])  # a stream of its own ("NETW")
    drawn = _draw_values(rows, rng)
    for r, v in zip(rows, drawn):
        if v != r["value"]:
            r["working"] = (
                f"drawn (world {int(seed)}) around {r['value']:g} with n_eff {n_eff_of(r):g}; "
                + str(r.get("working", ""))
            ).strip("; ")
        r["value"] = float(v)
    return rows


def _draw_values(rows: list[dict], rng: np.random.Generator) -> list[float]:
    values = [float(r["value"]) for r in rows]
    n = [n_eff_of(r) for r in rows]
    grouped = set()
    for g in share_groups(rows):
        grouped.update(g)
        size = min(n[i] for i in g)
        if math.isinf(size):
            continue
        p = np.array([values[i] for i in g])
        rest = 1.0 - p.sum() if rows[g[0]]["parameter"] != "phenotype" else 0.0
        shares = np.append(p, max(rest, 0.0))
        keep = shares > 0
        draw = np.zeros(len(shares))
        draw[keep] = rng.dirichlet(np.maximum(size * shares[keep], 1e-3))
        for j, i in enumerate(g):
            values[i] = float(draw[j])
        if rows[g[0]]["parameter"] == "phenotype":  # shares of a sub-site add up to 1 exactly
            total = sum(values[i] for i in g)
            for i in g:
                values[i] /= total
    spread = _spreads(rows)
    for i, r in enumerate(rows):
        if i in grouped or math.isinf(n[i]):
            continue
        values[i] = _draw_one(r["parameter"], values[i], n[i], spread.get((_field(r["parameter"]), r["site"])), rng)
    return values


def _field(parameter: str) -> str:
    return parameter.split(":", 1)[1] if ":" in parameter else parameter


def _spreads(rows: list[dict]) -> dict:
    """(field, site key) -> the spread (sd or log_sd) that goes with a mean or median there, the
    field's '*' spread, or its first one."""
    out: dict = {}
    firsts: dict = {}
    for r in rows:
        kind, _, fld = r["parameter"].partition(":")
        if kind in ("sd", "log_sd"):
            out[(fld, r["site"])] = float(r["value"])
            firsts.setdefault(fld, float(r["value"]))
    for r in rows:
        kind, _, fld = r["parameter"].partition(":")
        if kind in ("mean", "median") and (fld, r["site"]) not in out:
            out[(fld, r["site"])] = out.get((fld, "*"), firsts.get(fld, 1.0))
    return out


def _draw_one(parameter: str, value: float, n: float, spread, rng) -> float:
    kind = parameter.split(":", 1)[0]
    if kind == "rate":
        p = min(max(value, 1e-6), 1 - 1e-6)
        return float(np.clip(rng.beta(n * p, n * (1 - p)), RATE_FLOOR, 1 - RATE_FLOOR))
    if kind == "mean":
        return float(value + rng.standard_normal() * spread / math.sqrt(n))
    if kind == "median":
        return float(math.exp(math.log(value) + rng.standard_normal() * spread / math.sqrt(n)))
    if kind in ("sd", "log_sd"):
        df = max(n - 1.0, 1.0)
        return float(value * math.sqrt(rng.chisquare(df) / df))
    raise InputError(f"parameters: {parameter!r}: no rule to draw it from its uncertainty")
