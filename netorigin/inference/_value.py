"""The value of a test under a posterior over the cell model's cells: the exact-Bayes oracle the
advice benchmark measures against, and the shortlist that decides which panels the model re-scores.

A test's results have P(result | cell) from the cell model (given the cell, tests are independent,
so a panel's table is the product of its tests' tables). With p(cell | case),

    P(result | case) = sum_cell p(cell | case) P(result | cell)
    p(site | case, result) = sum_{cell in site} p(cell | case) P(result | cell) / P(result | case)

The expected information gain (bits) is the mutual information between the result and the site;
the chance that the most likely site changes follows from the same numbers.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from ..contract import DEFAULT_EXPRESSION_GENES, SITES, as_canonical, field_label, recorded_mask, value_words
from ..literature import ADVICE_TESTS, EXPRESSION, Literature
from ..literature import result_tables as _result_tables
from ._tests import INVASIVENESS, load_test_table

if TYPE_CHECKING:
    import pandas as pd


def entropy_bits(p: np.ndarray) -> np.ndarray:
    """Shannon entropy (bits) along the last axis; 0 log 0 = 0."""
    p = np.asarray(p, dtype=float)
    q = np.where(p > 0, p, 1.0)
    return -(p * np.log2(q)).sum(axis=-1)


def divergence_bits(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Kullback-Leibler divergence KL(p || q) in bits along the last axis (0 where p is 0).

    >>> float(divergence_bits(np.array([0.5, 0.5]), np.array([0.5, 0.5])))
    0.0
    """
    p, q = np.broadcast_arrays(np.asarray(p, dtype=float), np.asarray(q, dtype=float))
    ok = (p > 0) & (q > 0)
    return (np.where(ok, p, 0.0) * np.log2(np.where(ok, p, 1.0) / np.where(ok, q, 1.0))).sum(axis=-1)


def not_done(recorded: dict, n: int, test: str) -> np.ndarray:
    """Cases where ``test`` has no result (``recorded``: column -> recorded mask)."""
    cols = list(DEFAULT_EXPRESSION_GENES) if test == EXPRESSION else [test]
    if test in ("serum_cga", "urine_5hiaa"):
        cols.append(test + "_x_uln")  # the fold of ULN says whether it is elevated
    present = [recorded[c] for c in cols if c in recorded]
    if not present:
        return np.ones(n, dtype=bool)
    return ~np.any(present, axis=0)


def test_label(tests) -> str:
    """A test or panel as a clinician reads it ("ISL1 + SATB2")."""
    return " + ".join("gene expression (CD302, PPWD1)" if t == EXPRESSION else field_label(t) for t in tests)


def panel_table(tables, tests) -> tuple[list[str], np.ndarray]:
    """(result names, P (results, cells)) of a test or panel: the product of its tests' tables."""

    def named(t, labels):
        if t == EXPRESSION:
            return labels
        words = [value_words(t, x) for x in labels]  # a procedure's result as a clinician says it
        return words if len(tests) == 1 else [f"{field_label(t)} {x}" for x in words]

    labels, P = tables[tests[0]]
    labels = named(tests[0], labels)
    for t in tests[1:]:
        l2, P2 = tables[t]
        labels = [f"{a}, {b}" for a in labels for b in named(t, l2)]
        P = (P[:, None, :] * P2[None, :, :]).reshape(-1, P.shape[1])
    return labels, P


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
    expected_after = np.add.reduceat(pr * entropy_bits(post), starts, axis=1)
    gain = entropy_bits(now)[:, None] - expected_after
    moved = post.argmax(axis=2) != now.argmax(axis=1)[:, None]
    change = np.add.reduceat(pr * moved, starts, axis=1)
    return gain, change, pr, post


def candidates(table, tests, costs: dict, panel: int) -> dict[bytes, list[tuple]]:
    """The tests (or panels of ``panel`` tests) a lab offers that each case has not had:
    {rows as bytes: [combination, ...]}, cases with the same tests to do grouped."""
    usable = [t for t in tests if costs.get(t, {}).get("available", True)]
    mask = recorded_mask(table, table.columns)  # one pass: recorded or not, per column
    recorded = {c: mask[:, j] for j, c in enumerate(table.columns)}
    todo = {t: not_done(recorded, len(table), t) for t in usable}
    groups: dict[bytes, list] = {}
    for combo in itertools.combinations(usable, panel):
        rows = np.flatnonzero(np.all([todo[t] for t in combo], axis=0))
        if len(rows):
            groups.setdefault(rows.tobytes(), []).append(combo)
    return groups


