"""Which test to order next, from the model that gives the answer.

For each case and each test (or panel) it has not had:

- the chance of each result is the model's own predictive distribution:
  P(result | case) = sum_cell p(cell | case) P(result | cell), where p(cell | case) is the model's
  probability of the cell's label (sub-site, or site for site-level models) split among that
  label's phenotype cells by the cells the model advises from (the latent-class kind's own, or the
  literature's cells fitted to the training cohort);
- what a result would do is what the model gives when the case is scored again with that result
  entered (:func:`rescore`): the site probabilities, the sub-site
  and the 90% prediction set shown after "if positive" are the ones scoring the edited case shows.
  An expression result is a band of each gene's level, entered as the level the model expects
  within it for this case (shown: "CD302 about 7.4 (low)").

From the same numbers: the expected information gain (bits) = sum_r P(r) KL(after r || now), how
far the answer is expected to move (for an exactly Bayesian model, the mutual information between
the result and the site, as :func:`~netorigin.inference.exact_next_tests` computes it; for a
classifier whose answers after each result need not average back to its answer now, it stays
non-negative and ranks tests closer to the exact best than H(now) - sum_r P(r) H(after r) does:
benchmarks/advice_benchmark.py), the chance the most likely site changes and the chance the 90%
set changes; a test is advised when it
has at least a 1% chance of changing the answer (:func:`matters`: the most likely site or the
set). Panels are first shortlisted by their value under the cells (:func:`value_of_tests`), then
the shortlist is re-scored like single tests.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from .._math import softmax_within
from .._runtime import sorted_unique
from ..contract import (
    DEFAULT_EXPRESSION_GENES,
    FIELDS,
    SITES,
    CaseColumns,
    as_canonical,
    field_label,
    value_words,
)
from ..literature import (
    ADVICE_TESTS,
    EXPRESSION,
    Literature,
    expression_band_table,
    expression_edges,
    log_likelihood,
)
from ..literature import result_tables as _result_tables
from ._tests import load_test_table
from ._value import divergence_bits, entropy_bits, rank_key, value_of_tests

if TYPE_CHECKING:
    import pandas as pd

SHORTLIST = 8  # panels re-scored per case: the best by their value under the cells
MATTERS_CHANCE = 0.01  # a test is advised when it has at least this chance of changing the answer
_VARIANTS = 20_000  # edited cases re-scored per pass (bounds memory on large cohorts)


def matters(x: dict) -> bool:
    """Whether a test (or panel) could change the answer: at least a :data:`MATTERS_CHANCE`
    chance of changing the most likely site or the 90% prediction set."""
    return x["chance_answer_changes"] >= MATTERS_CHANCE


# ----------------------------------------------------------------------------- cells
def _cells(model) -> Literature:
    """The cells the model advises from: fitted to its training cohort (the latent-class kind's
    own), or the literature's for a model that has none (older bundles)."""
    return model.cells_.literature()


def model_cell_posterior(model, table: pd.DataFrame, label_proba: np.ndarray, target_prior=None) -> np.ndarray:
    """(n, cells): p_model(label | case) x p_cells(cell | label, case)."""
    cells = _cells(model)
    idx, w = model.cells_.label_cells(target_prior)
    L = log_likelihood(cells.model, table)
    out = np.zeros_like(L)
    cols = np.flatnonzero((idx >= 0) & (w > 0))
    if len(cols):  # every label's cells at once: a softmax within each label's block of cells
        cols = cols[np.argsort(idx[cols], kind="stable")]
        out[:, cols] = softmax_within(L[:, cols] + np.log(w[cols]), idx[cols], label_proba)
    total = out.sum(axis=1, keepdims=True)
    return out / np.where(total > 0, total, 1.0)


