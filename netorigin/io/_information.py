"""How much a case says about its site: the recorded fields that carry information."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..contract import FIELDS, recorded_mask

if TYPE_CHECKING:
    import pandas as pd

# Fields that say little or nothing about the site: they do not count as informative.
LOW_INFORMATION_FIELDS = ("age_years", "sex", "differentiation", "ihc_chromogranin", "ihc_synaptophysin")
# Bins of the number of informative fields recorded, for evaluation by information content.
INFORMATION_BINS = ((0, 0, "0"), (1, 2, "1-2"), (3, 5, "3-5"), (6, 10, "6-10"), (11, 10**6, "more than 10"))


def _informative_columns(table, unread=()) -> list:
    return [
        c
        for c in table.columns
        if (
            (c in FIELDS and FIELDS[c].group not in ("id", "label") and c not in LOW_INFORMATION_FIELDS)
            or str(c).startswith("expr_")
        )
        and c not in unread
    ]


def informative_fields(table: pd.DataFrame, unread=()) -> list[list[str]]:
    """For each case, the recorded fields that carry information about the site (``unread``: fields
    the model does not read, which tell it nothing)."""
    cols = _informative_columns(table, unread)
    if not cols:
        return [[] for _ in range(len(table))]
    recorded = recorded_mask(table, cols)
    return [[c for c, r in zip(cols, row) if r] for row in recorded]


def information_bin(table: pd.DataFrame) -> np.ndarray:
    """Each case's bin of :data:`INFORMATION_BINS` by its number of informative fields."""
    k = informative_counts(table)
    out = np.empty(len(k), dtype=object)
    for lo, hi, name in INFORMATION_BINS:
        out[(k >= lo) & (k <= hi)] = name
    return out


def informative_counts(table, unread=()) -> np.ndarray:
    """How many site-informative fields each case has recorded (without listing them)."""
    cols = _informative_columns(table, unread)
    return recorded_mask(table, cols).sum(axis=1) if cols else np.zeros(len(table), dtype=int)
