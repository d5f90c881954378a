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
from typing import TYPE_CHECKING

import numpy as np

from .._math import floored_log, logsumexp, softmax
from ..contract import (
    FIELDS,
    column_codes,
    column_numbers,
    column_values,
    field_for,
    field_label,
    positive_value,
    recorded_mask,
)
from ..exceptions import InputError, check_stored

if TYPE_CHECKING:
    import pandas as pd

MAX_PROFILED_CASES = 10**12  # more training cases than any cohort has
RARE = 5  # a combination seen in fewer training cases than this is "rarely seen"
# the fields whose recorded / not-recorded pattern is profiled (the work-up's shape)
PATTERN_FIELDS = tuple(f for f in FIELDS if f not in ("case_id", "primary_site", "primary_site_detail"))
PATTERN_COMPONENTS = 8  # latent work-ups in the mixture model of recorded-field patterns
PATTERN_QUANTILE = 0.005  # patterns less likely than 99.5% of the training cases' are "unlike"
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


def _is_positive(table, marker: str, value: str) -> np.ndarray:
    codes = column_codes(table, marker)  # a canonical column: its codes, without a string per case
    if codes is not None and value in FIELDS[marker].values:
        return codes == list(FIELDS[marker].values).index(value)
    return column_values(table, marker) == value


def profile_partial(table: pd.DataFrame) -> dict:
    """Aggregates of one piece of a canonical cohort (they add up across pieces)."""
    import pandas as pd

    hist = {}
    for c in _numeric_columns(table):
        x = pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        edges = _edges(c)
        hist[c] = np.histogram(np.clip(x, edges[0], edges[-1]), bins=edges)[0].astype(np.int64)
    pos = {m: _is_positive(table, m, positive_value(m)) for m in _markers(table)}
    masks, counts = np.unique(_pattern_masks(table), return_counts=True)
    return {
        "n_cases": int(len(table)),
        "hist": hist,
        "patterns": dict(zip(masks.tolist(), counts.tolist())),
        "marker_positive": {m: int(v.sum()) for m, v in pos.items()},
        "marker_tested": {m: int(table[m].notna().sum()) for m in pos},
        "positive_pairs": {f"{a}+{b}": int((pos[a] & pos[b]).sum()) for a, b in itertools.combinations(sorted(pos), 2)},
    }


def merge_partials(parts) -> dict:
    """The sum of several :func:`profile_partial` results."""
    out = {"n_cases": 0, "hist": {}, "marker_positive": {}, "marker_tested": {}, "positive_pairs": {}, "patterns": {}}
    for p in parts:
        out["n_cases"] += p["n_cases"]
        for k, v in p.get("patterns", {}).items():
            out["patterns"][k] = out["patterns"].get(k, 0) + v
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
    out = {
        "n_cases": partial["n_cases"],
        "numeric_range_99": numeric,
        "marker_positive": dict(partial["marker_positive"]),
        "marker_tested": dict(partial["marker_tested"]),
        "positive_pairs": dict(partial["positive_pairs"]),
    }
    if partial.get("patterns"):
        out["recorded_patterns"] = _fit_patterns(partial["patterns"])
    return out


def _pattern_masks(table, fields=PATTERN_FIELDS) -> np.ndarray:
    """Each case's recorded fields as a bit mask over ``fields`` (:data:`PATTERN_FIELDS`, or the
    fields a profile saved by an earlier netorigin was built on)."""
    recorded = recorded_mask(table, fields).astype(np.int64)
    return (
        (recorded << np.arange(len(fields), dtype=np.int64)).sum(axis=1) if len(table) else np.zeros(0, dtype=np.int64)
    )


def _bits(masks: np.ndarray, n_fields: int) -> np.ndarray:
    return ((np.asarray(masks, dtype=np.int64)[:, None] >> np.arange(n_fields)) & 1).astype(float)


WEIGHT_FLOOR = 1e-12  # a component's least weight: EM keeps one it empties (a small cohort does) just alive


def _pattern_loglik(model: dict, bits: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(model["probs"]), 1e-4, 1 - 1e-4)
    comp = bits @ np.log(p).T + (1 - bits) @ np.log1p(-p).T + floored_log(np.clip(model["weights"], WEIGHT_FLOOR, 1))
    return logsumexp(comp, axis=1)