# ----------------------------------------------------------------------------- results as entered
def _expression_levels(cells, p_cell) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3, 3) each gene's expected level for each pair of bands (the first gene's band, the
    second's) given each case of ``p_cell``: the mean of the truncated normal of each cell, weighted
    by the cell's chance of the case and of the pair (the band's mean over the cells when no cell
    can give the pair); before rounding."""
    g1, g2 = DEFAULT_EXPRESSION_GENES
    P1, M1 = expression_band_table(cells.model, g1)
    P2, M2 = expression_band_table(cells.model, g2)
    v1, v2 = np.zeros((len(p_cell), 3, 3)), np.zeros((len(p_cell), 3, 3))
    for lo in range(0, len(p_cell), 1024):  # bounds memory (cases x 9 x cells)
        w = (p_cell[lo : lo + 1024, None, :] * P1[None])[:, :, None, :] * P2[None, None]  # (m, 3, 3, cells)
        total = w.sum(axis=-1)
        ok = total > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            a = (w * M1[None, :, None, :]).sum(axis=-1) / total
            b = (w * M2[None, None, :, :]).sum(axis=-1) / total
        v1[lo : lo + 1024] = np.where(ok, a, M1.mean(axis=1)[None, :, None])
        v2[lo : lo + 1024] = np.where(ok, b, M2.mean(axis=1)[None, None, :])
    return v1, v2


def _expression_results(levels, edges) -> list[tuple[str, dict]]:
    """The 9 results of the expression panel for one case: (name, values entered). Each gene is
    entered as its expected level within the band (``levels``: the case's of
    :func:`_expression_levels`), to one decimal and inside its band (``edges``:
    :func:`~netorigin.literature.expression_edges`)."""
    g1, g2 = DEFAULT_EXPRESSION_GENES
    words = ("low", "middle", "high")
    out = []
    for a in range(3):
        for b in range(3):
            v1 = _in_band(float(levels[0][a, b]), a, edges[g1], g1)
            v2 = _in_band(float(levels[1][a, b]), b, edges[g2], g2)
            name = f"{g1[5:].upper()} about {v1:.1f} ({words[a]}), {g2[5:].upper()} about {v2:.1f} ({words[b]})"
            out.append((name, {g1: v1, g2: v2}))
    return out


def _in_band(v: float, band: int, edges: tuple, gene: str) -> float:
    """``v`` to one decimal, inside its band (low: below the lower edge; middle: from it to
    below the upper; high: from the upper edge) and the contract's range."""
    lo, hi = edges
    v = round(v, 1)
    if band == 0:
        v = min(v, round(lo - 0.1, 1))
    elif band == 1:
        v = min(max(v, lo), round(hi - 0.1, 1))
    else:
        v = max(v, hi)
    f = FIELDS[gene]
    return float(min(max(v, f.minimum if f.minimum is not None else v), f.maximum if f.maximum is not None else v))


def _results_as_entered(combo, tables, expression=None) -> list[tuple[str, dict]]:
    """(name, values entered) of each result of a test or panel, in the order of its result
    table (:func:`~netorigin.inference._value.panel_table`: the first test's results outermost);
    ``expression``: the case's results of the expression panel (:func:`_expression_results`)."""
    out = [("", {})]
    for t in combo:
        if t == EXPRESSION:
            mine = expression
        else:
            values = tables[t][0]
            said = [value_words(t, v) for v in values]  # a procedure's result as a clinician says it
            mine = [(w if len(combo) == 1 else f"{field_label(t)} {w}", {t: v}) for w, v in zip(said, values)]
        out = [(f"{a}, {b}" if a else b, {**ea, **eb}) for a, ea in out for b, eb in mine]
    return out


# ----------------------------------------------------------------------------- the advice
def rescore(model, table, rows, edits, *, target_prior=None, base=None):
    """What scoring gives once results are entered: the model's pass
    (:meth:`~netorigin.estimator.SiteModel.forward`) over the cases of ``table`` at ``rows``, each
    with the values of its ``edits`` entry (field -> canonical value) written in. ``base``: the
    features and margins of ``table`` (then a classifier that can recomputes only what the edits
    reach; equal to scoring the edited cases afresh to 1e-12)."""
    table = as_canonical(table)
    edited = CaseColumns.edited(table, rows, edits)
    rows = np.asarray(rows, dtype=np.intp)
    start = None if base is None else (base[0][rows], base[1][rows], _edited_rows(edits))
    return model.forward(edited, target_prior=target_prior, edited_from=start)


def _edited_rows(edits: list[dict]) -> dict:
    """field -> the rows whose edit enters it."""
    out: dict = {}
    for k, e in enumerate(edits):
        for name in e:
            out.setdefault(name, []).append(k)
    return {name: np.array(rows, dtype=np.intp) for name, rows in out.items()}


