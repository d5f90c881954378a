"""The literature's cells fitted to a labelled cohort: EM with the literature as the prior.

The cells are the literature's (sub-site x phenotype), and so is every parameter row: which cells
it governs, its value and its effective sample size. Fitting keeps that structure and moves each
row's value towards what the cohort says, in proportion to how much the cohort says about it:
every row's prior is its literature value counted as ``weight x n_eff`` pseudo-cases (a Beta or
Dirichlet prior for rates and shares, a normal and scaled-inverse-chi-square prior for means and
spreads), and EM alternates

- E: each case's probability of each cell it may be in (its label's cells) given its recorded
  fields; "not done" contributes nothing (missing at random, as in the exact posterior);
- M: each row's value is its posterior mean given the expected counts of the cells it governs.

A rate's update is ``(weight n_eff p0 + expected positives) / (weight n_eff + expected cases
tested)``, so a row no case informs keeps its literature value, and a row the cohort informs well
follows the cohort. Rounded and clipped values are taken at their value in the M-step (the
E-step uses the exact rounding-bin likelihood).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._math import floored_log, logsumexp, softmax
from ..contract import FIELDS, SITES, column_codes, column_numbers
from ..exceptions import InputError
from ._cells import BIOCHEM, Model, _derive, build_model
from ._mstep import _m_step, _stats
from ._objective import EMRun, LogPrior, exact_m_step
from ._params import DEFAULT_N_EFF, n_eff_of
from ._posterior import (
    _CATEGORY_FIELDS,
    _CONTINUOUS_FIELDS,
    _add_grade_block,
    _biochem_block,
    _continuous_block,
    category_fields,
    category_table,
    log_likelihood,
)
from ._worlds import share_groups

MAX_ITER = 300
TOL = 1e-4  # stop when no parameter moves by more than this (relative to its size, at least 1e-3)


class _Columns:
    """A table's columns taken out once (EM reads every column every iteration)."""

    def __init__(self, table):
        self.columns = list(table.columns)
        self._cols = {c: table[c] for c in self.columns}
        self._n = len(table)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, name):
        return self._cols[name]


@dataclass
class FittedCells:
    """The outcome of :func:`fit_cells`.

    Attributes
    ----------
    rows : list of dict
        The parameter rows with fitted values (the literature's columns; ``working`` says how).
    model : Model
        The cell model built from ``rows``.
    subsite_share : ndarray (cells,)
        Each cell's sub-site share within its site (fitted; matters for site-level labels).
    weight : float
        The literature's weight (its pseudo-counts are ``weight x n_eff``).
    loglik, iterations : float, int
        Mean log-likelihood per case of the labels and recorded fields at the end; EM steps taken.
    history, objective : list of float
        At the start of each (accelerated) iteration: the mean log-likelihood per case, and what EM
        climbs, the mean log-posterior (plus the literature's log prior, :mod:`._objective`).
    converged, objective_fall : bool, float
        Whether the fit met its tolerance (else a ``ConvergenceWarning`` was raised); the most the
        objective fell over one EM step (< 0: it always rose; :class:`._objective.EMRun`).
    """

    rows: list
    model: Model
    subsite_share: np.ndarray
    weight: float
    loglik: float
    iterations: int
    history: list = field(default_factory=list)
    objective: list = field(default_factory=list)
    converged: bool = True
    objective_fall: float = -math.inf


@dataclass
class _Layout:
    """What the parameter rows govern, built once: per parameter, each cell's row and an
    indicator (cells, rows of the parameter)."""

    template: Model
    rows: list
    prior: np.ndarray  # literature values
    n0: np.ndarray  # n_eff per row (inf: fixed)
    cell_row: dict  # param -> (cells,) row index
    indicator: dict  # param -> (row indices, (cells, k) float)
    groups: list  # share groups (row indices)
    phenotype_row: np.ndarray  # (cells,) the row of each cell's phenotype share, -1 for none


