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
    """The canonical table of ``X``: returned as is when already validated (a canonical table,
    or the :class:`CaseColumns` of a validated case), else validated."""
    if isinstance(X, CaseColumns):
        return X
    import pandas as pd

    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"expected a cohort table (pandas DataFrame), got {type(X).__name__}")
    dtypes = dict(zip(X.columns, X.dtypes))  # one pass over the dtypes, no column access (fast for one case)
    canonical = all(
        isinstance(dtypes[c], pd.CategoricalDtype) and list(dtypes[c].categories) == list(FIELDS[c].values)
        for c in X.columns
        if c in FIELDS and FIELDS[c].kind == "category"
    ) and all(c == c.lower() and c.strip() == c for c in X.columns if isinstance(c, str))
    numeric = [c for c in X.columns if c in FIELDS and FIELDS[c].kind == "number"]
    if canonical and all(pd.api.types.is_float_dtype(dtypes[c]) for c in numeric) and _in_range(X, numeric):
        return X
    from ._validation import validate_cohort

    return validate_cohort(X, require_case_id=False).table


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
