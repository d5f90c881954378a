"""``netorigin synth --check``: every parameter's file value beside the value measured in data.

Two large cohorts are drawn with every test done: one with the scenario's own site mix (for
site, sub-site and phenotype shares) and one with every cell equally likely, so that even rare
cells (a pancreatic EC-cell tumour, a duodenal gastrinoma) have enough cases to measure the
per-cell parameters precisely.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract import MARKERS, SUBSITES
from ..literature import CONTINUOUS, Literature, default_literature
from ._generate import generate

RATE_TOLERANCE = 0.01  # one percentage point
RELATIVE_TOLERANCE = 0.02


def _measure(table: pd.DataFrame, param: str) -> tuple[float, int]:
    kind, _, rest = param.partition(":")
    if kind == "rate":
        target, _, cond = rest.partition("|")
        fld, _, val = target.partition("=")
        t = table
        if cond:
            cf, _, cv = cond.partition("=")
            t = table[table[cf].astype(object) == cv]
        if fld == "ihc":
            vals = np.concatenate([t[m].astype(object).to_numpy() for m in MARKERS])
            return float(np.mean(vals == val)), len(vals)
        col = t[fld].astype(object)
        if fld in MARKERS:
            col = col[col.isin(["positive", "negative"])]
        col = col[col.notna()]
        return float((col == val).mean()) if len(col) else float("nan"), len(col)
    x = table[rest].to_numpy(dtype=float)
    x = x[~np.isnan(x)]
    if kind == "mean":
        return float(x.mean()), len(x)
    if kind == "sd":
        return float(x.std()), len(x)
    if kind == "median":
        return float(np.median(x)), len(x)
    if kind == "log_sd":
        q1, q3 = np.quantile(np.log(x), [0.25, 0.75])
        return float((q3 - q1) / 1.349), len(x)
    raise ValueError(param)


def _tolerance(param: str, value: float) -> float:
    if param.startswith("rate:") or param == "phenotype":
        return RATE_TOLERANCE
    fld = param.partition(":")[2]
    spec = next((c for c in CONTINUOUS if c.field == fld), None)
    step = 0.5 * 10.0 ** -spec.decimals if spec else 0.0
    return max(RELATIVE_TOLERANCE * abs(value), step)


def check_parameters(scenario: str = "liver-met-archive", n: int = 1_000_000, random_state=0,
                     literature: Literature | None = None) -> pd.DataFrame:
    """Measure every parameter (and the scenario's site mix) in generated data.

    Returns one row per parameter: ``parameter, site, value`` (the file's), ``measured``,
    ``n`` (cases or results it was measured on), ``difference``, ``tolerance``, ``ok``.
    """
    sm = literature if literature is not None else default_literature()
    m = sm.model
    rows = []
    natural = generate(m, sm.weights(scenario), n, random_state=random_state, workup=None,
                       return_cells=True)
    cells = natural["latent_cell"].to_numpy()
    sub = natural["primary_site_detail"].astype(object).to_numpy()
    site = natural["primary_site"].astype(object).to_numpy()
    sc = sm.scenarios[sm.scenarios["scenario"] == scenario]
    ctot = sc[sc["level"] == "class"]["value"].sum()
    for r in sc.itertuples():
        if r.level == "class":
            rows.append(("site share", r.site, r.value / ctot, float(np.mean(site == r.site)), n))
        else:
            cls = next(s for s, subs in SUBSITES.items() if r.site in subs)
            stot = sc[(sc["level"] == "subsite") & sc["site"].isin(SUBSITES[cls])]["value"].sum()
            within = sub[site == cls]
            rows.append(("sub-site share", r.site, r.value / stot if stot else 0.0,
                         float(np.mean(within == r.site)) if len(within) else float("nan"), len(within)))
    phen = sm.parameters[sm.parameters["parameter"] == "phenotype"]
    for r in phen.itertuples():
        within = cells[sub == r.site.split("/")[0]]
        rows.append(("phenotype", r.site, r.value, float(np.mean(within == r.site)) if len(within) else float("nan"),
                     len(within)))
    balanced = generate(m, np.ones(m.n_cells), n, random_state=random_state, workup=None, return_cells=True)
    labels = np.array(m.labels(), dtype=object)
    bcells = balanced["latent_cell"].to_numpy()
    for r in sm.parameters[sm.parameters["parameter"] != "phenotype"].itertuples():
        keys = np.array(m.governs.get(r.parameter, []), dtype=object)
        governed = set(labels[keys == r.site])
        t = balanced[np.isin(bcells, list(governed))]
        if r.parameter.startswith(("sd:", "log_sd:")) and len(t):
            # a spread is a within-cell quantity: measure it in each cell, then average
            parts = [_measure(t[bcells[np.isin(bcells, list(governed))] == c], r.parameter) for c in sorted(governed)]
            k = sum(p[1] for p in parts)
            measured = sum(v * w for v, w in parts) / k
        else:
            measured, k = _measure(t, r.parameter) if len(t) else (float("nan"), 0)
        rows.append((r.parameter, r.site, r.value, measured, k))
    out = pd.DataFrame(rows, columns=["parameter", "site", "value", "measured", "n"])
    out["difference"] = out["measured"] - out["value"]
    out["tolerance"] = [_tolerance(p if p not in ("site share", "sub-site share") else "rate:", v)
                        for p, v in zip(out["parameter"], out["value"])]
    # parameters that govern no cell (overridden everywhere) cannot be measured: say so
    out["ok"] = (out["difference"].abs() <= out["tolerance"]) | (out["n"] == 0)
    return out