def value_of_tests(
    p_cell: np.ndarray,
    table: pd.DataFrame,
    cells: Literature,
    *,
    panel: int = 1,
    tests=ADVICE_TESTS,
    costs: dict | None = None,
) -> list[list[dict]]:
    """For each case, every available test (or panel of ``panel`` tests) not yet done, with its
    value under the cell posterior ``p_cell`` (expected information gain in bits, chance the top
    site changes, cost, turnaround; ``_detail``: the result names, P(result) and the sites after
    each result); unsorted.

    Tests not done by the same cases are valued together: their result tables are stacked and
    every case's joint probabilities computed in one pass (one case: one pass for all tests)."""
    table = as_canonical(table)
    costs = costs or load_test_table()
    tables = _result_tables(cells.model)
    cell_site = cells.model.cell_site
    out: list[list[dict]] = [[] for _ in range(len(table))]
    described: dict = {}  # what is the same for a test whatever the case
    for key, combos in candidates(table, tests, costs, panel).items():
        rows = np.frombuffer(key, dtype=np.intp)
        named = [(combo, *panel_table(tables, combo)) for combo in combos]
        for combo in combos:
            described.setdefault(combo, describe(combo, costs, panel))
        for part in _blocks(named, len(rows)):
            P = np.vstack([x[2] for x in part])
            edges = np.cumsum([0] + [len(x[2]) for x in part])
            for lo in range(0, len(rows), _ROWS):
                sel = rows[lo : lo + _ROWS]
                gain, change, pr, post = _value(p_cell[sel], P, cell_site, edges)
                gains, changes = gain.tolist(), change.tolist()  # Python floats, as float() gives
                for c, (combo, labels, _) in enumerate(part):
                    a, b = edges[c], edges[c + 1]
                    for j, i in enumerate(sel.tolist()):
                        out[i].append(
                            {
                                **described[combo],
                                "test": combo[0] if panel == 1 else list(combo),  # lists of their own
                                "tests": list(combo),
                                "expected_information_gain_bits": gains[j][c],
                                "chance_top_site_changes": changes[j][c],
                                "_detail": (labels, pr[j, a:b], post[j, a:b]),
                            }
                        )
    return out


def describe(combo, costs: dict, panel: int) -> dict:
    """What is the same for a test or panel whatever the case: its name, label, cost, turnaround and
    invasiveness (a panel's: its most invasive member's)."""
    return {
        "test": combo[0] if panel == 1 else list(combo),
        "tests": list(combo),
        "label": test_label(combo),
        "cost": sum(costs.get(t, {}).get("cost", 1.0) for t in combo),
        "turnaround_days": max(costs.get(t, {}).get("turnaround_days", 1.0) for t in combo),
        "invasiveness": max((costs.get(t, {}).get("invasiveness", "none") for t in combo), key=_invasiveness_rank),
    }


def _invasiveness_rank(level: str) -> int:
    return INVASIVENESS.index(level) if level in INVASIVENESS else 0


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


def rank_key(per_cost: bool):
    """Best first: by expected information, or by expected information per unit of cost."""
    if per_cost:
        return lambda d: -d["expected_information_gain_bits"] / d["cost"]
    return lambda d: -d["expected_information_gain_bits"]


def exact_next_tests(
    table: pd.DataFrame,
    scenario: str,
    *,
    literature: Literature | None = None,
    top: int = 3,
    panel: int = 1,
    costs: dict | None = None,
) -> list[list[dict]]:
    """The exact-Bayes value of each test under the cell model (the oracle the advice is measured
    against): the ``top`` tests of each case, best first, each with its results (P(result) and
    the sites after it, by Bayes' rule over the cells)."""
    from ..literature import apply_setting, cell_posterior, default_literature

    cells = literature or default_literature()
    assumed = cells.assumptions(scenario)
    table = apply_setting(table, assumed)[0]  # the setting's negatives, counted once
    p_cell = cell_posterior(cells.model, table, cells.weights(scenario))
    out = []
    tests = [t for t in ADVICE_TESTS if t not in assumed]  # what the setting holds done is not advised
    for entries in value_of_tests(p_cell, table, cells, panel=panel, costs=costs, tests=tests):
        best = sorted(entries, key=rank_key(False))[:top]
        chosen = {id(d) for d in best}
        for d in entries:
            labels, pr, post = d.pop("_detail")
            if id(d) in chosen:
                d["results"] = [
                    {"result": name, "probability": float(w), "probabilities": dict(zip(SITES, map(float, p)))}
                    for name, w, p in zip(labels, pr, post)
                    if w > 0
                ]
        out.append(best)
    return out
