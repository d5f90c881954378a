"""What the training data looked like, in aggregates only, to flag cases unlike it.

Stored in the bundle as ``training_profile.json``: per numeric field the 0.5th and 99.5th
percentiles (not the minimum and maximum, which would be single patients' values), per marker
how many training cases were tested and positive, and for every pair of markers how many cases
were positive for both. No case, row or identifier is kept.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ._fields import FIELDS, field_label

__all__ = ["make_profile", "unlike_training"]

_POSITIVE = {"ihc_daxx_atrx": "lost"}
RARE = 5  # a combination seen in fewer training cases than this is "rarely seen"


def _markers(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c in FIELDS and FIELDS[c].not_done_allowed]


def make_profile(table: pd.DataFrame) -> dict:
    numeric = {}
    for c in table.columns:
        f = FIELDS.get(c)
        if (f is not None and f.kind == "number") or str(c).startswith("expr_"):
            x = pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
            x = x[~np.isnan(x)]
            if len(x) >= 20:
                numeric[c] = [float(np.quantile(x, 0.005)), float(np.quantile(x, 0.995))]
    pos = {}
    for m in _markers(table):
        pos[m] = _is_positive(table[m], _POSITIVE.get(m, "positive"))
    pairs = {f"{a}+{b}": int((pos[a] & pos[b]).sum()) for a, b in itertools.combinations(sorted(pos), 2)}
    return {"n_cases": int(len(table)), "numeric_range_99": numeric,
            "marker_positive": {m: int(v.sum()) for m, v in pos.items()},
            "marker_tested": {m: int(table[m].notna().sum()) for m in pos}, "positive_pairs": pairs}


def _is_positive(col: pd.Series, value: str) -> np.ndarray:
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = list(col.cat.categories)
        return col.cat.codes.to_numpy() == (cats.index(value) if value in cats else -2)
    return (col.astype(object) == value).to_numpy()


def unlike_training(profile: dict | None, table: pd.DataFrame) -> list[list[str]]:
    """For each case, plain-words reasons it is unlike the training data (may be empty)."""
    out = [[] for _ in range(len(table))]
    if not profile:
        return out
    for c, (lo, hi) in profile.get("numeric_range_99", {}).items():
        if c in table.columns:
            x = pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
            for i in np.flatnonzero((x < lo) | (x > hi)):
                out[i].append(f"{field_label(c)} {x[i]:g} is outside the range of 99% of training cases "
                              f"({lo:g} to {hi:g})")
    pairs = profile.get("positive_pairs", {})
    markers = [m for m in _markers(table) if m in profile.get("marker_positive", {})]
    pos = {m: _is_positive(table[m], _POSITIVE.get(m, "positive")) for m in markers}
    for a, b in itertools.combinations(sorted(markers), 2):
        k = pairs.get(f"{a}+{b}")
        if k is None or k >= RARE:
            continue
        word = "never" if k == 0 else f"rarely ({k} times)"
        for i in np.flatnonzero(pos[a] & pos[b]):
            out[i].append(f"{field_label(a)} and {field_label(b)} both positive: a combination {word} seen "
                          f"in the {profile['n_cases']:,} training cases")
    return out
