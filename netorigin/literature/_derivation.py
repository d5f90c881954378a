"""The site mix a setting's assumptions imply, derived from the parameter rows: the liver-metastasis
archive's cells weighted by the chance that every procedure the setting assumes negative misses
them (:mod:`netorigin.literature._settings`), and its interval over drawn worlds."""

from __future__ import annotations

import numpy as np

from ..contract import SITES, SUBSITES, site_sums
from ..exceptions import InputError
from ._knowledge import default_literature, draw_world
from ._params import records_of, scenario_mix
from ._settings import routine_negative, setting_assumptions

BASE_SETTING = "liver-met-archive"  # the mix of known primaries the assumptions are applied to
ARCHIVE_N = 184  # the pooled archive's cases (Yang + Koo + Graham), 35 of them other: the base mix's uncertainty
ARCHIVE_OTHER_N = 35


def derive_setting_mix(literature=None, setting: str = "unknown-primary", base: str = BASE_SETTING) -> dict:
    """The mix ``setting``'s assumptions imply: ``base``'s cells weighted by the chance that every
    assumed procedure misses them, normalised.

    Returns a dict: ``assumed`` (procedures), ``negative`` (sub-site -> P(all negative), the same
    in every phenotype), ``sites`` (derived site mix), ``subsites`` (derived share of each sub-site
    within its site), ``stated`` (the setting's own site mix, as its rows give it).
    """
    lit = literature if literature is not None else default_literature()
    assumed = setting_assumptions(lit.scenario_rows, setting)
    if not assumed:
        raise InputError(f"setting: {setting!r} assumes no procedure negative; nothing to derive")
    neg = routine_negative(lit.model, assumed)
    base_w = lit.weights(base)
    out = _mixes(lit.model, base_w * neg, neg, assumed, lit.site_prior(setting))
    sub = np.array([c[1] for c in lit.model.cells], dtype=object)
    out["base"] = {x: float(base_w[sub == x].sum() / base_w.sum()) for x in dict.fromkeys(sub)}
    out["base_sites"] = dict(zip(SITES, lit.site_prior(base).tolist()))
    _, stated_sub = scenario_mix(lit.scenario_rows, setting)
    out["stated_subsites"] = {
        x: float(stated_sub.get(x, 0.0) / max(sum(stated_sub.get(y, 0.0) for y in SUBSITES[s]), 1e-300))
        for s in SITES
        for x in SUBSITES[s]
    }
    return out


def _mixes(model, w: np.ndarray, neg: np.ndarray, assumed, stated) -> dict:
    site = model.cell_site
    by_site = site_sums(w, site)
    sites = by_site / w.sum()
    sub = np.array([c[1] for c in model.cells], dtype=object)
    subsites = {}
    for k, s in enumerate(SITES):
        tot = by_site[k]
        for x in SUBSITES[s]:
            subsites[x] = float(w[sub == x].sum() / tot) if tot > 0 else 0.0
    negative = {x: float(neg[sub == x][0]) for x in dict.fromkeys(sub)}
    return {
        "assumed": assumed,
        "negative": negative,
        "sites": dict(zip(SITES, sites.tolist())),
        "subsites": subsites,
        "stated": dict(zip(SITES, np.asarray(stated, dtype=float).tolist())),
    }


def setting_mix_interval(
    n_worlds: int = 200, seed: int = 0, setting: str = "unknown-primary", base: str = BASE_SETTING, literature=None
) -> dict:
    """:func:`derive_setting_mix` over ``n_worlds`` drawn worlds (every procedure figure from its
    ``n_eff``, :func:`~netorigin.literature.draw_world`) and the base mix drawn from its own
    uncertainty (a Dirichlet of the pooled archive's :data:`ARCHIVE_N` cases, its other sub-sites
    from :data:`ARCHIVE_OTHER_N`): per site the median and the 2.5th and 97.5th percentiles."""
    lit = literature if literature is not None else default_literature()
    rng = np.random.default_rng([int(seed), 0x53455454])  # "SETT"
    base_rows = [r for r in records_of(lit.scenario_rows) if r["scenario"] == base]
    draws = []
    for _ in range(int(n_worlds)):
        world = draw_world(int(rng.integers(2**31)), literature=lit)
        rows = _drawn_mix(base_rows, rng)
        world.scenario_rows = [*rows, *(r for r in records_of(lit.scenario_rows) if r["scenario"] != base)]
        draws.append(list(derive_setting_mix(world, setting, base)["sites"].values()))
    d = np.array(draws)
    q = np.percentile(d, [2.5, 50, 97.5], axis=0)
    return {s: {"low": float(q[0, j]), "median": float(q[1, j]), "high": float(q[2, j])} for j, s in enumerate(SITES)}


def _drawn_mix(rows: list[dict], rng) -> list[dict]:
    """The base setting's rows with its class mix and other sub-site shares drawn from their counts."""
    out = [dict(r) for r in rows]
    cls = [r for r in out if r["level"] == "class"]
    for r, v in zip(cls, rng.dirichlet([ARCHIVE_N * float(r["value"]) + 1e-3 for r in cls])):
        r["value"] = float(v)
    other = [r for r in out if r["level"] == "subsite" and r["site"] in SUBSITES["other"] and float(r["value"]) > 0]
    for r, v in zip(other, rng.dirichlet([ARCHIVE_OTHER_N * float(r["value"]) for r in other])):
        r["value"] = float(v)
    return out