PATTERN_SAMPLE_ABOVE = 75_000  # beyond this many cases, the mixture is fitted to a sample of them,
PATTERN_FIT_MAX = 20_000  # ... this many, drawn by their patterns' counts


def _fit_patterns(patterns: dict) -> dict:
    """A mixture of independent Bernoullis (latent work-ups) over recorded-field patterns, fitted
    by EM on the distinct patterns weighted by their counts (beyond :data:`PATTERN_SAMPLE_ABOVE`
    cases, on a sample of :data:`PATTERN_FIT_MAX` drawn by those counts); and the log-likelihood
    below which a pattern is rarer than that of 99.5% of training cases. Aggregates only."""
    masks = np.array(sorted(patterns), dtype=np.int64)
    w = np.array([patterns[m] for m in masks.tolist()], dtype=float)
    x = _bits(masks, len(PATTERN_FIELDS))
    rng = np.random.default_rng(0)
    fit = np.arange(len(w))
    wf = w
    if w.sum() > PATTERN_SAMPLE_ABOVE:  # the mixture is settled by far fewer cases: fitted on a sample
        draw = rng.multinomial(PATTERN_FIT_MAX, w / w.sum())
        fit = np.flatnonzero(draw)
        wf = draw[fit].astype(float)
    model = _pattern_em(x[fit], wf, min(PATTERN_COMPONENTS, len(fit)), rng)
    ll = _pattern_loglik(model, x)
    order = np.argsort(ll)
    cum = np.cumsum(w[order]) / w.sum()
    threshold = float(ll[order][min(int(np.searchsorted(cum, PATTERN_QUANTILE)), len(ll) - 1)])
    return {
        "fields": list(PATTERN_FIELDS),
        "weights": [round(float(v), 6) for v in model["weights"]],
        "probs": [[round(float(v), 5) for v in row] for row in model["probs"]],
        "threshold": threshold,
    }


def _pattern_em(x: np.ndarray, w: np.ndarray, k: int, rng) -> dict:
    """EM (150 steps) for a mixture of ``k`` independent Bernoullis over weighted patterns ``x``."""
    resp = rng.dirichlet(np.ones(k), size=len(x))
    for _ in range(150):
        rw = resp * w[:, None]
        weights = rw.sum(axis=0) / rw.sum()
        probs = (rw.T @ x + 0.5) / (rw.sum(axis=0)[:, None] + 1.0)
        p = np.clip(probs, 1e-4, 1 - 1e-4)
        comp = x @ np.log(p).T + (1 - x) @ np.log1p(-p).T + floored_log(np.clip(weights, WEIGHT_FLOOR, 1))
        resp = softmax(comp)
    return {"weights": weights, "probs": probs}


def make_profile(table: pd.DataFrame) -> dict:
    """The training profile of a whole canonical cohort."""
    return finish_profile(profile_partial(table))


def check_profile(profile) -> dict:
    """A stored profile (``training_profile.json``) checked value by value: the case count, each
    numeric range within what its field can take, marker counts that fit together (positive <=
    tested <= cases, a pair <= either marker's positives), and the recorded-pattern mixture's
    shares and rates from 0 to 1."""
    if not isinstance(profile, dict):
        raise InputError("not a training profile (a mapping of aggregates)")
    n = int(check_stored(profile.get("n_cases"), "n_cases", shape=(), low=1, high=MAX_PROFILED_CASES, whole=True))
    _check_ranges(_mapping(profile, "numeric_range_99"))
    _check_markers(profile, n)
    if "recorded_patterns" in profile:
        _check_patterns(profile["recorded_patterns"])
    return profile


def _check_ranges(ranges: dict) -> None:
    for c, pair in ranges.items():
        f = field_for(c)
        if f is None or f.kind != "number":
            raise InputError(f"numeric_range_99: {c[:40]!r} is not a numeric field")
        hi = f.maximum if f.maximum is not None else float(_LOG_EDGES[-1])
        lo_hi = check_stored(pair, f"numeric_range_99.{c}", shape=(2,), low=f.minimum or 0.0, high=hi)
        if lo_hi[0] > lo_hi[1]:
            raise InputError(f"numeric_range_99.{c}: {lo_hi.tolist()} is not a range (low <= high)")


