"""What the training data looked like, in aggregates only, to flag cases unlike it.

Stored in a bundle as ``training_profile.json``: per numeric field the 0.5th and 99.5th
percentiles (not the minimum and maximum, which would be single patients' values), per marker
how many training cases were tested and positive, and for every pair of markers how many cases
were positive for both. No case, row or identifier is kept.

The profile is built from *partials* that add up (counts, and histograms of numeric fields on
fixed grids), so a cohort read in pieces (Dask partitions) gives the same profile as the whole
table at once.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ..contract import FIELDS, field_label, positive_value

RARE = 5  # a combination seen in fewer training cases than this is "rarely seen"
_LOG_EDGES = np.concatenate([[0.0], np.logspace(-3, 4, 1401)])  # for fields with no upper bound


def _edges(name: str) -> np.ndarray:
    f = FIELDS.get(name)
    lo = f.minimum if f is not None and f.minimum is not None else 0.0
    hi = f.maximum if f is not None and f.maximum is not None else (30.0 if name.startswith("expr_") else None)
    if hi is None:
        return _LOG_EDGES
    return np.linspace(lo, hi, int(round((hi - lo) / 0.01)) + 1)


def _numeric_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if (c in FIELDS and FIELDS[c].kind == "number") or str(c).startswith("expr_")]


def _markers(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c in FIELDS and FIELDS[c].not_done_allowed]


def _is_positive(col: pd.Series, value: str) -> np.ndarray:
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = list(col.cat.categories)
        return col.cat.codes.to_numpy() == (cats.index(value) if value in cats else -2)
    return (col.astype(object) == value).to_numpy()


def profile_partial(table: pd.DataFrame) -> dict:
    """Aggregates of one piece of a canonical cohort (they add up across pieces)."""
    hist = {}
    for c in _numeric_columns(table):
        x = pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        edges = _edges(c)
        hist[c] = np.histogram(np.clip(x, edges[0], edges[-1]), bins=edges)[0].astype(np.int64)
    pos = {m: _is_positive(table[m], positive_value(m)) for m in _markers(table)}
    return {"n_cases": int(len(table)), "hist": hist,
            "marker_positive": {m: int(v.sum()) for m, v in pos.items()},
            "marker_tested": {m: int(table[m].notna().sum()) for m in pos},
            "positive_pairs": {f"{a}+{b}": int((pos[a] & pos[b]).sum())
                               for a, b in itertools.combinations(sorted(pos), 2)}}


def merge_partials(parts) -> dict:
    """The sum of several :func:`profile_partial` results."""
    out = {"n_cases": 0, "hist": {}, "marker_positive": {}, "marker_tested": {}, "positive_pairs": {}}
    for p in parts:
        out["n_cases"] += p["n_cases"]
        for c, h in p["hist"].items():
            out["hist"][c] = out["hist"][c] + h if c in out["hist"] else np.asarray(h).copy()
        for key in ("marker_positive", "marker_tested", "positive_pairs"):
            for k, v in p[key].items():
                out[key][k] = out[key].get(k, 0) + v
    return out


def finish_profile(partial: dict) -> dict:
    """The stored profile (JSON-able) from merged partials: numeric ranges from the histograms
    (the edges that bracket the 0.5th and 99.5th percentiles), counts as they are."""
    numeric = {}
    for c, h in partial["hist"].items():
        n = int(h.sum())
        if n < 20:
            continue
        edges, cum = _edges(c), np.cumsum(h)
        lo = edges[int(np.searchsorted(cum, 0.005 * n, side="left"))]
        hi = edges[min(int(np.searchsorted(cum, 0.995 * n, side="left")) + 1, len(edges) - 1)]
        numeric[c] = [float(lo), float(hi)]
    return {"n_cases": partial["n_cases"], "numeric_range_99": numeric,
            "marker_positive": dict(partial["marker_positive"]), "marker_tested": dict(partial["marker_tested"]),
            "positive_pairs": dict(partial["positive_pairs"])}


def make_profile(table: pd.DataFrame) -> dict:
    """The training profile of a whole canonical cohort."""
    return finish_profile(profile_partial(table))


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
    pos = {m: _is_positive(table[m], positive_value(m)) for m in markers}
    for a, b in itertools.combinations(sorted(markers), 2):
        k = pairs.get(f"{a}+{b}")
        if k is None or k >= RARE:
            continue
        word = "never" if k == 0 else f"rarely ({k} times)"
        for i in np.flatnonzero(pos[a] & pos[b]):
            out[i].append(f"{field_label(a)} and {field_label(b)} both positive: a combination {word} seen "
                          f"in the {profile['n_cases']:,} training cases")
    return out
