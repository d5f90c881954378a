"""Which test to order next: the exact value of each test (and panel) for a case, coherent with
the probabilities shown.

One model says what happens next. The case's probability of each latent cell (sub-site and
phenotype) is the model's probability of the cell's label (sub-site, or site for site-level
models) times the literature cell model's probability of the cell within that label given the
fields recorded:  p(cell | case) = p_model(label | case) x p_lit(cell | label, case).
A test's results have P(result | cell) from the cell model (given the cell, tests are
independent), so

    P(result | case) = sum_cell p(cell | case) P(result | cell)
    p(site | case, result) = sum_{cell in site} p(cell | case) P(result | cell) / P(result | case)

and averaging the after-result probabilities over the results gives back today's probabilities
exactly. The expected information gain (bits) is the mutual information between the result and
the site, and never negative; the chance the top site changes follows from the same numbers.
With the exact posterior over cells in place of the model's labels, the same computation is the
exact-Bayes value of each test (:func:`exact_next_tests`, the benchmark's oracle). No classifier
call is made for hypothetical results.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..calibration import scenario_subsite_mixes
from ..contract import (
    DEFAULT_EXPRESSION_GENES,
    SITES,
    as_canonical,
    field_label,
    recorded_mask,
)
from ..literature import ADVICE_TESTS, EXPRESSION, Literature, cell_posterior, default_literature, log_likelihood
from ..literature import result_tables as _result_tables
from ._tests import load_test_table

if TYPE_CHECKING:
    import pandas as pd

_GROUPS = 3  # expression results are shown as low / middle / high of each gene


def _entropy(p: np.ndarray) -> np.ndarray:
    q = np.where(p > 0, p, 1.0)
    return -(p * np.log2(q)).sum(axis=-1)


# ----------------------------------------------------------------------------- cells
def _knowledge(model) -> Literature:
    """The cells the model advises from: fitted to its training cohort (the latent-class kind's
    own), or the literature's for a model that has none (older bundles, the Dask engine)."""
    own = getattr(model, "knowledge", None)
    return own() if own is not None else default_literature()


def _label_of_cells(model, kb, target_prior) -> tuple[np.ndarray, np.ndarray]:
    """(label index of each cell or -1, the cell's weight within its label)."""
    labels = list(model.labels_)
    cells = kb.model.cells
    pw = kb.model.phenotype_weight
    name = model.prior_name(target_prior)
    mixes = scenario_subsite_mixes()
    mix = mixes.get(name, mixes.get("training-mix", {}))
    idx, w = np.full(len(cells), -1), np.zeros(len(cells))
    for c, (site, sub, _) in enumerate(cells):
        if sub in labels:
            idx[c], w[c] = labels.index(sub), pw[c]
        elif site in labels:
            idx[c], w[c] = labels.index(site), pw[c] * mix.get(sub, 0.0)
        elif site == "other" and "other" in labels:
            idx[c], w[c] = labels.index("other"), pw[c] * mix.get(sub, 0.0)
    return idx, w


def model_cell_posterior(model, table: pd.DataFrame, label_proba: np.ndarray, target_prior=None) -> np.ndarray:
    """(n, cells): p_model(label | case) x p_lit(cell | label, case)."""
    kb = _knowledge(model)
    idx, w = _label_of_cells(model, kb, target_prior)
    L = log_likelihood(kb.model, table)
    out = np.zeros_like(L)
    cols = np.flatnonzero((idx >= 0) & (w > 0))
    if len(cols):  # every label's cells at once: a softmax within each label's block of cells
        cols = cols[np.argsort(idx[cols], kind="stable")]
        lab = idx[cols]
        starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
        block = np.cumsum(np.r_[False, lab[1:] != lab[:-1]])  # each column's block
        j = L[:, cols] + np.log(w[cols])
        e = np.exp(j - np.maximum.reduceat(j, starts, axis=1)[:, block])
        out[:, cols] = label_proba[:, lab] * e / np.add.reduceat(e, starts, axis=1)[:, block]
    total = out.sum(axis=1, keepdims=True)
    return out / np.where(total > 0, total, 1.0)


# ----------------------------------------------------------------------------- value of tests
def _not_done(recorded: dict, n: int, test: str) -> np.ndarray:
    """Cases where ``test`` has no result (``recorded``: column -> recorded mask)."""
    cols = list(DEFAULT_EXPRESSION_GENES) if test == EXPRESSION else [test]
    if test in ("serum_cga", "urine_5hiaa"):
        cols.append(test + "_x_uln")  # the fold of ULN says whether it is elevated
    present = [recorded[c] for c in cols if c in recorded]
    if not present:
        return np.ones(n, dtype=bool)
    return ~np.any(present, axis=0)