def next_tests(
    model,
    table: pd.DataFrame,
    *,
    forward=None,
    target_prior=None,
    coverage: float = 0.9,
    top: int = 3,
    panel: int = 1,
    costs: dict | None = None,
    per_cost: bool = False,
    details: bool = True,
) -> list[list[dict]]:
    """For each case, the ``top`` most informative tests (or panels of ``panel`` tests) not yet
    done, best first (by expected information per unit cost with ``per_cost``), valued by the
    model that scores (see the module docstring).

    Parameters
    ----------
    model : SiteModel
        A fitted model.
    table : DataFrame or CaseColumns
        The cases.
    forward : Forward, optional
        The model's pass over ``table`` under ``target_prior`` (made here when not given).
    target_prior, coverage
        The setting and the level of the prediction sets (as shown beside the answer).
    top, panel, costs, per_cost
        How many to keep; tests ordered together; the lab's test table; rank per unit cost.
    details : bool
        Each result with what it would do (off for cohort tables: the ranking only).

    Returns
    -------
    list of list of dict
        Per case: test(s), label, cost, turnaround_days, invasiveness, (for procedures)
        chance_shows_primary, expected_information_gain_bits,
        chance_top_site_changes, chance_set_changes, chance_answer_changes, and with ``details``
        the results: each result as entered, its probability, the site probabilities, top
        sub-site and prediction set re-scoring gives, and whether it changes the answer.
    """
    table = as_canonical(table)
    fwd = forward if forward is not None else model.forward(table, target_prior=target_prior)
    costs = costs or load_test_table()
    cells = _cells(model)
    p_cell = model_cell_posterior(model, table, fwd.label_proba, target_prior)
    held = model.prior_.assumed_negative(target_prior)  # what the setting holds done is not advised
    tests = [t for t in ADVICE_TESTS if t not in held]
    proxy = value_of_tests(p_cell, table, cells, panel=panel, costs=costs, tests=tests)
    tables = _result_tables(cells.model)
    edges = expression_edges(cells.model)
    levels = _expression_levels(cells, p_cell) if EXPRESSION in tests else None
    same = {}  # a test's results as entered: the same for every case (the expression panel's aside)
    plan = []  # (case, entry, [(name, P(result), values entered)])
    for i, entries in enumerate(proxy):
        if panel > 1:
            entries = sorted(entries, key=rank_key(per_cost))[:SHORTLIST]
        expression = None
        for d in entries:
            _, pr, _ = d.pop("_detail")
            combo = tuple(d["tests"])
            if EXPRESSION in combo:
                expression = expression or _expression_results((levels[0][i], levels[1][i]), edges)
                results = _results_as_entered(combo, tables, expression)
            else:
                results = same[combo] if combo in same else same.setdefault(combo, _results_as_entered(combo, tables))
            plan.append((i, d, [(name, w, vals) for (name, vals), w in zip(results, pr.tolist()) if w > 0]))
    _rescore(model, table, fwd, plan, target_prior, coverage, details)
    out: list[list[dict]] = [[] for _ in range(len(table))]
    for i, d, _ in plan:
        out[i].append(d)
    return [sorted(entries, key=rank_key(per_cost))[:top] for entries in out]


