"""``netorigin synth --check``: every parameter's file value beside the value measured in data.

Two large cohorts are drawn with every test done: one with the scenario's own site mix (for
site, sub-site and phenotype shares) and one with every cell equally likely, so that even rare
cells (a pancreatic EC-cell tumour, a duodenal gastrinoma) have enough cases to measure the
per-cell parameters precisely.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract import FIELDS, MARKERS, SUBSITES
from ..literature._procedures import is_procedure_parameter
from ._cells import CONTINUOUS
from ._generate import generate
from ._knowledge import Literature, default_literature

Z = 4.5  # a parameter is out when it is more than 4.5 standard errors off (about 1 in 150,000 by chance)


def _measure(table: pd.DataFrame, param: str) -> tuple[float, int, float]:
    """(measured value, cases it was measured on, its standard error)."""
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
            v, n = float(np.mean(vals == val)), len(vals)
        else:
            col = t[fld].astype(object)
            if fld in MARKERS:
                col = col[col.isin(["positive", "negative"])]
            col = col[col.notna()]
            v, n = (float((col == val).mean()) if len(col) else float("nan")), len(col)
        return v, n, float(np.sqrt(max(v * (1 - v), 1e-12) / max(n, 1)))
    x = table[rest].to_numpy(dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if kind == "mean":
        return float(x.mean()), n, float(x.std() / np.sqrt(n))
    if kind == "sd":
        return float(x.std()), n, float(x.std() / np.sqrt(2 * n))
    if kind == "median":
        q45, m, q55 = np.quantile(x, [0.45, 0.5, 0.55])
        density = 0.1 / max(q55 - q45, 1e-12)
        return float(m), n, float(1 / (2 * density * np.sqrt(n)))
    if kind == "log_sd":
        q1, q3 = np.quantile(np.log(x), [0.25, 0.75])
        s = (q3 - q1) / 1.349
        return float(s), n, float(1.166 * s / np.sqrt(n))
    raise ValueError(param)


def _measure_procedure(table: pd.DataFrame, param: str, model, cell: np.ndarray) -> tuple[float, int, float]:
    """(measured, n, se) of a procedure's rate among cases of known cells ``cell``: each rate
    solved from the results given the file's other rates of the procedure (the generator draws
    the result table of :mod:`netorigin.literature._procedures`, not its latent steps)."""
    from ..literature._procedures import SHARED_FALSE_CONFIRMED, places_of, procedure_parameters

    fields = [f for f in model.procedures if param == SHARED_FALSE_CONFIRMED or param.startswith(f"rate:{f}=")]
    num = den = n = 0.0
    for f in fields:
        codes = np.asarray(pd.Categorical(table[f], categories=FIELDS[f].values).codes)
        member = places_of(model, f)[cell]  # (cases, places)
        k = member.shape[1]
        sens_p, conf_p, fp_p = procedure_parameters(f)
        sens = model[sens_p][cell] * member.any(axis=1)
        fp, fc = model[fp_p][cell], model[SHARED_FALSE_CONFIRMED][cell]
        place, confirmed = (codes - 1) // 2, (codes > 0) & ((codes - 1) % 2 == 1)
        own = (codes > 0) & (member[np.arange(len(codes)), np.maximum(place, 0)] > 0)
        neg = float((codes == 0).mean())
        if param == sens_p:  # P(negative) = (1 - sens)(1 - fp)
            num, den = num + len(codes) - (codes == 0).sum() / (1 - fp).mean(), den + len(codes)
            scale = float((1 - fp).mean())
        elif param == fp_p:  # E[negative] = E[1 - sens] (1 - fp)
            num, den = num + ((1 - sens).sum() - (codes == 0).sum()), den + (1 - sens).sum()
            scale = float((1 - sens).mean())
        elif param == conf_p:  # confirmed at the own place = sens conf + (1 - sens) fp / k fc
            num = num + confirmed[own].sum() - ((1 - sens) * fp / k * fc)[member.any(axis=1)].sum()
            den = den + sens.sum()
        else:  # the shared rate: lesions at a place that cannot hold the primary are false ones
            other = (codes > 0) & ~own
            num, den = num + (confirmed & other).sum(), den + other.sum()
        n += len(codes)
    v = num / den if den > 0 else float("nan")
    if param.endswith(("=seen", "=false_positive")):  # solved from the share of negatives: its error
        return float(v), int(n), float(np.sqrt(max(neg * (1 - neg), 1e-12) / n) / scale)
    return float(v), int(n), float(np.sqrt(max(v * (1 - v), 1e-12) / max(den, 1)))


def _floor(param: str, value: float) -> float:
    """The smallest tolerance: 0.002 for rates; for continuous fields half a rounding step, and
    for medians and spreads 2% of the value, because values are drawn rounded and clipped (Ki-67
    to 0.1 from 0.1, biochemistry to 0.01), which moves quartiles by a known, non-random amount."""
    if param.startswith("rate:") or param in ("phenotype", "site share", "sub-site share"):
        return 0.002
    fld = param.partition(":")[2]
    spec = next((c for c in CONTINUOUS if c.field == fld), None)
    step = 0.5 * 10.0**-spec.decimals if spec else 0.0
    relative = 0.02 if param.startswith(("median:", "log_sd:", "sd:")) else 0.002
    return max(step, relative * abs(value))


def check_parameters(
    scenario: str = "liver-met-archive", n: int = 1_000_000, random_state=0, literature: Literature | None = None
) -> pd.DataFrame:
    """Measure every parameter (and the scenario's site mix) in generated data.

    Returns one row per parameter: ``parameter, site, value`` (the file's), ``measured``,
    ``n`` (cases or results it was measured on), ``se`` (its sampling error), ``difference``,
    ``z`` (difference in standard errors), ``tolerance`` (4.5 standard errors, at least the
    rounding floor), ``ok``.
    """
    # long: one measurement per kind of parameter, in the order of the parameter file
    sm = literature if literature is not None else default_literature()
    m = sm.model
    rows = []
    natural = generate(m, sm.weights(scenario), n, random_state=random_state, workup=None, return_cells=True)
    cells = natural["latent_cell"].to_numpy()
    sub = natural["primary_site_detail"].astype(object).to_numpy()
    site = natural["primary_site"].astype(object).to_numpy()
    sc = sm.scenarios[sm.scenarios["scenario"] == scenario]
    ctot = sc[sc["level"] == "class"]["value"].sum()
    for r in sc.itertuples():
        if r.level not in ("class", "subsite"):
            continue  # what a setting assumes (a procedure negative) is no share
        if r.level == "class":
            v = float(np.mean(site == r.site))
            rows.append(("site share", r.site, r.value / ctot, v, n, np.sqrt(max(v * (1 - v), 1e-12) / n)))
        else:
            cls = next(s for s, subs in SUBSITES.items() if r.site in subs)
            stot = sc[(sc["level"] == "subsite") & sc["site"].isin(SUBSITES[cls])]["value"].sum()
            within = sub[site == cls]
            v = float(np.mean(within == r.site)) if len(within) else float("nan")
            rows.append(
                (
                    "sub-site share",
                    r.site,
                    r.value / stot if stot else 0.0,
                    v,
                    len(within),
                    np.sqrt(max(v * (1 - v), 1e-12) / max(len(within), 1)),
                )
            )
    phen = sm.parameters[sm.parameters["parameter"] == "phenotype"]
    for r in phen.itertuples():
        within = cells[sub == r.site.split("/")[0]]
        v = float(np.mean(within == r.site)) if len(within) else float("nan")
        rows.append(
            ("phenotype", r.site, r.value, v, len(within), np.sqrt(max(v * (1 - v), 1e-12) / max(len(within), 1)))
        )
    balanced = generate(m, np.ones(m.n_cells), n, random_state=random_state, workup=None, return_cells=True)
    labels = np.array(m.labels(), dtype=object)
    bcells = balanced["latent_cell"].to_numpy()
    order = np.argsort(labels)
    for r in sm.parameters[sm.parameters["parameter"] != "phenotype"].itertuples():
        keys = np.array(m.governs.get(r.parameter, []), dtype=object)
        governed = set(labels[keys == r.site])
        t = balanced[np.isin(bcells, list(governed))]
        if r.parameter.startswith(("sd:", "log_sd:")) and len(t):
            # a spread is a within-cell quantity: measure it in each cell, then average
            parts = [_measure(t[bcells[np.isin(bcells, list(governed))] == c], r.parameter) for c in sorted(governed)]
            k = sum(p[1] for p in parts)
            measured = sum(v * w for v, w, _ in parts) / k
            se = float(np.sqrt(sum((w / k) ** 2 * e**2 for _, w, e in parts)))
        elif is_procedure_parameter(r.parameter) and len(t):
            idx = np.searchsorted(labels[order], bcells[np.isin(bcells, list(governed))])
            measured, k, se = _measure_procedure(t, r.parameter, m, order[idx])
        else:
            measured, k, se = _measure(t, r.parameter) if len(t) else (float("nan"), 0, float("nan"))
        rows.append((r.parameter, r.site, r.value, measured, k, se))
    out = pd.DataFrame(rows, columns=["parameter", "site", "value", "measured", "n", "se"])
    out["difference"] = out["measured"] - out["value"]
    out["z"] = out["difference"] / out["se"]
    out["tolerance"] = [max(Z * se, _floor(p, v)) for p, v, se in zip(out["parameter"], out["value"], out["se"])]
    # parameters that govern no cell (overridden everywhere) cannot be measured: say so
    out["ok"] = (out["difference"].abs() <= out["tolerance"]) | (out["n"] == 0)
    return out
