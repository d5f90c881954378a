"""Sparse work-ups made from whole ones: a case keeps a random few of its recorded informative
fields (the others become "not done"), chosen without looking at their values, so that the exact
posterior of the thinned case is still the exact one (the fields are missing at random)."""

from __future__ import annotations

import numpy as np


def thin_cases(cohort, *, low: int = 1, high: int = 6, share: float = 1.0, random_state=None):
    """A copy of ``cohort`` in which a ``share`` of the cases keep between ``low`` and ``high`` of
    their recorded informative fields (uniformly many, chosen at random); labels untouched.

    Returns the thinned cohort and a boolean array: which cases were thinned.

    >>> from netorigin.literature import make_synthetic_cohort
    >>> from netorigin.io import informative_fields
    >>> c, thinned = thin_cases(make_synthetic_cohort(50, random_state=0, workup="complete"), random_state=0)
    >>> all(1 <= len(f) <= 6 for f, t in zip(informative_fields(c), thinned) if t)
    True
    """
    from ..io import informative_fields

    rng = np.random.default_rng(random_state)
    out = cohort.copy()
    fields = informative_fields(out)
    thinned = rng.random(len(out)) < share
    drop: dict[str, list[int]] = {}
    for i in np.flatnonzero(thinned):
        have = fields[i]
        if len(have) <= low:
            continue
        k = int(rng.integers(low, min(high, len(have)) + 1))
        keep = set(rng.choice(have, size=k, replace=False).tolist())
        for f in have:
            if f not in keep:
                for col in (f, *_LINKED.get(f, ())):  # the fold of ULN says elevated or not: it goes too,
                    if col not in keep:  # unless it is one of the fields kept
                        drop.setdefault(col, []).append(i)
    for col, rows in drop.items():
        if col in out.columns:
            out.loc[out.index[rows], col] = np.nan
    return out, thinned


_LINKED = {
    "serum_cga": ("serum_cga_x_uln",),
    "urine_5hiaa": ("urine_5hiaa_x_uln",),
    "serum_cga_x_uln": ("serum_cga",),
    "urine_5hiaa_x_uln": ("urine_5hiaa",),
    "ki67_percent": ("grade", "mitoses_per_2mm2"),
    "grade": ("ki67_percent",),
}