def _layout(rows: list) -> _Layout:
    template = build_model(rows)
    index = {(r["parameter"], r["site"]): i for i, r in enumerate(rows)}
    cell_row, indicator = {}, {}
    for param, keys in template.governs.items():
        idx = np.array([index[(param, k)] for k in keys])
        cell_row[param] = idx
        uniq = np.unique(idx)
        indicator[param] = (uniq, (idx[:, None] == uniq[None, :]).astype(float))
    return _Layout(
        template=template,
        rows=rows,
        prior=np.array([float(r["value"]) for r in rows]),
        n0=np.array([n_eff_of(r) for r in rows]),
        cell_row=cell_row,
        indicator=indicator,
        groups=share_groups(rows),
        phenotype_row=np.array(
            [index.get(("phenotype", f"{sub}/{ph}"), -1) if ph else -1 for _, sub, ph in template.cells]
        ),
    )


class _Likelihood:
    """log p(recorded fields | cell) for EM: the category fields as one sparse product (case x
    recorded value indicators times the cells' log rates), the other blocks as the exact
    posterior computes them. Equal to :func:`~netorigin.literature.log_likelihood`."""

    def __init__(self, table, fields=_CATEGORY_FIELDS):
        from scipy import sparse

        rows, cols, self.fields, offset = [], [], [], 0
        for f in _CATEGORY_FIELDS:
            codes = column_codes(table, f) if f in fields else None
            if codes is None:
                continue
            has = np.flatnonzero(codes >= 0)
            rows.append(has)
            cols.append(offset + codes[has])
            self.fields.append(f)
            offset += len(FIELDS[f].values)
        r = np.concatenate(rows) if rows else np.zeros(0, int)
        c = np.concatenate(cols) if cols else np.zeros(0, int)
        self.X = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(table), offset))
        self.table = table

    def __call__(self, model: Model) -> np.ndarray:
        table = self.table
        if self.fields:
            logtab = np.vstack([floored_log(category_table(model, f)).T for f in self.fields])  # (values, cells)
            L = np.asarray(self.X @ logtab)
        else:
            L = np.zeros((len(table), model.n_cells))
        cols = set(table.columns)
        for name in _CONTINUOUS_FIELDS:
            if name in cols:
                L += _continuous_block(model, table, name)
        for cat, xname in BIOCHEM:
            if cat in cols or xname in cols:
                L += _biochem_block(model, table, cat, xname)
        _add_grade_block(L, model, table, column_numbers(table, "ki67_percent"))
        return L


RATE_FLOOR = 1e-6  # a fitted model counts a result its cells rule out as one in a million, not impossible


def floor_rates(model: Model) -> Model:
    """The model with every rate kept within [RATE_FLOOR, 1 - RATE_FLOOR] (its derived arrays
    recomputed): a fitted model meets real data, where a result the literature calls impossible
    (a structural zero) does occur, and should move the answer a lot, not to 1e-300."""
    for name, arr in model.arrays.items():
        if name.startswith("rate:"):
            model.arrays[name] = np.clip(arr, RATE_FLOOR, 1 - RATE_FLOOR)
    _derive(model)
    model.__dict__.pop("_log_tables", None)
    return model


def _model(lay: _Layout, values: np.ndarray) -> Model:
    """The cell model with the rows' values replaced (the structure is the template's), rates
    floored (:func:`floor_rates`)."""
    t = lay.template
    arrays = {p: values[idx] for p, idx in lay.cell_row.items()}
    phen = np.where(lay.phenotype_row >= 0, values[np.maximum(lay.phenotype_row, 0)], 1.0)
    for sub in {c[1] for c in t.cells}:
        m = np.array([c[1] == sub for c in t.cells])
        phen[m] /= phen[m].sum()
    model = Model(cells=t.cells, arrays=arrays, governs=t.governs, phenotype_weight=phen)
    return floor_rates(model)


def allowed_cells(model: Model, labels, level: str) -> np.ndarray:
    """(n, cells) which cells each case may be in: its sub-site's cells (``level="subsite"``;
    an unspecified ``other`` sub-site: the site's) or its site's cells."""
    labels = np.asarray(labels, dtype=object)
    site = np.array([c[0] for c in model.cells], dtype=object)
    sub = np.array([c[1] for c in model.cells], dtype=object)
    if level == "site":
        out = labels[:, None] == site[None, :]
    else:
        out = (labels[:, None] == sub[None, :]) | ((labels[:, None] == "other") & (site[None, :] == "other"))
    bad = ~out.any(axis=1)
    if bad.any():
        raise InputError(f"labels: {labels[bad][0]!r} matches no cell of the literature's model")
    return out