def _site_joint(p_cell: np.ndarray, P: np.ndarray, cell_site: np.ndarray) -> np.ndarray:
    """(n, results, 3): P(result, site | case), the same bits alone or in a batch."""
    out = np.zeros((len(SITES), p_cell.shape[0], P.shape[0]))
    # one cell at a time: every number is summed in the same order whatever the array's size or
    # place in memory (SIMD sums such as einsum's are not)
    for c, k in enumerate(cell_site):
        out[k] += p_cell[:, c, None] * P[None, :, c]
    return out.transpose(1, 2, 0)


def _value(p_cell, P, cell_site, edges):
    """For tests whose result tables are stacked in ``P`` (test c: rows ``edges[c]:edges[c+1]``):
    (gain bits (n, tests), chance the top site changes (n, tests), P(result) (n, R),
    site after result (n, R, 3))."""
    joint = _site_joint(p_cell, P, cell_site)
    pr = joint.sum(axis=2)
    post = joint / np.where(pr > 0, pr, 1.0)[:, :, None]
    now = _site_joint(p_cell, np.ones((1, P.shape[1])), cell_site)[:, 0, :]
    starts = np.asarray(edges)[:-1]
    expected_after = np.add.reduceat(pr * _entropy(post), starts, axis=1)
    gain = _entropy(now)[:, None] - expected_after
    moved = post.argmax(axis=2) != now.argmax(axis=1)[:, None]
    change = np.add.reduceat(pr * moved, starts, axis=1)
    return gain, change, pr, post


def _panel_table(tables, tests):
    def named(t, labels):
        return labels if len(tests) == 1 or t == EXPRESSION else [f"{field_label(t)} {x}" for x in labels]

    labels, P = tables[tests[0]]
    labels = named(tests[0], labels)
    for t in tests[1:]:
        l2, P2 = tables[t]
        labels = [f"{a}, {b}" for a in labels for b in named(t, l2)]
        P = (P[:, None, :] * P2[None, :, :]).reshape(-1, P.shape[1])
    return labels, P


def _label(tests) -> str:
    return " + ".join("gene expression (CD302, PPWD1)" if t == EXPRESSION else field_label(t) for t in tests)


def _result_groups(t, labels, in_panel: bool):
    """(names, index lists) of one test's results as shown: each result, or for the expression
    panel low / middle / high of each gene."""
    if t != EXPRESSION:
        return ([f"{field_label(t)} {x}" for x in labels] if in_panel else list(labels)), [
            [i] for i in range(len(labels))
        ]
    b = int(round(np.sqrt(len(labels))))
    cut = np.array_split(np.arange(b), _GROUPS)
    v1 = [float(labels[a * b].split(",")[0].split()[-1]) for a in range(b)]
    v2 = [float(labels[c].split(",")[1].split()[-1]) for c in range(b)]

    def band(v, i):  # low / middle / high with the cut-offs between them (the expression scale)
        lo = (v[cut[0][-1]] + v[cut[1][0]]) / 2
        hi = (v[cut[1][-1]] + v[cut[2][0]]) / 2
        return (f"low (below {lo:.1f})", f"middle ({lo:.1f}-{hi:.1f})", f"high (above {hi:.1f})")[i]

    names, groups = [], []
    for i, gi in enumerate(cut):
        for j, gj in enumerate(cut):
            groups.append([a * b + c for a in gi for c in gj])
            names.append(f"CD302 {band(v1, i)}, PPWD1 {band(v2, j)}")
    return names, groups