def _rescore(model, table, fwd, plan, target_prior, coverage, details) -> None:
    """Fill each planned entry with the values re-scoring its results gives (in passes of at most
    :data:`_VARIANTS` edited cases; every entry's numbers from the arrays of its pass at once)."""
    now_p, now_sets = fwd.proba, fwd.sets(coverage)
    Xt = fwd.inputs  # a feature matrix, or the table itself for kinds that read it
    base = (Xt, fwd.margins) if isinstance(Xt, np.ndarray) else None
    now_top = now_p.argmax(axis=1)
    h_now = entropy_bits(now_p)
    if len(plan) and not isinstance(table, CaseColumns):  # a table's columns read once, not at every pass
        table = CaseColumns.edited(table, np.arange(len(table)), [{}] * len(table))
    for start, stop in _passes(plan):
        part = plan[start:stop]
        counts = np.array([len(res) for _, _, res in part], dtype=np.intp)
        rows = np.repeat(np.array([i for i, _, _ in part], dtype=np.intp), counts)
        edits = [vals for _, _, res in part for _, _, vals in res]
        after = rescore(model, table, rows, edits, target_prior=target_prior, base=base)
        p_after, sets_after = after.proba, after.sets(coverage)
        w = np.array([r[1] for _, _, res in part for r in res], dtype=float)
        top_moves = p_after.argmax(axis=1) != now_top[rows]
        set_moves = np.any(sets_after != now_sets[rows], axis=1)
        # each entry's sums: the same bits as summing its own results alone (_entry_sums)
        gain = _entry_sums(w * divergence_bits(p_after, now_p[rows]), counts)
        top = _entry_sums(w * top_moves, counts)
        moved = _entry_sums(w * set_moves, counts)
        either = _entry_sums(w * (top_moves | set_moves), counts)
        shows = _entry_sums(w * _shows_primary(part, counts), counts)
        at = 0
        for e, (i, d, res) in enumerate(part):
            d["expected_information_gain_bits"] = float(gain[e])
            d["share_of_uncertainty"] = d["expected_information_gain_bits"] / h_now[i] if h_now[i] > 1e-9 else 0.0
            d["chance_top_site_changes"] = float(top[e])
            d["chance_set_changes"] = float(moved[e])
            d["chance_answer_changes"] = float(either[e])
            if _has_procedure(tuple(d["tests"])):
                d["chance_shows_primary"] = float(shows[e])
            if details:
                k = slice(at, at + len(res))
                d["results"] = _result_details(
                    model, res, p_after[k], after.label_proba[k], sets_after[k], top_moves[k], set_moves[k]
                )
            at += len(res)


def _passes(plan):
    """(start, stop) of the planned entries re-scored together: at most :data:`_VARIANTS` edited
    cases a pass (an entry with more alone)."""
    start = 0
    while start < len(plan):
        stop, size = start, 0
        while stop < len(plan) and (size == 0 or size + len(plan[stop][2]) <= _VARIANTS):
            size += len(plan[stop][2])
            stop += 1
        yield start, stop
        start = stop


def _entry_sums(x: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per entry, the sum of its ``counts`` consecutive values of ``x``: entries with the same number
    of results summed as the rows of one matrix, the same bits as each entry's values summed alone
    (``np.add.reduceat`` sums in another order)."""
    out = np.zeros(len(counts))
    starts = np.cumsum(counts) - counts
    for r in sorted_unique(counts):
        sel = np.flatnonzero(counts == r)
        if r:
            out[sel] = x[starts[sel, None] + np.arange(r)].sum(axis=1)
    return out


@functools.cache
def _has_procedure(tests: tuple) -> bool:
    """Whether a test or panel holds a procedure that looks for the primary."""
    return any(FIELDS[t].procedure for t in tests if t in FIELDS)


def _finds_primary(vals: dict) -> bool:
    """Whether a result as entered finds the primary (a procedure's result other than negative)."""
    return any(v != "negative" for f, v in vals.items() if FIELDS[f].procedure)


def _shows_primary(part, counts) -> np.ndarray:
    """Per edited case of a pass, whether its entered result finds the primary (a procedure's
    result other than negative; 0 for entries without a procedure)."""
    out = np.zeros(int(counts.sum()))
    at = 0
    for (_, d, res), r in zip(part, counts):
        if _has_procedure(tuple(d["tests"])):
            out[at : at + r] = [_finds_primary(vals) for _, _, vals in res]
        at += r
    return out


def _result_details(model, res, post, label_post, sets, top_moves, set_moves) -> list[dict]:
    """Each result: as entered, its chance, and what re-scoring the case with it gives."""
    sub_level = not set(model.labels_) <= set(SITES)
    out = []
    for j, (name, w, vals) in enumerate(res):
        top = int(post[j].argmax())
        sub, sub_p = None, None
        if sub_level:
            own = np.flatnonzero(model.label_site_ == top)
            best = own[int(label_post[j, own].argmax())]
            sub, sub_p = str(model.labels_[best]), float(label_post[j, best])
        out.append(
            {
                "result": name,
                "entered": dict(vals),
                "probability": w,
                "probabilities": {s: float(x) for s, x in zip(SITES, post[j])},
                "top_subsite": sub,
                "top_subsite_probability": sub_p,
                "prediction_set": [s for s, inn in zip(SITES, sets[j]) if inn],
                "changes_top_site": bool(top_moves[j]),
                "changes_set": bool(set_moves[j]),
            }
        )
    return out
