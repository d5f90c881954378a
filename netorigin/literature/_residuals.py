"""Does a labelled cohort break the cells' structure? Bivariate residuals, as latent-class practice
checks a fitted model (Vermunt & Magidson's BVR; parametric-bootstrap p-values as in Langeheine,
Pannekoek & van de Pol 1996).

Within a cell every finding is independent of every other (the cell model's structure). For two
two-valued findings A and B and the cases of one site that have both recorded, the fitted cells
imply a 2 x 2 table of expected counts

    E[a, b] = sum over those cases of sum_cell p(cell | the case's label) P(A = a | cell) P(B = b | cell)

and the bivariate residual is Pearson's X^2 of the observed table against it. Which tests a case
had may depend on its earlier results (5-HIAA measured for a syndrome; ISL1 stained when CDX2 is
negative), so the expected table is taken given what was observed: each case's chance of B is its
cells' chance given A and every other finding it has, E[a, b] = sum over the cases with A = a of
P(B = b | A, the rest), and the bootstrap redraws B from that chance. A large residual
means A and B travel together (or apart) more than the cells allow: a model that multiplies them as
independent evidence counts the same evidence twice and is overconfident. The p-values come from
the same statistic on cohorts simulated from the fitted cells (the same cases, sites and recorded
pattern), and the verdict from the largest residual against the simulated largest ones (a
family-wise test over every pair and site).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._math import softmax
from ..contract import FIELDS, MARKERS, SITES, column_codes, field_label, site_of
from ._cells import BINARY, BIOCHEM, Model

ALPHA = 0.01  # the verdict's level (family-wise, over every pair and site)
SHOWN = 3  # pairs named in words


def _findings() -> list[tuple[str, str, str]]:
    """(field, value counted as "yes", what "both yes" means in words) of every two-valued finding."""
    out = [(m, "positive", "positive") for m in MARKERS]
    out += [(f, v, v) for f, v, _ in BINARY if f not in ("sex", "sstr_imaging")]
    out += [(c, "elevated", "elevated") for c, _ in BIOCHEM]
    return out


def _rates(model: Model, fld: str, value: str) -> np.ndarray:
    if fld in MARKERS:
        return model[f"rate:{fld}=positive"]
    if any(c == fld for c, _ in BIOCHEM):
        return model[f"rate:{fld}=elevated"]
    return model[f"rate:{fld}={value}"]


@dataclass
class StructureCheck:
    """What :func:`structure_check` found.

    Attributes
    ----------
    pairs : list of dict
        Every (site, finding A, finding B) with at least :data:`MIN_CASES` cases recorded for both:
        observed and expected tables, the residual (X^2), its bootstrap p-value, the direction.
    p_max : float
        Bootstrap p-value of the largest residual among all pairs (the family-wise verdict).
    broken : bool
        ``p_max < ALPHA``: the cohort's findings travel together beyond what the cells allow.
    n_boot : int
    """

    pairs: list
    p_max: float
    broken: bool
    n_boot: int

    def words(self, shown: int = SHOWN) -> list[str]:
        """The pairs that break the structure, worst first, in plain words (empty when none does)."""
        if not self.broken:
            return []
        bad = sorted((p for p in self.pairs if p["p_family"] < ALPHA), key=lambda p: -p["bvr"])[:shown]
        return [p["text"] for p in bad]

    def verdict(self) -> str:
        if self.broken:
            return (
                f"findings travel together within a site beyond what the model's cells allow (largest "
                f"bivariate residual: p = {self.p_max:.3g} against {self.n_boot} cohorts simulated from the cells): "
                "probabilities from a model that counts them as independent evidence are likely overconfident; "
                "a model that learns the structure (the latent-boost kind) or more cases may help "
                "(docs/research.md, 'Findings that travel together')"
            )
        return (
            f"no pair of findings travels together beyond what the model's cells allow (largest bivariate "
            f"residual: p = {self.p_max:.3g} against {self.n_boot} simulated cohorts)"
        )


MIN_CASES = 30  # cases of a site with both findings recorded, for a pair to be checked
MIN_EXPECTED = 2.0  # ... and at least this many expected in every cell of its table (X^2 is wild below)
MAX_CASES = 20_000  # beyond this many cases the check runs on a sample


def _x2(obs: np.ndarray, exp: np.ndarray) -> np.ndarray:
    """Pearson X^2 over the last two axes (2 x 2 tables)."""
    return (((obs - exp) ** 2) / np.maximum(exp, 1e-9)).sum(axis=(-2, -1))


def structure_check(
    cells, table, labels, level: str, *, n_boot: int = 200, random_state=0, max_cases: int = MAX_CASES
) -> StructureCheck:
    """Bivariate residuals of a labelled cohort under fitted cells (:class:`~netorigin.literature.FittedCells`):
    every pair of two-valued findings within every site (see the module docstring). Beyond
    ``max_cases`` cases, on a sample stratified by label."""
    from ._fit import allowed_cells, cell_log_weights
    from ._posterior import iter_field_logliks

    model = cells.model
    labels = np.asarray(labels, dtype=object)
    rng = np.random.default_rng(random_state)
    if len(labels) > max_cases:
        keep = np.sort(rng.choice(len(labels), size=max_cases, replace=False))
        table, labels = table.iloc[keep] if hasattr(table, "iloc") else table, labels[keep]
    member = allowed_cells(model, labels, level)  # (n, cells)
    logw = np.where(member, cell_log_weights(model, cells.subsite_share)[None, :], -np.inf)
    blocks = dict(iter_field_logliks(model, table))
    total = logw + sum(blocks.values())  # log p(cell, fields | label) up to a constant
    finds = [f for f in _findings() if f[0] in table.columns]
    yes, seen, rate = [], [], []
    for fld, value, _ in finds:
        codes = column_codes(table, fld)
        vals = FIELDS[fld].values
        eq = vals.index("equivocal") if "equivocal" in vals else -2
        yes.append(codes == vals.index(value))
        seen.append((codes >= 0) & (codes != eq))
        rate.append(np.clip(_rates(model, fld, value), 0.0, 1.0))
    site = site_of(labels)
    plan = []
    for k, s in enumerate(SITES):
        for a in range(len(finds)):
            for b in range(a + 1, len(finds)):
                both = np.flatnonzero((site == k) & seen[a] & seen[b])
                if len(both) < MIN_CASES:
                    continue
                # B's chance given A and every other finding of the case, under the cells
                j = total[both] - blocks[finds[b][0]][both]
                pb = (softmax(j) * rate[b][None, :]).sum(axis=1)
                A = yes[a][both]
                exp = np.array([[pb[A].sum(), (1 - pb[A]).sum()], [pb[~A].sum(), (1 - pb[~A]).sum()]])
                if exp.min() < MIN_EXPECTED:
                    continue
                obs = _table(A, yes[b][both])
                sims = rng.random((n_boot, len(both))) < pb[None, :]
                boot = _x2(np.stack([_table_rows(A, sims)], axis=0)[0], exp)
                plan.append((s, a, b, both, obs, exp, float(_x2(obs, exp)), boot))
    return _verdict(plan, finds, n_boot)


def _verdict(plan: list, finds: list, n_boot: int) -> StructureCheck:
    """Each pair's residual, its p-value and the family-wise one, in words."""
    if not plan:
        return StructureCheck(pairs=[], p_max=1.0, broken=False, n_boot=n_boot)
    boot = np.array([x[7] for x in plan])  # (pairs, n_boot)
    worst = boot.max(axis=0)
    p_max = float((1 + (worst >= max(x[6] for x in plan)).sum()) / (n_boot + 1))
    pairs = []
    for s, a, b, both, obs, exp, x2, bx in plan:
        together = obs[0, 0] + obs[1, 1] > exp[0, 0] + exp[1, 1]
        pairs.append(
            {
                "site": s,
                "finding_a": finds[a][0],
                "finding_b": finds[b][0],
                "cases": int(len(both)),
                "observed": obs.tolist(),
                "expected": exp.round(2).tolist(),
                "bvr": x2,
                "p": float((1 + (bx >= x2).sum()) / (n_boot + 1)),
                "p_family": float((1 + (worst >= x2).sum()) / (n_boot + 1)),
                "together": bool(together),
                "text": _text(s, finds[a], finds[b], obs, exp, together),
            }
        )
    return StructureCheck(pairs=pairs, p_max=p_max, broken=p_max < ALPHA, n_boot=n_boot)