def _grouped(tests, tables, pr, post, p_cell_row, P, sub_names):
    """Results to show for a test or panel: the product of each test's shown results (group
    probabilities are the P(result)-weighted means, so they still average back)."""
    names, order, starts = _panel_groups(
        tuple(tests), tuple(len(tables[t][0]) for t in tests), tuple(tuple(tables[t][0]) for t in tests)
    )
    if len(starts) == len(order):  # each result shown on its own
        w, site_p, cell_p = pr[order], post[order], p_cell_row[None, :] * P[order]
    else:  # grouped results: P(result)-weighted sums, one segment per group (sequential: the same bits in a batch)
        w = np.add.reduceat(pr[order], starts)
        site_p = np.add.reduceat(pr[order][:, None] * post[order], starts, axis=0) / np.where(w > 0, w, 1.0)[:, None]
        cell_p = np.add.reduceat(p_cell_row[None, :] * P[order], starts, axis=0)
    total = cell_p.sum(axis=1, keepdims=True)
    cell_p = cell_p / np.where(total > 0, total, 1.0)
    subs, order, starts = _subsite_blocks(tuple(sub_names))
    sub_p = np.add.reduceat(cell_p[:, order], starts, axis=1)
    top = sub_p.argmax(axis=1)
    return [
        {
            "result": name,
            "probability": float(w[k]),
            "probabilities": {s: float(x) for s, x in zip(SITES, site_p[k])},
            "top_subsite": subs[top[k]],
            "top_subsite_probability": float(sub_p[k, top[k]]),
        }
        for k, name in enumerate(names)
        if w[k] > 0
    ]


@lru_cache(maxsize=256)
def _panel_groups(tests: tuple, sizes: tuple, labels: tuple) -> tuple:
    """(names, results ordered by group, where each group starts) of a test or panel's shown results."""
    names, groups = [""], [[0]]
    for t, n_t, lab in zip(tests, sizes, labels):
        t_names, t_groups = _result_groups(t, list(lab), len(tests) > 1)
        names = [f"{a}, {b}" if a else b for a in names for b in t_names]
        groups = [[i * n_t + j for i in g for j in h] for g in groups for h in t_groups]
    order = np.array([i for g in groups for i in g], dtype=np.intp)
    starts = np.cumsum([0] + [len(g) for g in groups[:-1]]).astype(np.intp)
    return names, order, starts


@lru_cache(maxsize=8)
def _subsite_blocks(sub_names: tuple) -> tuple:
    """(sub-sites in order of first appearance, cells ordered by sub-site, where each sub-site's cells start)."""
    subs = list(dict.fromkeys(sub_names))
    of = np.array([subs.index(x) for x in sub_names])
    order = np.argsort(of, kind="stable")
    starts = np.flatnonzero(np.r_[True, of[order][1:] != of[order][:-1]])
    return subs, order, starts


def value_of_tests(
    p_cell: np.ndarray,
    table: pd.DataFrame,
    kb: Literature,
    *,
    panel: int = 1,
    tests=ADVICE_TESTS,
    costs: dict | None = None,
) -> list[list[dict]]:
    """For each case, every available test (or panel of ``panel`` tests) not yet done, with its
    exact value under the cell posterior ``p_cell``; unsorted.

    Tests not done by the same cases are valued together: their result tables are stacked and
    every case's joint probabilities computed in one pass (one case: one pass for all tests)."""
    table = as_canonical(table)
    costs = costs or load_test_table()
    tables = _result_tables(kb.model)
    cell_site = kb.model.cell_site
    usable = [t for t in tests if costs.get(t, {}).get("available", True)]
    mask = recorded_mask(table, table.columns)  # one pass: recorded or not, per column
    recorded = {c: mask[:, j] for j, c in enumerate(table.columns)}
    todo = {t: _not_done(recorded, len(table), t) for t in usable}
    groups: dict[bytes, list] = {}
    for combo in itertools.combinations(usable, panel):
        rows = np.flatnonzero(np.all([todo[t] for t in combo], axis=0))
        if len(rows):
            groups.setdefault(rows.tobytes(), []).append(combo)
    out: list[list[dict]] = [[] for _ in range(len(table))]
    for key, combos in groups.items():
        rows = np.frombuffer(key, dtype=np.intp)
        named = [(combo, *_panel_table(tables, combo)) for combo in combos]
        for part in _blocks(named, len(rows)):
            P = np.vstack([x[2] for x in part])
            edges = np.cumsum([0] + [len(x[2]) for x in part])
            for lo in range(0, len(rows), _ROWS):
                sel = rows[lo : lo + _ROWS]
                gain, change, pr, post = _value(p_cell[sel], P, cell_site, edges)
                for c, (combo, labels, Pc) in enumerate(part):
                    cost = sum(costs.get(t, {}).get("cost", 1.0) for t in combo)
                    days = max(costs.get(t, {}).get("turnaround_days", 1.0) for t in combo)
                    label = _label(combo)
                    a, b = edges[c], edges[c + 1]
                    for j, i in enumerate(sel):
                        out[i].append(
                            {
                                "test": combo[0] if panel == 1 else list(combo),
                                "tests": list(combo),
                                "label": label,
                                "expected_information_gain_bits": float(gain[j, c]),
                                "chance_top_site_changes": float(change[j, c]),
                                "cost": cost,
                                "turnaround_days": days,
                                "_detail": (labels, pr[j, a:b], post[j, a:b], Pc),
                            }
                        )
    return out