def _subsite_prior(model: Model, scenario_rows, scenario: str = "training-mix") -> np.ndarray:
    from ._params import scenario_mix

    _, share = scenario_mix(scenario_rows, scenario) if scenario_rows else ({}, {})
    out = np.array([share.get(c[1], 1.0) for c in model.cells], dtype=float)
    for s in SITES:
        m = np.array([c[0] == s for c in model.cells])
        subs = {c[1] for c in model.cells if c[0] == s}
        tot = sum(share.get(x, 1.0) for x in subs) or 1.0
        out[m] /= tot
    return np.maximum(out, 1e-6)


def cell_log_weights(model: Model, subsite_share: np.ndarray) -> np.ndarray:
    """log (sub-site share within its site x phenotype weight) of every cell."""
    return floored_log(subsite_share * model.phenotype_weight)


def fit_cells(
    table,
    labels,
    *,
    level: str,
    literature=None,
    weight: float = 1.0,
    max_iter: int = MAX_ITER,
    start: FittedCells | None = None,
    tol: float = TOL,
) -> FittedCells:
    """Fit the literature's cells to labelled cases by EM with the literature as the prior.

    ``labels``: each case's sub-site (``level="subsite"``) or site (``"site"``); ``weight``: the
    literature's pseudo-counts are ``weight x n_eff`` per row. ``start``: a previous fit to start
    from (same literature); ``tol``: stop when no parameter moves more than this (relative).
    """
    from ._knowledge import default_literature

    if not (isinstance(weight, (int, float)) and weight > 0 and math.isfinite(weight)):
        raise InputError(f"literature weight: {weight!r} is not a number > 0")
    lit = literature if literature is not None else default_literature()
    lay = _layout(lit.parameter_rows)
    allowed = allowed_cells(lay.template, labels, level)
    table = _Columns(table)
    stats = _stats(table)
    loglik = _Likelihood(table, category_fields(lay.template))
    values = lay.prior.copy() if start is None else np.array([float(r["value"]) for r in start.rows])
    sub0 = _subsite_prior(lay.template, lit.scenario_rows)
    share = sub0.copy() if start is None else start.subsite_share.copy()
    nv, log_prior = len(values), LogPrior(lay, sub0, weight)

    def step(theta):
        """One EM step from theta = (row values, sub-site shares): (next theta, mean log-lik., log-posterior)."""
        vals, sh = theta[:nv], theta[nv:]
        model = _model(lay, vals)
        joint = np.where(allowed, loglik(model) + cell_log_weights(model, sh)[None, :], -np.inf)
        W = softmax(joint)
        new = np.r_[_m_step(lay, vals, stats, W, weight, model), _share_update(lay.template, W, sub0, weight)]
        ll = float(logsumexp(joint, axis=1).mean())
        return new, ll, ll + log_prior(vals, sh) / len(table)

    run = _squarem(step, np.r_[values, share], _feasible(lay, nv), max_iter, tol)
    run.finish(exact_m_step(table), tol)
    values, share = run.theta[:nv], run.theta[nv:]
    rows = [dict(r) for r in lay.rows]
    for r, v in zip(rows, values):
        if v != r["value"]:
            r["working"] = (
                f"fitted by EM to {len(table):,} labelled cases, literature weight {weight:g} "
                f"(literature value {r['value']:g})"
            )
            r["value"] = float(v)
    model = _model(lay, values)
    return FittedCells(
        rows=rows,
        model=model,
        subsite_share=share,
        weight=float(weight),
        loglik=run.history[-1],
        iterations=run.steps,
        **run.trace(tol),
    )


def _moved(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-3)))