def _check_markers(profile: dict, n: int) -> None:
    counts = {}
    for key in ("marker_positive", "marker_tested"):
        for m, v in _mapping(profile, key).items():
            if m not in FIELDS or not FIELDS[m].not_done_allowed:
                raise InputError(f"{key}: {m[:40]!r} is not a marker")
            counts[key, m] = int(check_stored(v, f"{key}.{m}", shape=(), low=0, high=n, whole=True))
    for (key, m), v in counts.items():
        if key == "marker_positive" and v > counts.get(("marker_tested", m), n):
            raise InputError(f"marker_positive.{m}: {v} is more than the {counts[('marker_tested', m)]} tested")
    for pair, v in _mapping(profile, "positive_pairs").items():
        a, _, b = pair.partition("+")
        most = min(counts.get(("marker_positive", a), -1), counts.get(("marker_positive", b), -1))
        if most < 0:
            raise InputError(f"positive_pairs: {pair[:60]!r} is not a pair of profiled markers")
        check_stored(v, f"positive_pairs.{pair}", shape=(), low=0, high=most, whole=True)


def _mapping(profile: dict, key: str) -> dict:
    value = profile.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"{key}: not a mapping")
    return value


def _check_patterns(model) -> None:
    """The recorded-pattern mixture: fields, component shares adding up to 1, rates, a threshold."""
    if not isinstance(model, dict) or not isinstance(model.get("fields"), list):
        raise InputError("recorded_patterns: not a mixture of recorded-field patterns")
    weights = check_stored(model.get("weights"), "recorded_patterns.weights", shape=(None,), low=0, high=1)
    if not 1 <= len(weights) <= PATTERN_COMPONENTS or abs(weights.sum() - 1) > 1e-4:
        raise InputError(
            f"recorded_patterns.weights: {len(weights)} shares adding up to {weights.sum():.6g}; expected "
            f"1 to {PATTERN_COMPONENTS} shares adding up to 1"
        )
    shape = (len(weights), len(model["fields"]))
    check_stored(model.get("probs"), "recorded_patterns.probs", shape=shape, low=0, high=1)
    check_stored(model.get("threshold"), "recorded_patterns.threshold", shape=(), high=0)


def unlike_training(profile: dict | None, table: pd.DataFrame) -> list[list[str]]:
    """For each case, plain-words reasons it is unlike the training data (may be empty)."""
    out = [[] for _ in range(len(table))]
    if not profile:
        return out
    for c, (lo, hi) in profile.get("numeric_range_99", {}).items():
        if c in table.columns:
            x = column_numbers(table, c)
            for i in np.flatnonzero((x < lo) | (x > hi)):
                out[i].append(
                    f"{field_label(c)} {x[i]:g} is outside the range of 99% of training cases ({lo:g} to {hi:g})"
                )
    pattern = profile.get("recorded_patterns")
    # a profile of an earlier netorigin holds the fields of its day: the pattern is read over those
    fields = list(pattern["fields"]) if pattern else []
    if pattern and set(fields) <= set(PATTERN_FIELDS):
        bits = _bits(_pattern_masks(table, fields), len(fields))
        for i in np.flatnonzero(_pattern_loglik(pattern, bits) < pattern["threshold"]):
            out[i].append(
                f"its combination of recorded fields ({int(bits[i].sum())} of {len(fields)}) is rarer "
                "than that of 99.5% of training cases: no work-up the model learnt from looks like it"
            )
    pairs = profile.get("positive_pairs", {})
    markers = [m for m in _markers(table) if m in profile.get("marker_positive", {})]
    pos = {m: _is_positive(table, m, positive_value(m)) for m in markers}
    for a, b in itertools.combinations(sorted(markers), 2):
        k = pairs.get(f"{a}+{b}")
        if k is None or k >= RARE:
            continue
        word = "never" if k == 0 else f"rarely ({k} times)"
        for i in np.flatnonzero(pos[a] & pos[b]):
            out[i].append(
                f"{field_label(a)} and {field_label(b)} both positive: a combination {word} seen "
                f"in the {profile['n_cases']:,} training cases"
            )
    return out