_ROWS = 2048  # cases per pass
_CELLS_PER_PASS = 4_000_000  # cases x stacked results x cells held at once


def _blocks(named, n_rows):
    """Split the stacked result tables so that one pass holds at most about _CELLS_PER_PASS numbers."""
    block, size = [], 0
    for x in named:
        r = len(x[2]) * x[2].shape[1] * min(n_rows, _ROWS)
        if block and size + r > _CELLS_PER_PASS:
            yield block
            block, size = [], 0
        block.append(x)
        size += r
    if block:
        yield block


def _finish(entries, p_cell_row, kb, top, per_cost, details=True):
    key = (
        (lambda d: -d["expected_information_gain_bits"] / d["cost"])
        if per_cost
        else (lambda d: -d["expected_information_gain_bits"])
    )
    best = sorted(entries, key=key)[:top]
    sub_names = [c[1] for c in kb.model.cells]
    now = _site_now(p_cell_row, kb)
    tables = _result_tables(kb.model)
    for d in best if details else ():
        labels, pr, post, P = d.pop("_detail")
        d["results"] = _grouped(tuple(d["tests"]), tables, pr, post, p_cell_row, P, sub_names)
        shown = max(d["results"], key=lambda r: sum(abs(r["probabilities"][s] - x) for s, x in zip(SITES, now)))
        d["most_informative_result"] = shown["result"]
        d["result_probability"] = shown["probability"]
        d["probabilities_if_that_result"] = shown["probabilities"]
    for d in entries:
        d.pop("_detail", None)
    return best


def _site_now(p_cell_row, kb):
    site = kb.model.cell_site
    return [float(p_cell_row[site == k].sum()) for k in range(len(SITES))]


def next_tests(
    model,
    table: pd.DataFrame,
    proba: np.ndarray = None,
    *,
    label_proba: np.ndarray | None = None,
    target_prior=None,
    top: int = 3,
    panel: int = 1,
    costs: dict | None = None,
    per_cost: bool = False,
    details: bool = True,
) -> list[list[dict]]:
    """For each case, the ``top`` most informative tests (or panels of ``panel`` tests) not yet
    done, best first (by expected information per unit cost with ``per_cost``).

    Each entry: test(s), label, expected_information_gain_bits, chance_top_site_changes, cost,
    turnaround_days, and results: each possible result (grouped for expression) with its
    probability for this case and the site probabilities after it (they average back to the
    current ones), plus the most likely sub-site after it (``details=False``: the ranking only,
    for cohort tables).
    """
    table = as_canonical(table)
    if label_proba is None:
        label_proba = model.forward(table, target_prior=target_prior).label_proba
    kb = _knowledge(model)
    p_cell = model_cell_posterior(model, table, label_proba, target_prior)
    values = value_of_tests(p_cell, table, kb, panel=panel, costs=costs)
    return [_finish(v, p_cell[i], kb, top, per_cost, details) for i, v in enumerate(values)]


def exact_next_tests(
    table: pd.DataFrame,
    scenario: str,
    *,
    literature: Literature | None = None,
    top: int = 3,
    panel: int = 1,
    costs: dict | None = None,
) -> list[list[dict]]:
    """The exact-Bayes value of each test under the cell model (the oracle for :func:`next_tests`)."""
    kb = literature or default_literature()
    p_cell = cell_posterior(kb.model, table, kb.weights(scenario))
    values = value_of_tests(p_cell, table, kb, panel=panel, costs=costs)
    return [_finish(v, p_cell[i], kb, top, False) for i, v in enumerate(values)]


MATTERS_BITS = 0.05  # a test is advised when it is worth at least this much information about the site
MATTERS_CHANCE = 0.01  # ... or has at least this chance of changing the most likely site


def matters(x: dict) -> bool:
    """Whether a test (or panel) can change the answer enough to be worth advising."""
    return x["expected_information_gain_bits"] >= MATTERS_BITS or x["chance_top_site_changes"] >= MATTERS_CHANCE
