"""What scoring a batch of cases gives: one record the outputs read (terminal, report, web page,
API, tables)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..contract import column_values, recorded_mask

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class ScoreResult:
    table: pd.DataFrame
    proba: np.ndarray  # (n, 3) sites, under the target prior
    label_proba: np.ndarray  # (n, labels)
    labels: np.ndarray
    label_site: np.ndarray  # (labels,) the site index of each label
    sets: np.ndarray
    coverage: float
    set_reasons: np.ndarray  # (n, 3) why each site is in each case's set ("" when it is not)
    stratified_sets: bool  # whether the sets' guarantee is within strata of recorded fields
    target_prior: str
    identity: dict
    prior_alone: np.ndarray  # (3,) the site mix of the target prior
    by_prior: dict = field(default_factory=dict)  # prior name -> (n, 3)
    explanation: object = None
    advice: list | None = None
    panels: list | None = None
    warnings: list = field(default_factory=list)
    outside: np.ndarray | None = None  # cases outside the intended use (scored on request)
    informative: list = field(default_factory=list)  # each case's recorded site-informative fields
    raw_table: object = None  # the cases as given (``table``: as the setting reads them)
    assumed: tuple = ()  # the procedures the setting assumes negative
    taken: list = field(default_factory=list)  # per case, its recorded negatives the setting holds
    _cols: dict | None = None

    def _columns(self) -> dict:
        """The table's columns as plain object arrays (fast per-case access)."""
        if self._cols is None:
            self._cols = {c: column_values(self.table, c) for c in self.table.columns}
        return self._cols

    def recorded(self, i: int, fld: str) -> bool:
        return bool(self._recorded(fld)[i])

    def _recorded(self, fld: str) -> np.ndarray:
        cache = self.__dict__.get("_rec")
        if cache is None:  # one pass over every column
            mask = recorded_mask(self.table, self.table.columns)
            cache = self.__dict__["_rec"] = {c: mask[:, j] for j, c in enumerate(self.table.columns)}
        return cache[fld] if fld in cache else np.zeros(len(self.table), dtype=bool)