def _table_rows(a: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """(n_boot, 2, 2) tables of a fixed A against each simulated B."""
    na = a.sum()
    b_a = sims[:, a].sum(axis=1)
    b_na = sims[:, ~a].sum(axis=1)
    return np.stack([np.stack([b_a, na - b_a], axis=1), np.stack([b_na, (~a).sum() - b_na], axis=1)], axis=1).astype(
        float
    )


def _text(site, fa, fb, obs, exp, together) -> str:
    la, lb = field_label(fa[0]), field_label(fb[0])
    if together:
        neg = obs[1, 1] - exp[1, 1] >= obs[0, 0] - exp[0, 0]
        how = "negative together" if neg else f"{fa[2]} together" if fa[2] == fb[2] else "found together"
        o, e = (obs[1, 1], exp[1, 1]) if neg else (obs[0, 0], exp[0, 0])
        return (
            f"{la} and {lb} are {how} far more often than the model's cells allow "
            f"({site} cases: {int(o)} observed, {e:.0f} expected)"
        )
    return (
        f"{la} and {lb} go apart far more often than the model's cells allow "
        f"({site} cases: {int(obs[0, 1] + obs[1, 0])} with one but not the other, "
        f"{exp[0, 1] + exp[1, 0]:.0f} expected)"
    )


def _table(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array([[(a & b).sum(), (a & ~b).sum()], [(~a & b).sum(), (~a & ~b).sum()]], dtype=float)


def _draw_cells(w: np.ndarray, rng) -> np.ndarray:
    cum = np.cumsum(w, axis=1)
    return np.minimum((rng.random(len(w))[:, None] * cum[:, -1:] >= cum).sum(axis=1), w.shape[1] - 1)
