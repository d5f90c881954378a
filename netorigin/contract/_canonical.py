"""The canonical table: a table already validated is taken as it is (its categories and numbers
checked in one fast pass), anything else is validated."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._columns import CaseColumns
from ._fields import FIELDS

if TYPE_CHECKING:
    import pandas as pd


def as_canonical(X) -> pd.DataFrame | CaseColumns:
    """The canonical cases of ``X`` (anything :func:`read_canonical` takes): returned as they are
    when already validated, else validated (its notices dropped: :func:`read_canonical` keeps them)."""
    return read_canonical(X)[0]


def read_canonical(X) -> tuple[pd.DataFrame | CaseColumns, list | None]:
    """``(canonical cases, notices)`` of ``X``: a :class:`~netorigin.contract.ValidatedCohort`
    (its cases and notices), a canonical table or the :class:`CaseColumns` of a validated case
    (as they are; notices None: they were the validation's), a raw table in the contract
    (validated here: its notices), or a mapping of field -> value (one case, validated here)."""
    if isinstance(X, CaseColumns):
        return X, None
    from collections.abc import Mapping

    import pandas as pd

    from ._validation import ValidatedCohort, validate_case, validate_cohort

    if isinstance(X, ValidatedCohort):
        return X.cases, list(X.notices)
    if isinstance(X, Mapping):
        v = validate_case(X)
        return v.cases, v.notices
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            "expected cases in the contract (a pandas DataFrame, a ValidatedCohort, or a mapping of "
            f"field -> value for one case), got {type(X).__name__}"
        )
    dtypes = dict(zip(X.columns, X.dtypes))  # one pass over the dtypes, no column access (fast for one case)
    canonical = all(
        isinstance(dtypes[c], pd.CategoricalDtype) and list(dtypes[c].categories) == list(FIELDS[c].values)
        for c in X.columns
        if c in FIELDS and FIELDS[c].kind == "category"
    ) and all(c == c.lower() and c.strip() == c for c in X.columns if isinstance(c, str))
    numeric = [c for c in X.columns if c in FIELDS and FIELDS[c].kind == "number"]
    if canonical and all(pd.api.types.is_float_dtype(dtypes[c]) for c in numeric) and _in_range(X, numeric):
        return X, None
    v = validate_cohort(X, require_case_id=False)
    return v.table, v.notices


def _in_range(X: pd.DataFrame, numeric) -> bool:
    """Typed input still gets its numbers checked (a fast min/max per column)."""
    if not numeric:
        return True
    values = X[numeric].to_numpy(dtype=float)
    for j, c in enumerate(numeric):
        v = values[:, j]
        f = FIELDS[c]
        if np.isinf(v).any():
            return False
        finite = v[~np.isnan(v)]
        if not len(finite):
            continue
        lo, hi = finite.min(), finite.max()
        if f.minimum is not None and (lo < f.minimum or (f.exclusive_minimum and lo <= f.minimum)):
            return False
        if f.maximum is not None and hi > f.maximum:
            return False
    return True
