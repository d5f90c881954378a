"""Which test to order next: expected information gain on the site, from the model's own answers.

For every test not done, and every result it could give, the model scores the case as if that
result were in; each result is weighted by how likely it is for this case,
P(result | case) = sum_site p(site | case) P(result | site), with P(result | site) from the
published per-site rates (``data/synthetic/parameters.csv``, the literature model). The gain is
the expected drop in the entropy of p(site) (in bits); we also report the chance that the result
changes the top site. Results rarer than 5% under every site (an "equivocal" stain) are taken
to leave the probabilities unchanged, and expression is tried on a 3 x 3 grid of levels.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ..contract import DEFAULT_EXPRESSION_GENES, FIELDS, SITES, field_label
from ..literature import SCENARIOS
from ..models import LiteratureSiteClassifier

CANDIDATE_TESTS = tuple(
    [f for f in FIELDS if FIELDS[f].test and FIELDS[f].kind == "category"] + ["expression"]
)
_EXPR_GRID = 3
RARE_RESULT = 0.05  # a result this unlikely under every site is taken to leave p(site) unchanged


def _entropy(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-12, 1)
    return -(p * np.log2(q)).sum(axis=-1)


@lru_cache(maxsize=4)
def _literature(scenario: str):
    return LiteratureSiteClassifier(scenario=scenario).fit()


def _results(test: str) -> tuple[list[dict], list[str]]:
    """The possible results of a test as column -> value mappings, and their labels."""
    if test == "expression":
        lit = _literature("liver-met-archive")
        m = lit.cells_
        grids = {}
        for g in DEFAULT_EXPRESSION_GENES:
            loc, sd = m[f"loc:{g}"], m[f"scale:{g}"]
            grids[g] = np.round(np.linspace(loc.min() - sd.max(), loc.max() + sd.max(), _EXPR_GRID), 2)
        rows, labels = [], []
        for a in grids["expr_cd302"]:
            for b in grids["expr_ppwd1"]:
                rows.append({"expr_cd302": float(a), "expr_ppwd1": float(b)})
                labels.append(f"CD302 {a:.1f}, PPWD1 {b:.1f}")
        return rows, labels
    vals = list(FIELDS[test].values)
    return [{test: v} for v in vals], vals


@lru_cache(maxsize=64)
def _result_likelihood(test: str, scenario: str) -> np.ndarray:
    """(n_results, 3): P(result | site), normalised over the results of the test."""
    rows, _ = _results(test)
    lit = _literature(scenario)
    table = pd.DataFrame(rows)
    fields, parts = lit.field_contributions(table)
    logl = parts.sum(axis=1)  # only the test's own fields are present
    p = np.exp(logl - logl.max(axis=0, keepdims=True))
    return p / p.sum(axis=0, keepdims=True)


def _not_done(table: pd.DataFrame, test: str) -> np.ndarray:
    cols = list(DEFAULT_EXPRESSION_GENES) if test == "expression" else [test]
    present = [c for c in cols if c in table.columns]
    if not present:
        return np.ones(len(table), dtype=bool)
    return table[present].isna().all(axis=1).to_numpy()


def next_tests(model, table: pd.DataFrame, proba: np.ndarray, *, target_prior=None, top: int = 3,
               Xt=None) -> list[list[dict]]:
    """For each case, the ``top`` most informative tests not yet done (best first).

    ``proba``: the case's current site probabilities under ``target_prior`` (as shown).
    Each entry: test, label, expected_information_gain_bits, chance_top_site_changes,
    most_informative_result (the result that would move the answer most) and its probabilities.
    """
    n = len(table)
    prior_name = model.prior_name(target_prior)
    scenario = prior_name if prior_name in SCENARIOS else "liver-met-archive"
    h0 = _entropy(proba)
    top0 = proba.argmax(axis=1)
    candidates: list[list[dict]] = [[] for _ in range(n)]
    Xt = model.transform(table) if Xt is None else Xt
    fields = model.feature_fields_
    for test in CANDIDATE_TESTS:
        todo = _not_done(table, test)
        if not todo.any():
            continue
        idx = np.flatnonzero(todo)
        rows, labels = _results(test)
        lik = _result_likelihood(test, scenario)  # (R, 3)
        post = np.zeros((len(rows), len(idx), 3))
        sub = table.iloc[idx] if fields is None else Xt[idx]
        for r, row in enumerate(rows):
            if (lik[r] < RARE_RESULT).all():
                post[r] = proba[idx]  # e.g. "equivocal": too rare to be worth a prediction
            else:
                post[r] = _proba_with(model, sub, fields, row, prior_name)
        # (m, R): P(result | case); element-wise so a case gives the same bits alone or in a batch
        p_r = (proba[idx][:, None, :] * lik[None, :, :]).sum(axis=2)
        p_r = p_r / p_r.sum(axis=1, keepdims=True)
        h_r = _entropy(post)  # (R, m)
        gain = h0[idx] - (p_r * h_r.T).sum(axis=1)
        change = (p_r * (post.argmax(axis=2).T != top0[idx][:, None])).sum(axis=1)
        shift = np.abs(post - proba[idx][None, :, :]).sum(axis=2)  # (R, m)
        best = shift.argmax(axis=0)
        for j, i in enumerate(idx):
            b = best[j]
            candidates[i].append({
                "test": test, "label": "gene expression (CD302, PPWD1)" if test == "expression" else field_label(test),
                "expected_information_gain_bits": float(max(gain[j], 0.0)),
                "chance_top_site_changes": float(change[j]),
                "most_informative_result": labels[b],
                "result_probability": float(p_r[j, b]),
                "probabilities_if_that_result": {s: float(post[b, j, k]) for k, s in enumerate(SITES)},
            })
    return [sorted(c, key=lambda d: -d["expected_information_gain_bits"])[:top] for c in candidates]


def _proba_with(model, sub, feature_fields, row: dict, prior) -> np.ndarray:
    """The model's probabilities for ``sub`` (its input rows) with ``row``'s fields set."""
    if feature_fields is None:  # kinds that read the case table (literature, rules)
        t = sub.copy()
        for k, v in row.items():
            f = FIELDS.get(k)
            t[k] = pd.Categorical([v] * len(t), categories=list(f.values)) if f is not None and f.kind == "category" \
                else np.full(len(t), v, dtype=float)
        return model.predict_proba(t, target_prior=prior)
    one = model.transform(pd.DataFrame({k: [v] for k, v in row.items()}))[0]
    cols = np.isin(feature_fields, list(row))
    Xv = sub.copy()
    Xv[:, cols] = one[cols]
    return model.proba_from_margins(model.margins(Xv), target_prior=prior)