def _feasible(lay: _Layout, nv: int):
    """theta -> whether every rate and share is in (0, 1), every spread and median > 0 and every
    group of shares adds up to at most 1 (an extrapolated step may leave that region)."""
    kinds = [r["parameter"].split(":", 1)[0] for r in lay.rows]
    free = np.r_[np.isfinite(lay.n0), np.ones(lay.template.n_cells, dtype=bool)]  # fixed rows never move
    unit = free & np.array([k in ("rate", "phenotype") for k in kinds] + [True] * lay.template.n_cells)
    positive = free & np.array([k in ("sd", "log_sd", "median") for k in kinds] + [False] * lay.template.n_cells)
    groups = [g for g in lay.groups if lay.rows[g[0]]["parameter"] != "phenotype"]

    def ok(theta: np.ndarray) -> bool:
        return bool(
            np.all(np.isfinite(theta))
            and np.all((theta[unit] > 0) & (theta[unit] <= 1))
            and np.all(theta[positive] > 0)
            and all(theta[g].sum() <= 1 for g in groups)
        )

    return ok


def _squarem(step, theta: np.ndarray, feasible, max_steps: int, tol: float = TOL) -> EMRun:
    """Fixed point of the EM map ``step`` accelerated by SQUAREM (Varadhan & Roland 2008, scheme
    S3): two EM steps, a squared extrapolation along them, then one EM step from there (which
    always lands on valid parameters); a step that leaves the valid region falls back to plain EM."""
    run, before = EMRun(theta), None  # before: the objective where the last EM step started
    while run.steps < max_steps:
        t1, ll, obj = step(run.theta)
        run.record(ll, obj, before)
        t2, _, obj1 = step(t1)
        run.record(None, obj1, obj)
        run.steps += 2
        run.change = _moved(run.theta, t2)
        if run.change < tol:
            run.theta = t2
            return run
        r, v = t1 - run.theta, (t2 - t1) - (t1 - run.theta)
        alpha = min(-float(np.sqrt((r @ r) / max(v @ v, 1e-300))), -1.0)
        jump = run.theta - 2 * alpha * r + alpha * alpha * v
        while not feasible(jump) and alpha < -1.0:
            alpha = min((alpha - 1.0) / 2, -1.0)  # halfway back towards plain EM
            jump = run.theta - 2 * alpha * r + alpha * alpha * v
        new, _, before = step(jump if feasible(jump) else t2)
        run.steps += 1
        run.change = _moved(run.theta, new)
        run.theta = new
        if run.change < tol:
            return run
    return run


def _share_update(template: Model, W: np.ndarray, sub0: np.ndarray, weight: float) -> np.ndarray:
    """Each sub-site's share within its site: Dirichlet(weight x DEFAULT_N_EFF x prior share) + counts."""
    counts = W.sum(axis=0)
    sub = np.array([c[1] for c in template.cells], dtype=object)
    site = np.array([c[0] for c in template.cells], dtype=object)
    out = np.zeros(template.n_cells)
    for s in SITES:
        subs = list(dict.fromkeys(sub[site == s]))
        n0 = weight * DEFAULT_N_EFF
        c = {x: counts[sub == x].sum() for x in subs}
        p = {x: sub0[sub == x][0] for x in subs}
        total = sum(c.values())
        for x in subs:
            out[sub == x] = (n0 * p[x] + c[x]) / (n0 + total)
    return out


def label_log_joint(fit: FittedCells, table, labels: list, level: str) -> np.ndarray:
    """(n, labels) log p(fields | label) under the fitted cells (each label's cells mixed by
    their fitted weights)."""
    L = log_likelihood(fit.model, table) + cell_log_weights(fit.model, fit.subsite_share)[None, :]
    member = allowed_cells(fit.model, list(labels), level)  # (labels, cells)
    out = np.empty((len(L), len(labels)))
    for j in range(len(labels)):
        m = member[j]
        # C order: a column selection comes out column-major, and numpy then sums a row in
        # another order than it sums one case alone (the last bits would depend on the batch)
        part = np.ascontiguousarray(L[:, m]) - logsumexp(cell_log_weights(fit.model, fit.subsite_share)[m])
        out[:, j] = logsumexp(part, axis=1)
    return out
